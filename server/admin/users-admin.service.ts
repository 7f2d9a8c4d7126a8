import { recordAudit, type AuditEvent } from '../audit/audit.repo.js';
import { ApiTokenService } from '../auth/api-tokens.service.js';
import { deleteUserSessions } from '../auth/sessions.repo.js';
import type { Db } from '../db/client.js';
import { UserError } from '../errors.js';
import { findUserByName, listUsers, updateUser } from '../users/users.repo.js';
import { setPassword } from '../users/users.service.js';
import type { User } from '../users/users.table.js';

/** Who makes a change: an admin in the browser, or the operator at the server's console (the CLI). */
export type ChangedBy = { user: User; ip: string } | 'console';

/** Any account by name, disabled ones included (requireUser refuses those). */
export function findAccount(db: Db, name: string): User {
  const user = findUserByName(db, name.trim().toLowerCase());
  if (!user) throw new UserError(`There is no user named ${name}.`, 'no-such-user');
  return user;
}

/**
 * Disables an account and ends all its sessions; its API tokens stop resolving because it is disabled.
 * Nobody disables themselves, and the last active admin stays, so the server always has someone to run it.
 * Returns how many sessions were ended (none when it already was disabled).
 */
export function disableUser(db: Db, target: User, by: ChangedBy): number {
  if (by !== 'console' && by.user.id === target.id) throw new UserError('You cannot disable your own account.', 'disable-self');
  if (target.disabledAt) return 0;
  return db.transaction(() => {
    const otherAdmins = listUsers(db).filter((u) => u.role === 'admin' && !u.disabledAt && u.id !== target.id);
    if (target.role === 'admin' && otherAdmins.length === 0) {
      throw new UserError(`${target.username} is the last active administrator. Create or enable another administrator first.`, 'last-admin');
    }
    updateUser(db, target.id, { disabledAt: new Date() });
    const ended = deleteUserSessions(db, target.id);
    audit(db, 'user-disabled', target, by);
    return ended;
  });
}

export function enableUser(db: Db, target: User, by: ChangedBy): void {
  if (!target.disabledAt) return;
  updateUser(db, target.id, { disabledAt: null });
  audit(db, 'user-enabled', target, by);
}

export interface PasswordReset {
  /** Sessions ended: every browser signed in as the account. */
  sessions: number;
  /** API tokens revoked, when asked to. */
  tokensRevoked: number;
  /** API tokens that still work: a phone's backup keeps going after a forgotten password is reset. */
  tokensKept: number;
}

/**
 * Sets a new password and signs the account out everywhere. Its API tokens are devices set up on purpose
 * (a phone backing up), so they stay unless `revokeTokens` says the account may have been misused.
 */
export async function resetPassword(db: Db, target: User, password: string, by: ChangedBy, opts: { revokeTokens?: boolean } = {}): Promise<PasswordReset> {
  await setPassword(db, target, password);
  const tokens = new ApiTokenService(db);
  return db.transaction(() => {
    const sessions = deleteUserSessions(db, target.id);
    const tokensRevoked = opts.revokeTokens ? tokens.revokeAll(target.id) : 0;
    audit(db, 'password-reset', target, by, tokensRevoked > 0 ? `${tokensRevoked} API token${tokensRevoked === 1 ? '' : 's'} revoked` : undefined);
    return { sessions, tokensRevoked, tokensKept: tokens.list(target.id).length };
  });
}

function audit(db: Db, event: AuditEvent, subject: User, by: ChangedBy, detail?: string): void {
  if (by === 'console') recordAudit(db, { event, subject: subject.username, detail: detail ? `on the command line; ${detail}` : 'on the command line' });
  else recordAudit(db, { event, actor: by.user, subject: subject.username, ip: by.ip, detail });
}
