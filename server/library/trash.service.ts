import { and, inArray, isNotNull, or } from 'drizzle-orm';
import { authorize, can } from '../auth/access.js';
import type { Actor } from '../auth/actor.js';
import type { Db } from '../db/client.js';
import { AccessError, UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { replicationDeletes } from '../replication/replication.table.js';
import type { BlobStore } from '../vault/blob-store.js';
import { blobs } from '../vault/blobs.table.js';
import { assets } from './assets.table.js';
import { motionBlobIds } from './motion.repo.js';
import { countTrashed, findGridItem, findItemState, trashedIds, type GridItem } from './organise.repo.js';
import { transcodeBlobsOf } from './transcode.repo.js';

export const TRASH_RETENTION_DAYS = 30;
const DAY = 86_400_000;
/** Items deleted per transaction: keeps each write short so pages stay responsive during a big purge. */
const BATCH = 200;

export interface PurgeResult {
  items: number;
  blobs: number;
}

/** Days an item trashed at `trashedAt` has left before the purge deletes it (0 on its last day). */
export function daysLeft(trashedAt: Date, now = new Date()): number {
  return Math.max(0, Math.ceil((trashedAt.getTime() + TRASH_RETENTION_DAYS * DAY - now.getTime()) / DAY));
}

/**
 * Deleting for good: what the daily purge does with items trashed more than 30 days ago, and what
 * "delete now" and "empty trash" do at once. Rows go first, in one transaction per batch (metadata,
 * versions and the search entry follow by cascade and trigger), together with the blob rows and a
 * replication tombstone for each blob, so off-site targets delete their copies after their grace period.
 * The files go after the commit: a crash in between leaves only untracked files, which the scrub reports,
 * never a row that points at a missing file.
 */
export class TrashService {
  constructor(private readonly deps: { db: Db; store: BlobStore; log: Logger }) {}

  /** The daily job: every owner's items trashed before now − 30 days. */
  async purgeExpired(now = new Date(), signal?: AbortSignal): Promise<PurgeResult> {
    const ids = trashedIds(this.deps.db, undefined, new Date(now.getTime() - TRASH_RETENTION_DAYS * DAY));
    return this.purge(ids, now, signal);
  }

  /** Deletes one trashed item of the actor's for good. It must be in the trash, and the form confirmed. */
  async deleteNow(actor: Actor | undefined, id: number, confirmed: boolean, now = new Date()): Promise<PurgeResult> {
    authorize(actor, { do: 'browse' });
    const item = findItemState(this.deps.db, id);
    if (!item) throw new AccessError(404, 'There is no such item: it may have been deleted for good already.');
    authorize(actor, { do: 'change-item', ownerId: item.ownerId });
    if (!item.trashedAt) throw new UserError('This photo is not in the trash (it was restored, perhaps on another device), so it was not deleted.', 'not-trashed');
    if (!confirmed) throw new UserError('Confirm that this photo should be deleted for good: it cannot be undone.', 'confirm');
    return this.purge([id], now);
  }

  /** Deletes everything in the actor's trash for good, once confirmed. */
  async empty(actor: Actor | undefined, confirmed: boolean, now = new Date()): Promise<PurgeResult> {
    authorize(actor, { do: 'browse' });
    authorize(actor, { do: 'change-item', ownerId: actor.user.id });
    if (!confirmed) throw new UserError('Tick the box to confirm that everything in the trash should be deleted for good.', 'confirm');
    return this.purge(trashedIds(this.deps.db, actor.user.id), now);
  }

  /** A trashed item the actor could delete now, for the confirmation; undefined when there is none such. */
  pendingDelete(actor: Actor | undefined, id: number): GridItem | undefined {
    authorize(actor, { do: 'browse' });
    const item = findGridItem(this.deps.db, id);
    if (!item?.trashedAt || !can(actor, { do: 'change-item', ownerId: item.ownerId })) return undefined;
    return item;
  }

  count(actor: Actor | undefined): number {
    authorize(actor, { do: 'browse' });
    return countTrashed(this.deps.db, actor.user.id);
  }

  private async purge(ids: number[], now: Date, signal?: AbortSignal): Promise<PurgeResult> {
    const result: PurgeResult = { items: 0, blobs: 0 };
    for (let i = 0; i < ids.length; i += BATCH) {
      if (signal?.aborted) break;
      const { items, blobIds } = this.deleteRows(ids.slice(i, i + BATCH), now);
      for (const blobId of blobIds) {
        // The rows are gone already; a file that cannot be removed is only untracked, which the scrub reports.
        await this.deps.store.remove(blobId).catch((err: unknown) => this.deps.log.warn({ err, blobId }, 'could not remove the file of a deleted item'));
      }
      result.items += items;
      result.blobs += blobIds.length;
    }
    if (result.items) this.deps.log.info({ items: result.items, blobs: result.blobs }, 'deleted trashed items for good');
    return result;
  }

  /** One batch: the rows of items still in the trash (a restore that raced us wins), their blobs' rows, tombstones. */
  private deleteRows(ids: number[], now: Date): { items: number; blobIds: string[] } {
    return this.deps.db.transaction((tx) => {
      const doomed = tx
        .select({ id: assets.id, original: assets.originalBlobId, thumb: assets.thumbBlobId, preview: assets.previewBlobId })
        .from(assets)
        .where(and(inArray(assets.id, ids), isNotNull(assets.trashedAt)))
        .all();
      if (doomed.length === 0) return { items: 0, blobIds: [] };
      const motion = motionBlobIds(tx, doomed.map((a) => a.id));
      const transcodes = transcodeBlobsOf(tx, doomed.map((a) => a.id));
      const candidates = [...new Set([...doomed.flatMap((a) => [a.original, a.thumb, a.preview]), ...motion, ...transcodes].filter((b): b is string => Boolean(b)))];
      tx.delete(assets)
        .where(
          inArray(
            assets.id,
            doomed.map((a) => a.id),
          ),
        )
        .run();
      // A blob another item still uses (none today, but cheap to be sure of) is kept.
      const stillUsed = new Set(
        tx
          .select({ original: assets.originalBlobId, thumb: assets.thumbBlobId, preview: assets.previewBlobId })
          .from(assets)
          .where(or(inArray(assets.originalBlobId, candidates), inArray(assets.thumbBlobId, candidates), inArray(assets.previewBlobId, candidates)))
          .all()
          .flatMap((r) => [r.original, r.thumb, r.preview]),
      );
      const blobIds = candidates.filter((b) => !stillUsed.has(b));
      if (blobIds.length) {
        tx.delete(blobs).where(inArray(blobs.id, blobIds)).run();
        tx.insert(replicationDeletes)
          .values(blobIds.map((blobId) => ({ blobId, deletedAt: now })))
          .onConflictDoNothing()
          .run();
      }
      return { items: doomed.length, blobIds };
    });
  }
}
