import { asc, count, eq, gt, inArray, notInArray, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { preparedInsert, preparedPerDb } from '../db/prepared.js';
import type { SealedBlob } from './encrypt.js';
import { blobs, stagedBlobs, type BlobKind, type BlobRow } from './blobs.table.js';

/** The columns a stored blob's row is written with (the rest start at their defaults). */
const blobColumns = ['id', 'kind', 'cipherSize', 'cipherSha256', 'plainSize', 'plainSha256', 'keyVersion', 'wrappedDek'] as const;
/** Typed by the column list, so a field added here without its column cannot be dropped silently. */
export type NewBlobRow = Pick<typeof blobs.$inferInsert, (typeof blobColumns)[number]>;

export function blobRow(sealed: SealedBlob, kind: BlobKind): NewBlobRow {
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

const insertBlobRow = preparedInsert(blobs, blobColumns);

/** One prepared statement per row (a statement sized to the rows would be parsed anew each time): give a transaction for several. */
export function insertBlobs(tx: Tx | Db, rows: NewBlobRow[]): void {
  for (const row of rows) insertBlobRow(tx, row);
}

export function findBlob(db: Db, id: string): BlobRow | undefined {
  return db.select().from(blobs).where(eq(blobs.id, id)).get();
}

/** Blobs in id order after `afterId`: the order a scrub walks, so it can resume from the last id. */
export function blobsAfter(db: Db, afterId: string, limit: number): BlobRow[] {
  return db.select().from(blobs).where(gt(blobs.id, afterId)).orderBy(asc(blobs.id)).limit(limit).all();
}

export function countBlobs(db: Db): { count: number; bytes: number } {
  return db.select({ count: count(), bytes: sql<number>`coalesce(sum(${blobs.cipherSize}), 0)` }).from(blobs).get()!;
}

/** Every id that may legitimately have a file under blobs/: committed blobs, and those an in-flight store staged. */
export function knownBlobIds(db: Db): Set<string> {
  const ids = new Set(db.select({ id: blobs.id }).from(blobs).all().map((r) => r.id));
  for (const { id } of db.select({ id: stagedBlobs.id }).from(stagedBlobs).all()) ids.add(id);
  return ids;
}

const stageBlob = preparedInsert(stagedBlobs, ['id', 'pid']);

/** One commit for all of them. */
export function stageBlobs(db: Db, ids: string[]): void {
  db.transaction((tx) => {
    for (const id of ids) stageBlob(tx, { id, pid: process.pid });
  });
}

// The ids go in as one JSON array, so a single prepared statement takes any number of them.
const unstage = preparedPerDb((db: Db | Tx) =>
  db
    .delete(stagedBlobs)
    .where(inArray(stagedBlobs.id, sql`(SELECT value FROM json_each(${sql.placeholder('ids')}))`))
    .prepare(),
);

export function unstageBlobs(tx: Tx | Db, ids: string[]): void {
  if (ids.length > 0) unstage(tx).run({ ids: JSON.stringify(ids) });
}

/** Staged blobs that never got their row, with the pid of the process that staged them. */
export function stagedWithoutRow(db: Db): { id: string; pid: number }[] {
  const tracked = db.select({ id: blobs.id }).from(blobs);
  return db.select({ id: stagedBlobs.id, pid: stagedBlobs.pid }).from(stagedBlobs).where(notInArray(stagedBlobs.id, tracked)).all();
}

/** Records a blob rewritten in place (a regenerated preview): same id, new bytes. */
export function replaceBlobRow(db: Db, sealed: SealedBlob): void {
  const { cipherSize, cipherSha256, plainSize, plainSha256, keyVersion, wrappedDek } = sealed;
  db.update(blobs).set({ cipherSize, cipherSha256, plainSize, plainSha256, keyVersion, wrappedDek }).where(eq(blobs.id, sealed.blobId)).run();
}
