import { hash } from '@node-rs/argon2';
import { UserError } from '../errors.js';

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;

/** argon2id at OWASP's first recommended setting (19 MiB, t=2, p=1) or stronger. */
const params = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function checkPasswordRules(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new UserError(`The password must be at least ${MIN_PASSWORD_LENGTH} characters long.`, 'password-too-short');
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new UserError(`The password must be at most ${MAX_PASSWORD_LENGTH} characters long.`, 'password-too-long');
  }
}

export async function hashPassword(password: string): Promise<string> {
  checkPasswordRules(password);
  return hash(password, params);
}
