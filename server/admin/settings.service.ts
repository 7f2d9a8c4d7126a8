import { recordAudit } from '../audit/audit.repo.js';
import { REQUIRE_2FA_SETTING } from '../auth/auth.service.js';
import { currentSessionId } from '../account/account.service.js';
import type { Actor } from '../auth/actor.js';
import type { ClientInfo } from '../auth/sessions.service.js';
import { deleteAllSessionsBut } from '../auth/sessions.repo.js';
import type { Db } from '../db/client.js';
import { UserError } from '../errors.js';
import { getSetting, putSetting } from '../db/settings.repo.js';
import type { User } from '../users/users.table.js';

/** When on, everyone without two-step sign-in is sent to set it up (see http/gate.ts). */
export function setRequire2fa(db: Db, on: boolean, by: { user: User; ip: string }): void {
  if (getSetting(db, REQUIRE_2FA_SETTING) === String(on)) return;
  putSetting(db, REQUIRE_2FA_SETTING, String(on));
  recordAudit(db, { event: 'require-2fa-changed', actor: by.user, ip: by.ip, detail: on ? 'on' : 'off' });
}

/**
 * Ends every browser session on the server but the admin's own: after a restore from a backup (which brings
 * its sessions along) or a lost device nobody can name. API tokens stay: each person revokes theirs on Devices.
 */
export function signOutEveryone(db: Db, actor: Actor, client: ClientInfo): number {
  const keep = currentSessionId(actor);
  // Administering already needs a signed-in browser; this keeps a token from ever ending every session.
  if (keep === undefined) throw new UserError('Signing everyone out needs a signed-in browser.', 'needs-session');
  const ended = deleteAllSessionsBut(db, keep);
  recordAudit(db, { event: 'everyone-signed-out', actor: actor.user, ip: client.ip, detail: `${ended} session${ended === 1 ? '' : 's'} ended` });
  return ended;
}
