import { createHash, randomBytes } from 'node:crypto';

/** A 256-bit random token with a readable prefix (so a leaked one is recognisable), and the hash we store. */
export function newSecretToken(prefix: string): { token: string; hash: string } {
  const token = `${prefix}_${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashSecretToken(token) };
}

/** SHA-256 is enough here: the tokens carry 256 random bits, so there is nothing to brute-force. */
export function hashSecretToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
