import { Hono } from 'hono';
import { AdminPage } from '../../views/pages/admin.js';
import { AdminAuditPage } from '../../views/pages/admin-audit.js';
import { AdminSettingsPage } from '../../views/pages/admin-settings.js';
import { pageContext } from '../../views/page-context.js';
import { recentAudit } from '../audit/audit.repo.js';
import { authorize } from '../auth/access.js';
import type { AuthService } from '../auth/auth.service.js';
import type { Db } from '../db/client.js';
import type { AppEnv } from '../http/app-env.js';
import { field } from '../http/form-errors.js';
import { setRequire2fa, signOutEveryone } from './settings.service.js';

const AUDIT_PAGE_SIZE = 200;

/** The admin overview, server-wide settings and the audit log. */
export function adminRoutes(deps: { db: Db; auth: AuthService }) {
  const { db, auth } = deps;
  return new Hono<AppEnv>()
    .get('/admin', (c) => {
      authorize(c.var.actor, { do: 'administer' });
      return c.html(<AdminPage page={pageContext(c)} />);
    })
    .get('/admin/settings', (c) => {
      authorize(c.var.actor, { do: 'administer' });
      const signedOut = c.req.query('signed-out');
      const notice = c.req.query('done') === 'saved' ? 'Saved.' : signedOut !== undefined ? `Signed out ${Number(signedOut) || 0} other session${signedOut === '1' ? '' : 's'}.` : undefined;
      return c.html(<AdminSettingsPage page={pageContext(c)} require2fa={auth.requires2fa()} notice={notice} />);
    })
    .post('/admin/settings/require-2fa', async (c) => {
      authorize(c.var.actor, { do: 'administer' });
      const body = await c.req.parseBody();
      setRequire2fa(db, field(body, 'on') === 'yes', { user: c.var.actor.user, ip: c.var.client.ip });
      return c.redirect('/admin/settings?done=saved', 303);
    })
    .post('/admin/settings/sign-out-everyone', (c) => {
      authorize(c.var.actor, { do: 'administer' });
      const ended = signOutEveryone(db, c.var.actor, c.var.client);
      return c.redirect(`/admin/settings?signed-out=${ended}`, 303);
    })
    .get('/admin/audit', (c) => {
      authorize(c.var.actor, { do: 'administer' });
      return c.html(<AdminAuditPage page={pageContext(c)} entries={recentAudit(db, AUDIT_PAGE_SIZE)} limit={AUDIT_PAGE_SIZE} />);
    });
}
