import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { recordAudit } from '../audit/audit.repo.js';
import type { Db } from '../db/client.js';
import { AccessError } from '../errors.js';
import type { AppEnv } from './app-env.js';
import { CSRF_COOKIE, readCookie, writeCookie } from './cookies.js';

export const CSRF_HEADER = 'x-csrf-token';
export const CSRF_FIELD = '_csrf';
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Synchronizer tokens without server state: the token is an HMAC of the session id (or, before sign-in,
 * of a random cookie), so it changes at every sign-in and cannot be forged without the server's key.
 * Every state change must send it (form field or, for htmx and scripts, a header); requests the browser
 * marks as cross-site are refused outright. API-token requests carry no ambient credential and are exempt.
 */
export function csrfProtection(db: Db, key: Buffer): MiddlewareHandler<AppEnv> {
  // Every request carries a token for its pages, so the HMACs of recent subjects are kept rather than redone.
  const signed = new Map<string, string>();
  const sign = (subject: string) => {
    let token = signed.get(subject);
    if (!token) {
      if (signed.size >= 10_000) signed.clear();
      token = createHmac('sha256', key).update(subject).digest('base64url');
      signed.set(subject, token);
    }
    return token;
  };
  return async (c, next) => {
    const actor = c.var.actor;
    const session = actor?.via.kind === 'session' ? actor.via.sessionId : c.var.pendingMfa?.session.id;
    let subject: string;
    if (session !== undefined) {
      subject = `s:${session}`;
    } else {
      let anon = readCookie(c, CSRF_COOKIE);
      if (!anon || !/^[A-Za-z0-9_-]{43}$/.test(anon)) {
        anon = randomBytes(32).toString('base64url');
        writeCookie(c, CSRF_COOKIE, anon);
      }
      subject = `a:${anon}`;
    }
    const expected = sign(subject);
    c.set('csrf', expected);
    if (SAFE.has(c.req.method) || actor?.via.kind === 'token') return next();

    let sent = c.req.header(CSRF_HEADER);
    const type = c.req.header('content-type') ?? '';
    if (!sent && type.startsWith('application/x-www-form-urlencoded')) {
      const field = (await c.req.parseBody())[CSRF_FIELD];
      sent = typeof field === 'string' ? field : undefined;
    }
    const crossSite = c.req.header('sec-fetch-site') === 'cross-site';
    if (crossSite || !sent || !equal(sent, expected)) {
      recordAudit(db, { event: 'csrf-rejected', actor: actor?.user, ip: c.var.client.ip, detail: `${c.req.method} ${c.req.path}${crossSite ? ' (cross-site)' : ''}` });
      throw new AccessError(403, 'This form has expired or came from another site. Go back, reload the page and try again.');
    }
    await next();
  };
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
