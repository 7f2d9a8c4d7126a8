import { and, asc, desc, eq, isNull, or, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { preparedInsert, preparedPerDb } from '../db/prepared.js';
import { assetMetadata, assets, assetVersions, type Asset, type NewAsset, type NewAssetMetadata } from './assets.table.js';
import { assetMotion, type MotionSource } from './video.table.js';

const byOwnerSha = preparedPerDb((db: Db | Tx) =>
  db
    .select({ id: assets.id })
    .from(assets)
    .where(and(eq(assets.ownerId, sql.placeholder('ownerId')), eq(assets.sha256, sql.placeholder('sha256'))))
    .prepare(),
);

/** Asked twice for every file stored (is it a duplicate?). */
export function findByOwnerSha(db: Db | Tx, ownerId: number, sha256: string): Pick<Asset, 'id'> | undefined {
  return byOwnerSha(db).get({ ownerId, sha256 });
}

/** The columns ingest fills; the rest (favourite, archive, trash, created) start at their defaults. */
export const storedAssetColumns = [
  'ownerId', 'originalBlobId', 'sha256', 'kind', 'mime', 'originalName', 'sourcePath', 'fileSize', 'fileMtime', 'takenAt', 'tzOffsetMinutes',
  'takenAtSource', 'width', 'height', 'durationMs', 'thumbBlobId', 'previewBlobId', 'thumbhash', 'flag', 'flagReason',
] as const;
export type StoredAsset = Pick<NewAsset, (typeof storedAssetColumns)[number]>;

/** What ingest reads from a file into asset_metadata (the place is named later). */
const storedMetadataColumns = [
  'make', 'model', 'lens', 'fNumber', 'exposureTime', 'iso', 'focalLength', 'orientation', 'latitude', 'longitude', 'altitude', 'rating', 'keywords', 'description', 'contentId',
] as const;
export type StoredMetadata = Pick<NewAssetMetadata, (typeof storedMetadataColumns)[number]>;

const insertAssetRow = preparedInsert(assets, storedAssetColumns);
const insertMetadataRow = preparedInsert(assetMetadata, ['assetId', ...storedMetadataColumns]);

export function insertAsset(tx: Tx, asset: StoredAsset, metadata: StoredMetadata): number {
  const id = insertAssetRow(tx, asset);
  insertMetadataRow(tx, { ...metadata, keywords: metadata.keywords ?? [], assetId: id });
  return id;
}

export interface TimelineCursor {
  takenAt: Date;
  id: number;
}

export type TimelineItem = Pick<Asset, 'id' | 'kind' | 'takenAt' | 'tzOffsetMinutes' | 'width' | 'height' | 'durationMs' | 'thumbBlobId' | 'thumbhash' | 'flag' | 'originalName' | 'favorite'> & {
  /** A Live Photo or motion photo: the tile says so. */
  motion: boolean;
};

export const timelineColumns = {
  id: assets.id,
  kind: assets.kind,
  takenAt: assets.takenAt,
  tzOffsetMinutes: assets.tzOffsetMinutes,
  width: assets.width,
  height: assets.height,
  durationMs: assets.durationMs,
  thumbBlobId: assets.thumbBlobId,
  thumbhash: assets.thumbhash,
  flag: assets.flag,
  originalName: assets.originalName,
  favorite: assets.favorite,
  motion: sql<boolean>`EXISTS (SELECT 1 FROM ${assetMotion} WHERE ${assetMotion.assetId} = ${assets.id})`.mapWith(Boolean),
};

/**
 * What the timeline shows: neither trashed nor archived. Written exactly as the partial index
 * assets_timeline is, so SQLite can prove the index covers the query and scans only that.
 */
function inTimeline(scope: { ownerId?: number }) {
  return and(scope.ownerId === undefined ? undefined : eq(assets.ownerId, scope.ownerId), isNull(assets.trashedAt), isNull(assets.archivedAt));
}

/** (taken_at, id) as a row value: SQLite seeks the index to it instead of testing each row. */
const position = sql`(${assets.takenAt}, ${assets.id})`;
const at = (c: TimelineCursor) => sql`(${c.takenAt.getTime()}, ${c.id})`;

/**
 * Newest first, keyset-paginated on (taken_at, id) so page cost does not grow with depth: the items
 * strictly older than `after`. Trashed and archived items are left out.
 */
export function listTimeline(db: Db, scope: { ownerId?: number }, limit: number, after?: TimelineCursor): TimelineItem[] {
  return db
    .select(timelineColumns)
    .from(assets)
    .where(and(inTimeline(scope), after ? sql`${position} < ${at(after)}` : undefined))
    .orderBy(desc(assets.takenAt), desc(assets.id))
    .limit(limit)
    .all();
}

/** The `limit` items just newer than `before`, still newest first (read oldest first from the index, then turned round). */
export function listTimelineNewer(db: Db, scope: { ownerId?: number }, limit: number, before: TimelineCursor): TimelineItem[] {
  return db
    .select(timelineColumns)
    .from(assets)
    .where(and(inTimeline(scope), sql`${position} > ${at(before)}`))
    .orderBy(asc(assets.takenAt), asc(assets.id))
    .limit(limit)
    .all()
    .reverse();
}

export interface TimelineNeighbour {
  id: number;
  kind: Asset['kind'];
  previewBlobId: string | null;
}

/** The item just before (newer) or after (older) a position in the timeline, for a viewer's previous/next. */
export function timelineNeighbour(db: Db, ownerId: number, from: TimelineCursor, direction: 'newer' | 'older'): TimelineNeighbour | undefined {
  const newer = direction === 'newer';
  return db
    .select({ id: assets.id, kind: assets.kind, previewBlobId: assets.previewBlobId })
    .from(assets)
    .where(and(inTimeline({ ownerId }), newer ? sql`${position} > ${at(from)}` : sql`${position} < ${at(from)}`))
    .orderBy(...(newer ? [asc(assets.takenAt), asc(assets.id)] : [desc(assets.takenAt), desc(assets.id)]))
    .limit(1)
    .get();
}

/**
 * The months (UTC, 'YYYY-MM') that hold at least one timeline item, newest first. A skip-scan: each
 * step is one index seek to the newest item before the month found last, so the cost grows with the
 * number of months returned, never with the number of items.
 */
export function timelineMonths(db: Db, ownerId: number, limit: number): string[] {
  const rows = db.all<{ month: string }>(sql`
    WITH RECURSIVE months(t) AS (
      SELECT (SELECT taken_at FROM assets
              WHERE owner_id = ${ownerId} AND trashed_at IS NULL AND archived_at IS NULL
              ORDER BY taken_at DESC LIMIT 1)
      UNION ALL
      SELECT (SELECT a.taken_at FROM assets a
              WHERE a.owner_id = ${ownerId} AND a.trashed_at IS NULL AND a.archived_at IS NULL
                AND a.taken_at < unixepoch(strftime('%Y-%m-01', months.t / 1000.0, 'unixepoch')) * 1000
              ORDER BY a.taken_at DESC LIMIT 1)
      FROM months WHERE months.t IS NOT NULL
      LIMIT ${limit + 1}
    )
    SELECT strftime('%Y-%m', t / 1000.0, 'unixepoch') AS month FROM months WHERE t IS NOT NULL`);
  return rows.map((r) => r.month);
}

export type ViewerAsset = Pick<
  Asset,
  'id' | 'ownerId' | 'kind' | 'mime' | 'originalName' | 'fileSize' | 'takenAt' | 'tzOffsetMinutes' | 'takenAtSource' | 'width' | 'height' | 'durationMs' | 'previewBlobId' | 'thumbBlobId' | 'flag' | 'favorite' | 'archivedAt' | 'trashedAt'
> & {
  metadata: Pick<NewAssetMetadata, 'make' | 'model' | 'lens' | 'fNumber' | 'exposureTime' | 'iso' | 'focalLength' | 'orientation' | 'latitude' | 'longitude' | 'altitude' | 'place' | 'description' | 'keywords'> | null;
  /** A Live Photo's MOV (with its file name) or a motion photo's embedded video. */
  motion: { source: MotionSource; originalName: string | null } | null;
  /**
   * The EXIF orientation the file came with (the one its thumbnail and preview were made upright for),
   * when an edit has changed it since; undefined when no edit touched the orientation.
   */
  originalOrientation?: number;
};

/** One asset with what its info panel shows, in one query. */
export function findAssetForViewer(db: Db, id: number): ViewerAsset | undefined {
  const row = db
    .select({
      id: assets.id,
      ownerId: assets.ownerId,
      kind: assets.kind,
      mime: assets.mime,
      originalName: assets.originalName,
      fileSize: assets.fileSize,
      takenAt: assets.takenAt,
      tzOffsetMinutes: assets.tzOffsetMinutes,
      takenAtSource: assets.takenAtSource,
      width: assets.width,
      height: assets.height,
      durationMs: assets.durationMs,
      previewBlobId: assets.previewBlobId,
      thumbBlobId: assets.thumbBlobId,
      flag: assets.flag,
      favorite: assets.favorite,
      archivedAt: assets.archivedAt,
      trashedAt: assets.trashedAt,
      hasMetadata: assetMetadata.assetId,
      make: assetMetadata.make,
      model: assetMetadata.model,
      lens: assetMetadata.lens,
      fNumber: assetMetadata.fNumber,
      exposureTime: assetMetadata.exposureTime,
      iso: assetMetadata.iso,
      focalLength: assetMetadata.focalLength,
      orientation: assetMetadata.orientation,
      latitude: assetMetadata.latitude,
      longitude: assetMetadata.longitude,
      altitude: assetMetadata.altitude,
      place: assetMetadata.place,
      description: assetMetadata.description,
      keywords: assetMetadata.keywords,
      motionSource: assetMotion.source,
      motionName: assetMotion.originalName,
      // The orientation before the first edit that changed it (JSON null, i.e. none recorded, reads as 1).
      originalOrientation: sql<number | null>`(SELECT coalesce(json_extract(v.previous, '$.orientation'), 1) FROM ${assetVersions} v
        WHERE v.asset_id = ${assets.id} AND json_type(v.previous, '$.orientation') IS NOT NULL ORDER BY v.id LIMIT 1)`,
    })
    .from(assets)
    .leftJoin(assetMetadata, eq(assetMetadata.assetId, assets.id))
    .leftJoin(assetMotion, eq(assetMotion.assetId, assets.id))
    .where(eq(assets.id, id))
    .get();
  if (!row) return undefined;
  const { motionSource, motionName, hasMetadata, make, model, lens, fNumber, exposureTime, iso, focalLength, orientation, latitude, longitude, altitude, place, description, keywords, originalOrientation, ...asset } = row;
  return {
    ...asset,
    metadata: hasMetadata === null ? null : { make, model, lens, fNumber, exposureTime, iso, focalLength, orientation, latitude, longitude, altitude, place, description, keywords: keywords ?? [] },
    motion: motionSource === null ? null : { source: motionSource, originalName: motionName },
    originalOrientation: originalOrientation ?? undefined,
  };
}

/** The asset a derived blob (thumbnail or preview) belongs to, for the access check before serving it. */
const byDerivedBlob = preparedPerDb((db) =>
  db
    .select({ id: assets.id, ownerId: assets.ownerId, thumbBlobId: assets.thumbBlobId, previewBlobId: assets.previewBlobId })
    .from(assets)
    .where(or(eq(assets.thumbBlobId, sql.placeholder('blobId')), eq(assets.previewBlobId, sql.placeholder('blobId'))))
    .prepare(),
);

/** The item a thumbnail or preview belongs to (asked for every image a page shows). */
export function findByDerivedBlob(db: Db, blobId: string): Pick<Asset, 'id' | 'ownerId' | 'thumbBlobId' | 'previewBlobId'> | undefined {
  return byDerivedBlob(db).get({ blobId });
}

export type AssetOfBlob = Pick<Asset, 'id' | 'ownerId' | 'originalBlobId' | 'thumbBlobId' | 'previewBlobId' | 'originalName' | 'kind'>;

/** The asset a blob belongs to, whichever role the blob plays for it (a Live Photo's MOV included). */
export function findAssetByBlob(db: Db, blobId: string): AssetOfBlob | undefined {
  const motionOf = sql`${assets.id} = (SELECT ${assetMotion.assetId} FROM ${assetMotion} WHERE ${assetMotion.blobId} = ${blobId})`;
  return db
    .select({ id: assets.id, ownerId: assets.ownerId, originalBlobId: assets.originalBlobId, thumbBlobId: assets.thumbBlobId, previewBlobId: assets.previewBlobId, originalName: assets.originalName, kind: assets.kind })
    .from(assets)
    .where(or(eq(assets.originalBlobId, blobId), eq(assets.thumbBlobId, blobId), eq(assets.previewBlobId, blobId), motionOf))
    .get();
}
