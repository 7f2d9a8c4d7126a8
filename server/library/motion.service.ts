import path from 'node:path';
import type { Actor } from '../auth/actor.js';
import type { Db, Tx } from '../db/client.js';
import type { RangedBody } from '../http/ranged-response.js';
import type { Logger } from '../log.js';
import { type FileType, isHeif } from '../media/detect.js';
import type { MediaMetadata, MediaSource } from '../media/metadata.js';
import { type EmbeddedVideo, findEmbeddedVideo } from '../media/motion-photo.js';
import type { BlobStore } from '../vault/blob-store.js';
import type { Keyring } from '../vault/keyring.js';
import type { NewAsset } from './assets.table.js';
import { openBlobBody } from './blob-body.js';
import { DownloadError, readableItem } from './download.service.js';
import { findDownloadAsset } from './download.repo.js';
import { findMotion, findPairCandidates, foldVideoIntoStill, insertMotion, type PairCandidate } from './motion.repo.js';

/** A Live Photo's still and MOV are taken within this much of each other (the MOV starts about 1.5 s before). */
const PAIR_WINDOW_MS = 5_000;
/** When one half's time zone is unknown, its instant may be off by a whole zone: look this far either side. */
const ZONE_SLACK_MS = 15 * 3_600_000;
const STILL_MIMES = new Set(['image/jpeg']);
/** Types the motion is sent as when played: a browser plays a QuickTime file sent as MP4 (the same ISO container). */
const PLAYABLE = new Set(['video/mp4', 'video/quicktime']);

/** What ingest learnt about a file's moving part before storing it. */
export interface MotionClues {
  /** A motion photo's own video, found inside the file. */
  embedded?: EmbeddedVideo;
  /** Which half of a possible Live Photo the file is, and what pairs it. */
  live?: { half: 'still' | 'video'; contentId: string | null; stem: string; folder: string | null };
}

/** The motion of an item, ready to send. */
export interface MotionFile {
  etag: string;
  contentType: string;
  name: string;
  open(): Promise<RangedBody>;
}

/**
 * Live Photos and motion photos are one item: the still, with its moving part in asset_motion. A Live Photo's
 * halves arrive as two files in any order; they pair by ContentIdentifier, else by the same folder and base
 * name taken within a few seconds. Whichever half is stored second completes the pair, inside the same
 * transaction that stores it, so two halves ingested at once still find each other.
 */
export class MotionService {
  constructor(private readonly deps: { db: Db; store: BlobStore; keyring: Keyring; log: Logger }) {}

  /** Reads what pairs a file, and a motion photo's embedded video. Never throws: a file without either just has none. */
  async clues(file: { originalName: string; sourcePath?: string }, type: FileType, meta: MediaMetadata, source: MediaSource): Promise<MotionClues> {
    const still = STILL_MIMES.has(type.mime) || isHeif(type);
    const half = still ? 'still' : type.mime === 'video/quicktime' ? 'video' : undefined;
    if (!half) return {};
    if (still && !('url' in source)) {
      const embedded = await findEmbeddedVideo(source).catch((err: unknown) => {
        this.deps.log.warn({ err, file: file.originalName }, 'could not look for a motion photo video');
        return undefined;
      });
      if (embedded) return { embedded };
    }
    return { live: { half, contentId: meta.contentId, stem: stemOf(file.originalName), folder: folderOf(file.sourcePath ?? null) } };
  }

  /** Inside ingest's transaction, for a MOV: the still it is the motion of, when that still is stored already. */
  stillFor(tx: Tx, mov: NewAsset, clues: MotionClues): number | undefined {
    return clues.live?.half === 'video' ? this.partner(tx, mov, clues.live, 'still')?.id : undefined;
  }

  /** Records a MOV (its original blob, already inserted) as the still's motion. */
  attach(tx: Tx, stillId: number, mov: NewAsset): void {
    const { originalBlobId: blobId, sha256, originalName, fileSize, mime, durationMs } = mov;
    insertMotion(tx, { assetId: stillId, source: 'live', blobId, sha256, originalName, fileSize, mime, durationMs });
  }

  /**
   * Inside ingest's transaction, after a photo's row went in: records its embedded video, or folds in its MOV
   * when that came first. Returns blobs nothing uses any more (the MOV item's thumbnail and preview), to remove.
   */
  settlePhoto(tx: Tx, id: number, photo: NewAsset, clues: MotionClues): string[] {
    if (clues.embedded) {
      const { offset, length, mime, durationMs } = clues.embedded;
      insertMotion(tx, { assetId: id, source: 'embedded', offset, length, mime, durationMs });
      return [];
    }
    if (clues.live?.half !== 'still') return [];
    const video = this.partner(tx, photo, clues.live, 'video');
    return video ? foldVideoIntoStill(tx, video.id, id) : [];
  }

  /**
   * The actor's item's motion (404 when it has none or is not theirs, 410 in the trash): its web copy once
   * made, else the MOV or embedded video itself; a download is always the part as it was taken.
   */
  motion(actor: Actor | undefined, id: number, opts: { download?: boolean } = {}): MotionFile {
    const asset = readableItem(actor, () => findDownloadAsset(this.deps.db, id), 'play');
    const motion = findMotion(this.deps.db, id);
    if (!motion) throw new DownloadError(404, `${asset.originalName} has no motion to play.`);
    const webCopy = !opts.download && motion.transcodeState === 'done' ? motion.transcodeBlobId : null;
    if (webCopy) return { etag: `"${webCopy}"`, contentType: 'video/mp4', name: `${baseName(asset.originalName)}.mp4`, open: () => openBlobBody(this.deps, webCopy) };
    if (!PLAYABLE.has(motion.mime)) throw new DownloadError(404, `${asset.originalName} has no motion to play.`);
    const contentType = opts.download ? motion.mime : 'video/mp4';
    if (motion.source === 'live' && motion.blobId) {
      const blobId = motion.blobId;
      return { etag: `"${blobId}"`, contentType, name: motion.originalName ?? `${baseName(asset.originalName)}.mov`, open: () => openBlobBody(this.deps, blobId) };
    }
    const { offset, length } = motion;
    if (offset === null || length === null) throw new DownloadError(404, `${asset.originalName} has no motion to play.`);
    return {
      etag: `"${asset.originalBlobId}-${offset}"`,
      contentType,
      name: `${baseName(asset.originalName)}.mp4`,
      open: async () => slice(await openBlobBody(this.deps, asset.originalBlobId), offset, length),
    };
  }

  private partner(tx: Tx, item: NewAsset, live: NonNullable<MotionClues['live']>, want: 'still' | 'video'): PairCandidate | undefined {
    const at = item.takenAt instanceof Date ? item.takenAt : new Date(item.takenAt);
    const candidates = findPairCandidates(tx, {
      ownerId: item.ownerId,
      want,
      contentId: live.contentId,
      stem: live.stem,
      from: new Date(at.getTime() - ZONE_SLACK_MS),
      to: new Date(at.getTime() + ZONE_SLACK_MS),
    });
    const here = { takenAt: at, tzOffsetMinutes: item.tzOffsetMinutes ?? null };
    return candidates.find((c) => {
      if (live.contentId && c.contentId) return live.contentId === c.contentId;
      return stemOf(c.originalName) === live.stem && folderOf(c.sourcePath) === live.folder && closeInTime(here, c);
    });
  }
}

/** The embedded video of a motion photo: bytes offset … offset+length−1 of its original, read as a file of its own. */
function slice(body: RangedBody, offset: number, length: number): RangedBody {
  if (offset + length > body.size) {
    void body.close();
    throw new DownloadError(404, 'The motion video lies outside the stored photo.');
  }
  return {
    size: length,
    close: body.close,
    read: (range) => body.read({ start: offset + (range?.start ?? 0), end: offset + (range?.end ?? length - 1) }),
  };
}

/** A file name without its folder and extension: IMG_0001 of DCIM/IMG_0001.HEIC. */
function baseName(name: string): string {
  const base = path.posix.basename(name.replaceAll('\\', '/'));
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/** The base name as pairing compares it: phones and copies disagree on case (IMG_0001.HEIC, img_0001.mov). */
function stemOf(name: string): string {
  return baseName(name).toLowerCase();
}

function folderOf(sourcePath: string | null): string | null {
  if (!sourcePath) return null;
  const dir = path.posix.dirname(sourcePath.replaceAll('\\', '/'));
  return dir === '.' ? null : dir;
}

/** Instants when both zones are known; otherwise the wall clocks (a camera without a zone recorded its local time). */
function closeInTime(a: { takenAt: Date; tzOffsetMinutes: number | null }, b: { takenAt: Date; tzOffsetMinutes: number | null }): boolean {
  if (Math.abs(a.takenAt.getTime() - b.takenAt.getTime()) <= PAIR_WINDOW_MS) return true;
  if (a.tzOffsetMinutes !== null && b.tzOffsetMinutes !== null) return false;
  const wall = (x: typeof a) => x.takenAt.getTime() + (x.tzOffsetMinutes ?? 0) * 60_000;
  return Math.abs(wall(a) - wall(b)) <= PAIR_WINDOW_MS;
}
