import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { withKeyReminder } from '../../views/components/key-reminder.js';
import { AdminRecoveryKitPage, type AdminRecoveryKitProps } from '../../views/pages/admin-recovery-kit.js';
import { pageContext } from '../../views/page-context.js';
import { throttledCheck } from '../account/account.service.js';
import { recordAudit } from '../audit/audit.repo.js';
import { authorize, can } from '../auth/access.js';
import { RECOVERY_KIT_SAVED } from '../auth/setup.routes.js';
import type { LoginThrottle } from '../auth/throttle.js';
import type { Db } from '../db/client.js';
import { getSetting, putSetting } from '../db/settings.repo.js';
import { UserError } from '../errors.js';
import type { AppEnv } from '../http/app-env.js';
import { attempt, field, formStatus } from '../http/form-errors.js';
import { verifyPassword } from '../users/passwords.js';
import type { Keyring } from '../vault/keyring.js';

/** Whether the admin has confirmed (at setup or later) that the recovery code is kept somewhere safe. */
export const recoveryKitSaved = (db: Db) => getSetting(db, RECOVERY_KIT_SAVED) === 'true';

/**
 * The recovery kit after setup: shown again once the admin re-enters their password, and the
 * confirmation that ends the key reminder. Also the middleware that puts that reminder on every admin
 * page: mount these routes before the other /admin routes.
 */
export function recoveryKitRoutes(deps: { db: Db; keyring: Keyring; throttle: LoginThrottle; keyFile: string }) {
  const { db, keyring, throttle } = deps;

  const render = (c: Context<AppEnv>, props: Partial<AdminRecoveryKitProps> = {}, status: ContentfulStatusCode = 200) => {
    c.header('Cache-Control', 'no-store');
    return c.html(<AdminRecoveryKitPage page={pageContext(c)} saved={recoveryKitSaved(db)} keyFile={deps.keyFile} {...props} />, status);
  };

  return new Hono<AppEnv>()
    .use('/admin/*', (c, next) => withKeyReminder(can(c.var.actor, { do: 'administer' }) && !recoveryKitSaved(db), next))
    .get('/admin/recovery-kit', (c) => {
      authorize(c.var.actor, { do: 'administer' });
      return render(c, { notice: c.req.query('done') === 'saved' ? 'Thank you. The reminder is gone.' : undefined });
    })
    .post('/admin/recovery-kit', async (c) => {
      authorize(c.var.actor, { do: 'administer' });
      const { user } = c.var.actor;
      const { client } = c.var;
      const password = field(await c.req.parseBody(), 'password');
      const result = await attempt(async () => {
        if (!password) throw new UserError('Please enter your password.', 'password-missing');
        if (await throttledCheck(throttle, user, client, () => verifyPassword(user.passwordHash, password))) return;
        recordAudit(db, { event: 'login-failed', actor: user, subject: user.username, ip: client.ip, detail: 'wrong password for the recovery kit' });
        throw new UserError('That password is not right.', 'wrong-password');
      });
      if ('error' in result) return render(c, { error: result.error.message }, formStatus(result.error));
      recordAudit(db, { event: 'recovery-kit-shown', actor: user, ip: client.ip });
      return render(c, { code: keyring.recoveryCode() });
    })
    .post('/admin/recovery-kit/acknowledge', async (c) => {
      authorize(c.var.actor, { do: 'administer' });
      if (field(await c.req.parseBody(), 'saved') !== 'yes') return render(c, { error: 'Please tick the box to confirm that you saved the recovery code.' }, 422);
      putSetting(db, RECOVERY_KIT_SAVED, 'true');
      return c.redirect('/admin/recovery-kit?done=saved', 303);
    });
}
