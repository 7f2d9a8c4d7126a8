import { sql } from 'drizzle-orm';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

import { roles } from './roles.js';

export const users = sqliteTable('users', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  username: text('username', { length: 64 }).notNull().unique(),
  displayName: text('display_name', { length: 128 }).notNull(),
  role: text('role', { enum: roles }).notNull(),
  passwordHash: text('password_hash'),
  disabledAt: integer('disabled_at', { mode: 'timestamp_ms' }),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`),
});

export type User = typeof users.$inferSelect;
