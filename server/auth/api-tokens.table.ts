import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { users } from '../users/users.table.js';

export const tokenScopes = ['upload', 'full'] as const;
export type TokenScope = (typeof tokenScopes)[number];

/** A per-device credential for WebDAV, the sync CLI and scripts. Shown once; only its hash is kept. */
export const apiTokens = sqliteTable(
  'api_tokens',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    name: text('name', { length: 64 }).notNull(),
    scope: text('scope', { enum: tokenScopes }).notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`),
    lastUsedAt: integer('last_used_at', { mode: 'timestamp_ms' }),
    lastIp: text('last_ip'),
    lastUserAgent: text('last_user_agent'),
  },
  (t) => [index('api_tokens_user').on(t.userId)],
);

export type ApiToken = typeof apiTokens.$inferSelect;
