import { recordAudit } from '../audit/audit.repo.js';
import type { Db } from '../db/client.js';
import { getSetting } from '../db/settings.repo.js';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { needsRehash, verifyPassword, hashPassword } from '../users/passwords.js';
import { countUsers, findUserByName, updateUser } from '../users/users.repo.js';
import { createUser } from '../users/users.service.js';
import type { User } from '../users/users.table.js';
import type { Keyring } from '../vault/keyring.js';
import { spendSecondFactor } from './second-factor.js';
import type { ClientInfo, SessionService } from './sessions.service.js';
import type { LoginThrottle, ThrottleKey } from './throttle.js';

export const REQUIRE_2FA_SETTING = 'auth.require-2fa';

export interface SignedIn {
  token: string;
  user: User;
  /** 'mfa': the password was right; the second factor is still to come. */
  stage: 'mfa' | 'full';
}

export interface AuthDeps {
  db: Db;
  keyring: Keyring;
  sessions: SessionService;
  throttle: LoginThrottle;
  log: Logger;
}

const WRONG = 'The user name or password is wrong.';

export class AuthService {
  constructor(private readonly deps: AuthDeps) {}

  needsSetup(): boolean {
    return countUsers(this.deps.db) === 0;
  }

  requires2fa(): boolean {
    return getSetting(this.deps.db, REQUIRE_2FA_SETTING) === 'true';
  }

  /** First-run setup: the admin account, signed in at once. */
  async setup(input: { username: string; displayName?: string; password: string }, client: ClientInfo): Promise<SignedIn> {
    const user = await createUser(this.deps.db, { ...input, role: 'admin' }, { firstOnly: true });
    recordAudit(this.deps.db, { event: 'setup', actor: user, subject: user.username, ip: client.ip });
    return { token: this.deps.sessions.start(user.id, 'full', client).token, user, stage: 'full' };
  }

  async signIn(usernameInput: string, password: string, client: ClientInfo): Promise<SignedIn> {
    const { db, throttle, sessions } = this.deps;
    const username = usernameInput.trim().toLowerCase().slice(0, 64);
    const keys: ThrottleKey[] = [`user:${username}`, `ip:${client.ip}`];
    this.refuseIfThrottled(keys, username, client);
    const user = findUserByName(db, username);
    const ok = await verifyPassword(user?.passwordHash, password);
    if (!ok || !user || user.disabledAt) {
      throttle.fail(keys);
      recordAudit(db, { event: 'login-failed', subject: username, ip: client.ip, detail: !user ? 'unknown user' : user.disabledAt ? 'account disabled' : 'wrong password' });
      throw new UserError(WRONG, 'bad-credentials');
    }
    throttle.succeed(keys[0]!);
    if (needsRehash(user.passwordHash!)) updateUser(db, user.id, { passwordHash: await hashPassword(password) });
    if (user.totpSecret) return { token: sessions.start(user.id, 'mfa', client).token, user, stage: 'mfa' };
    recordAudit(db, { event: 'login', actor: user, ip: client.ip });
    return { token: sessions.start(user.id, 'full', client).token, user, stage: 'full' };
  }

  /** Second step: a TOTP code or one of the recovery codes. The half-signed-in session is replaced by a new one. */
  secondFactor(mfaSessionId: number, user: User, code: string, client: ClientInfo): SignedIn {
    const { db, throttle, sessions, keyring } = this.deps;
    const keys: ThrottleKey[] = [`user:${user.username}`, `ip:${client.ip}`];
    this.refuseIfThrottled(keys, user.username, client);
    const how = spendSecondFactor(db, keyring, user, code);
    if (!how) {
      throttle.fail(keys);
      recordAudit(db, { event: 'second-factor-failed', actor: user, ip: client.ip });
      throw new UserError('That code is not right, or it was already used. Codes change every 30 seconds.', 'bad-code');
    }
    throttle.succeed(keys[0]!);
    sessions.end(mfaSessionId);
    if (how === 'recovery') recordAudit(db, { event: 'recovery-code-used', actor: user, ip: client.ip });
    recordAudit(db, { event: 'login', actor: user, ip: client.ip, detail: how === 'totp' ? 'with authenticator code' : 'with recovery code' });
    return { token: sessions.start(user.id, 'full', client).token, user, stage: 'full' };
  }

  /** A browser that signs in again gives up its old session (the new one has a new token). */
  replaced(sessionId: number): void {
    this.deps.sessions.end(sessionId);
  }

  signOut(sessionId: number, user: User, client: ClientInfo): void {
    this.deps.sessions.end(sessionId);
    recordAudit(this.deps.db, { event: 'logout', actor: user, ip: client.ip });
  }

  private refuseIfThrottled(keys: ThrottleKey[], username: string, client: ClientInfo): void {
    const wait = this.deps.throttle.retryAfter(keys);
    if (wait === 0) return;
    recordAudit(this.deps.db, { event: 'login-throttled', subject: username, ip: client.ip });
    const minutes = Math.ceil(wait / 60);
    throw new UserError(`Too many failed attempts. Try again in ${wait < 60 ? `${wait} seconds` : `${minutes} minute${minutes === 1 ? '' : 's'}`}.`, 'throttled');
  }
}
