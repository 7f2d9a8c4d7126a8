import { sql } from 'drizzle-orm';
import { blob, index, integer, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { users } from '../users/users.table.js';
import { blobs } from '../vault/blobs.table.js';

export const assetKinds = ['photo', 'video', 'other'] as const;
export type AssetKind = (typeof assetKinds)[number];

/** A photo, video or other file someone kept. The lean row the timeline reads. */
export const assets = sqliteTable(
  'assets',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    ownerId: integer('owner_id').notNull().references(() => users.id),
    originalBlobId: text('original_blob_id').notNull().unique().references(() => blobs.id),
    sha256: text('sha256', { length: 64 }).notNull(),
    kind: text('kind', { enum: assetKinds }).notNull(),
    mime: text('mime').notNull(),
    originalName: text('original_name').notNull(),
    /** Path relative to the imported folder, when it came from one. */
    sourcePath: text('source_path'),
    fileSize: integer('file_size').notNull(),
    fileMtime: integer('file_mtime', { mode: 'timestamp_ms' }),
    takenAt: integer('taken_at', { mode: 'timestamp_ms' }).notNull(),
    tzOffsetMinutes: integer('tz_offset_minutes'),
    takenAtSource: text('taken_at_source').notNull(),
    width: integer('width'),
    height: integer('height'),
    durationMs: integer('duration_ms'),
    thumbBlobId: text('thumb_blob_id').references(() => blobs.id),
    previewBlobId: text('preview_blob_id').references(() => blobs.id),
    thumbhash: blob('thumbhash', { mode: 'buffer' }),
    /** Set when the file is kept but could not be read as media ('undecodable', 'unsupported'), or is a video with no copy a browser plays ('unplayable'). */
    flag: text('flag', { enum: ['undecodable', 'unsupported', 'unplayable'] }),
    flagReason: text('flag_reason'),
    favorite: integer('favorite', { mode: 'boolean' }).notNull().default(false),
    /** Hidden from the timeline but kept (and still searchable and in albums). */
    archivedAt: integer('archived_at', { mode: 'timestamp_ms' }),
    /** In the trash: hidden everywhere, purged with its blobs 30 days after this. */
    trashedAt: integer('trashed_at', { mode: 'timestamp_ms' }),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`),
  },
  (t) => [
    uniqueIndex('assets_owner_sha256').on(t.ownerId, t.sha256),
    index('assets_owner_taken').on(t.ownerId, t.takenAt, t.id),
    // The timeline's keyset scan: only what it shows, in the order it shows it.
    index('assets_timeline').on(t.ownerId, t.takenAt, t.id).where(sql`trashed_at IS NULL AND archived_at IS NULL`),
    index('assets_trashed').on(t.ownerId, t.trashedAt).where(sql`trashed_at IS NOT NULL`),
    index('assets_thumb_blob').on(t.thumbBlobId),
    index('assets_preview_blob').on(t.previewBlobId),
  ],
);

/** Everything else read from the file: the info panel and search read it, the timeline does not. */
export const assetMetadata = sqliteTable('asset_metadata', {
  assetId: integer('asset_id').primaryKey().references(() => assets.id, { onDelete: 'cascade' }),
  make: text('make'),
  model: text('model'),
  lens: text('lens'),
  fNumber: real('f_number'),
  exposureTime: text('exposure_time'),
  iso: integer('iso'),
  focalLength: real('focal_length'),
  orientation: integer('orientation'),
  latitude: real('latitude'),
  longitude: real('longitude'),
  altitude: real('altitude'),
  rating: integer('rating'),
  keywords: text('keywords', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
  description: text('description'),
  /** Apple's ContentIdentifier: a Live Photo's still and its MOV share it, which is how they are paired. */
  contentId: text('content_id'),
  /** Where it was taken, e.g. "Lisbon, Portugal", named offline from the location; '' when the location is nowhere named (at sea), NULL until named. */
  place: text('place'),
}, (t) => [
  index('asset_metadata_content_id').on(t.contentId).where(sql`content_id IS NOT NULL`),
  index('asset_metadata_unplaced').on(t.assetId).where(sql`place IS NULL AND latitude IS NOT NULL`),
]);

export type Asset = typeof assets.$inferSelect;
export type NewAsset = typeof assets.$inferInsert;
export type NewAssetMetadata = typeof assetMetadata.$inferInsert;

/**
 * The values an edit replaced (date and time zone, description, location, orientation), newest last.
 * Originals are never rewritten: an edit changes these fields on the asset and keeps the old ones here.
 */
export const assetVersions = sqliteTable(
  'asset_versions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    assetId: integer('asset_id').notNull().references(() => assets.id, { onDelete: 'cascade' }),
    editedAt: integer('edited_at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`),
    editedBy: integer('edited_by').references(() => users.id),
    /** JSON: the fields as they were before this edit, e.g. {"takenAt": 1690000000000, "tzOffsetMinutes": 120}. */
    previous: text('previous').notNull(),
    /** JSON: the fields as this edit set them. */
    next: text('next').notNull(),
  },
  (t) => [index('asset_versions_asset').on(t.assetId, t.id)],
);

export type AssetVersion = typeof assetVersions.$inferSelect;
