import type { Db } from '../db/client.js';
import type { BlobStore } from '../vault/blob-store.js';
import type { Keyring } from '../vault/keyring.js';
import { findByDerivedBlob, listTimeline, type TimelineCursor, type TimelineItem } from './assets.repo.js';

/** Image types a derived blob may be served as; anything else is refused rather than sniffed by the browser. */
const SERVABLE: { mime: string; magic: (b: Buffer) => boolean }[] = [
  { mime: 'image/webp', magic: (b) => b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP' },
  { mime: 'image/jpeg', magic: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
];

export class LibraryService {
  constructor(private readonly deps: { db: Db; store: BlobStore; keyring: Keyring }) {}

  /** Until accounts exist every item is the household's; the scope narrows it to one owner. */
  timeline(scope: { ownerId?: number }, limit: number, after?: TimelineCursor): { items: TimelineItem[]; more: boolean } {
    const rows = listTimeline(this.deps.db, scope, limit + 1, after);
    return { items: rows.slice(0, limit), more: rows.length > limit };
  }

  /** A thumbnail or preview, decrypted; undefined when no asset has it (or it is not an image we serve). */
  async derivedImage(blobId: string): Promise<{ bytes: Buffer; mime: string } | undefined> {
    if (!findByDerivedBlob(this.deps.db, blobId)) return undefined;
    const blob = await this.deps.store.open(blobId, this.deps.keyring);
    try {
      const bytes = await blob.readAll();
      const type = SERVABLE.find((t) => t.magic(bytes));
      return type ? { bytes, mime: type.mime } : undefined;
    } finally {
      await blob.close();
    }
  }
}
