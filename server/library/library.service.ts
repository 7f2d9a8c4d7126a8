import { authorize } from '../auth/access.js';
import type { Actor } from '../auth/actor.js';
import type { Db } from '../db/client.js';
import { AccessError } from '../errors.js';
import type { BlobStore } from '../vault/blob-store.js';
import type { Keyring } from '../vault/keyring.js';
import { findByDerivedBlob, listTimeline, type TimelineCursor, type TimelineItem } from './assets.repo.js';

/** Image types a derived blob may be served as. */
const SERVABLE: { mime: string; magic: (b: Buffer) => boolean }[] = [
  { mime: 'image/webp', magic: (b) => b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP' },
  { mime: 'image/jpeg', magic: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
];

export class LibraryService {
  constructor(private readonly deps: { db: Db; store: BlobStore; keyring: Keyring }) {}

  /** The actor's own items, newest first. (Items shared with them join here with family sharing.) */
  timeline(actor: Actor | undefined, limit: number, after?: TimelineCursor): { items: TimelineItem[]; more: boolean } {
    authorize(actor, { do: 'browse' });
    const rows = listTimeline(this.deps.db, { ownerId: actor.user.id }, limit + 1, after);
    return { items: rows.slice(0, limit), more: rows.length > limit };
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
