import { Hono } from 'hono';
import { RecoveryKitPage, SetupPage } from '../../views/pages/setup.js';
import { pageContext } from '../../views/page-context.js';
import { getSetting, putSetting } from '../db/settings.repo.js';
import type { Db } from '../db/client.js';
import { authorize } from './access.js';
import type { AppEnv } from '../http/app-env.js';
import { SESSION_COOKIE, writeCookie } from '../http/cookies.js';
import { attempt, field, formStatus } from '../http/form-errors.js';
import type { Keyring } from '../vault/keyring.js';
import type { AuthService } from './auth.service.js';

/** Set once the admin confirms they saved the recovery code; until then the kit can be shown. */
export const RECOVERY_KIT_SAVED = 'vault.recovery-kit-saved';

/** First run: the admin account (only while there is none), then the recovery kit, once. */
export function setupRoutes(deps: { auth: AuthService; db: Db; keyring: Keyring; keyFile: string; sessionMaxDays: number }) {
  const { auth, db, keyring } = deps;
  const kitShown = () => getSetting(db, RECOVERY_KIT_SAVED) === 'true';
  return new Hono<AppEnv>()
    .get('/setup', (c) => {
      if (!auth.needsSetup()) return c.redirect(c.var.actor ? '/' : '/login', 303);
      return c.html(<SetupPage page={pageContext(c)} />);
    })
    .post('/setup', async (c) => {
      if (!auth.needsSetup()) return c.redirect('/login', 303);
      const body = await c.req.parseBody();
      const username = field(body, 'username', 64);
      const displayName = field(body, 'displayName', 128);
      const password = field(body, 'password');
      const again = (error: string, status: 409 | 422 | 429 | 503) => c.html(<SetupPage page={pageContext(c)} username={username} displayName={displayName} error={error} />, status);
      if (password !== field(body, 'confirm')) return again('The two passwords differ.', 422);
      const result = await attempt(() => auth.setup({ username, displayName, password }, c.var.client));
      if ('error' in result) return again(result.error.message, result.error.code === 'already-set-up' ? 409 : formStatus(result.error));
      writeCookie(c, SESSION_COOKIE, result.ok.token, deps.sessionMaxDays * 86_400);
      return c.redirect('/setup/recovery-kit', 303);
    })
    .get('/setup/recovery-kit', (c) => {
      authorize(c.var.actor, { do: 'administer' });
      if (kitShown()) return c.redirect('/', 303);
      c.header('Cache-Control', 'no-store');
      return c.html(<RecoveryKitPage page={pageContext(c)} code={keyring.recoveryCode()} keyFile={deps.keyFile} />);
    })
    .post('/setup/recovery-kit', async (c) => {
      authorize(c.var.actor, { do: 'administer' });
      const body = await c.req.parseBody();
      if (field(body, 'saved') !== 'yes') {
        c.header('Cache-Control', 'no-store');
        return c.html(<RecoveryKitPage page={pageContext(c)} code={keyring.recoveryCode()} keyFile={deps.keyFile} error="Please confirm that you saved the code." />, 422);
      }
      putSetting(db, RECOVERY_KIT_SAVED, 'true');
      return c.redirect('/', 303);
    });
}
