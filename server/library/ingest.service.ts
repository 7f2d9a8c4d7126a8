import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { Db, Tx } from '../db/client.js';
import { diskFull, UserError } from '../errors.js';
import { faultPoint } from '../faults.js';
import type { Logger } from '../log.js';
import { detectType, SNIFF_BYTES, type FileType } from '../media/detect.js';
import { readMetadata, readVideoProbe, type MediaMetadata, type MediaSource } from '../media/metadata.js';
import type { VideoProbe } from '../media/video-probe.js';
import { makePreviews, type Previews } from '../media/previews.js';
import { withScratch } from '../media/scratch.js';
import type { BlobStore } from '../vault/blob-store.js';
import { serveBlob } from '../vault/blob-url.js';
import { blobRow, insertBlobs, stageBlobs, unstageBlobs } from '../vault/blobs.repo.js';
import type { BlobKind } from '../vault/blobs.table.js';
import { release, type SealedBlob } from '../vault/encrypt.js';
import type { Keyring } from '../vault/keyring.js';
import { decryptFile, openBlob, readHead } from '../vault/reader.js';
import { findByOwnerSha, insertAsset, type StoredAsset } from './assets.repo.js';
import { findMotionByOwnerSha } from './motion.repo.js';
import { MotionService, type MotionClues } from './motion.service.js';
import { insertVideo } from './transcode.repo.js';
import { type VideoValues, videoRecord } from './transcode.service.js';

export const ingestLimits = {
  /** Files up to this size are read once into memory and shared by hashing, encryption and decoding. Mutable so that a test can lower it. */
  inMemoryBytes: 256 * 1024 * 1024,
};

export interface IngestDeps {
  db: Db;
  store: BlobStore;
  keyring: Keyring;
  log: Logger;
  /** Told after each newly stored item (the server queues a video's web copy, and replication soon after). */
  onStored?: (item: StoredItem) => void;
}

export interface StoredItem {
  assetId: number;
  /** A video a browser cannot play as it is. */
  needsTranscode: boolean;
}

/** Who an arriving file is for, and what it was called. */
export interface Arrival {
  ownerId: number;
  originalName: string;
  /** Where it sat inside an imported or uploaded folder, for the record. */
  sourcePath?: string;
  sidecarPath?: string;
}

export interface FileToIngest extends Arrival {
  /** A plaintext file on local disk: the user's own copy, which we only read. */
  path: string;
}

export interface SealedToIngest extends Arrival {
  /** The original as store.writeTemp sealed it in tmp/, as it arrived: committed under its own blob id, or discarded. */
  tmpPath: string;
  sealed: SealedBlob;
  /** The file's own modification time, when the sender told it: the date taken falls back to it. */
  fileMtime?: Date;
}

export type IngestOutcome =
  | { status: 'imported'; assetId: number; type: FileType; flag?: { code: 'undecodable' | 'unsupported'; reason: string }; livePhotoMotion?: true }
  | { status: 'duplicate'; assetId: number };

interface Staged {
  tmpPath: string;
  sealed: SealedBlob;
  kind: BlobKind;
}

/** A file whose bytes are in hand: its original being (or already) sealed into tmp/, and where media work reads it. */
interface InHand {
  arrival: Arrival;
  type: FileType;
  stat: { size: number; mtime: Date };
  written: Promise<{ tmpPath: string; sealed: SealedBlob }>;
  source: MediaSource;
}

type PreviewResult = { previews: Previews } | { flag: { code: 'undecodable' | 'unsupported'; reason: string } };

/**
 * The one way a file enters the vault: hash and encrypt to tmp/, fsync, dedupe per owner,
 * rename into blobs/, then a single transaction. Only a committed transaction counts as stored.
 */
export class IngestService {
  private readonly motion: MotionService;

  constructor(private readonly deps: IngestDeps) {
    this.motion = new MotionService(deps);
  }

  /** A plaintext file on local disk (an import): read once, sealed into tmp/ while it is decoded. */
  async ingestFile(file: FileToIngest): Promise<IngestOutcome> {
    const { db, store, keyring } = this.deps;
    const handle = await open(file.path, 'r').catch((err: NodeJS.ErrnoException) => {
      throw sourceError(file.path, err);
    });
    let stat;
    let buffer: Buffer | undefined;
    let head: Buffer;
    try {
      stat = await handle.stat();
      if (stat.size === 0) throw new UserError(`${file.path} is empty (0 bytes): there is nothing to keep`, 'empty-file');
      if (stat.size <= ingestLimits.inMemoryBytes) {
        buffer = await handle.readFile();
        head = buffer.subarray(0, SNIFF_BYTES);
      } else {
        head = Buffer.alloc(SNIFF_BYTES);
        await handle.read(head, 0, head.length, 0);
      }
    } catch (err) {
      throw err instanceof UserError ? err : sourceError(file.path, err as NodeJS.ErrnoException);
    } finally {
      await handle.close();
    }
    const type = await detectType(head);

    if (buffer) {
      try {
        const sha = sha256(buffer);
        const existing = storedItem(db, file.ownerId, sha);
        if (existing) return { status: 'duplicate', assetId: existing.id };
        // ffmpeg reads videos from a file: the user's own copy spares a scratch copy.
        const source: MediaSource = type.kind === 'video' ? { path: file.path } : { buffer };
        // Decoding (libvips threads) overlaps with hashing and encryption (main thread).
        return await this.keep({ arrival: file, type, stat, written: store.writeTemp(keyring, buffer, undefined, sha), source });
      } finally {
        // Every reader of the file's bytes has settled by now.
        release(buffer);
      }
    }
    const written = await store.writeTemp(keyring, createReadStream(file.path));
    const existing = storedItem(db, file.ownerId, written.sealed.plainSha256);
    if (existing) {
      await store.discard(written.tmpPath);
      return { status: 'duplicate', assetId: existing.id };
    }
    return this.keep({ arrival: file, type, stat, written: Promise.resolve(written), source: { path: file.path } });
  }

  /**
   * An original already sealed into tmp/ as it arrived (an upload), so its plaintext never touched the data disk.
   * Media work reads it decrypted: in memory when small, from the scratch dir when a large photo, and through a
   * decrypting loopback URL when a video. The temp blob is always committed or discarded.
   */
  async ingestSealed(item: SealedToIngest): Promise<IngestOutcome> {
    const { db, store, keyring } = this.deps;
    const { tmpPath, sealed } = item;
    try {
      if (sealed.plainSize === 0) throw new UserError(`${item.originalName} is empty (0 bytes): there is nothing to keep`, 'empty-file');
      const existing = storedItem(db, item.ownerId, sealed.plainSha256);
      if (existing) {
        await store.discard(tmpPath);
        return { status: 'duplicate', assetId: existing.id };
      }
      const blob = await openBlob(tmpPath, keyring);
      let type: FileType;
      try {
        type = await detectType(await readHead(blob, SNIFF_BYTES));
      } catch (err) {
        await blob.close();
        throw err;
      }
      const stat = { size: sealed.plainSize, mtime: item.fileMtime ?? new Date() };
      const inHand = (source: MediaSource): InHand => ({ arrival: item, type, stat, written: Promise.resolve({ tmpPath, sealed }), source });
      if (type.kind === 'video') {
        const lent = await serveBlob(blob);
        try {
          return await this.keep(inHand({ url: lent.url }));
        } finally {
          await lent.close();
        }
      }
      if (sealed.plainSize <= ingestLimits.inMemoryBytes) {
        const buffer = await blob.readAll().finally(() => blob.close());
        try {
          return await this.keep(inHand({ buffer }));
        } finally {
          release(buffer);
        }
      }
      await blob.close();
      return await withScratch(async (scratch) => {
        const file = path.join(await scratch(), `original.${type.ext}`);
        await decryptFile(tmpPath, keyring, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
        return this.keep(inHand({ path: file }));
      });
    } catch (err) {
      // Gone already when it was committed (renamed into blobs/) or undone with the rest.
      await store.discard(tmpPath);
      throw err;
    }
  }

  /** Everything after the bytes are in hand: metadata, previews and the video probe beside the sealing, then the commit. */
  private async keep({ arrival, type, stat, written, source }: InHand): Promise<IngestOutcome> {
    const { store, keyring } = this.deps;
    // One ffprobe of a video serves its metadata, its poster and its asset_video row; each takes a failure its own way.
    const probe = type.kind === 'video' ? readVideoProbe(source, type) : undefined;
    probe?.catch(() => undefined);
    const metadata = readMetadata(source, type, { fileMtime: stat.mtime, sidecarPath: arrival.sidecarPath, videoProbe: probe });
    // Never rejects: an unreadable video gets a row that says why.
    const video = probe && videoRecord(probe);
    const staged: Staged[] = [];
    try {
      const [original, meta, result] = await settleAll([written, metadata, this.previews(source, type, probe)], (w) => store.discard(w.tmpPath));
      staged.push({ ...original, kind: 'original' });
      const clues = await this.motion.clues(arrival, type, meta, source);
      if ('previews' in result) {
        const derived = await Promise.allSettled([store.writeTemp(keyring, result.previews.thumb), store.writeTemp(keyring, result.previews.preview)]);
        for (const [i, d] of derived.entries()) if (d.status === 'fulfilled') staged.push({ ...d.value, kind: i === 0 ? 'thumb' : 'preview' });
        const failed = derived.find((d) => d.status === 'rejected');
        if (failed) throw failed.reason;
      }
      return await this.commit(arrival, type, stat, meta, result, staged, clues, await video);
    } catch (err) {
      await Promise.all(staged.map((s) => store.discard(s.tmpPath)));
      throw err;
    } finally {
      // Nothing may still read the source once the caller frees it.
      await video;
    }
  }

  private async previews(source: MediaSource, type: FileType, videoProbe?: Promise<VideoProbe>): Promise<PreviewResult> {
    if (type.kind === 'other') return { flag: { code: 'unsupported', reason: `not a photo or video format Heirloom knows (${type.mime})` } };
    try {
      return { previews: await makePreviews(source, type, videoProbe) };
    } catch (err) {
      if (err instanceof UserError) return { flag: { code: 'undecodable', reason: err.message } };
      throw err;
    }
  }

  private async commit(
    file: Arrival,
    type: FileType,
    stat: { size: number; mtime: Date },
    meta: MediaMetadata,
    result: PreviewResult,
    staged: Staged[],
    clues: MotionClues,
    video: VideoValues | undefined,
  ): Promise<IngestOutcome> {
    const { db, store } = this.deps;
    const sha = staged[0]!.sealed.plainSha256;
    const ids = staged.map((s) => s.sealed.blobId);
    const previews = 'previews' in result ? result.previews : undefined;
    const byKind = (kind: BlobKind) => staged.find((s) => s.kind === kind)?.sealed.blobId;
    const asset: StoredAsset = {
      ownerId: file.ownerId,
      originalBlobId: staged[0]!.sealed.blobId,
      sha256: sha,
      kind: type.kind,
      mime: type.mime,
      originalName: file.originalName,
      sourcePath: file.sourcePath,
      fileSize: stat.size,
      fileMtime: stat.mtime,
      takenAt: new Date(meta.takenAt ?? stat.mtime.getTime()),
      tzOffsetMinutes: meta.tzOffsetMinutes,
      takenAtSource: meta.takenAt ? meta.takenAtSource : 'file:mtime',
      width: previews?.width ?? meta.width,
      height: previews?.height ?? meta.height,
      durationMs: meta.durationMs,
      thumbBlobId: byKind('thumb'),
      previewBlobId: byKind('preview'),
      thumbhash: previews?.thumbhash,
      flag: 'flag' in result ? result.flag.code : null,
      flagReason: 'flag' in result ? result.flag.reason : null,
    };
    const { make, model, lens, fNumber, exposureTime, iso, focalLength, orientation, latitude, longitude, altitude, rating, keywords, description, contentId } = meta;

    try {
      stageBlobs(db, ids);
    } catch (err) {
      throw diskFull(err) ?? err;
    }
    let placed: { assetId: number; livePhotoMotion?: true; unused: string[] } | undefined;
    try {
      await Promise.all(staged.map((s) => store.commit(s.tmpPath, s.sealed.blobId)));
      faultPoint('before-db-commit');
      placed = db.transaction((tx) => {
        // Another writer may have stored the same file since the first check.
        if (storedItem(tx, file.ownerId, sha)) return undefined;
        const stillId = this.motion.stillFor(tx, asset, clues);
        if (stillId !== undefined) {
          // A Live Photo's MOV: kept byte-exact as the still's motion, not as an item of its own.
          insertBlobs(tx, [blobRow(staged[0]!.sealed, 'original')]);
          this.motion.attach(tx, stillId, asset);
          unstageBlobs(tx, ids);
          return { assetId: stillId, livePhotoMotion: true as const, unused: ids.slice(1) };
        }
        insertBlobs(tx, staged.map((s) => blobRow(s.sealed, s.kind)));
        const id = insertAsset(tx, asset, { make, model, lens, fNumber, exposureTime, iso, focalLength, orientation, latitude, longitude, altitude, rating, keywords, description, contentId });
        if (video) insertVideo(tx, { ...video, assetId: id });
        const unused = this.motion.settlePhoto(tx, id, asset, clues);
        unstageBlobs(tx, ids);
        return { assetId: id, unused };
      });
    } catch (err) {
      await this.unstore(ids);
      throw diskFull(err) ?? err;
    }
    faultPoint('after-db-commit');
    if (placed === undefined) {
      await this.unstore(ids);
      return { status: 'duplicate', assetId: storedItem(db, file.ownerId, sha)!.id };
    }
    // Their rows are gone with the commit; a file left by a crash here is only untracked, which the scrub reports.
    for (const id of placed.unused) await store.remove(id).catch((err: unknown) => this.deps.log.warn({ err, blobId: id }, 'could not remove an unused blob'));
    this.deps.onStored?.({ assetId: placed.assetId, needsTranscode: !placed.livePhotoMotion && video?.transcodeState === 'pending' });
    return { status: 'imported', assetId: placed.assetId, type, flag: 'flag' in result ? result.flag : undefined, livePhotoMotion: placed.livePhotoMotion };
  }

  /** Takes back renamed blobs whose transaction did not happen. */
  private async unstore(ids: string[]): Promise<void> {
    for (const id of ids) await this.deps.store.remove(id);
    try {
      unstageBlobs(this.deps.db, ids);
    } catch (err) {
      // A full disk can refuse even this delete; the next start clears the stale records.
      this.deps.log.warn({ err }, 'could not clear staged blob records');
    }
  }
}

/** Like Promise.all, but waits for every part and undoes the written temp file when another part failed. */
async function settleAll<W, M, P>(work: [Promise<W>, Promise<M>, Promise<P>], undo: (written: W) => Promise<void>): Promise<[W, M, P]> {
  const [w, m, p] = await Promise.allSettled(work);
  if (w.status === 'fulfilled' && m.status === 'fulfilled' && p.status === 'fulfilled') return [w.value, m.value, p.value];
  if (w.status === 'fulfilled') await undo(w.value);
  throw [w, m, p].find((r) => r.status === 'rejected')!.reason;
}

/** The owner's item holding these bytes: as its original, or as the MOV of one of its Live Photos. */
function storedItem(db: Db | Tx, ownerId: number, sha: string): { id: number } | undefined {
  return findByOwnerSha(db, ownerId, sha) ?? findMotionByOwnerSha(db, ownerId, sha);
}

function sha256(buffer: Buffer): string {
  return createHash('sha256').update(buffer).digest('hex');
}

function sourceError(path: string, err: NodeJS.ErrnoException): Error {
  if (err.code === 'ENOENT') return new UserError(`${path} disappeared before it could be read`, 'source-vanished', { cause: err });
  if (err.code === 'EACCES' || err.code === 'EPERM') return new UserError(`${path} cannot be read (permission denied)`, 'source-unreadable', { cause: err });
  if (err.code === 'EISDIR') return new UserError(`${path} is a directory`, 'source-unreadable', { cause: err });
  return new UserError(`${path} cannot be read (${err.code ?? err.message})`, 'source-unreadable', { cause: err });
}
