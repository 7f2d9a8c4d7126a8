import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const targetKinds = ['dir', 'sftp', 's3'] as const;
export type TargetKind = (typeof targetKinds)[number];

/** A place encrypted copies go: a directory, an SFTP server or an S3-compatible bucket. */
export const replicationTargets = sqliteTable('replication_targets', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name', { length: 64 }).notNull().unique(),
  kind: text('kind', { enum: targetKinds }).notNull(),
  /** As the admin gave it, minus any password: a path, sftp://user@host:port/path or s3://bucket/prefix. */
  url: text('url').notNull(),
  /** JSON: endpoint, region, pathStyle, includePreviews, bytesPerSecond. */
  options: text('options').notNull().default('{}'),
  /** JSON of the credentials, sealed with the master key (Keyring.sealSecret, purpose 'target:<name>'). */
  credentials: text('credentials'),
  /** SFTP: the server's host key (SHA-256, base64), pinned at the first connection. */
  hostKey: text('host_key'),
  paused: integer('paused', { mode: 'boolean' }).notNull().default(false),
  /** The plaintext SHA-256 of the last database snapshot sent, so an unchanged database is not sent again. */
  lastSnapshotSha256: text('last_snapshot_sha256'),
  lastSuccessAt: integer('last_success_at', { mode: 'timestamp_ms' }),
  lastVerifiedAt: integer('last_verified_at', { mode: 'timestamp_ms' }),
  lastError: text('last_error'),
  lastErrorAt: integer('last_error_at', { mode: 'timestamp_ms' }),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`),
});

export type ReplicationTarget = typeof replicationTargets.$inferSelect;

export const ledgerStates = ['uploaded', 'verified'] as const;

/**
 * Where each blob stands at each target. No row = pending. 'uploaded' once the target holds an object of
 * the right size; 'verified' once it was read back and its SHA-256 matched.
 */
export const replicationLedger = sqliteTable(
  'replication_ledger',
  {
    targetId: integer('target_id').notNull().references(() => replicationTargets.id, { onDelete: 'cascade' }),
    blobId: text('blob_id').notNull(),
    state: text('state', { enum: ledgerStates }).notNull(),
    uploadedAt: integer('uploaded_at', { mode: 'timestamp_ms' }).notNull(),
    verifiedAt: integer('verified_at', { mode: 'timestamp_ms' }),
  },
  (t) => [primaryKey({ columns: [t.targetId, t.blobId] }), index('replication_ledger_state').on(t.targetId, t.state)],
);

/** Blobs deleted here that targets still hold: removed there only after the grace period. */
export const replicationDeletes = sqliteTable('replication_deletes', {
  blobId: text('blob_id').primaryKey(),
  deletedAt: integer('deleted_at', { mode: 'timestamp_ms' }).notNull(),
});
