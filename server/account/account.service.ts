import { recordAudit } from '../audit/audit.repo.js';
import type { Actor } from '../auth/actor.js';
import { deleteUserSessions } from '../auth/sessions.repo.js';
import type { ClientInfo } from '../auth/sessions.service.js';
import type { LoginThrottle, ThrottleKey } from '../auth/throttle.js';
import type { Db } from '../db/client.js';
import { UserError } from '../errors.js';
import { checkPasswordRules, verifyPassword } from '../users/passwords.js';
import { setPassword } from '../users/users.service.js';
import type { User } from '../users/users.table.js';

/** The browser session making the request, which stays signed in when the user's other sessions end. */
export function currentSessionId(actor: Actor): number | undefined {
  return actor.via.kind === 'session' ? actor.via.sessionId : undefined;
}

/**
 * Re-checks a password or code before a sensitive change. Wrong guesses count towards the same
 * backoff as sign-in, so someone at an unlocked browser cannot try codes or passwords without limit.
 */
export async function throttledCheck(throttle: LoginThrottle, user: User, client: ClientInfo, check: () => boolean | Promise<boolean>): Promise<boolean> {
  const keys: ThrottleKey[] = [`user:${user.username}`, `ip:${client.ip}`];
  const wait = throttle.retryAfter(keys);
  if (wait > 0) {
    const minutes = Math.ceil(wait / 60);
    throw new UserError(`Too many wrong attempts. Try again in ${wait < 60 ? `${wait} seconds` : `${minutes} minute${minutes === 1 ? '' : 's'}`}.`, 'throttled');
  }
  const ok = await check();
  if (ok) throttle.succeed(keys[0]!);
  else throttle.fail(keys);
  return ok;
}

export class AccountService {
  constructor(
    private readonly db: Db,
    private readonly throttle: LoginThrottle,
  ) {}

  /** Sets a new password and signs out every other session of the user. */
  async changePassword(actor: Actor, input: { current: string; next: string; repeat: string }, client: ClientInfo): Promise<void> {
    const { user } = actor;
    await this.confirmPassword(user, input.current, client);
    if (input.next !== input.repeat) throw new UserError('The two new passwords differ.', 'passwords-differ');
    checkPasswordRules(input.next);
    await setPassword(this.db, user, input.next);
    const signedOut = deleteUserSessions(this.db, user.id, currentSessionId(actor));
    recordAudit(this.db, { event: 'password-changed', actor: user, ip: client.ip, detail: `${signedOut} other session(s) signed out` });
  }

  async confirmPassword(user: User, password: string, client: ClientInfo): Promise<void> {
    if (await throttledCheck(this.throttle, user, client, () => verifyPassword(user.passwordHash, password))) return;
    recordAudit(this.db, { event: 'login-failed', actor: user, subject: user.username, ip: client.ip, detail: 'wrong current password on the account page' });
    throw new UserError('Your current password is not right.', 'wrong-password');
  }
}
