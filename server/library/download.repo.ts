import { and, asc, eq, gte, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { assets, type Asset } from './assets.table.js';

/** What serving an original needs: who owns it, where its bytes are, what to call and type it. */
export type DownloadAsset = Pick<Asset, 'id' | 'ownerId' | 'originalBlobId' | 'mime' | 'originalName' | 'fileSize' | 'takenAt' | 'fileMtime' | 'trashedAt'>;

const columns = {
  id: assets.id,
  ownerId: assets.ownerId,
  originalBlobId: assets.originalBlobId,
  mime: assets.mime,
  originalName: assets.originalName,
  fileSize: assets.fileSize,
  takenAt: assets.takenAt,
  fileMtime: assets.fileMtime,
  trashedAt: assets.trashedAt,
};

/** SQLite binds at most a few thousand parameters per statement: ids are looked up in slices of this many. */
const ID_SLICE = 500;

export function findDownloadAsset(db: Db, id: number): DownloadAsset | undefined {
  return db.select(columns).from(assets).where(eq(assets.id, id)).get();
}

/** The rows for these ids that exist, in no particular order (the caller checks each one's owner). */
export function findDownloadAssets(db: Db, ids: number[]): DownloadAsset[] {
  const rows: DownloadAsset[] = [];
  for (let i = 0; i < ids.length; i += ID_SLICE) {
    rows.push(...db.select(columns).from(assets).where(inArray(assets.id, ids.slice(i, i + ID_SLICE))).all());
  }
  return rows;
}

const DAY_MS = 86_400_000;
/** Local time zones lie within UTC-12 … UTC+14: a day's items were taken within this much of the UTC day. */
const ZONE_SLACK_MS = 14 * 3_600_000;

/**
 * The owner's items taken on a calendar day as the timeline shows it (local capture time: taken_at plus its
 * offset, or the camera's wall clock when the offset is unknown), oldest first, neither trashed nor archived.
 * The taken_at bounds keep the query on the (owner, taken_at) index; at most `limit` rows.
 */
export function listDayAssets(db: Db, ownerId: number, dayStartUtcMs: number, limit: number): DownloadAsset[] {
  const local = sql`(${assets.takenAt} + coalesce(${assets.tzOffsetMinutes}, 0) * 60000)`;
  return db
    .select(columns)
    .from(assets)
    .where(
      and(
        eq(assets.ownerId, ownerId),
        gte(assets.takenAt, new Date(dayStartUtcMs - ZONE_SLACK_MS)),
        lt(assets.takenAt, new Date(dayStartUtcMs + DAY_MS + ZONE_SLACK_MS)),
        sql`${local} >= ${dayStartUtcMs}`,
        sql`${local} < ${dayStartUtcMs + DAY_MS}`,
        isNull(assets.trashedAt),
        isNull(assets.archivedAt),
      ),
    )
    .orderBy(asc(assets.takenAt), asc(assets.id))
    .limit(limit)
    .all();
}
