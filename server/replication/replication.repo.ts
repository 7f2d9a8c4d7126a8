import { and, asc, count, eq, gt, inArray, isNull, lt, ne, notInArray, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { blobs, type BlobKind, type BlobRow } from '../vault/blobs.table.js';
import { replicationDeletes, replicationLedger, replicationTargets } from './replication.table.js';

/** Blob kinds a target receives: everything, or originals only (previews and web copies can be made again). */
export function kindsFor(includePreviews: boolean): BlobKind[] {
  return includePreviews ? ['original', 'thumb', 'preview', 'transcode'] : ['original'];
}

/** Blobs the target does not hold yet, in id order after `afterId`. */
export function pendingBlobs(db: Db, targetId: number, kinds: BlobKind[], afterId: string, limit: number): BlobRow[] {
  return db
    .select({ blob: blobs })
    .from(blobs)
    .leftJoin(replicationLedger, and(eq(replicationLedger.blobId, blobs.id), eq(replicationLedger.targetId, targetId)))
    .where(and(isNull(replicationLedger.blobId), inArray(blobs.kind, kinds), gt(blobs.id, afterId)))
    .orderBy(asc(blobs.id))
    .limit(limit)
    .all()
    .map((r) => r.blob);
}

/** Uploaded but not yet read back, oldest first: what verification checks before re-checking verified ones. */
export function unverifiedBlobs(db: Db, targetId: number, limit: number): BlobRow[] {
  return db
    .select({ blob: blobs })
    .from(replicationLedger)
    .innerJoin(blobs, eq(blobs.id, replicationLedger.blobId))
    .where(and(eq(replicationLedger.targetId, targetId), eq(replicationLedger.state, 'uploaded')))
    .orderBy(asc(replicationLedger.uploadedAt))
    .limit(limit)
    .all()
    .map((r) => r.blob);
}

/** A random sample of verified blobs, to catch copies that went bad at the target since. */
export function sampleVerified(db: Db, targetId: number, limit: number): BlobRow[] {
  return db
    .select({ blob: blobs })
    .from(replicationLedger)
    .innerJoin(blobs, eq(blobs.id, replicationLedger.blobId))
    .where(and(eq(replicationLedger.targetId, targetId), eq(replicationLedger.state, 'verified')))
    .orderBy(sql`random()`)
    .limit(limit)
    .all()
    .map((r) => r.blob);
}

/** One transaction for many: each commit is an fsync, and uploads land faster than a disk syncs one by one. */
export function markUploaded(db: Db, targetId: number, blobIds: string[], at = new Date()): void {
  if (blobIds.length === 0) return;
  db.transaction((tx) => {
    for (const blobId of blobIds) {
      tx.insert(replicationLedger)
        .values({ targetId, blobId, state: 'uploaded', uploadedAt: at })
        .onConflictDoUpdate({ target: [replicationLedger.targetId, replicationLedger.blobId], set: { state: 'uploaded', uploadedAt: at, verifiedAt: null } })
        .run();
    }
  });
}

export function markVerified(db: Db, targetId: number, blobId: string, at = new Date()): void {
  db.update(replicationLedger).set({ state: 'verified', verifiedAt: at }).where(and(eq(replicationLedger.targetId, targetId), eq(replicationLedger.blobId, blobId))).run();
}

/** Back to pending: the target's copy is missing or wrong, so the next pass uploads it again. */
export function forgetCopy(db: Db, targetId: number, blobId: string): void {
  db.delete(replicationLedger).where(and(eq(replicationLedger.targetId, targetId), eq(replicationLedger.blobId, blobId))).run();
}

/** What the ledger says the target holds, with each blob's expected size. */
export function ledgerEntries(db: Db, targetId: number): { blobId: string; state: 'uploaded' | 'verified'; cipherSize: number }[] {
  return db
    .select({ blobId: replicationLedger.blobId, state: replicationLedger.state, cipherSize: blobs.cipherSize })
    .from(replicationLedger)
    .innerJoin(blobs, eq(blobs.id, replicationLedger.blobId))
    .where(eq(replicationLedger.targetId, targetId))
    .all();
}

export function blobKinds(db: Db, ids: string[]): { id: string; kind: BlobKind }[] {
  const out: { id: string; kind: BlobKind }[] = [];
  // SQLite caps bound parameters; a large library is asked in slices.
  for (let i = 0; i < ids.length; i += 500) out.push(...db.select({ id: blobs.id, kind: blobs.kind }).from(blobs).where(inArray(blobs.id, ids.slice(i, i + 500))).all());
  return out;
}

export function recordSnapshotSent(db: Db, targetId: number, plainSha256: string): void {
  db.update(replicationTargets).set({ lastSnapshotSha256: plainSha256 }).where(eq(replicationTargets.id, targetId)).run();
}

/** Tombstones no target holds a copy of any more. */
export function clearSettledDeletes(db: Db): void {
  db.delete(replicationDeletes).where(notInArray(replicationDeletes.blobId, db.select({ id: replicationLedger.blobId }).from(replicationLedger))).run();
}

/** Items and bytes the target does not hold a verified copy of yet. */
export function lagOf(db: Db, targetId: number, kinds: BlobKind[]): { items: number; bytes: number } {
  const row = db
    .select({ items: count(), bytes: sql<number>`coalesce(sum(${blobs.cipherSize}), 0)` })
    .from(blobs)
    .leftJoin(replicationLedger, and(eq(replicationLedger.blobId, blobs.id), eq(replicationLedger.targetId, targetId)))
    .where(and(inArray(blobs.kind, kinds), or(isNull(replicationLedger.blobId), ne(replicationLedger.state, 'verified'))))
    .get()!;
  return { items: row.items, bytes: row.bytes };
}

/** Deleted blobs whose grace period is over, for one target. */
export function dueDeletes(db: Db, targetId: number, before: Date): string[] {
  return db
    .select({ blobId: replicationDeletes.blobId })
    .from(replicationDeletes)
    .innerJoin(replicationLedger, and(eq(replicationLedger.blobId, replicationDeletes.blobId), eq(replicationLedger.targetId, targetId)))
    .where(lt(replicationDeletes.deletedAt, before))
    .all()
    .map((r) => r.blobId);
}

export function recordTargetResult(db: Db, targetId: number, result: { ok: true; at?: Date; verified?: boolean } | { ok: false; error: string }): void {
  const at = new Date();
  const set = result.ok ? { lastError: null, lastErrorAt: null, ...(result.verified ? { lastVerifiedAt: at } : { lastSuccessAt: at }) } : { lastError: result.error.slice(0, 1000), lastErrorAt: at };
  db.update(replicationTargets).set(set).where(eq(replicationTargets.id, targetId)).run();
}
