import { recordAudit } from '../audit/audit.repo.js';
import { REQUIRE_2FA_SETTING } from '../auth/auth.service.js';
import type { Db } from '../db/client.js';
import { getSetting, putSetting } from '../db/settings.repo.js';
import type { User } from '../users/users.table.js';

/** When on, everyone without two-step sign-in is sent to set it up (see http/gate.ts). */
export function setRequire2fa(db: Db, on: boolean, by: { user: User; ip: string }): void {
  if (getSetting(db, REQUIRE_2FA_SETTING) === String(on)) return;
  putSetting(db, REQUIRE_2FA_SETTING, String(on));
  recordAudit(db, { event: 'require-2fa-changed', actor: by.user, ip: by.ip, detail: on ? 'on' : 'off' });
}
