import { z } from 'zod';
import type { Db } from '../db/client.js';
import { UserError } from '../errors.js';
import { hashPassword } from './passwords.js';
import { findUserByName, insertUser } from './users.repo.js';
import { roles, type Role } from './roles.js';
import type { User } from './users.table.js';

export const usernameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'A user name is 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit.');

export interface NewUser {
  username: string;
  displayName?: string;
  role: Role;
  password: string;
}

export async function createUser(db: Db, input: NewUser): Promise<User> {
  const parsed = usernameSchema.safeParse(input.username);
  if (!parsed.success) throw new UserError(parsed.error.issues[0]!.message, 'invalid-username');
  if (!roles.includes(input.role)) throw new UserError(`The role must be one of ${roles.join(', ')}.`, 'invalid-role');
  const username = parsed.data;
  if (findUserByName(db, username)) throw new UserError(`There is already a user named ${username}.`, 'user-exists');
  const passwordHash = await hashPassword(input.password);
  return insertUser(db, { username, displayName: input.displayName?.trim() || username, role: input.role, passwordHash });
}

export function requireUser(db: Db, username: string): User {
  const user = findUserByName(db, username.trim().toLowerCase());
  if (!user) throw new UserError(`There is no user named ${username}. Create one with: heirloom user create ${username}`, 'no-such-user');
  if (user.disabledAt) throw new UserError(`The user ${username} is disabled.`, 'user-disabled');
  return user;
}
