import { getConnInfo } from '@hono/node-server/conninfo';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './app-env.js';

/**
 * The client's address and whether it reached us over HTTPS. Forwarded headers count only when the
 * admin said a reverse proxy is in front (HEIRLOOM_TRUST_PROXY); otherwise anyone could forge them.
 */
export function clientInfo(opts: { trustProxy: boolean; tls: boolean }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    let ip = getConnInfo(c).remote.address ?? 'unknown';
    let secure = opts.tls;
    if (opts.trustProxy) {
      const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
      if (forwarded) ip = forwarded;
      secure = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
    }
    c.set('client', { ip: ip.slice(0, 64), userAgent: (c.req.header('user-agent') ?? '').slice(0, 512), secure });
    await next();
  };
}
