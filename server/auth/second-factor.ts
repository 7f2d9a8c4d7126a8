import { and, eq, isNull, lt, or } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { users, type User } from '../users/users.table.js';
import type { Keyring } from '../vault/keyring.js';
import { consumeRecoveryCode } from './recovery-codes.js';
import { acceptTotp } from './totp.js';

/** The purpose a TOTP secret is sealed under: bound to its user, so it cannot be copied to another row. */
export const totpPurpose = (userId: number) => `totp:${userId}`;

/**
 * Checks a second factor and spends it: a current authenticator code (six digits) or an unused
 * recovery code. Returns which one it was, or undefined. A time step is recorded in one conditional
 * UPDATE, so two requests racing with the same code cannot both pass.
 */
export function spendSecondFactor(db: Db, keyring: Keyring, user: User, code: string): 'totp' | 'recovery' | undefined {
  const trimmed = code.trim().slice(0, 32);
  if (!/^\d{3}\s?\d{3}$/.test(trimmed)) return consumeRecoveryCode(db, user.id, trimmed) ? 'recovery' : undefined;
  if (!user.totpSecret) return undefined;
  const step = acceptTotp(keyring.openSecret(user.totpSecret, totpPurpose(user.id)), trimmed, user.totpLastStep);
  if (step === undefined) return undefined;
  const unused = or(isNull(users.totpLastStep), lt(users.totpLastStep, step));
  return db.update(users).set({ totpLastStep: step }).where(and(eq(users.id, user.id), unused)).run().changes === 1 ? 'totp' : undefined;
}
