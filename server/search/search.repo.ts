import { and, asc, desc, eq, gte, isNull, lt, sql, type SQL } from 'drizzle-orm';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import type { Db } from '../db/client.js';
import { assetMetadata, assets, type AssetKind } from '../library/assets.table.js';
import { gridColumns, type GridItem } from '../library/organise.repo.js';

/**
 * The FTS5 table of migrations/0005_search.sql, remade with a place column by 0008_places.sql, as drizzle
 * needs it to join and match. Declared here, outside the schema, because drizzle-kit cannot create
 * virtual tables: the migrations own it.
 */
const assetSearch = sqliteTable('asset_search', {
  rowid: integer('rowid'),
  name: text('name'),
  description: text('description'),
  keywords: text('keywords'),
  camera: text('camera'),
  place: text('place'),
});

/** Column weights for bm25, in the table's column order: a hit in the file name counts most. */
const WEIGHTS = sql.raw('10.0, 4.0, 4.0, 2.0, 3.0');

/** "Make Model" as people name a camera, without the make twice when the model repeats it ("Canon Canon EOS R6"). */
export const cameraName = sql<string>`CASE WHEN ${assetMetadata.model} IS NULL THEN trim(coalesce(${assetMetadata.make}, '')) WHEN ${assetMetadata.make} IS NULL OR ${assetMetadata.model} LIKE ${assetMetadata.make} || '%' THEN trim(${assetMetadata.model}) ELSE trim(${assetMetadata.make} || ' ' || ${assetMetadata.model}) END`;

const HOUR = 3_600_000;
/** Zone offsets reach ±14 h: the widening that lets a wall-clock date range use the taken_at index. */
const ZONE_SLACK = 14 * HOUR;
const wallClock = sql`(${assets.takenAt} + coalesce(${assets.tzOffsetMinutes}, 0) * 60000)`;

export interface SearchCriteria {
  ownerId: number;
  /** An FTS5 MATCH expression built by the service from safe, quoted terms; never user text. */
  match?: string;
  /** Wall-clock day range, as UTC midnights in ms: from inclusive, to exclusive. */
  fromMs?: number;
  toMs?: number;
  kind?: AssetKind;
  favorite?: boolean;
  camera?: string;
  limit: number;
}

export type SearchHit = GridItem;

/**
 * The owner's items (never trashed ones) that match, best first by bm25 when there is text to match,
 * otherwise newest first. Archived items are included: archiving hides from the timeline, not from search.
 */
export function searchItems(db: Db, c: SearchCriteria): SearchHit[] {
  const filters: (SQL | undefined)[] = [eq(assets.ownerId, c.ownerId), isNull(assets.trashedAt)];
  if (c.fromMs !== undefined) filters.push(gte(assets.takenAt, new Date(c.fromMs - ZONE_SLACK)), sql`${wallClock} >= ${c.fromMs}`);
  if (c.toMs !== undefined) filters.push(lt(assets.takenAt, new Date(c.toMs + ZONE_SLACK)), sql`${wallClock} < ${c.toMs}`);
  if (c.kind) filters.push(eq(assets.kind, c.kind));
  if (c.favorite) filters.push(eq(assets.favorite, true));
  if (c.camera) filters.push(sql`${cameraName} = ${c.camera}`);

  if (c.match) {
    let q = db
      .select(gridColumns)
      .from(assetSearch)
      .innerJoin(assets, eq(assets.id, assetSearch.rowid))
      .$dynamic();
    if (c.camera) q = q.innerJoin(assetMetadata, eq(assetMetadata.assetId, assets.id));
    return q
      .where(and(sql`asset_search MATCH ${c.match}`, ...filters))
      .orderBy(sql`bm25(asset_search, ${WEIGHTS})`, desc(assets.takenAt), desc(assets.id))
      .limit(c.limit)
      .all();
  }
  // Without words or dates, the favourite and camera filters match few rows spread over the whole library:
  // one sequential pass beats walking the (owner_id, taken_at) index and reading each row at random
  // (at 100k items, measured: ~0.1 s against ~0.5 s when few match).
  // The unary + keeps SQLite from using the owner_id index.
  if (!c.fromMs && !c.toMs && (c.favorite || c.camera)) filters[0] = sql`+${assets.ownerId} = ${c.ownerId}`;
  let q = db.select(gridColumns).from(assets).$dynamic();
  if (c.camera) q = q.innerJoin(assetMetadata, eq(assetMetadata.assetId, assets.id));
  return q
    .where(and(...filters))
    .orderBy(desc(assets.takenAt), desc(assets.id))
    .limit(c.limit)
    .all();
}

/**
 * The cameras in the owner's library (not counting the trash), for the camera filter. It reads every
 * item of the owner's (0.1–0.45 s at 100k items, measured), so SearchService keeps the answer.
 */
export function ownCameras(db: Db, ownerId: number): string[] {
  return db
    .selectDistinct({ camera: cameraName })
    .from(assets)
    .innerJoin(assetMetadata, eq(assetMetadata.assetId, assets.id))
    .where(and(eq(assets.ownerId, ownerId), isNull(assets.trashedAt), sql`coalesce(${assetMetadata.make}, ${assetMetadata.model}) IS NOT NULL`))
    .orderBy(asc(cameraName))
    .all()
    .map((r) => r.camera)
    .filter((name) => name !== '');
}

/** Changes whenever the owner gains or loses an item: count and newest id, read from the index alone. */
export function libraryVersion(db: Db, ownerId: number): string {
  const row = db
    .select({ n: sql<number>`count(*)`, last: sql<number | null>`max(${assets.id})` })
    .from(assets)
    .where(eq(assets.ownerId, ownerId))
    .get()!;
  return `${row.n}:${row.last ?? 0}`;
}
