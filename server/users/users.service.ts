import { z } from 'zod';
import type { Db } from '../db/client.js';
import { UserError } from '../errors.js';
import { hashPassword } from './passwords.js';
import { countUsers, findUserByName, insertUser, updateUser } from './users.repo.js';
import { roles, type Role } from './roles.js';
import type { User } from './users.table.js';

export const usernameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'A user name is 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit.');

export const displayNameSchema = z.string().trim().max(128, 'A display name is at most 128 characters.');

export interface NewUser {
  username: string;
  displayName?: string;
  role: Role;
  password: string;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, code: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new UserError(parsed.error.issues[0]!.message, code);
  return parsed.data;
}

/** Creates an account. With `firstOnly`, only while there is no account at all (first-run setup). */
export async function createUser(db: Db, input: NewUser, opts: { firstOnly?: boolean } = {}): Promise<User> {
  const username = parse(usernameSchema, input.username, 'invalid-username');
  const displayName = parse(displayNameSchema, input.displayName ?? '', 'invalid-display-name') || username;
  if (!roles.includes(input.role)) throw new UserError(`The role must be one of ${roles.join(', ')}.`, 'invalid-role');
  const passwordHash = await hashPassword(input.password);
  // Checked again after the (slow) hash, inside one transaction, so two concurrent requests cannot both pass.
  return db.transaction((tx) => {
    if (opts.firstOnly && countUsers(tx) > 0) throw new UserError('Heirloom is already set up. Sign in instead.', 'already-set-up');
    if (findUserByName(tx, username)) throw new UserError(`There is already a user named ${username}.`, 'user-exists');
    return insertUser(tx, { username, displayName, role: input.role, passwordHash, passwordChangedAt: new Date() });
  });
}

export function requireUser(db: Db, username: string): User {
  const user = findUserByName(db, username.trim().toLowerCase());
  if (!user) throw new UserError(`There is no user named ${username}. Create one with: heirloom user create ${username}`, 'no-such-user');
  if (user.disabledAt) throw new UserError(`The user ${username} is disabled.`, 'user-disabled');
  return user;
}

export async function setPassword(db: Db, user: User, password: string): Promise<void> {
  updateUser(db, user.id, { passwordHash: await hashPassword(password), passwordChangedAt: new Date() });
}
