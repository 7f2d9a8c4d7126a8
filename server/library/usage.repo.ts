import { count, eq, sql } from 'drizzle-orm';
import { alias, type AnySQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { Db } from '../db/client.js';
import { blobs } from '../vault/blobs.table.js';
import { assets, type AssetKind } from './assets.table.js';
import { assetMotion, assetVideo } from './video.table.js';

/** One owner's items of one kind, trashed ones included. Sizes are of the plain files, before encryption. */
export interface KindUsageRow {
  ownerId: number;
  kind: AssetKind;
  items: number;
  /** The items' own originals (assets.file_size). */
  originalBytes: number;
  /** The separate MOVs of Live Photos among them. */
  motionBytes: number;
  /** Thumbnails, previews, and web copies of videos and of motion parts. */
  derivedBytes: number;
  trashedItems: number;
  /** Originals and Live Photo MOVs of the trashed items. */
  trashedBytes: number;
}

const thumb = alias(blobs, 'thumb');
const preview = alias(blobs, 'preview');
const webCopy = alias(blobs, 'web_copy');
const motionWebCopy = alias(blobs, 'motion_web_copy');

/** Storage per owner and kind in one grouped scan: of one owner's items, or of everyone's. */
export function usageByOwnerAndKind(db: Db, ownerId?: number): KindUsageRow[] {
  // A motion photo's embedded video is inside its original already; only a Live Photo's MOV is a file of its own.
  const motion = sql<number>`(case when ${assetMotion.source} = 'live' then coalesce(${assetMotion.fileSize}, 0) else 0 end)`;
  const size = (b: { plainSize: AnySQLiteColumn }) => sql`coalesce(${b.plainSize}, 0)`;
  return db
    .select({
      ownerId: assets.ownerId,
      kind: assets.kind,
      items: count(),
      originalBytes: sql<number>`sum(${assets.fileSize})`,
      motionBytes: sql<number>`sum(${motion})`,
      derivedBytes: sql<number>`sum(${size(thumb)} + ${size(preview)} + ${size(webCopy)} + ${size(motionWebCopy)})`,
      trashedItems: count(assets.trashedAt),
      trashedBytes: sql<number>`coalesce(sum(${assets.fileSize} + ${motion}) filter (where ${assets.trashedAt} is not null), 0)`,
    })
    .from(assets)
    .leftJoin(assetMotion, eq(assetMotion.assetId, assets.id))
    .leftJoin(motionWebCopy, eq(motionWebCopy.id, assetMotion.transcodeBlobId))
    .leftJoin(thumb, eq(thumb.id, assets.thumbBlobId))
    .leftJoin(preview, eq(preview.id, assets.previewBlobId))
    .leftJoin(assetVideo, eq(assetVideo.assetId, assets.id))
    .leftJoin(webCopy, eq(webCopy.id, assetVideo.transcodeBlobId))
    .where(ownerId === undefined ? undefined : eq(assets.ownerId, ownerId))
    .groupBy(assets.ownerId, assets.kind)
    .all();
}
