import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Failed sign-ins per account ('user:<name>') and per address ('ip:<addr>'), for backoff. */
export const loginFailures = sqliteTable('login_failures', {
  key: text('key').primaryKey(),
  failures: integer('failures').notNull(),
  lastFailureAt: integer('last_failure_at', { mode: 'timestamp_ms' }).notNull(),
  lockedUntil: integer('locked_until', { mode: 'timestamp_ms' }),
});
