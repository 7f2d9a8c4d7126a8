import { z } from 'zod';
import { authorize } from '../auth/access.js';
import type { Actor } from '../auth/actor.js';
import type { Db } from '../db/client.js';
import { AccessError, UserError } from '../errors.js';
import { findItemState, findOwnItemStates, listCollection, setArchived, setFavorite, setTrashed, type CollectionCursor, type CollectionKind, type GridItem, type ItemState } from './organise.repo.js';

export const TRASHED_MESSAGE = 'This photo was moved to the trash (on another device?)';

/** The item is in the trash, so it cannot be favourited, archived or edited (answered with 410 Gone). */
export class ItemTrashedError extends UserError {
  constructor(message = TRASHED_MESSAGE) {
    super(message, 'trashed');
    this.name = 'ItemTrashedError';
  }
}

const needValue = () => new UserError('Say value=1 (on) or value=0 (off).', 'invalid');

export const bulkActions = ['favorite', 'unfavorite', 'archive', 'unarchive', 'trash', 'restore'] as const;
export type BulkAction = (typeof bulkActions)[number];

/** Most items one bulk request may name: a few pages of a grid. */
export const MAX_BULK = 5000;

const idSchema = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** ids as a form sends them: repeated fields, comma-separated, or both. */
export function parseIds(raw: unknown): number[] | undefined {
  const parts = (Array.isArray(raw) ? raw : [raw])
    .filter((v): v is string => typeof v === 'string')
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  if (parts.length > MAX_BULK) return undefined;
  const ids = new Set<number>();
  for (const p of parts) {
    if (!/^\d{1,15}$/.test(p)) return undefined;
    const parsed = idSchema.safeParse(p);
    if (!parsed.success) return undefined;
    ids.add(parsed.data);
  }
  return [...ids];
}

export interface BulkResult {
  action: BulkAction;
  /** Items the action changed (or that already were as asked). */
  done: number;
  /** Items that are in the trash, so favouriting or archiving skipped them. */
  inTrash: number;
  /** Ids that name nothing of the actor's: deleted meanwhile, or never theirs. */
  missing: number;
  /** The ids left alone (in the trash, or missing), so a page can take them off its grid. */
  skipped: number[];
}

/**
 * Favourites, archive and trash: the flags on an item, one or many at a time. Every write states
 * 'change-item' for the item's owner; an item someone else owns is answered like one that does not exist.
 */
export class OrganiseService {
  constructor(private readonly deps: { db: Db }) {}

  /** Loads an item for a change: 401 without a signed-in actor, 404 when missing or not theirs, 403 for a viewer. */
  private forChange(actor: Actor | undefined, id: number): ItemState & { actor: Actor } {
    authorize(actor, { do: 'browse' });
    const item = findItemState(this.deps.db, id);
    if (!item) throw new AccessError(404, 'There is no such item: it may have been deleted for good.');
    authorize(actor, { do: 'change-item', ownerId: item.ownerId });
    return { ...item, actor };
  }

  /** `value` undefined (a form without it) is refused after the access check, so a stranger learns nothing. */
  favorite(actor: Actor | undefined, id: number, value: boolean | undefined): void {
    const item = this.forChange(actor, id);
    if (value === undefined) throw needValue();
    if (item.trashedAt) throw new ItemTrashedError();
    if (item.favorite !== value) setFavorite(this.deps.db, [id], value);
  }

  archive(actor: Actor | undefined, id: number, value: boolean | undefined, now = new Date()): void {
    const item = this.forChange(actor, id);
    if (value === undefined) throw needValue();
    if (item.trashedAt) throw new ItemTrashedError();
    if (Boolean(item.archivedAt) !== value) setArchived(this.deps.db, [id], value ? now : null);
  }

  /** Moves an item to the trash; one already there stays as it is (its 30 days do not restart). */
  trash(actor: Actor | undefined, id: number, now = new Date()): void {
    const item = this.forChange(actor, id);
    if (!item.trashedAt) setTrashed(this.deps.db, [id], now);
  }

  restore(actor: Actor | undefined, id: number): void {
    const item = this.forChange(actor, id);
    if (item.trashedAt) setTrashed(this.deps.db, [id], null);
  }

  /** One page of the actor's trash, archive or favourites, and whether more follow. */
  collection(actor: Actor | undefined, kind: CollectionKind, limit: number, after?: CollectionCursor): { items: GridItem[]; more: boolean } {
    authorize(actor, { do: 'browse' });
    const rows = listCollection(this.deps.db, actor.user.id, kind, limit + 1, after);
    return { items: rows.slice(0, limit), more: rows.length > limit };
  }

  /** One action over many of the actor's items; ids that are not theirs (or gone) are counted, not fatal. */
  bulk(actor: Actor | undefined, action: BulkAction | undefined, ids: number[] | undefined, now = new Date()): BulkResult {
    authorize(actor, { do: 'browse' });
    authorize(actor, { do: 'change-item', ownerId: actor.user.id });
    if (!action) throw new UserError(`Choose what to do with the selection: ${bulkActions.join(', ')}.`, 'invalid');
    if (!ids) throw new UserError(`The selection could not be read: ids are numbers, at most ${MAX_BULK} at a time.`, 'invalid');
    if (ids.length === 0) throw new UserError('Select at least one photo first.', 'invalid');
    const found = findOwnItemStates(this.deps.db, actor.user.id, ids);
    const missing = ids.length - found.length;
    if (found.length === 0) throw new AccessError(404, ids.length === 1 ? 'There is no such item: it may have been deleted for good.' : 'None of these items exist any more: they may have been deleted for good.');
    const live = found.filter((i) => !i.trashedAt);
    const inTrash = found.length - live.length;
    const idsOf = (items: ItemState[]) => items.map((i) => i.id);
    const db = this.deps.db;
    db.transaction((tx) => {
      switch (action) {
        case 'favorite':
        case 'unfavorite':
          setFavorite(tx, idsOf(live.filter((i) => i.favorite !== (action === 'favorite'))), action === 'favorite');
          break;
        case 'archive':
          setArchived(tx, idsOf(live.filter((i) => !i.archivedAt)), now);
          break;
        case 'unarchive':
          setArchived(tx, idsOf(live.filter((i) => i.archivedAt)), null);
          break;
        case 'trash':
          setTrashed(tx, idsOf(live), now);
          break;
        case 'restore':
          setTrashed(tx, idsOf(found.filter((i) => i.trashedAt)), null);
          break;
      }
    });
    const touchesTrash = action === 'trash' || action === 'restore';
    const done = new Set(idsOf(touchesTrash ? found : live));
    return { action, done: done.size, inTrash: touchesTrash ? 0 : inTrash, missing, skipped: ids.filter((id) => !done.has(id)) };
  }
}
