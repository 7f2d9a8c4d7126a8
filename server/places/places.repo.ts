import { and, asc, eq, gt, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { preparedPerDb } from '../db/prepared.js';
import { assetMetadata } from '../library/assets.table.js';

export interface Unplaced {
  assetId: number;
  latitude: number;
  longitude: number;
}

/** Has a location, not yet named: what the asset_metadata_unplaced index holds. */
const unplacedRow = and(isNull(assetMetadata.place), isNotNull(assetMetadata.latitude), isNotNull(assetMetadata.longitude));

const unplacedColumns = { assetId: assetMetadata.assetId, latitude: assetMetadata.latitude, longitude: assetMetadata.longitude };

/** The next items, by id after `afterId`, whose place is still to be named. */
export function unplacedAfter(db: Db, afterId: number, limit: number): Unplaced[] {
  return db
    .select(unplacedColumns)
    .from(assetMetadata)
    .where(and(unplacedRow, gt(assetMetadata.assetId, afterId)))
    .orderBy(asc(assetMetadata.assetId))
    .limit(limit)
    .all() as Unplaced[];
}

const unplacedById = preparedPerDb((db) => db.select(unplacedColumns).from(assetMetadata).where(and(unplacedRow, eq(assetMetadata.assetId, sql.placeholder('assetId')))).prepare());

/** Asked after every item stored. */
export function findUnplaced(db: Db, assetId: number): Unplaced | undefined {
  return unplacedById(db).get({ assetId }) as Unplaced | undefined;
}

export function countUnplaced(db: Db): number {
  return db.select({ n: sql<number>`count(*)` }).from(assetMetadata).where(unplacedRow).get()!.n;
}

export function writePlace(db: Db | Tx, assetId: number, place: string | null): void {
  db.update(assetMetadata).set({ place }).where(eq(assetMetadata.assetId, assetId)).run();
}
