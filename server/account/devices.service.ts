import { recordAudit } from '../audit/audit.repo.js';
import type { Actor } from '../auth/actor.js';
import type { ApiTokenService } from '../auth/api-tokens.service.js';
import type { ApiToken } from '../auth/api-tokens.table.js';
import { deleteSession, deleteUserSessions, findUserSession, listUserSessions } from '../auth/sessions.repo.js';
import type { ClientInfo } from '../auth/sessions.service.js';
import type { Db } from '../db/client.js';
import { AccessError } from '../errors.js';
import { currentSessionId } from './account.service.js';
import { deviceName } from './device-name.js';

export interface SignedInDevice {
  id: number;
  device: string;
  ip: string;
  createdAt: Date;
  lastSeenAt: Date;
  current: boolean;
}

export interface TokenDevice extends ApiToken {
  /** From the user agent it last came with; undefined until first used. */
  lastDevice?: string;
}

/** The browsers signed in to an account and the API tokens it issued, each revocable at once. */
export class DevicesService {
  constructor(
    private readonly db: Db,
    private readonly tokens: ApiTokenService,
  ) {}

  list(actor: Actor): { sessions: SignedInDevice[]; tokens: TokenDevice[] } {
    const current = currentSessionId(actor);
    return {
      sessions: listUserSessions(this.db, actor.user.id).map((s) => ({
        id: s.id,
        device: deviceName(s.userAgent),
        ip: s.ip,
        createdAt: s.createdAt,
        lastSeenAt: s.lastSeenAt,
        current: s.id === current,
      })),
      tokens: this.tokens.list(actor.user.id).map((t) => ({ ...t, lastDevice: t.lastUserAgent ? deviceName(t.lastUserAgent) : undefined })),
    };
  }

  /** Ends one of the user's own sessions (404 for any other); returns whether it was the one asking. */
  revokeSession(actor: Actor, sessionId: number, client: ClientInfo): { wasCurrent: boolean } {
    const session = findUserSession(this.db, actor.user.id, sessionId);
    if (!session) throw new AccessError(404, 'There is no such session.');
    deleteSession(this.db, session.id);
    recordAudit(this.db, { event: 'session-revoked', actor: actor.user, ip: client.ip, detail: `${deviceName(session.userAgent)} (${session.ip})` });
    return { wasCurrent: session.id === currentSessionId(actor) };
  }

  revokeOtherSessions(actor: Actor, client: ClientInfo): void {
    const count = deleteUserSessions(this.db, actor.user.id, currentSessionId(actor));
    recordAudit(this.db, { event: 'session-revoked', actor: actor.user, ip: client.ip, detail: `all other sessions (${count})` });
  }

  createToken(actor: Actor, input: { name: string; scope: string }, client: ClientInfo): { token: string; row: ApiToken } {
    return this.tokens.create(actor.user, input, client);
  }

  revokeToken(actor: Actor, tokenId: number, client: ClientInfo): void {
    if (!this.tokens.revoke(actor.user, tokenId, client)) throw new AccessError(404, 'There is no such token.');
  }
}
