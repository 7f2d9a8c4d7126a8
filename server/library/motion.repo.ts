import { and, between, eq, inArray, isNull, notExists, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { preparedPerDb } from '../db/prepared.js';
import { replicationDeletes } from '../replication/replication.table.js';
import { blobs } from '../vault/blobs.table.js';
import { assetMetadata, assets, type Asset } from './assets.table.js';
import { assetMotion, assetVideo, type AssetMotion } from './video.table.js';

const motionOf = preparedPerDb((db) => db.select().from(assetMotion).where(eq(assetMotion.assetId, sql.placeholder('assetId'))).prepare());

/** Also asked after every item stored (does its motion need a look?). */
export function findMotion(db: Db, assetId: number): AssetMotion | undefined {
  return motionOf(db).get({ assetId });
}

export function insertMotion(tx: Tx, row: typeof assetMotion.$inferInsert): void {
  tx.insert(assetMotion).values(row).run();
}

const motionByOwnerSha = preparedPerDb((db: Db | Tx) =>
  db
    .select({ id: assetMotion.assetId })
    .from(assetMotion)
    .innerJoin(assets, eq(assets.id, assetMotion.assetId))
    .where(and(eq(assetMotion.sha256, sql.placeholder('sha256')), eq(assets.ownerId, sql.placeholder('ownerId'))))
    .prepare(),
);

/** The still whose Live Photo MOV has these bytes, among the owner's items. */
export function findMotionByOwnerSha(db: Db | Tx, ownerId: number, sha256: string): Pick<Asset, 'id'> | undefined {
  return motionByOwnerSha(db).get({ ownerId, sha256 });
}

/** A Live Photo's MOV as a zip entry beside its still. */
export type LiveMotionFile = Pick<AssetMotion, 'assetId' | 'mime'> & { blobId: string; originalName: string; fileSize: number };

const ID_SLICE = 500;

export function findLiveMotions(db: Db, assetIds: number[]): LiveMotionFile[] {
  const rows: LiveMotionFile[] = [];
  for (let i = 0; i < assetIds.length; i += ID_SLICE) {
    const slice = db
      .select({ assetId: assetMotion.assetId, blobId: assetMotion.blobId, mime: assetMotion.mime, originalName: assetMotion.originalName, fileSize: assetMotion.fileSize })
      .from(assetMotion)
      .where(and(inArray(assetMotion.assetId, assetIds.slice(i, i + ID_SLICE)), eq(assetMotion.source, 'live')))
      .all();
    for (const { blobId, originalName, fileSize, ...r } of slice) {
      if (blobId && originalName && fileSize !== null) rows.push({ ...r, blobId, originalName, fileSize });
    }
  }
  return rows;
}

/** The MOV blobs of these items (deleted with them). */
export function motionBlobIds(tx: Tx, assetIds: number[]): string[] {
  return tx
    .select({ blobId: assetMotion.blobId })
    .from(assetMotion)
    .where(inArray(assetMotion.assetId, assetIds))
    .all()
    .flatMap((r) => (r.blobId ? [r.blobId] : []));
}

/** An item that may be the other half of a Live Photo. */
export type PairCandidate = Pick<Asset, 'id' | 'originalName' | 'sourcePath' | 'takenAt' | 'tzOffsetMinutes'> & { contentId: string | null };

export interface CandidateQuery {
  ownerId: number;
  /** 'still': a photo without motion yet; 'video': a QuickTime video item. */
  want: 'still' | 'video';
  contentId: string | null;
  /** Base name (without extension) the other half's name must start with, followed by a dot. */
  stem: string;
  /** Capture-time window the other half must fall in. */
  from: Date;
  to: Date;
}

const candidateColumns = {
  id: assets.id,
  originalName: assets.originalName,
  sourcePath: assets.sourcePath,
  takenAt: assets.takenAt,
  tzOffsetMinutes: assets.tzOffsetMinutes,
  contentId: assetMetadata.contentId,
};

/** The owner's items not in the trash that could be the other half; prepared once, as every photo stored asks. */
function pairQueries(want: CandidateQuery['want']) {
  const kind = (db: Db | Tx) =>
    want === 'still'
      ? and(eq(assets.kind, 'photo'), notExists(db.select({ one: sql`1` }).from(assetMotion).where(eq(assetMotion.assetId, assets.id))))
      : and(eq(assets.kind, 'video'), eq(assets.mime, 'video/quicktime'));
  const mine = (db: Db | Tx) => and(eq(assets.ownerId, sql.placeholder('ownerId')), isNull(assets.trashedAt), kind(db));
  return {
    byId: preparedPerDb((db: Db | Tx) =>
      db
        .select(candidateColumns)
        .from(assetMetadata)
        .innerJoin(assets, eq(assets.id, assetMetadata.assetId))
        .where(and(eq(assetMetadata.contentId, sql.placeholder('contentId')), mine(db)))
        .prepare(),
    ),
    byName: preparedPerDb((db: Db | Tx) =>
      db
        .select(candidateColumns)
        .from(assets)
        .leftJoin(assetMetadata, eq(assetMetadata.assetId, assets.id))
        .where(and(mine(db), between(assets.takenAt, sql.placeholder('from'), sql.placeholder('to')), sql`${assets.originalName} LIKE ${sql.placeholder('like')} ESCAPE '\\'`))
        .prepare(),
    ),
  };
}

const pairCandidates = { still: pairQueries('still'), video: pairQueries('video') };

/** Live Photo halves not in the trash: those with the same ContentIdentifier, then those of the same base name taken about then. */
export function findPairCandidates(tx: Tx, q: CandidateQuery): PairCandidate[] {
  const queries = pairCandidates[q.want];
  const byId = q.contentId ? queries.byId(tx).all({ ownerId: q.ownerId, contentId: q.contentId }) : [];
  const like = `${q.stem.replace(/[\\%_]/g, (ch) => `\\${ch}`)}.%`;
  // Placeholders reach SQLite as they are: the stored form of a timestamp_ms column is its number.
  const byName = queries.byName(tx).all({ ownerId: q.ownerId, from: q.from.getTime(), to: q.to.getTime(), like });
  return [...byId, ...byName];
}

/**
 * Turns a standalone Live Photo MOV item into the motion of a still: its original blob becomes the still's
 * asset_motion, the video's row goes, and the blobs only it used (thumbnail, preview, web copy) are deleted
 * with replication tombstones. Returns those blobs' ids, whose files the caller removes after the commit.
 */
export function foldVideoIntoStill(tx: Tx, videoId: number, stillId: number): string[] {
  const video = tx
    .select({
      blobId: assets.originalBlobId,
      sha256: assets.sha256,
      originalName: assets.originalName,
      fileSize: assets.fileSize,
      mime: assets.mime,
      durationMs: assets.durationMs,
      thumb: assets.thumbBlobId,
      preview: assets.previewBlobId,
      webCopy: assetVideo.transcodeBlobId,
    })
    .from(assets)
    .leftJoin(assetVideo, eq(assetVideo.assetId, assets.id))
    .where(eq(assets.id, videoId))
    .get();
  if (!video) return [];
  const { thumb, preview, webCopy, ...mov } = video;
  tx.delete(assets).where(eq(assets.id, videoId)).run();
  insertMotion(tx, { assetId: stillId, source: 'live', ...mov });
  const derived = [thumb, preview, webCopy].filter((b): b is string => Boolean(b));
  if (derived.length) {
    tx.delete(blobs).where(inArray(blobs.id, derived)).run();
    tx.insert(replicationDeletes)
      .values(derived.map((blobId) => ({ blobId, deletedAt: new Date() })))
      .onConflictDoNothing()
      .run();
  }
  return derived;
}
