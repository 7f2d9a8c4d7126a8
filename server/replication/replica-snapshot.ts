import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Db } from '../db/client.js';
import type { BlobStore } from '../vault/blob-store.js';
import type { Keyring } from '../vault/keyring.js';

export interface ReplicaSnapshot {
  /** The sealed file in tmp/, ready to upload; the caller removes it. */
  sealedPath: string;
  size: number;
  plainSha256: string;
  /** Every blob id the snapshot refers to: each must be at the target before the snapshot is. */
  blobIds: string[];
}

/**
 * A consistent copy of the database for a replica, minus what only matters to this machine (the
 * replication ledger and each target's status, the job queue, sign-in throttling), so that an unchanged library yields an
 * unchanged snapshot, sealed in the vault format.
 */
export async function makeReplicaSnapshot(deps: { db: Db; store: BlobStore; keyring: Keyring }): Promise<ReplicaSnapshot> {
  const plain = path.join(deps.store.tmpDir, `${process.pid}-replica-${Date.now()}.db`);
  const trimmed = `${plain}.trimmed`;
  try {
    deps.db.$client.prepare('VACUUM INTO ?').run(plain);
    const copy = new Database(plain);
    let blobIds: string[];
    try {
      copy.exec(`
        DELETE FROM replication_ledger; DELETE FROM jobs; DELETE FROM login_failures;
        UPDATE replication_targets SET last_snapshot_sha256 = NULL, last_success_at = NULL, last_verified_at = NULL, last_error = NULL, last_error_at = NULL;`);
      blobIds = copy.prepare('SELECT id FROM blobs').pluck().all() as string[];
      // A fresh file from the trimmed copy: its header (change counter) then no longer depends on how
      // many writes trimming took, so an unchanged library really yields identical bytes.
      copy.prepare('VACUUM INTO ?').run(trimmed);
    } finally {
      copy.close();
    }
    const { tmpPath, sealed } = await deps.store.writeTemp(deps.keyring, createReadStream(trimmed, { highWaterMark: 1 << 20 }));
    return { sealedPath: tmpPath, size: sealed.cipherSize, plainSha256: sealed.plainSha256, blobIds };
  } finally {
    await rm(plain, { force: true });
    await rm(trimmed, { force: true });
  }
}
