import { Hono, type Context } from 'hono';
import { InviteGonePage, InvitePage } from '../../views/pages/invite.js';
import { pageContext } from '../../views/page-context.js';
import type { InviteProblem, InviteService } from '../admin/invites.service.js';
import type { SessionService } from '../auth/sessions.service.js';
import type { AppEnv } from '../http/app-env.js';
import { SESSION_COOKIE, writeCookie } from '../http/cookies.js';
import { attempt, field, formStatus } from '../http/form-errors.js';

/** Accepting an invite: anyone holding a valid link chooses a name and password and is signed in. */
export function inviteRoutes(deps: { invites: InviteService; sessions: SessionService; sessionMaxDays: number }) {
  const { invites, sessions } = deps;
  const gone = (c: Context<AppEnv>, problem: InviteProblem) => c.html(<InviteGonePage page={pageContext(c)} problem={problem} />, problem === 'unknown' ? 404 : 410);
  return new Hono<AppEnv>()
    .get('/invite/:token', (c) => {
      c.header('Cache-Control', 'no-store');
      const token = c.req.param('token');
      const found = invites.lookup(token);
      if ('problem' in found) return gone(c, found.problem);
      return c.html(<InvitePage page={pageContext(c)} action={`/invite/${encodeURIComponent(token)}`} role={found.invite.role} />);
    })
    .post('/invite/:token', async (c) => {
      c.header('Cache-Control', 'no-store');
      const token = c.req.param('token');
      const found = invites.lookup(token);
      if ('problem' in found) return gone(c, found.problem);
      const body = await c.req.parseBody();
      // Read beyond the allowed lengths, so an over-long value is refused rather than silently cut.
      const input = { username: field(body, 'username'), displayName: field(body, 'displayName'), password: field(body, 'password') };
      const again = (error: string, status: 422 | 429 | 503) =>
        c.html(<InvitePage page={pageContext(c)} action={`/invite/${encodeURIComponent(token)}`} role={found.invite.role} username={input.username} displayName={input.displayName} error={error} />, status);
      if (input.password !== field(body, 'confirm')) return again('The two passwords differ.', 422);
      const result = await attempt(() => invites.accept(token, input, c.var.client));
      if ('error' in result) return again(result.error.message, formStatus(result.error));
      if ('problem' in result.ok) return gone(c, result.ok.problem);
      const previous = c.var.actor?.via.kind === 'session' ? c.var.actor.via.sessionId : undefined;
      if (previous !== undefined) sessions.end(previous);
      writeCookie(c, SESSION_COOKIE, sessions.start(result.ok.user.id, 'full', c.var.client).token, deps.sessionMaxDays * 86_400);
      return c.redirect('/', 303);
    });
}
