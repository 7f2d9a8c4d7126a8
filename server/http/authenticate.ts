import type { MiddlewareHandler } from 'hono';
import type { ApiTokenService } from '../auth/api-tokens.service.js';
import type { SessionService } from '../auth/sessions.service.js';
import { AccessError } from '../errors.js';
import type { AppEnv } from './app-env.js';
import { clearCookie, readCookie, SESSION_COOKIE } from './cookies.js';

/** Who is asking: an API token in the Authorization header, or the session cookie. Sets c.var.actor. */
export function authenticate(sessions: SessionService, tokens: ApiTokenService): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const client = c.var.client;
    const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if (bearer) {
      const found = tokens.resolve(bearer, client);
      // A wrong token is an error, never a silent fall-back to anonymous.
      if (!found) throw new AccessError(401, 'This API token is not valid: it may have been revoked.');
      c.set('actor', { user: found.user, via: { kind: 'token', tokenId: found.token.id, scope: found.token.scope } });
      return next();
    }
    const cookie = readCookie(c, SESSION_COOKIE);
    if (cookie) {
      const found = sessions.resolve(cookie, client);
      if (!found) clearCookie(c, SESSION_COOKIE);
      else if (found.session.stage === 'full') c.set('actor', { user: found.user, via: { kind: 'session', sessionId: found.session.id } });
      else c.set('pendingMfa', found);
    }
    await next();
  };
}
