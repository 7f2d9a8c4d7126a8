import { sql } from 'drizzle-orm';
import { blob, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** 'original' bytes are irreplaceable; the others are derived from an original and can be made again. */
export const blobKinds = ['original', 'thumb', 'preview', 'transcode'] as const;
export type BlobKind = (typeof blobKinds)[number];

/** One encrypted file under blobs/. The hashes let a scrub check it with or without the key. */
export const blobs = sqliteTable('blobs', {
  id: text('id', { length: 32 }).primaryKey(),
  kind: text('kind', { enum: blobKinds }).notNull(),
  cipherSize: integer('cipher_size').notNull(),
  cipherSha256: text('cipher_sha256', { length: 64 }).notNull(),
  plainSize: integer('plain_size').notNull(),
  plainSha256: text('plain_sha256', { length: 64 }).notNull(),
  keyVersion: integer('key_version').notNull(),
  // Also in the blob header: kept here so a key rotation can rewrap without touching files.
  wrappedDek: blob('wrapped_dek', { mode: 'buffer' }).notNull(),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`),
});

/**
 * Blobs renamed into blobs/ whose DB rows are not committed yet. Written before the rename and
 * removed in the transaction that adds the rows, so boot can delete what a crash left behind.
 */
export const stagedBlobs = sqliteTable('staged_blobs', {
  id: text('id', { length: 32 }).primaryKey(),
  /** The writer: a server and a CLI import may share the data dir, and only a dead writer's rows are orphans. */
  pid: integer('pid').notNull(),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`),
});

export type BlobRow = typeof blobs.$inferSelect;
