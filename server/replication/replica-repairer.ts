import path from 'node:path';
import type { Db } from '../db/client.js';
import type { BlobRepairer } from '../integrity/scrub.service.js';
import type { BlobStore } from '../vault/blob-store.js';
import type { BlobRow } from '../vault/blobs.table.js';
import { ledgerEntries } from './replication.repo.js';
import type { ReplicationService } from './replicate.service.js';
import type { TargetService } from './targets.service.js';

/**
 * Repairs a damaged local blob from the first target whose copy verifies against the checksum recorded
 * at ingest. A copy that does not match is never put in place (and the replica is never written to).
 */
export class ReplicaRepairer implements BlobRepairer {
  constructor(private readonly deps: { db: Db; store: BlobStore; targets: TargetService; replication: ReplicationService }) {}

  hasSources(): boolean {
    return this.deps.targets.list().some((t) => !t.paused);
  }

  async restore(row: BlobRow, signal?: AbortSignal): Promise<boolean> {
    const { db, store, targets, replication } = this.deps;
    // Targets that say they hold a verified copy first, then the rest (a copy may be there unrecorded).
    const ranked = targets
      .list()
      .filter((t) => !t.paused)
      .map((t) => ({ t, state: ledgerEntries(db, t.id).find((e) => e.blobId === row.id)?.state }))
      .sort((a, b) => Number(b.state === 'verified') - Number(a.state === 'verified'));
    for (const { t } of ranked) {
      const tmp = path.join(store.tmpDir, `${process.pid}-repair-${row.id}.part`);
      try {
        if (await replication.fetchVerified(t, row, tmp, signal)) {
          await store.commit(tmp, row.id);
          return true;
        }
      } catch {
        // An offline target is just not a source this time; the next one may be.
      }
    }
    return false;
  }
}
