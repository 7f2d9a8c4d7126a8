import { randomInt } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { hashSecretToken } from './secret-token.js';
import { recoveryCodes } from './second-factor.table.js';

const COUNT = 10;
/** Crockford base32 without look-alikes; 10 characters carry 50 random bits. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

function normalise(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
}

/** Replaces a user's recovery codes with ten new ones, returned once in the form 'xxxxx-xxxxx'. */
export function issueRecoveryCodes(db: Db, userId: number): string[] {
  const codes = Array.from({ length: COUNT }, () => {
    const raw = Array.from({ length: 10 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    return `${raw.slice(0, 5)}-${raw.slice(5)}`;
  });
  db.transaction((tx) => {
    tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)).run();
    tx.insert(recoveryCodes).values(codes.map((c) => ({ userId, codeHash: hashSecretToken(normalise(c)) }))).run();
  });
  return codes;
}

/** Marks an unused code as used and returns true; a used, unknown or mistyped code returns false. */
export function consumeRecoveryCode(db: Db, userId: number, code: string, now = new Date()): boolean {
  const hash = hashSecretToken(normalise(code));
  const result = db
    .update(recoveryCodes)
    .set({ usedAt: now })
    .where(and(eq(recoveryCodes.userId, userId), eq(recoveryCodes.codeHash, hash), isNull(recoveryCodes.usedAt)))
    .run();
  return result.changes === 1;
}

export function unusedRecoveryCodes(db: Db, userId: number): number {
  return db.select().from(recoveryCodes).where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt))).all().length;
}

export function deleteRecoveryCodes(db: Db, userId: number): void {
  db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)).run();
}
