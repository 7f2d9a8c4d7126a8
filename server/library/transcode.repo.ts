import { and, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { preparedPerDb } from '../db/prepared.js';
import { replicationDeletes } from '../replication/replication.table.js';
import type { BlobWindow } from '../vault/blob-url.js';
import { blobs } from '../vault/blobs.table.js';
import { assets } from './assets.table.js';
import { assetMotion, assetVideo, type AssetVideo, type TranscodeState } from './video.table.js';

export type NewAssetVideo = typeof assetVideo.$inferInsert;

/** What a web copy is made of: a video item, or the moving part of a Live Photo or motion photo. */
export type TranscodePart = 'video' | 'motion';
export interface TranscodeTarget {
  assetId: number;
  part: TranscodePart;
}

/** The columns asset_video and asset_motion share for a web copy. */
export type TranscodeChanges = Partial<Pick<NewAssetVideo, 'playable' | 'transcodeState' | 'transcodeBlobId' | 'transcodeSettings' | 'transcodeError'>>;

/** Where a web copy stands, and the stored bytes it is made from (a window of the photo for an embedded video). */
export interface TranscodeSource {
  state: TranscodeState | null;
  blobId: string;
  window?: BlobWindow;
}

export function insertVideo(tx: Db | Tx, row: NewAssetVideo): void {
  tx.insert(assetVideo).values(row).run();
}

const videoOf = preparedPerDb((db: Db | Tx) => db.select().from(assetVideo).where(eq(assetVideo.assetId, sql.placeholder('assetId'))).prepare());

/** What ffprobe found in an item (asked by every Range request of a playing video). */
export function findVideo(db: Db | Tx, assetId: number): AssetVideo | undefined {
  return videoOf(db).get({ assetId });
}

/** undefined once the item, or its video or motion part, is gone. */
export function findTranscodeSource(db: Db | Tx, { assetId, part }: TranscodeTarget): TranscodeSource | undefined {
  if (part === 'video') {
    return db
      .select({ state: assetVideo.transcodeState, blobId: assets.originalBlobId })
      .from(assetVideo)
      .innerJoin(assets, eq(assets.id, assetVideo.assetId))
      .where(and(eq(assetVideo.assetId, assetId), eq(assets.kind, 'video')))
      .get();
  }
  const row = db
    .select({ state: assetMotion.transcodeState, movBlobId: assetMotion.blobId, photoBlobId: assets.originalBlobId, offset: assetMotion.offset, length: assetMotion.length })
    .from(assetMotion)
    .innerJoin(assets, eq(assets.id, assetMotion.assetId))
    .where(eq(assetMotion.assetId, assetId))
    .get();
  if (!row) return undefined;
  if (row.movBlobId) return { state: row.state, blobId: row.movBlobId };
  if (row.offset === null || row.length === null) return undefined;
  return { state: row.state, blobId: row.photoBlobId, window: { offset: row.offset, length: row.length } };
}

export function updateTranscode(db: Db | Tx, { assetId, part }: TranscodeTarget, changes: TranscodeChanges): void {
  if (part === 'video') db.update(assetVideo).set(changes).where(eq(assetVideo.assetId, assetId)).run();
  else db.update(assetMotion).set(changes).where(eq(assetMotion.assetId, assetId)).run();
}

/** Marks a video no browser can play, unless it carries another flag (that one says more: it could not be read at all). */
export function flagUnplayable(db: Db | Tx, assetId: number, reason: string): void {
  db.update(assets)
    .set({ flag: 'unplayable', flagReason: reason })
    .where(and(eq(assets.id, assetId), or(isNull(assets.flag), eq(assets.flag, 'unplayable'))))
    .run();
}

export function clearUnplayable(db: Db | Tx, assetId: number): void {
  db.update(assets).set({ flag: null, flagReason: null }).where(and(eq(assets.id, assetId), eq(assets.flag, 'unplayable'))).run();
}

/** Videos stored before probing existed: no asset_video row yet. */
export function videosWithoutProbe(db: Db, limit: number): { id: number; originalBlobId: string }[] {
  return db
    .select({ id: assets.id, originalBlobId: assets.originalBlobId })
    .from(assets)
    .leftJoin(assetVideo, eq(assetVideo.assetId, assets.id))
    .where(and(eq(assets.kind, 'video'), isNull(assetVideo.assetId)))
    .orderBy(assets.id)
    .limit(limit)
    .all();
}

/** Videos and motion parts waiting for a web copy (or, for motion, for a first look). */
export function pendingTranscodes(db: Db): TranscodeTarget[] {
  const videos = db.select({ assetId: assetVideo.assetId }).from(assetVideo).where(eq(assetVideo.transcodeState, 'pending')).all();
  const motions = db.select({ assetId: assetMotion.assetId }).from(assetMotion).where(eq(assetMotion.transcodeState, 'pending')).all();
  return [...targets(videos, 'video'), ...targets(motions, 'motion')];
}

/** Whether a start should look for videos to probe or web copies to make. */
export function videoWorkWaiting(db: Db): boolean {
  const rowless = videosWithoutProbe(db, 1).length > 0;
  const video = () => db.select({ id: assetVideo.assetId }).from(assetVideo).where(eq(assetVideo.transcodeState, 'pending')).limit(1).get();
  const motion = () => db.select({ id: assetMotion.assetId }).from(assetMotion).where(eq(assetMotion.transcodeState, 'pending')).limit(1).get();
  return rowless || video() !== undefined || motion() !== undefined;
}

/** The web copies of these items' videos and motion parts. */
export function transcodeBlobsOf(tx: Db | Tx, assetIds: number[]): string[] {
  if (assetIds.length === 0) return [];
  const videos = tx.select({ blobId: assetVideo.transcodeBlobId }).from(assetVideo).where(inArray(assetVideo.assetId, assetIds)).all();
  const motions = tx.select({ blobId: assetMotion.transcodeBlobId }).from(assetMotion).where(inArray(assetMotion.assetId, assetIds)).all();
  return [...videos, ...motions].flatMap((r) => (r.blobId ? [r.blobId] : []));
}

/**
 * Forgets web copies (damaged, or missing after a restore): their videos and motion parts go back to
 * 'pending', their blob rows go, and off-site copies are deleted after the grace period. Returns what needs
 * a new copy.
 */
export function dropTranscodes(db: Db, blobIds: string[], now = new Date()): TranscodeTarget[] {
  if (blobIds.length === 0) return [];
  const again = { transcodeState: 'pending', transcodeBlobId: null, transcodeSettings: null, transcodeError: null } as const;
  return db.transaction((tx) => {
    const videos = tx.select({ assetId: assetVideo.assetId }).from(assetVideo).where(inArray(assetVideo.transcodeBlobId, blobIds)).all();
    const motions = tx.select({ assetId: assetMotion.assetId }).from(assetMotion).where(inArray(assetMotion.transcodeBlobId, blobIds)).all();
    tx.update(assetVideo).set(again).where(inArray(assetVideo.transcodeBlobId, blobIds)).run();
    tx.update(assetMotion).set(again).where(inArray(assetMotion.transcodeBlobId, blobIds)).run();
    tx.delete(blobs).where(and(inArray(blobs.id, blobIds), eq(blobs.kind, 'transcode'))).run();
    tx.insert(replicationDeletes)
      .values(blobIds.map((blobId) => ({ blobId, deletedAt: now })))
      .onConflictDoNothing()
      .run();
    return [...targets(videos, 'video'), ...targets(motions, 'motion')];
  });
}

function targets(rows: { assetId: number }[], part: TranscodePart): TranscodeTarget[] {
  return rows.map(({ assetId }) => ({ assetId, part }));
}
