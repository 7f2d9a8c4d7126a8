import { desc, lt } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { auditLog, type AuditEntry } from './audit.table.js';

export type AuditEvent =
  | 'setup'
  | 'login'
  | 'login-failed'
  | 'login-throttled'
  | 'logout'
  | 'second-factor-failed'
  | 'totp-enabled'
  | 'totp-disabled'
  | 'recovery-code-used'
  | 'recovery-codes-regenerated'
  | 'password-changed'
  | 'password-reset'
  | 'session-revoked'
  | 'token-created'
  | 'token-revoked'
  | 'invite-created'
  | 'invite-revoked'
  | 'invite-accepted'
  | 'user-created'
  | 'user-disabled'
  | 'user-enabled'
  | 'require-2fa-changed'
  | 'everyone-signed-out'
  | 'csrf-rejected'
  | 'recovery-kit-shown';

export interface AuditInput {
  event: AuditEvent;
  actor?: { id: number; username: string };
  subject?: string;
  ip?: string;
  detail?: string;
}

export function recordAudit(db: Db, entry: AuditInput): void {
  db.insert(auditLog)
    .values({ event: entry.event, actorId: entry.actor?.id, actorName: entry.actor?.username, subjectName: entry.subject, ip: entry.ip, detail: entry.detail })
    .run();
}

/** How long security events are kept: a year of sign-ins and changes, without the table growing for ever. */
const AUDIT_KEEP_MS = 365 * 86_400_000;

/** Removes entries past their keeping time; returns how many. */
export function pruneAudit(db: Db, now = new Date()): number {
  return db.delete(auditLog).where(lt(auditLog.at, new Date(now.getTime() - AUDIT_KEEP_MS))).run().changes;
}

export function recentAudit(db: Db, limit: number): AuditEntry[] {
  return db.select().from(auditLog).orderBy(desc(auditLog.id)).limit(limit).all();
}
