import { Hono, type Context } from 'hono';
import { LoginPage, SecondFactorPage } from '../../views/pages/login.js';
import { pageContext } from '../../views/page-context.js';
import type { AppEnv } from '../http/app-env.js';
import { clearCookie, SESSION_COOKIE, writeCookie } from '../http/cookies.js';
import { attempt, field, formStatus } from '../http/form-errors.js';
import { safeNext } from '../http/safe-next.js';
import type { AuthService, SignedIn } from './auth.service.js';

/** Sign-in (password, then the second factor when the account has one) and sign-out. */
export function authRoutes(auth: AuthService, sessionMaxDays: number) {
  const startSession = (c: Context<AppEnv>, signedIn: SignedIn, next: string) => {
    const previous = c.var.actor?.via.kind === 'session' ? c.var.actor.via.sessionId : undefined;
    if (previous !== undefined) auth.replaced(previous);
    writeCookie(c, SESSION_COOKIE, signedIn.token, signedIn.stage === 'mfa' ? 600 : sessionMaxDays * 86_400);
    return c.redirect(signedIn.stage === 'mfa' ? `/login/2fa?next=${encodeURIComponent(next)}` : next, 303);
  };
  return new Hono<AppEnv>()
    .get('/login', (c) => {
      if (c.var.actor) return c.redirect(safeNext(c.req.query('next')), 303);
      return c.html(<LoginPage page={pageContext(c)} next={safeNext(c.req.query('next'))} />);
    })
    .post('/login', async (c) => {
      const next = safeNext(c.req.query('next'));
      const body = await c.req.parseBody();
      const username = field(body, 'username', 64);
      const result = await attempt(() => auth.signIn(username, field(body, 'password', 1024), c.var.client));
      if ('error' in result) {
        return c.html(<LoginPage page={pageContext(c)} next={next} username={username} error={result.error.message} />, formStatus(result.error));
      }
      return startSession(c, result.ok, next);
    })
    .get('/login/2fa', (c) => {
      const next = safeNext(c.req.query('next'));
      if (!c.var.pendingMfa) return c.redirect(`/login?next=${encodeURIComponent(next)}`, 303);
      return c.html(<SecondFactorPage page={pageContext(c)} next={next} />);
    })
    .post('/login/2fa', async (c) => {
      const next = safeNext(c.req.query('next'));
      const pending = c.var.pendingMfa;
      if (!pending) {
        return c.html(<LoginPage page={pageContext(c)} next={next} error="That sign-in took too long. Please enter your password again." />, 401);
      }
      const body = await c.req.parseBody();
      const result = await attempt(() => auth.secondFactor(pending.session.id, pending.user, field(body, 'code', 64), c.var.client));
      if ('error' in result) return c.html(<SecondFactorPage page={pageContext(c)} next={next} error={result.error.message} />, formStatus(result.error));
      return startSession(c, result.ok, next);
    })
    .post('/logout', (c) => {
      const actor = c.var.actor;
      if (actor?.via.kind === 'session') auth.signOut(actor.via.sessionId, actor.user, c.var.client);
      clearCookie(c, SESSION_COOKIE);
      return c.redirect('/login', 303);
    });
}
