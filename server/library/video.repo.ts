import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { preparedPerDb } from '../db/prepared.js';
import { jobs } from '../jobs/jobs.table.js';
import { assets, type Asset } from './assets.table.js';
import { findVideo } from './transcode.repo.js';
import type { AssetVideo } from './video.table.js';

export type VideoAsset = Pick<Asset, 'id' | 'ownerId' | 'kind' | 'mime' | 'originalName' | 'originalBlobId' | 'trashedAt'> & { video: AssetVideo | null };

const assetById = preparedPerDb((db) =>
  db
    .select({
      id: assets.id,
      ownerId: assets.ownerId,
      kind: assets.kind,
      mime: assets.mime,
      originalName: assets.originalName,
      originalBlobId: assets.originalBlobId,
      trashedAt: assets.trashedAt,
    })
    .from(assets)
    .where(eq(assets.id, sql.placeholder('id')))
    .prepare(),
);

/**
 * An item with what ffprobe found in it (null when it is not a video, or was stored before probing).
 * Asked by every Range request of a playing video: two prepared lookups by key, not a join.
 */
export function findVideoAsset(db: Db, id: number): VideoAsset | undefined {
  const asset = assetById(db).get({ id });
  return asset && { ...asset, video: findVideo(db, id) ?? null };
}

/** How far the running transcode of a video has got, as its job last reported it. */
export function transcodeProgress(db: Db, assetId: number): { done: number; total: number } | undefined {
  const job = db
    .select({ progress: jobs.progress })
    .from(jobs)
    .where(and(eq(jobs.dedupeKey, `transcode:${assetId}`), eq(jobs.state, 'running')))
    .get();
  if (!job?.progress) return undefined;
  const p = JSON.parse(job.progress) as { done?: unknown; total?: unknown };
  return typeof p.done === 'number' && typeof p.total === 'number' && p.total > 0 ? { done: p.done, total: p.total } : undefined;
}
