import { Hono } from 'hono';
import { AccountPage } from '../../views/pages/account.js';
import { pageContext } from '../../views/page-context.js';
import { authorize } from '../auth/access.js';
import type { ApiTokenService } from '../auth/api-tokens.service.js';
import type { AuthService } from '../auth/auth.service.js';
import type { LoginThrottle } from '../auth/throttle.js';
import type { Db } from '../db/client.js';
import type { AppEnv } from '../http/app-env.js';
import { attempt, field, formStatus } from '../http/form-errors.js';
import type { UsageService } from '../library/usage.service.js';
import type { Keyring } from '../vault/keyring.js';
import { AccountService } from './account.service.js';
import { DevicesService } from './devices.service.js';
import { devicesRoutes } from './devices.routes.js';
import { TwoFactorService } from './two-factor.service.js';
import { twoFactorRoutes } from './two-factor.routes.js';

export interface AccountDeps {
  db: Db;
  keyring: Keyring;
  auth: AuthService;
  tokens: ApiTokenService;
  throttle: LoginThrottle;
  usage: UsageService;
}

/** The signed-in user's own account, mounted at /account: overview and password, two-step sign-in, devices. */
export function accountRoutes(deps: AccountDeps) {
  const account = new AccountService(deps.db, deps.throttle);
  const twoFactor = new TwoFactorService({ ...deps, account });
  const devices = new DevicesService(deps.db, deps.tokens);
  const { usage } = deps;
  return new Hono<AppEnv>()
    .get('/', (c) => {
      authorize(c.var.actor, { do: 'manage-own-account' });
      const { user } = c.var.actor;
      const notice = c.req.query('done') === 'password' ? 'Your password was changed, and your other devices were signed out.' : undefined;
      return c.html(<AccountPage page={pageContext(c)} user={user} twoFactor={twoFactor.status(user)} usage={usage.own(c.var.actor)} notice={notice} />);
    })
    .post('/password', async (c) => {
      authorize(c.var.actor, { do: 'manage-own-account' });
      const actor = c.var.actor;
      const body = await c.req.parseBody();
      const input = { current: field(body, 'current', 1024), next: field(body, 'next', 1024), repeat: field(body, 'repeat', 1024) };
      const result = await attempt(() => account.changePassword(actor, input, c.var.client));
      if ('error' in result) {
        return c.html(<AccountPage page={pageContext(c)} user={actor.user} twoFactor={twoFactor.status(actor.user)} usage={usage.own(actor)} error={result.error.message} />, formStatus(result.error));
      }
      return c.redirect('/account?done=password', 303);
    })
    .route('/2fa', twoFactorRoutes(twoFactor))
    .route('/', devicesRoutes(devices));
}
