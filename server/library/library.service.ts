import { authorize } from '../auth/access.js';
import type { Actor } from '../auth/actor.js';
import type { Db } from '../db/client.js';
import { AccessError } from '../errors.js';
import type { BlobStore } from '../vault/blob-store.js';
import type { Keyring } from '../vault/keyring.js';
import {
  findAssetForViewer,
  findByDerivedBlob,
  listTimeline,
  listTimelineNewer,
  timelineMonths,
  timelineNeighbour,
  type TimelineCursor,
  type TimelineItem,
  type TimelineNeighbour,
  type ViewerAsset,
} from './assets.repo.js';

/** Image types a derived blob may be served as. */
const SERVABLE: { mime: string; magic: (b: Buffer) => boolean }[] = [
  { mime: 'image/webp', magic: (b) => b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP' },
  { mime: 'image/jpeg', magic: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
];

/** One page of the timeline, newest first, with the positions to load more from (when there are more). */
export interface TimelinePage {
  items: TimelineItem[];
  /** Load older items after this position (the last item shown). */
  older?: TimelineCursor;
  /** Load newer items before this position (the first item shown). */
  newer?: TimelineCursor;
}

/** Where a timeline page starts: the top, just older than a position, or just newer than one. */
export type TimelineStart = { after?: TimelineCursor } | { before: TimelineCursor };

export type ItemView =
  | { state: 'trashed' }
  | { state: 'shown'; asset: ViewerAsset; newer?: TimelineNeighbour; older?: TimelineNeighbour };

/** The most months the jump list reads: a century. */
const MONTHS_LIMIT = 1200;

export class LibraryService {
  constructor(private readonly deps: { db: Db; store: BlobStore; keyring: Keyring }) {}

  /** The actor's own items, newest first. (Items shared with them join here with family sharing.) */
  timeline(actor: Actor | undefined, limit: number, after?: TimelineCursor): { items: TimelineItem[]; more: boolean } {
    authorize(actor, { do: 'browse' });
    const rows = listTimeline(this.deps.db, { ownerId: actor.user.id }, limit + 1, after);
    return { items: rows.slice(0, limit), more: rows.length > limit };
  }

  /**
   * A page of the actor's timeline. Going down (after), it says whether newer items exist above the
   * first one only when asked (a page opened in the middle of the library); going up (before), the
   * items below are already on the page.
   */
  timelinePage(actor: Actor | undefined, start: TimelineStart, limit: number, opts: { checkNewer?: boolean } = {}): TimelinePage {
    authorize(actor, { do: 'browse' });
    const scope = { ownerId: actor.user.id };
    const cursor = (i: TimelineItem): TimelineCursor => ({ takenAt: i.takenAt, id: i.id });
    if ('before' in start) {
      const rows = listTimelineNewer(this.deps.db, scope, limit + 1, start.before);
      const items = rows.length > limit ? rows.slice(1) : rows;
      return { items, newer: rows.length > limit ? cursor(items[0]!) : undefined };
    }
    const rows = listTimeline(this.deps.db, scope, limit + 1, start.after);
    const items = rows.slice(0, limit);
    const page: TimelinePage = { items, older: rows.length > limit ? cursor(items.at(-1)!) : undefined };
    if (opts.checkNewer && start.after) {
      const top = items[0] ? cursor(items[0]) : start.after;
      if (timelineNeighbour(this.deps.db, actor.user.id, top, 'newer')) page.newer = top;
    }
    return page;
  }

  /** The months that hold items of the actor's timeline, newest first, for jumping to one. */
  months(actor: Actor | undefined): string[] {
    authorize(actor, { do: 'browse' });
    return timelineMonths(this.deps.db, actor.user.id, MONTHS_LIMIT);
  }

  /**
   * One item for the viewer, with its neighbours in timeline order. Another member's item and an
   * unknown id are the same 404; a trashed item of one's own says so.
   */
  item(actor: Actor | undefined, id: number): ItemView {
    authorize(actor, { do: 'browse' });
    const asset = findAssetForViewer(this.deps.db, id);
    if (!asset) throw new AccessError(404, 'There is no such item.');
    authorize(actor, { do: 'read-item', ownerId: asset.ownerId });
    if (asset.trashedAt) return { state: 'trashed' };
    const here = { takenAt: asset.takenAt, id: asset.id };
    return {
      state: 'shown',
      asset,
      newer: timelineNeighbour(this.deps.db, asset.ownerId, here, 'newer'),
      older: timelineNeighbour(this.deps.db, asset.ownerId, here, 'older'),
    };
  }

  /** A thumbnail or preview the actor may see, decrypted. 404 when no asset of theirs has it. */
  async derivedImage(actor: Actor | undefined, blobId: string): Promise<{ bytes: Buffer; mime: string }> {
    authorize(actor, { do: 'browse' });
    const asset = findByDerivedBlob(this.deps.db, blobId);
    if (!asset) throw new AccessError(404, 'There is no such image.');
    authorize(actor, { do: 'read-item', ownerId: asset.ownerId });
    const blob = await this.deps.store.open(blobId, this.deps.keyring);
    try {
      const bytes = await blob.readAll();
      const type = SERVABLE.find((t) => t.magic(bytes));
      // Anything but an allowlisted image type is refused rather than left to the browser to sniff.
      if (!type) throw new AccessError(404, 'There is no such image.');
      return { bytes, mime: type.mime };
    } finally {
      await blob.close();
    }
  }
}
