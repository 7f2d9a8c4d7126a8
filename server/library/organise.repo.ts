import { and, desc, eq, inArray, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { users } from '../users/users.table.js';
import { assetMetadata, assets, assetVersions, type Asset, type AssetVersion } from './assets.table.js';
import { timelineColumns, type TimelineItem } from './assets.repo.js';

/** What an action needs to decide: whose item it is and where it stands. */
export type ItemState = Pick<Asset, 'id' | 'ownerId' | 'favorite' | 'archivedAt' | 'trashedAt'>;

const stateColumns = { id: assets.id, ownerId: assets.ownerId, favorite: assets.favorite, archivedAt: assets.archivedAt, trashedAt: assets.trashedAt };

export function findItemState(db: Db | Tx, id: number): ItemState | undefined {
  return db.select(stateColumns).from(assets).where(eq(assets.id, id)).get();
}

/** The actor's own items among `ids`; foreign and unknown ids are simply not returned. */
export function findOwnItemStates(db: Db, ownerId: number, ids: number[]): ItemState[] {
  if (ids.length === 0) return [];
  return db
    .select(stateColumns)
    .from(assets)
    .where(and(eq(assets.ownerId, ownerId), inArray(assets.id, ids)))
    .all();
}

export function setFavorite(db: Db | Tx, ids: number[], favorite: boolean): void {
  if (ids.length) db.update(assets).set({ favorite }).where(inArray(assets.id, ids)).run();
}

export function setArchived(db: Db | Tx, ids: number[], at: Date | null): void {
  if (ids.length) db.update(assets).set({ archivedAt: at }).where(inArray(assets.id, ids)).run();
}

export function setTrashed(db: Db | Tx, ids: number[], at: Date | null): void {
  if (ids.length) db.update(assets).set({ trashedAt: at }).where(inArray(assets.id, ids)).run();
}

/** The fields an edit may change, as they are now. */
export interface EditableFields {
  takenAt: number;
  tzOffsetMinutes: number | null;
  takenAtSource: string;
  description: string | null;
  latitude: number | null;
  longitude: number | null;
  orientation: number | null;
}

export type EditableItem = ItemState & EditableFields & Pick<Asset, 'originalName' | 'kind' | 'thumbBlobId' | 'thumbhash' | 'width' | 'height' | 'flag'>;

export function findEditable(db: Db | Tx, id: number): EditableItem | undefined {
  const row = db
    .select({
      ...stateColumns,
      originalName: assets.originalName,
      kind: assets.kind,
      thumbBlobId: assets.thumbBlobId,
      thumbhash: assets.thumbhash,
      width: assets.width,
      height: assets.height,
      flag: assets.flag,
      takenAt: assets.takenAt,
      tzOffsetMinutes: assets.tzOffsetMinutes,
      takenAtSource: assets.takenAtSource,
      description: assetMetadata.description,
      latitude: assetMetadata.latitude,
      longitude: assetMetadata.longitude,
      orientation: assetMetadata.orientation,
    })
    .from(assets)
    .leftJoin(assetMetadata, eq(assetMetadata.assetId, assets.id))
    .where(eq(assets.id, id))
    .get();
  return row ? { ...row, takenAt: row.takenAt.getTime() } : undefined;
}

/** Writes changed fields to assets and asset_metadata (creating the metadata row if an old import lacks one). */
export function writeFields(tx: Tx, id: number, fields: Partial<EditableFields>): void {
  const onAsset: Partial<typeof assets.$inferInsert> = {};
  if (fields.takenAt !== undefined) onAsset.takenAt = new Date(fields.takenAt);
  if (fields.tzOffsetMinutes !== undefined) onAsset.tzOffsetMinutes = fields.tzOffsetMinutes;
  if (fields.takenAtSource !== undefined) onAsset.takenAtSource = fields.takenAtSource;
  if (Object.keys(onAsset).length) tx.update(assets).set(onAsset).where(eq(assets.id, id)).run();

  const onMeta: Partial<typeof assetMetadata.$inferInsert> = {};
  if (fields.description !== undefined) onMeta.description = fields.description;
  if (fields.latitude !== undefined) onMeta.latitude = fields.latitude;
  if (fields.longitude !== undefined) onMeta.longitude = fields.longitude;
  if (fields.orientation !== undefined) onMeta.orientation = fields.orientation;
  if (Object.keys(onMeta).length) {
    tx.insert(assetMetadata).values({ assetId: id, ...onMeta }).onConflictDoUpdate({ target: assetMetadata.assetId, set: onMeta }).run();
  }
}

export function insertVersion(tx: Tx, v: { assetId: number; editedBy: number; editedAt: Date; previous: Partial<EditableFields>; next: Partial<EditableFields> }): number {
  return tx
    .insert(assetVersions)
    .values({ assetId: v.assetId, editedBy: v.editedBy, editedAt: v.editedAt, previous: JSON.stringify(v.previous), next: JSON.stringify(v.next) })
    .returning({ id: assetVersions.id })
    .get().id;
}

export type VersionRow = AssetVersion & { editorName: string | null };

/** An item's versions, newest first, with who made each. */
export function listVersions(db: Db, assetId: number): VersionRow[] {
  return db
    .select({
      id: assetVersions.id,
      assetId: assetVersions.assetId,
      editedAt: assetVersions.editedAt,
      editedBy: assetVersions.editedBy,
      previous: assetVersions.previous,
      next: assetVersions.next,
      editorName: users.displayName,
    })
    .from(assetVersions)
    .leftJoin(users, eq(users.id, assetVersions.editedBy))
    .where(eq(assetVersions.assetId, assetId))
    .orderBy(desc(assetVersions.id))
    .all();
}

export function findVersion(db: Db, assetId: number, versionId: number): AssetVersion | undefined {
  return db
    .select()
    .from(assetVersions)
    .where(and(eq(assetVersions.assetId, assetId), eq(assetVersions.id, versionId)))
    .get();
}

/** The newest version's id (0 when never edited): an edit form carries it to notice edits made elsewhere meanwhile. */
export function latestVersionId(db: Db | Tx, assetId: number): number {
  return (
    db
      .select({ id: assetVersions.id })
      .from(assetVersions)
      .where(eq(assetVersions.assetId, assetId))
      .orderBy(desc(assetVersions.id))
      .limit(1)
      .get()?.id ?? 0
  );
}

/** A tile in a grid: the timeline's lean columns plus what the collection pages show. */
export type GridItem = Pick<Asset, 'id' | 'kind' | 'takenAt' | 'tzOffsetMinutes' | 'width' | 'height' | 'thumbBlobId' | 'thumbhash' | 'flag' | 'originalName' | 'favorite' | 'archivedAt' | 'trashedAt'> &
  Pick<TimelineItem, 'motion'>;

export const gridColumns = {
  ...timelineColumns,
  archivedAt: assets.archivedAt,
  trashedAt: assets.trashedAt,
};

export type CollectionKind = 'trash' | 'archive' | 'favorites';

/** Where the next page starts: the sort key and id of the last tile shown. */
export interface CollectionCursor {
  at: number;
  id: number;
}

/**
 * One page of a collection, keyset-paginated (never OFFSET). The trash is ordered by when things were
 * trashed (newest first, on the assets_trashed index); archive and favourites by when they were taken.
 */
export function listCollection(db: Db, ownerId: number, kind: CollectionKind, limit: number, after?: CollectionCursor): GridItem[] {
  const key = kind === 'trash' ? assets.trashedAt : assets.takenAt;
  const filter =
    kind === 'trash'
      ? isNotNull(assets.trashedAt)
      : kind === 'archive'
        ? and(isNotNull(assets.archivedAt), isNull(assets.trashedAt))
        : and(eq(assets.favorite, true), isNull(assets.trashedAt));
  const at = after ? new Date(after.at) : undefined;
  const before = after && at ? or(lt(key, at), and(eq(key, at), lt(assets.id, after.id))) : undefined;
  // The trash has its own index. Favourites and archive have none: walking the owner's (owner_id, taken_at)
  // index would read every row of theirs at random to find the few that qualify (0.6 s at 100k items, measured),
  // while one sequential pass over the table and a sort of the matches takes a fifth of that. The unary +
  // keeps SQLite from using the index for owner_id (partial indexes for these two would be better still).
  const owner = kind === 'trash' ? eq(assets.ownerId, ownerId) : sql`+${assets.ownerId} = ${ownerId}`;
  return db
    .select(gridColumns)
    .from(assets)
    .where(and(owner, filter, before))
    .orderBy(desc(key), desc(assets.id))
    .limit(limit)
    .all();
}

export function findGridItem(db: Db, id: number): (GridItem & { ownerId: number }) | undefined {
  return db
    .select({ ...gridColumns, ownerId: assets.ownerId })
    .from(assets)
    .where(eq(assets.id, id))
    .get();
}

/** The ids of an owner's items trashed before `before` (all of them when `before` is omitted). */
export function trashedIds(db: Db, ownerId: number | undefined, before?: Date): number[] {
  return db
    .select({ id: assets.id })
    .from(assets)
    .where(and(isNotNull(assets.trashedAt), ownerId === undefined ? undefined : eq(assets.ownerId, ownerId), before ? lt(assets.trashedAt, before) : undefined))
    .all()
    .map((r) => r.id);
}

export function countTrashed(db: Db, ownerId: number): number {
  return db
    .select({ n: sql<number>`count(*)` })
    .from(assets)
    .where(and(eq(assets.ownerId, ownerId), isNotNull(assets.trashedAt)))
    .get()!.n;
}
