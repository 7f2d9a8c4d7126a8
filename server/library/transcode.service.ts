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
import {
  clearUnplayable,
  findTranscodeSource,
  findVideo,
  flagUnplayable,
  insertVideo,
  pendingTranscodes,
  updateVideo,
  videosWithoutProbe,
  type NewAssetVideo,
} from './transcode.repo.js';

export const TRANSCODE_JOB = 'transcode';
export const VIDEO_BACKFILL_JOB = 'video-backfill';

/** One transcode per video may be queued or running at a time. */
export function transcodeKey(assetId: number): string {
  return `transcode:${assetId}`;
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

/** Probes a video file for its asset_video row; never throws (an unreadable video gets a 'failed' row). */
export async function probeForRecord(file: string): Promise<VideoValues> {
  try {
    return videoValues(await probeVideo(file));
  } catch (err) {
    return unreadableValues(err);
  }
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
 * Web copies of videos a browser cannot play as they are. The original is only ever read, through a
 * decrypting loopback URL; the copy is made in the scratch dir and sealed into the vault as a 'transcode'
 * blob. A failure is recorded on the video (ffmpeg's own words) and flagged on the item for its owner.
 */
export class TranscodeService {
  constructor(private readonly deps: TranscodeDeps) {}

  /** Queues the web copy of a video (once: a queued or running one is not doubled). */
  queue(assetId: number): void {
    this.deps.queue.enqueue({ kind: TRANSCODE_JOB, payload: { assetId }, dedupeKey: transcodeKey(assetId), maxAttempts: 3 });
  }

  async transcode(assetId: number, opts: RunOptions): Promise<void> {
    const { db, store, keyring, settings } = this.deps;
    const row = findVideo(db, assetId);
    const asset = findTranscodeSource(db, assetId);
    // Deleted meanwhile, already made, or not needed: a re-queued job has nothing left to do.
    if (!row || !asset || (row.transcodeState !== 'pending' && row.transcodeState !== 'failed')) return;
    const lent = await serveBlob(await store.open(asset.originalBlobId, keyring));
    try {
      const probe = await probeVideo(lent.url);
      if (probe.durationS !== null && probe.durationS > settings.maxSeconds) {
        const reason = `it is ${length(probe.durationS)} long, over the ${length(settings.maxSeconds)} limit for web copies (HEIRLOOM_TRANSCODE_MAX_HOURS); download the original to watch it`;
        db.transaction((tx) => {
          updateVideo(tx, assetId, { transcodeState: 'skipped', transcodeError: reason });
          flagUnplayable(tx, assetId, `No copy that plays in the browser: ${reason}.`);
        });
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
        await this.seal(assetId, out);
      });
    } catch (err) {
      if (opts.signal.aborted) throw err;
      const known = err instanceof UserError ? err : diskFull(err);
      // Anything else may be retried, and its message is for the admin's job list, not the owner.
      const reason = known ? known.message : 'the server could not finish it (Admin → Jobs says why)';
      db.transaction((tx) => {
        updateVideo(tx, assetId, { transcodeState: 'failed', transcodeError: reason });
        flagUnplayable(tx, assetId, `No copy that plays in the browser could be made: ${reason}.`);
      });
      throw err;
    } finally {
      await lent.close();
    }
  }

  /**
   * Videos stored before probing existed get their asset_video row, and every video still waiting for a
   * web copy is queued (after a restart, a cancel, a restore or a damaged copy found by the scrub).
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
        const values = await probeForRecord(lent.url).finally(() => lent.close());
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
    for (const assetId of pending) this.queue(assetId);
    if (probed || pending.length) log.info({ probed, queued: pending.length }, 'videos probed and web copies queued');
    return { probed, queued: pending.length };
  }

  /** Moves the finished copy into the vault and records it, in the same steps as an upload. */
  private async seal(assetId: number, file: string): Promise<void> {
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
        // The video may have been deleted for good while its copy was being made.
        if (!findVideo(tx, assetId)) return false;
        insertBlobs(tx, [blobRow(sealed, 'transcode')]);
        updateVideo(tx, assetId, { transcodeState: 'done', transcodeBlobId: id, transcodeSettings: describeSettings(settings), transcodeError: null });
        clearUnplayable(tx, assetId);
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
