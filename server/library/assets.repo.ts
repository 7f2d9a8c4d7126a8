import { and, desc, eq, lt, or } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { assetMetadata, assets, type Asset, type NewAsset, type NewAssetMetadata } from './assets.table.js';

export function findByOwnerSha(db: Db | Tx, ownerId: number, sha256: string): Pick<Asset, 'id'> | undefined {
  return db
    .select({ id: assets.id })
    .from(assets)
    .where(and(eq(assets.ownerId, ownerId), eq(assets.sha256, sha256)))
    .get();
}

export function insertAsset(tx: Tx, asset: NewAsset, metadata: Omit<NewAssetMetadata, 'assetId'>): number {
  const { id } = tx.insert(assets).values(asset).returning({ id: assets.id }).get();
  tx.insert(assetMetadata).values({ ...metadata, assetId: id }).run();
  return id;
}

export interface TimelineCursor {
  takenAt: Date;
  id: number;
}

export type TimelineItem = Pick<Asset, 'id' | 'kind' | 'takenAt' | 'width' | 'height' | 'thumbBlobId' | 'thumbhash' | 'flag' | 'originalName'>;

/** Newest first, keyset-paginated on (taken_at, id) so page cost does not grow with depth. */
export function listTimeline(db: Db, scope: { ownerId?: number }, limit: number, after?: TimelineCursor): TimelineItem[] {
  const before = after
    ? or(lt(assets.takenAt, after.takenAt), and(eq(assets.takenAt, after.takenAt), lt(assets.id, after.id)))
    : undefined;
  return db
    .select({
      id: assets.id,
      kind: assets.kind,
      takenAt: assets.takenAt,
      width: assets.width,
      height: assets.height,
      thumbBlobId: assets.thumbBlobId,
      thumbhash: assets.thumbhash,
      flag: assets.flag,
      originalName: assets.originalName,
    })
    .from(assets)
    .where(and(scope.ownerId === undefined ? undefined : eq(assets.ownerId, scope.ownerId), before))
    .orderBy(desc(assets.takenAt), desc(assets.id))
    .limit(limit)
    .all();
}

/** The asset a derived blob (thumbnail or preview) belongs to, for the access check before serving it. */
export function findByDerivedBlob(db: Db, blobId: string): Pick<Asset, 'id' | 'ownerId' | 'thumbBlobId' | 'previewBlobId'> | undefined {
  return db
    .select({ id: assets.id, ownerId: assets.ownerId, thumbBlobId: assets.thumbBlobId, previewBlobId: assets.previewBlobId })
    .from(assets)
    .where(or(eq(assets.thumbBlobId, blobId), eq(assets.previewBlobId, blobId)))
    .get();
}

export type AssetOfBlob = Pick<Asset, 'id' | 'ownerId' | 'originalBlobId' | 'thumbBlobId' | 'previewBlobId' | 'originalName' | 'kind'>;

/** The asset a blob belongs to, whichever role the blob plays for it. */
export function findAssetByBlob(db: Db, blobId: string): AssetOfBlob | undefined {
  return db
    .select({ id: assets.id, ownerId: assets.ownerId, originalBlobId: assets.originalBlobId, thumbBlobId: assets.thumbBlobId, previewBlobId: assets.previewBlobId, originalName: assets.originalName, kind: assets.kind })
    .from(assets)
    .where(or(eq(assets.originalBlobId, blobId), eq(assets.thumbBlobId, blobId), eq(assets.previewBlobId, blobId)))
    .get();
}
