import type { Db } from '../db/client.js';
import type { Logger } from '../log.js';
import { isProcessAlive } from '../pids.js';
import type { BlobStore } from './blob-store.js';
import { stagedWithoutRow, unstageBlobs } from './blobs.repo.js';

/** Removes blobs a crashed writer left between their rename and their DB commit. */
export async function removeOrphanedBlobs(db: Db, store: BlobStore, log: Logger): Promise<number> {
  const orphans = stagedWithoutRow(db).filter((s) => !isProcessAlive(s.pid) || s.pid === process.pid);
  for (const { id } of orphans) await store.remove(id);
  unstageBlobs(db, orphans.map((o) => o.id));
  if (orphans.length > 0) log.warn({ count: orphans.length }, 'removed blobs left behind by an interrupted store');
  return orphans.length;
}
