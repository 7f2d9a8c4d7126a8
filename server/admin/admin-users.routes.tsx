import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AdminUsersPage, type AdminUsersProps } from '../../views/pages/admin-users.js';
import { pageContext } from '../../views/page-context.js';
import { authorize } from '../auth/access.js';
import type { Db } from '../db/client.js';
import { AccessError } from '../errors.js';
import type { AppEnv } from '../http/app-env.js';
import { attempt, field, formStatus } from '../http/form-errors.js';
import type { UsageService } from '../library/usage.service.js';
import { findUserById, listUsers } from '../users/users.repo.js';
import type { InviteService } from './invites.service.js';
import { disableUser, enableUser } from './users-admin.service.js';

/** Shown after a redirect; only these fixed texts, so nothing from the URL is echoed. */
const DONE = new Map([
  ['disabled', 'The account is disabled: it was signed out everywhere and its API tokens no longer work.'],
  ['enabled', 'The account is enabled again.'],
  ['revoked', 'The invite was withdrawn; its link no longer works.'],
]);

/** The people page: accounts and their storage, open invites, creating and revoking invites, disabling accounts. */
export function adminUserRoutes(deps: { db: Db; invites: InviteService; usage: UsageService }) {
  const { db, invites, usage } = deps;
  const render = async (c: Context<AppEnv>, props: Partial<AdminUsersProps> = {}, status: ContentfulStatusCode = 200) =>
    c.html(<AdminUsersPage page={pageContext(c)} users={listUsers(db)} invites={invites.listOpen()} storage={await usage.everyone(c.var.actor)} {...props} />, status);
  const target = (c: Context<AppEnv>) => {
    const user = findUserById(db, Number(c.req.param('id')));
    if (!user) throw new AccessError(404, 'There is no such account.');
    return user;
  };
  return new Hono<AppEnv>()
    .get('/admin/users', (c) => {
      authorize(c.var.actor, { do: 'administer' });
      return render(c, { notice: DONE.get(c.req.query('done') ?? '') });
    })
    .post('/admin/invites', async (c) => {
      authorize(c.var.actor, { do: 'administer' });
      const body = await c.req.parseBody();
      const form = { role: field(body, 'role', 16), note: field(body, 'note'), days: field(body, 'days', 8) };
      const admin = c.var.actor.user;
      const result = await attempt(() => invites.create(admin, form, c.var.client));
      c.header('Cache-Control', 'no-store');
      if ('error' in result) return render(c, { form, error: result.error.message }, formStatus(result.error));
      const origin = `${c.var.client.secure ? 'https' : 'http'}://${new URL(c.req.url).host}`;
      return render(c, { created: { link: `${origin}/invite/${result.ok.token}`, invite: result.ok.invite } });
    })
    .post('/admin/invites/:id{[0-9]+}/revoke', (c) => {
      authorize(c.var.actor, { do: 'administer' });
      if (!invites.revoke(c.var.actor.user, Number(c.req.param('id')), c.var.client)) throw new AccessError(404, 'There is no such open invite.');
      return c.redirect('/admin/users?done=revoked', 303);
    })
    .post('/admin/users/:id{[0-9]+}/disable', async (c) => {
      authorize(c.var.actor, { do: 'administer' });
      const by = { user: c.var.actor.user, ip: c.var.client.ip };
      const result = await attempt(() => disableUser(db, target(c), by));
      if ('error' in result) return render(c, { error: result.error.message }, formStatus(result.error));
      return c.redirect('/admin/users?done=disabled', 303);
    })
    .post('/admin/users/:id{[0-9]+}/enable', (c) => {
      authorize(c.var.actor, { do: 'administer' });
      enableUser(db, target(c), { user: c.var.actor.user, ip: c.var.client.ip });
      return c.redirect('/admin/users?done=enabled', 303);
    });
}
