import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import type { User } from '../users/users.table.js';
import { newSecretToken, hashSecretToken } from './secret-token.js';
import { deleteExpiredSessions, deleteSession, findSessionByHash, insertSession, touchSession } from './sessions.repo.js';
import type { Session } from './sessions.table.js';

const DAY_MS = 86_400_000;
/** Between the password and the second factor a sign-in may wait this long. */
const MFA_STAGE_MS = 10 * 60_000;
/** last_seen is written at most this often, so browsing does not turn every request into a write. */
const TOUCH_EVERY_MS = 60_000;

export interface ClientInfo {
  ip: string;
  userAgent: string;
}

export class SessionService {
  constructor(
    private readonly db: Db,
    private readonly config: Pick<Config, 'sessionIdleDays' | 'sessionMaxDays'>,
  ) {}

  /** A new session, with a new token: every sign-in rotates the cookie. */
  start(userId: number, stage: Session['stage'], client: ClientInfo, now = new Date()): { token: string; session: Session } {
    const { token, hash } = newSecretToken('hs');
    const lifetime = stage === 'mfa' ? MFA_STAGE_MS : this.config.sessionMaxDays * DAY_MS;
    const session = insertSession(this.db, {
      userId,
      tokenHash: hash,
      stage,
      ip: client.ip,
      userAgent: client.userAgent.slice(0, 512),
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + lifetime),
    });
    return { token, session };
  }

  /** The live session a cookie names, or undefined when it is unknown, expired, idle too long or its user is disabled. */
  resolve(token: string, client: ClientInfo, now = new Date()): { session: Session; user: User } | undefined {
    const found = findSessionByHash(this.db, hashSecretToken(token));
    if (!found) return undefined;
    const { session, user } = found;
    const idleFor = now.getTime() - session.lastSeenAt.getTime();
    if (session.expiresAt <= now || idleFor > this.config.sessionIdleDays * DAY_MS || user.disabledAt) {
      deleteSession(this.db, session.id);
      return undefined;
    }
    if (idleFor > TOUCH_EVERY_MS || session.ip !== client.ip) touchSession(this.db, session.id, now, client.ip);
    return found;
  }

  end(sessionId: number): void {
    deleteSession(this.db, sessionId);
  }

  sweep(now = new Date()): number {
    return deleteExpiredSessions(this.db, now, new Date(now.getTime() - this.config.sessionIdleDays * DAY_MS));
  }
}
