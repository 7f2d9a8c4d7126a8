import { and, eq, inArray, isNull, or } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { replicationDeletes } from '../replication/replication.table.js';
import { blobs } from '../vault/blobs.table.js';
import { assets } from './assets.table.js';
import { assetVideo, type AssetVideo } from './video.table.js';

export type NewAssetVideo = typeof assetVideo.$inferInsert;

export function insertVideo(tx: Db | Tx, row: NewAssetVideo): void {
  tx.insert(assetVideo).values(row).run();
}

export function findVideo(db: Db | Tx, assetId: number): AssetVideo | undefined {
  return db.select().from(assetVideo).where(eq(assetVideo.assetId, assetId)).get();
}

export function updateVideo(db: Db | Tx, assetId: number, changes: Partial<NewAssetVideo>): void {
  db.update(assetVideo).set(changes).where(eq(assetVideo.assetId, assetId)).run();
}

/** The original a web copy is made from. */
export function findTranscodeSource(db: Db, assetId: number): { originalBlobId: string } | undefined {
  return db.select({ originalBlobId: assets.originalBlobId }).from(assets).where(and(eq(assets.id, assetId), eq(assets.kind, 'video'))).get();
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

export function pendingTranscodes(db: Db): number[] {
  return db
    .select({ id: assetVideo.assetId })
    .from(assetVideo)
    .where(eq(assetVideo.transcodeState, 'pending'))
    .all()
    .map((r) => r.id);
}

/** Whether a start should look for videos to probe or web copies to make. */
export function videoWorkWaiting(db: Db): boolean {
  const rowless = videosWithoutProbe(db, 1).length > 0;
  return rowless || db.select({ id: assetVideo.assetId }).from(assetVideo).where(eq(assetVideo.transcodeState, 'pending')).limit(1).get() !== undefined;
}

export function transcodeBlobsOf(tx: Db | Tx, assetIds: number[]): string[] {
  if (assetIds.length === 0) return [];
  return tx
    .select({ blobId: assetVideo.transcodeBlobId })
    .from(assetVideo)
    .where(inArray(assetVideo.assetId, assetIds))
    .all()
    .flatMap((r) => (r.blobId ? [r.blobId] : []));
}

/**
 * Forgets web copies (damaged, or missing after a restore): their videos go back to 'pending', their blob
 * rows go, and off-site copies are deleted after the grace period. Returns the videos that need a new copy.
 */
export function dropTranscodes(db: Db, blobIds: string[], now = new Date()): number[] {
  if (blobIds.length === 0) return [];
  return db.transaction((tx) => {
    const owners = tx.select({ assetId: assetVideo.assetId }).from(assetVideo).where(inArray(assetVideo.transcodeBlobId, blobIds)).all();
    tx.update(assetVideo)
      .set({ transcodeState: 'pending', transcodeBlobId: null, transcodeSettings: null, transcodeError: null })
      .where(inArray(assetVideo.transcodeBlobId, blobIds))
      .run();
    tx.delete(blobs).where(and(inArray(blobs.id, blobIds), eq(blobs.kind, 'transcode'))).run();
    tx.insert(replicationDeletes)
      .values(blobIds.map((blobId) => ({ blobId, deletedAt: now })))
      .onConflictDoNothing()
      .run();
    return owners.map((o) => o.assetId);
  });
}
