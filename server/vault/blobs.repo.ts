import { eq, inArray, notInArray } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import type { SealedBlob } from './encrypt.js';
import { blobs, stagedBlobs, type BlobKind, type BlobRow } from './blobs.table.js';

export function blobRow(sealed: SealedBlob, kind: BlobKind): typeof blobs.$inferInsert {
  return {
    id: sealed.blobId,
    kind,
    cipherSize: sealed.cipherSize,
    cipherSha256: sealed.cipherSha256,
    plainSize: sealed.plainSize,
    plainSha256: sealed.plainSha256,
    keyVersion: sealed.keyVersion,
    wrappedDek: sealed.wrappedDek,
  };
}

export function insertBlobs(tx: Tx | Db, rows: (typeof blobs.$inferInsert)[]): void {
  if (rows.length > 0) tx.insert(blobs).values(rows).run();
}

export function findBlob(db: Db, id: string): BlobRow | undefined {
  return db.select().from(blobs).where(eq(blobs.id, id)).get();
}

export function stageBlobs(db: Db, ids: string[]): void {
  if (ids.length > 0) db.insert(stagedBlobs).values(ids.map((id) => ({ id, pid: process.pid }))).run();
}

export function unstageBlobs(tx: Tx | Db, ids: string[]): void {
  if (ids.length > 0) tx.delete(stagedBlobs).where(inArray(stagedBlobs.id, ids)).run();
}

/** Staged blobs that never got their row, with the pid of the process that staged them. */
export function stagedWithoutRow(db: Db): { id: string; pid: number }[] {
  const tracked = db.select({ id: blobs.id }).from(blobs);
  return db.select({ id: stagedBlobs.id, pid: stagedBlobs.pid }).from(stagedBlobs).where(notInArray(stagedBlobs.id, tracked)).all();
}
