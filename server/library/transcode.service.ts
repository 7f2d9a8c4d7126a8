import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { TranscodeConfig } from '../config.js';
import type { Db } from '../db/client.js';
import { diskFull, UserError } from '../errors.js';
import type { JobProgress } from '../jobs/handler.js';
import type { JobQueue } from '../jobs/queue.js';
import type { Logger } from '../log.js';
import { withScratch } from '../media/scratch.js';
import { describeSettings, transcodeVideo } from '../media/transcode.js';
import { isBrowserPlayable, probeVideo, type VideoProbe } from '../media/video-probe.js';
import type { BlobStore } from '../vault/blob-store.js';
import { serveBlob } from '../vault/blob-url.js';
import { blobRow, insertBlobs, stageBlobs, unstageBlobs } from '../vault/blobs.repo.js';
import type { Keyring } from '../vault/keyring.js';
import { findMotion } from './motion.repo.js';
import {
  clearUnplayable,
  findTranscodeSource,
  findVideo,
  flagUnplayable,
  insertVideo,
  pendingTranscodes,
  updateTranscode,
  videosWithoutProbe,
  type NewAssetVideo,
  type TranscodeChanges,
  type TranscodePart,
  type TranscodeTarget,
} from './transcode.repo.js';

export const TRANSCODE_JOB = 'transcode';
export const VIDEO_BACKFILL_JOB = 'video-backfill';

/** One transcode per video or motion part may be queued or running at a time. */
export function transcodeKey(assetId: number, part: TranscodePart = 'video'): string {
  return part === 'video' ? `transcode:${assetId}` : `transcode:${assetId}:motion`;
}

/** The job's payload; without a part it is the item's video (as queued before motion parts had copies). */
export interface TranscodePayload {
  assetId: number;
  part?: TranscodePart;
}

export type VideoValues = Omit<NewAssetVideo, 'assetId'>;

/** What the asset_video row records of a probe: playable originals need nothing, the others a web copy. */
export function videoValues(probe: VideoProbe): VideoValues {
  const playable = isBrowserPlayable(probe);
  const { container, videoCodec, audioCodec, pixelFormat, bitDepth, fps, rotation, hdr, bitRate } = probe;
  return { container, videoCodec, audioCodec, pixelFormat, bitDepth, fps, rotation, hdr, bitRate, playable, transcodeState: playable ? null : 'pending' };
}

/** The row for a video ffprobe could not read: nothing to transcode from, and the reason why. */
function unreadableValues(err: unknown): VideoValues {
  return { playable: false, transcodeState: 'failed', transcodeError: err instanceof Error ? err.message : String(err) };
}

/** A video's asset_video row from its probe; never throws (an unreadable video gets a 'failed' row). */
export function videoRecord(probe: Promise<VideoProbe>): Promise<VideoValues> {
  return probe.then(videoValues, unreadableValues);
}

export interface TranscodeDeps {
  db: Db;
  store: BlobStore;
  keyring: Keyring;
  log: Logger;
  settings: TranscodeConfig;
  queue: Pick<JobQueue, 'enqueue'>;
}

interface RunOptions {
  signal: AbortSignal;
  progress(p: JobProgress): void;
}

/**
 * Web copies of videos, and of the motion of Live Photos and motion photos, that a browser cannot play as
 * they are. The original is only ever read, through a decrypting loopback URL (an embedded motion video as
 * its window of the photo); the copy is made in the scratch dir and sealed into the vault as a 'transcode'
 * blob. A failure is recorded on the video or motion part (ffmpeg's own words); a video's is also flagged
 * on the item for its owner, while a photo whose motion could not be copied goes on sending it as taken.
 */
export class TranscodeService {
  constructor(private readonly deps: TranscodeDeps) {}

  /** Queues the web copy of a video or motion part (once: a queued or running one is not doubled). */
  queue(assetId: number, part: TranscodePart = 'video'): void {
    const payload: TranscodePayload = part === 'video' ? { assetId } : { assetId, part };
    this.deps.queue.enqueue({ kind: TRANSCODE_JOB, payload, dedupeKey: transcodeKey(assetId, part), maxAttempts: 3 });
  }

  /** After an item is stored: its video's web copy when it needs one, and a look at its motion part. */
  stored(item: { assetId: number; needsTranscode: boolean }): void {
    if (item.needsTranscode) this.queue(item.assetId);
    if (findMotion(this.deps.db, item.assetId)?.transcodeState === 'pending') this.queue(item.assetId, 'motion');
  }

  /** Makes the web copy; a motion part is probed first, and needs nothing more when a browser plays it. */
  async transcode(target: TranscodeTarget, opts: RunOptions): Promise<void> {
    const { db, store, keyring, settings } = this.deps;
    const source = findTranscodeSource(db, target);
    // Deleted or folded into a Live Photo meanwhile, already made, or not needed: nothing left to do.
    if (!source || (source.state !== 'pending' && source.state !== 'failed')) return;
    const lent = await serveBlob(await store.open(source.blobId, keyring), source.window);
    try {
      const probe = await probeVideo(lent.url);
      if (target.part === 'motion') {
        const playable = isBrowserPlayable(probe);
        updateTranscode(db, target, playable ? { playable, transcodeState: null, transcodeError: null } : { playable });
        if (playable) return;
      }
      if (probe.durationS !== null && probe.durationS > settings.maxSeconds) {
        const reason = `it is ${length(probe.durationS)} long, over the ${length(settings.maxSeconds)} limit for web copies (HEIRLOOM_TRANSCODE_MAX_HOURS); download the original to watch it`;
        this.record(target, { transcodeState: 'skipped', transcodeError: reason }, `No copy that plays in the browser: ${reason}.`);
        return;
      }
      await withScratch(async (scratch) => {
        const out = path.join(await scratch(), 'web.mp4');
        await transcodeVideo(lent.url, probe, out, {
          ...settings,
          stallMs: settings.stallSeconds * 1000,
          signal: opts.signal,
          onProgress: (p) => opts.progress({ done: Math.floor(p.doneS), total: p.totalS ? Math.ceil(p.totalS) : undefined, unit: 'seconds', note: progressNote(p.fps, p.etaS) }),
        });
        await this.seal(target, out);
      });
    } catch (err) {
      if (opts.signal.aborted) throw err;
      // Its item went (deleted for good, or a MOV folded into its Live Photo): no copy is wanted any more.
      if (!findTranscodeSource(db, target)) return;
      const known = err instanceof UserError ? err : diskFull(err);
      // Anything else may be retried, and its message is for the admin's job list, not the owner.
      const reason = known ? known.message : 'the server could not finish it (Admin → Jobs says why)';
      this.record(target, { transcodeState: 'failed', transcodeError: reason }, `No copy that plays in the browser could be made: ${reason}.`);
      throw err;
    } finally {
      await lent.close();
    }
  }

  /** Records why there is no web copy; a video item is also flagged for its owner. */
  private record(target: TranscodeTarget, changes: TranscodeChanges, flagReason: string): void {
    this.deps.db.transaction((tx) => {
      updateTranscode(tx, target, changes);
      if (target.part === 'video') flagUnplayable(tx, target.assetId, flagReason);
    });
  }

  /**
   * Videos stored before probing existed get their asset_video row, and every video or motion part still
   * waiting for a web copy is queued (after a restart, a cancel, a restore or a damaged copy found by the
   * scrub; motion parts stored before they had copies are all waiting for a first look).
   */
  async backfill(opts: RunOptions): Promise<{ probed: number; queued: number }> {
    const { db, store, keyring, log } = this.deps;
    let probed = 0;
    for (;;) {
      const batch = videosWithoutProbe(db, 50);
      if (batch.length === 0) break;
      for (const video of batch) {
        opts.signal.throwIfAborted();
        const lent = await serveBlob(await store.open(video.originalBlobId, keyring));
        const values = await videoRecord(probeVideo(lent.url)).finally(() => lent.close());
        db.transaction((tx) => {
          if (findVideo(tx, video.id)) return;
          insertVideo(tx, { ...values, assetId: video.id });
          if (values.transcodeState === 'failed') flagUnplayable(tx, video.id, `Not a readable video: ${values.transcodeError ?? 'ffprobe failed'}.`);
        });
        probed++;
        opts.progress({ done: probed, unit: 'videos', note: 'reading older videos' });
      }
    }
    const pending = pendingTranscodes(db);
    for (const { assetId, part } of pending) this.queue(assetId, part);
    if (probed || pending.length) log.info({ probed, queued: pending.length }, 'videos probed and web copies queued');
    return { probed, queued: pending.length };
  }

  /** Moves the finished copy into the vault and records it, in the same steps as an upload. */
  private async seal(target: TranscodeTarget, file: string): Promise<void> {
    const { db, store, keyring, settings } = this.deps;
    const { tmpPath, sealed } = await store.writeTemp(keyring, createReadStream(file));
    const id = sealed.blobId;
    try {
      stageBlobs(db, [id]);
    } catch (err) {
      await store.discard(tmpPath);
      throw diskFull(err) ?? err;
    }
    let recorded = false;
    try {
      await store.commit(tmpPath, id);
      recorded = db.transaction((tx) => {
        unstageBlobs(tx, [id]);
        // The item may have been deleted for good, or folded into a Live Photo, while its copy was being made.
        if (!findTranscodeSource(tx, target)) return false;
        insertBlobs(tx, [blobRow(sealed, 'transcode')]);
        updateTranscode(tx, target, { transcodeState: 'done', transcodeBlobId: id, transcodeSettings: describeSettings(settings), transcodeError: null });
        if (target.part === 'video') clearUnplayable(tx, target.assetId);
        return true;
      });
    } finally {
      if (!recorded) {
        await store.remove(id);
        unstageBlobs(db, [id]);
      }
    }
  }
}

function progressNote(fps: number | null, etaS: number | null): string | undefined {
  const parts = [fps ? `${Math.round(fps)} fps` : undefined, etaS !== null ? `ETA ${clock(etaS)}` : undefined].filter(Boolean);
  return parts.length ? parts.join(' · ') : undefined;
}

/** 70 → '1:10', 3725 → '1:02:05'. */
function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const mm = h ? String(m).padStart(2, '0') : String(m);
  return `${h ? `${h}:` : ''}${mm}:${String(sec).padStart(2, '0')}`;
}

/** 36000 → '10 h', 5400 → '1.5 h', 300 → '5 min', 8 → '8 s'. */
function length(seconds: number): string {
  if (seconds >= 3600) return `${Number((seconds / 3600).toFixed(1))} h`;
  if (seconds >= 60) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds)} s`;
}
