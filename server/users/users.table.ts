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
  /** The TOTP secret, sealed with the master key (see Keyring.sealSecret); set once 2FA is confirmed. */
  totpSecret: text('totp_secret'),
  /** The last TOTP time step accepted, so no code works twice. */
  totpLastStep: integer('totp_last_step'),
  passwordChangedAt: integer('password_changed_at', { mode: 'timestamp_ms' }),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`),
});

export type User = typeof users.$inferSelect;
