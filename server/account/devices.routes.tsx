import { Hono, type Context } from 'hono';
import { DevicesPage } from '../../views/pages/devices.js';
import { pageContext } from '../../views/page-context.js';
import { authorize } from '../auth/access.js';
import type { Actor } from '../auth/actor.js';
import type { AppEnv } from '../http/app-env.js';
import { clearCookie, SESSION_COOKIE } from '../http/cookies.js';
import { attempt, field, formStatus } from '../http/form-errors.js';
import type { DevicesService } from './devices.service.js';

/** Confirmations after a redirect, by a fixed key so nothing from the URL is echoed into the page. */
const notices = new Map([
  ['session', 'That device was signed out.'],
  ['others', 'All your other devices were signed out.'],
  ['token', 'The token was revoked. Devices using it can no longer connect.'],
]);

/** Signed-in browsers and API tokens, mounted at /account: /account/devices and /account/tokens. */
export function devicesRoutes(devices: DevicesService) {
  const page = (c: Context<AppEnv>, actor: Actor, extra: { newToken?: { name: string; token: string }; tokenName?: string; error?: string; notice?: string } = {}) => (
    <DevicesPage page={pageContext(c)} {...devices.list(actor)} {...extra} />
  );
  return new Hono<AppEnv>()
    .get('/devices', (c) => {
      authorize(c.var.actor, { do: 'manage-own-account' });
      return c.html(page(c, c.var.actor, { notice: notices.get(c.req.query('done') ?? '') }));
    })
    .post('/devices/sessions/revoke-others', (c) => {
      authorize(c.var.actor, { do: 'manage-own-account' });
      devices.revokeOtherSessions(c.var.actor, c.var.client);
      return c.redirect('/account/devices?done=others', 303);
    })
    .post('/devices/sessions/:id{[0-9]{1,12}}/revoke', (c) => {
      authorize(c.var.actor, { do: 'manage-own-account' });
      const { wasCurrent } = devices.revokeSession(c.var.actor, Number(c.req.param('id')), c.var.client);
      if (!wasCurrent) return c.redirect('/account/devices?done=session', 303);
      clearCookie(c, SESSION_COOKIE);
      return c.redirect('/login', 303);
    })
    .post('/tokens', async (c) => {
      authorize(c.var.actor, { do: 'manage-own-account' });
      const actor = c.var.actor;
      const body = await c.req.parseBody();
      const name = field(body, 'name', 128);
      const result = await attempt(() => devices.createToken(actor, { name, scope: field(body, 'scope', 16) }, c.var.client));
      if ('error' in result) return c.html(page(c, actor, { tokenName: name, error: result.error.message }), formStatus(result.error));
      c.header('Cache-Control', 'no-store');
      return c.html(page(c, actor, { newToken: { name: result.ok.row.name, token: result.ok.token } }), 201);
    })
    .post('/tokens/:id{[0-9]{1,12}}/revoke', (c) => {
      authorize(c.var.actor, { do: 'manage-own-account' });
      devices.revokeToken(c.var.actor, Number(c.req.param('id')), c.var.client);
      return c.redirect('/account/devices?done=token', 303);
    });
}
