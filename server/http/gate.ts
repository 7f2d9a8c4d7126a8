import type { MiddlewareHandler } from 'hono';
import type { AuthService } from '../auth/auth.service.js';
import type { AppEnv } from './app-env.js';

/** Paths a brand-new server still answers before its admin exists. */
const BEFORE_SETUP = /^\/(setup(\/|$)|static\/|healthz$)/;
/** Paths a user who must enrol in 2FA first can still reach. */
const WHILE_ENROLLING = /^\/(account\/2fa(\/|$)|logout$|static\/|healthz$)/;

/**
 * Sends a fresh server to /setup, and a user without 2FA to enrolment when the admin requires it.
 * Everything else about who may do what is decided by authorize() in the services.
 */
export function gate(auth: AuthService): MiddlewareHandler<AppEnv> {
  let setUp = false;
  return async (c, next) => {
    // Once an account exists, none can be removed, so the answer is cached.
    setUp ||= !auth.needsSetup();
    if (!setUp && !BEFORE_SETUP.test(c.req.path)) return c.redirect('/setup', 303);
    const actor = c.var.actor;
    if (actor?.via.kind === 'session' && !actor.user.totpSecret && !WHILE_ENROLLING.test(c.req.path) && auth.requires2fa()) {
      return c.redirect('/account/2fa', 303);
    }
    await next();
  };
}
