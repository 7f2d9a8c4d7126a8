import { Hono, type Context } from 'hono';
import { RecoveryCodesPage, TwoFactorPage, type TwoFactorForm } from '../../views/pages/two-factor.js';
import { pageContext } from '../../views/page-context.js';
import { authorize } from '../auth/access.js';
import type { AppEnv } from '../http/app-env.js';
import { clearCookie, readCookie, writeCookie } from '../http/cookies.js';
import { attempt, field, formStatus } from '../http/form-errors.js';
import type { User } from '../users/users.table.js';
import type { TwoFactorService } from './two-factor.service.js';

/** Holds the sealed secret between showing the QR code and the first code that confirms it. */
const PENDING_COOKIE = 'heirloom_totp_pending';
const PENDING_SECONDS = 15 * 60;

/** Two-step sign-in, mounted at /account/2fa. The gate sends users here when the admin requires 2FA. */
export function twoFactorRoutes(twoFactor: TwoFactorService) {
  const render = async (c: Context<AppEnv>, user: User, extra: { errorFor?: TwoFactorForm; error?: string; notice?: string } = {}, status: 200 | 422 | 429 | 503 = 200) => {
    const state = twoFactor.status(user);
    const enrolment = state.on ? undefined : await twoFactor.enrolment(user, readCookie(c, PENDING_COOKIE));
    if (enrolment) writeCookie(c, PENDING_COOKIE, enrolment.sealed, PENDING_SECONDS);
    c.header('Cache-Control', 'no-store');
    return c.html(<TwoFactorPage page={pageContext(c)} status={state} enrolment={enrolment} {...extra} />, status);
  };
  const showCodes = (c: Context<AppEnv>, codes: string[], justEnabled: boolean) => {
    c.header('Cache-Control', 'no-store');
    return c.html(<RecoveryCodesPage page={pageContext(c)} codes={codes} justEnabled={justEnabled} />);
  };
  return new Hono<AppEnv>()
    .get('/', (c) => {
      authorize(c.var.actor, { do: 'manage-own-account' });
      const notice = c.req.query('done') === 'disabled' ? 'Two-step sign-in is off, and your recovery codes were deleted.' : undefined;
      return render(c, c.var.actor.user, { notice });
    })
    .post('/enable', async (c) => {
      authorize(c.var.actor, { do: 'manage-own-account' });
      const { user } = c.var.actor;
      const body = await c.req.parseBody();
      const result = await attempt(() => twoFactor.enable(user, readCookie(c, PENDING_COOKIE), field(body, 'code', 64), c.var.client));
      if ('error' in result) return render(c, user, { errorFor: 'enable', error: result.error.message }, formStatus(result.error));
      clearCookie(c, PENDING_COOKIE);
      return showCodes(c, result.ok, true);
    })
    .post('/disable', async (c) => {
      authorize(c.var.actor, { do: 'manage-own-account' });
      const { user } = c.var.actor;
      const body = await c.req.parseBody();
      const result = await attempt(() => twoFactor.disable(user, { password: field(body, 'password', 1024), code: field(body, 'code', 64) }, c.var.client));
      if ('error' in result) return render(c, user, { errorFor: 'disable', error: result.error.message }, formStatus(result.error));
      return c.redirect('/account/2fa?done=disabled', 303);
    })
    .post('/recovery-codes', async (c) => {
      authorize(c.var.actor, { do: 'manage-own-account' });
      const { user } = c.var.actor;
      const body = await c.req.parseBody();
      const result = await attempt(() => twoFactor.regenerateCodes(user, field(body, 'code', 64), c.var.client));
      if ('error' in result) return render(c, user, { errorFor: 'codes', error: result.error.message }, formStatus(result.error));
      return showCodes(c, result.ok, false);
    });
}
