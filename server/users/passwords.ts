import { hash, verify } from '@node-rs/argon2';
import pLimit from 'p-limit';
import { UserError } from '../errors.js';

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;

/** argon2id at OWASP's first recommended setting (19 MiB, t=2, p=1) or stronger. */
const params = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
const PHC_PARAMS = `$argon2id$v=19$m=${params.memoryCost},t=${params.timeCost},p=${params.parallelism}$`;

/** Each hash takes 19 MiB and a core for ~50 ms: a burst of sign-ins waits its turn instead of exhausting memory. */
const hashing = pLimit(2);
/** Beyond this many waiting, a sign-in is refused at once with "busy" rather than queued for seconds. */
const MAX_WAITING = 64;

/** Compared against when the user does not exist, so an unknown name takes as long as a wrong password. */
let dummyHash: Promise<string> | undefined;

export function checkPasswordRules(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new UserError(`The password must be at least ${MIN_PASSWORD_LENGTH} characters long.`, 'password-too-short');
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new UserError(`The password must be at most ${MAX_PASSWORD_LENGTH} characters long.`, 'password-too-long');
  }
}

function limited<T>(fn: () => Promise<T>): Promise<T> {
  if (hashing.pendingCount >= MAX_WAITING) {
    return Promise.reject(new UserError('The server is busy checking other sign-ins. Try again in a few seconds.', 'busy'));
  }
  return hashing(fn);
}

export async function hashPassword(password: string): Promise<string> {
  checkPasswordRules(password);
  return limited(() => hash(password, params));
}

/** Checks a password against a stored hash, or against a dummy one when there is no user, in the same time. */
export async function verifyPassword(stored: string | null | undefined, password: string): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  const against = stored ?? (await (dummyHash ??= hash('no user has this password', params)));
  const ok = await limited(() => verify(against, password).catch(() => false));
  return ok && Boolean(stored);
}

/** A hash made with other parameters (older or weaker) is replaced at the next successful sign-in. */
export function needsRehash(stored: string): boolean {
  return !stored.startsWith(PHC_PARAMS);
}
