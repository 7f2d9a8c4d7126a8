import { sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Small instance-wide values, e.g. the check that the configured master key opens this vault. */
export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});
