import { authorize, can } from '../auth/access.js';
import type { Actor } from '../auth/actor.js';
import type { Db } from '../db/client.js';
import { AccessError } from '../errors.js';
import type { RangedBody } from '../http/ranged-response.js';
import type { Logger } from '../log.js';
import { isMediaMime } from '../media/detect.js';
import type { BlobStore } from '../vault/blob-store.js';
import type { Keyring } from '../vault/keyring.js';
import { openBlobBody } from './blob-body.js';
import { findDownloadAsset, findDownloadAssets, listDayAssets, type DownloadAsset } from './download.repo.js';
import { findLiveMotions } from './motion.repo.js';
import { formatBytes } from '../format-bytes.js';
import { createZipStream, EntryNames, zipEntryName, type ZipOutput } from './zip-stream.js';

/**
 * How much one zip may hold, checked before a byte is sent. Mutable so that a test, or a deployment, can change them.
 * A zip is streamed (nothing is held whole), so the limits guard the time a download takes, not memory.
 */
export const downloadLimits = {
  maxItems: 10_000,
  maxBytes: 50 * 1000 ** 3,
};

/** A download refused with a status and a message a person can act on. */
export class DownloadError extends Error {
  constructor(
    readonly status: 404 | 409 | 410 | 413 | 422,
    message: string,
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

/**
 * The item an actor may read, as `find` returns it: 404 when it is missing or anyone else's (the same
 * answer, so that ids reveal nothing), 410 when it is in the trash (`toDo`: what restoring it lets them do).
 */
export function readableItem<T extends { ownerId: number; trashedAt: Date | null; originalName: string }>(actor: Actor | undefined, find: () => T | undefined, toDo: string): T {
  authorize(actor, { do: 'browse' });
  const asset = find();
  if (!asset) throw new AccessError(404, 'There is no such item.');
  authorize(actor, { do: 'read-item', ownerId: asset.ownerId });
  if (asset.trashedAt) throw new DownloadError(410, `${asset.originalName} is in the trash. Restore it first to ${toDo} it.`);
  return asset;
}

export interface Original {
  asset: DownloadAsset;
  /** Safe to send as Content-Type: from the allowlist, else application/octet-stream. */
  contentType: string;
  /** Whether a browser may show it in place (an allowlisted type); everything else is an attachment. */
  inline: boolean;
}

export interface ZipPlan {
  /** File name for the archive, e.g. "heirloom-2024-07-04.zip". */
  filename: string;
  entries: { asset: DownloadAsset; name: string }[];
  totalBytes: number;
}

/** Originals and zips of originals, decrypted as they stream; every item is checked against the one access rule. */
export class DownloadService {
  constructor(private readonly deps: { db: Db; store: BlobStore; keyring: Keyring; log: Logger }) {}

  /** The actor's own item (404 for anyone else's or one that is gone; 410 when it is in the trash). */
  original(actor: Actor | undefined, id: number): Original {
    const asset = readableItem(actor, () => findDownloadAsset(this.deps.db, id), 'download');
    // Anything but a recognised photo or video type goes out as an attachment.
    const inline = isMediaMime(asset.mime);
    return { asset, contentType: inline ? asset.mime : 'application/octet-stream', inline };
  }

  /** Opens the stored original for sending, whole or in ranges. */
  open(asset: DownloadAsset): Promise<RangedBody> {
    return openBlobBody(this.deps, asset.originalBlobId);
  }

  /** A zip of the items with these ids: every one must be the actor's; trashed ones are named, not skipped silently. */
  selection(actor: Actor | undefined, ids: number[]): ZipPlan {
    authorize(actor, { do: 'browse' });
    const unique = [...new Set(ids)];
    if (unique.length === 0) throw new DownloadError(422, 'Choose at least one item to download.');
    if (unique.length > downloadLimits.maxItems) throw new DownloadError(413, tooMany(unique.length));
    // Someone else's item is answered exactly like one that does not exist, so that ids reveal nothing.
    const rows = findDownloadAssets(this.deps.db, unique).filter((r) => can(actor, { do: 'read-item', ownerId: r.ownerId }));
    if (rows.length < unique.length) {
      const gone = unique.length - rows.length;
      throw new AccessError(404, `${count(gone, 'of the chosen items does', 'of the chosen items do')} not exist any more. Reload the page and choose again.`);
    }
    for (const row of rows) authorize(actor, { do: 'read-item', ownerId: row.ownerId });
    const trashed = rows.filter((r) => r.trashedAt);
    if (trashed.length > 0) {
      const names = trashed.slice(0, 5).map((r) => r.originalName).join(', ');
      throw new DownloadError(
        410,
        `${count(trashed.length, 'of the chosen items is', 'of the chosen items are')} in the trash (${names}${trashed.length > 5 ? ', …' : ''}), perhaps moved there from another device. Reload the page and choose again.`,
      );
    }
    rows.sort((a, b) => a.takenAt.getTime() - b.takenAt.getTime() || a.id - b.id);
    return this.plan(rows, `heirloom-${unique.length}-items-${isoDay(new Date())}.zip`);
  }

  /** A zip of the actor's items taken on `day` (YYYY-MM-DD, as the timeline groups them). */
  day(actor: Actor | undefined, day: string): ZipPlan {
    authorize(actor, { do: 'browse' });
    const start = parseDay(day);
    if (start === undefined) throw new DownloadError(404, `${day} is not a date: use YYYY-MM-DD.`);
    const rows = listDayAssets(this.deps.db, actor.user.id, start, downloadLimits.maxItems + 1);
    if (rows.length === 0) throw new DownloadError(404, `You have no photos or videos from ${longDay(start)}.`);
    if (rows.length > downloadLimits.maxItems) throw new DownloadError(413, tooMany(rows.length, true));
    for (const row of rows) authorize(actor, { do: 'read-item', ownerId: row.ownerId });
    return this.plan(rows, `heirloom-${day}.zip`);
  }

  /** Streams the plan's originals into a zip, one after another, each decrypted as it is read. */
  zip(plan: ZipPlan): ZipOutput {
    const output = createZipStream(
      plan.entries.map(({ asset, name }) => ({
        name,
        size: asset.fileSize,
        mtime: asset.fileMtime ?? asset.takenAt,
        open: async () => (await this.open(asset)).read(),
      })),
    );
    output.stream.once('error', (err) => this.deps.log.error({ err, file: plan.filename }, 'zip download broken off'));
    return output;
  }

  private plan(rows: DownloadAsset[], filename: string): ZipPlan {
    // A Live Photo's MOV goes beside its still, as the phone keeps them.
    const movs = new Map(findLiveMotions(this.deps.db, rows.map((r) => r.id)).map((m) => [m.assetId, m]));
    const files = rows.flatMap((r) => {
      const mov = movs.get(r.id);
      return mov ? [r, { ...r, originalBlobId: mov.blobId, originalName: mov.originalName, fileSize: mov.fileSize, mime: mov.mime }] : [r];
    });
    const totalBytes = files.reduce((sum, r) => sum + r.fileSize, 0);
    if (totalBytes > downloadLimits.maxBytes) {
      throw new DownloadError(
        413,
        `These ${rows.length} items come to ${formatBytes(totalBytes)}, more than the ${formatBytes(downloadLimits.maxBytes)} one download may hold. Choose fewer items, or download them in parts.`,
      );
    }
    const names = new EntryNames();
    const entries = files.map((asset) => ({ asset, name: names.take(zipEntryName(asset.originalName, `item-${asset.id}`)) }));
    return { filename, entries, totalBytes };
  }
}

/** Content-Disposition with the real name: an ASCII fallback plus the exact UTF-8 name (RFC 6266, RFC 8187 filename*). */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_') || 'download';
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** ms since 1970 of YYYY-MM-DD at 00:00 UTC, or undefined for anything that is not a real date. */
function parseDay(day: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return isoDay(new Date(ms)) === day ? ms : undefined;
}

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function longDay(ms: number): string {
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(ms);
}

function tooMany(n: number, isDay = false): string {
  const limit = downloadLimits.maxItems;
  const what = isDay ? `That day has more than ${limit} items,` : `You chose ${n} items,`;
  return `${what} more than the ${limit} one download may hold. Choose fewer items, or download them in parts.`;
}

function count(n: number, one: string, many: string): string {
  return n === 1 ? `1 ${one}` : `${n} ${many}`;
}
