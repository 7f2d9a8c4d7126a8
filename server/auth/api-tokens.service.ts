import { and, desc, eq, sql } from 'drizzle-orm';
import { recordAudit } from '../audit/audit.repo.js';
import type { Db } from '../db/client.js';
import { preparedPerDb } from '../db/prepared.js';
import { UserError } from '../errors.js';
import { findUserById } from '../users/users.repo.js';
import type { User } from '../users/users.table.js';
import { apiTokens, tokenScopes, type ApiToken, type TokenScope } from './api-tokens.table.js';
import { hashSecretToken, newSecretToken } from './secret-token.js';
import type { ClientInfo } from './sessions.service.js';

const TOUCH_EVERY_MS = 60_000;

const tokenByHash = preparedPerDb((db) => db.select().from(apiTokens).where(eq(apiTokens.tokenHash, sql.placeholder('tokenHash'))).prepare());

/** Per-device tokens for WebDAV, the sync CLI and scripts: `Authorization: Bearer hlt_…`. */
export class ApiTokenService {
  constructor(private readonly db: Db) {}

  /** Returns the token itself exactly once; only its hash is stored. */
  create(user: User, input: { name: string; scope: string }, client: ClientInfo): { token: string; row: ApiToken } {
    const name = input.name.trim();
    if (name.length < 1 || name.length > 64) throw new UserError('Give the device a name of 1 to 64 characters, such as "Anna\'s phone".', 'invalid-name');
    if (!tokenScopes.includes(input.scope as TokenScope)) throw new UserError(`The scope must be one of ${tokenScopes.join(', ')}.`, 'invalid-scope');
    if (input.scope === 'upload' && user.role === 'viewer') {
      throw new UserError('A viewer cannot add photos, so an upload-only token would do nothing. Choose full access to let an app show what is shared with you.', 'invalid-scope');
    }
    const { token, hash } = newSecretToken('hlt');
    const row = this.db.insert(apiTokens).values({ userId: user.id, name, scope: input.scope as TokenScope, tokenHash: hash }).returning().get();
    recordAudit(this.db, { event: 'token-created', actor: user, ip: client.ip, detail: `${name} (${row.scope})` });
    return { token, row };
  }

  resolve(token: string, client: ClientInfo, now = new Date()): { token: ApiToken; user: User } | undefined {
    // Two lookups by key: SQLite takes far longer over the join.
    const row = tokenByHash(this.db).get({ tokenHash: hashSecretToken(token) });
    const user = row && findUserById(this.db, row.userId);
    if (!row || !user || user.disabledAt) return undefined;
    const found = { token: row, user };
    const last = found.token.lastUsedAt?.getTime() ?? 0;
    if (now.getTime() - last > TOUCH_EVERY_MS || found.token.lastIp !== client.ip) {
      this.db.update(apiTokens).set({ lastUsedAt: now, lastIp: client.ip, lastUserAgent: client.userAgent.slice(0, 512) }).where(eq(apiTokens.id, found.token.id)).run();
    }
    return found;
  }

  list(userId: number): ApiToken[] {
    return this.db.select().from(apiTokens).where(eq(apiTokens.userId, userId)).orderBy(desc(apiTokens.createdAt)).all();
  }

  /** Revokes every token of the account (its password was reset because it may have been misused); returns how many. */
  revokeAll(userId: number): number {
    return this.db.delete(apiTokens).where(eq(apiTokens.userId, userId)).run().changes;
  }

  /** Revokes one of the user's own tokens; false when there is no such token of theirs. */
  revoke(user: User, tokenId: number, client: ClientInfo): boolean {
    const row = this.db.delete(apiTokens).where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, user.id))).returning().get();
    if (row) recordAudit(this.db, { event: 'token-revoked', actor: user, ip: client.ip, detail: row.name });
    return Boolean(row);
  }
}
