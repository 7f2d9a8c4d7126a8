import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Security events the admin can review. Never holds passwords, tokens or codes. */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`),
    event: text('event').notNull(),
    /** Who acted (undefined for anonymous), and whom it concerns; names are kept so entries outlive accounts. */
    actorId: integer('actor_id'),
    actorName: text('actor_name'),
    subjectName: text('subject_name'),
    ip: text('ip'),
    detail: text('detail'),
  },
  (t) => [index('audit_log_at').on(t.at)],
);

export type AuditEntry = typeof auditLog.$inferSelect;
