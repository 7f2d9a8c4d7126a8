import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { text } from 'node:stream/consumers';
import type { Db } from '../db/client.js';
import { IntegrityError, UserError } from '../errors.js';
import { ReadThrottle } from '../integrity/throttle.js';
import type { Logger } from '../log.js';
import type { BlobStore } from '../vault/blob-store.js';
import type { BlobRow } from '../vault/blobs.table.js';
import type { Keyring } from '../vault/keyring.js';
import { sha256OfFile } from '../vault/file-sha256.js';
import { decryptFile } from '../vault/reader.js';
import { downloadTo } from './download.js';
import { type Remote, SourceError } from './remote.js';
import { blobKey, MANIFEST_KEY, type Manifest } from './replica-layout.js';
import { makeReplicaSnapshot } from './replica-snapshot.js';
import { blobKinds, clearSettledDeletes, dueDeletes, forgetCopy, kindsFor, lagOf, ledgerEntries, markUploaded, markVerified, pendingBlobs, recordSnapshotSent, recordTargetResult, sampleVerified, unverifiedBlobs } from './replication.repo.js';
import type { ReplicationTarget } from './replication.table.js';
import type { TargetService } from './targets.service.js';

/** Uploads in flight per target. */
const CONCURRENCY = 4;
const BATCH = 100;
/** Remote snapshots kept; older ones are deleted after a new one lands. */
const KEEP_SNAPSHOTS = 30;
export const DELETE_GRACE_DAYS = 30;

export interface SyncProgress {
  target: string;
  phase: 'blobs' | 'snapshot' | 'verify';
  done: number;
  total: number;
  bytes: number;
  totalBytes: number;
}

export interface SyncResult {
  uploaded: number;
  alreadyThere: number;
  bytes: number;
  /** Local blobs that failed their own checksum: never sent, left to the scrub. */
  refused: string[];
  snapshot?: string;
  deleted: number;
}

export interface VerifyResult {
  checked: number;
  verified: number;
  missing: number;
  wrongSize: number;
  corrupt: number;
}

export interface ReplicationDeps {
  db: Db;
  store: BlobStore;
  keyring: Keyring;
  log: Logger;
  targets: TargetService;
}

/**
 * Sends encrypted blobs, then a database snapshot that refers only to blobs already there, then a
 * manifest. Incremental and idempotent: a blob the target holds at the right size is not sent again,
 * and a blob whose local copy fails its checksum is never sent, so damage here cannot spread there.
 */
export class ReplicationService {
  constructor(private readonly deps: ReplicationDeps) {}

  lag(target: ReplicationTarget): { items: number; bytes: number } {
    return lagOf(this.deps.db, target.id, kindsFor(this.deps.targets.options(target).includePreviews));
  }

  async sync(name: string, opts: { signal?: AbortSignal; onProgress?(p: SyncProgress): void } = {}): Promise<SyncResult> {
    const target = this.deps.targets.get(name);
    if (target.paused) throw new UserError(`The target ${name} is paused. Resume it with: heirloom target resume ${name}`, 'target-paused');
    return this.withRemote(target, async (remote) => {
      const result: SyncResult = { uploaded: 0, alreadyThere: 0, bytes: 0, refused: [], deleted: 0 };
      await this.sendPending(target, remote, result, opts);
      await this.sendSnapshot(target, remote, result, opts);
      result.deleted = await this.applyDeletes(target, remote);
      recordTargetResult(this.deps.db, target.id, { ok: true });
      return result;
    });
  }

  /** Lists the target and compares sizes; reads back unverified copies (and a sample of verified ones) within a byte budget. */
  async verify(name: string, opts: { signal?: AbortSignal; byteBudget?: number; sample?: number; onProgress?(p: SyncProgress): void } = {}): Promise<VerifyResult> {
    const target = this.deps.targets.get(name);
    return this.withRemote(target, async (remote) => {
      const { db } = this.deps;
      const result: VerifyResult = { checked: 0, verified: 0, missing: 0, wrongSize: 0, corrupt: 0 };
      const listed = new Map<string, number>();
      for await (const o of remote.list('blobs/')) listed.set(path.posix.basename(o.key), o.size);
      for (const { blobId, cipherSize } of ledgerEntries(db, target.id)) {
        const remoteSize = listed.get(blobId);
        if (remoteSize === undefined) {
          result.missing++;
          forgetCopy(db, target.id, blobId);
        } else if (remoteSize !== cipherSize) {
          result.wrongSize++;
          forgetCopy(db, target.id, blobId);
        }
      }
      let budget = opts.byteBudget ?? Infinity;
      const toRead = [...unverifiedBlobs(db, target.id, 10_000), ...sampleVerified(db, target.id, opts.sample ?? 8)];
      for (const row of toRead) {
        if (budget <= 0) break;
        opts.signal?.throwIfAborted();
        budget -= row.cipherSize;
        result.checked++;
        const state = await this.readBack(remote, row, opts.signal);
        if (state === 'ok') {
          markVerified(db, target.id, row.id);
          result.verified++;
        } else {
          if (state === 'missing') result.missing++;
          else result.corrupt++;
          // A damaged copy of the right size would pass the next pass's HEAD as "already there", so it is
          // removed for the next pass to send again: but only when the bytes differ from the checksum
          // recorded at ingest and the local copy matches it, so a replica is never emptied for nothing.
          if (state === 'corrupt' && (await sha256OfFile(this.deps.store.pathFor(row.id)).catch(() => undefined)) === row.cipherSha256) {
            await remote.delete(blobKey(row.id));
          }
          forgetCopy(db, target.id, row.id);
          this.deps.log.warn({ target: name, blobId: row.id, state }, 'a copy at the target is damaged; it will be sent again');
        }
        opts.onProgress?.({ target: name, phase: 'verify', done: result.checked, total: toRead.length, bytes: 0, totalBytes: 0 });
      }
      recordTargetResult(db, target.id, { ok: true, verified: true });
      return result;
    });
  }

  /** Fetches one blob from the target into `dest` if its ciphertext checksum matches; true when it did. */
  async fetchVerified(target: ReplicationTarget, row: BlobRow, dest: string, signal?: AbortSignal): Promise<boolean> {
    const remote = await this.deps.targets.connect(target);
    try {
      if (!(await remote.head(blobKey(row.id)))) return false;
      const got = await downloadTo(remote, blobKey(row.id), dest, signal);
      if (got.sha256 === row.cipherSha256 && got.size === row.cipherSize) return true;
      await rm(dest, { force: true });
      return false;
    } finally {
      await remote.close();
    }
  }

  private async withRemote<T>(target: ReplicationTarget, fn: (remote: Remote) => Promise<T>): Promise<T> {
    let remote: Remote | undefined;
    try {
      remote = await this.deps.targets.connect(target);
      return await fn(remote);
    } catch (err) {
      recordTargetResult(this.deps.db, target.id, { ok: false, error: (err as Error).message });
      throw err;
    } finally {
      await remote?.close();
    }
  }

  private async sendPending(target: ReplicationTarget, remote: Remote, result: SyncResult, opts: { signal?: AbortSignal; onProgress?(p: SyncProgress): void }, only?: Set<string>): Promise<void> {
    const { db } = this.deps;
    const options = this.deps.targets.options(target);
    const kinds = kindsFor(options.includePreviews);
    const throttle = new ReadThrottle(options.bytesPerSecond);
    const total = lagOf(db, target.id, kinds);
    let done = 0;
    let after = '';
    for (;;) {
      const raw = pendingBlobs(db, target.id, kinds, after, BATCH);
      if (raw.length === 0) return;
      after = raw.at(-1)!.id;
      const batch = only ? raw.filter((b) => only.has(b.id)) : raw;
      let next = 0;
      // What the target holds now, recorded once per batch (and also when the batch fails midway).
      const landed: string[] = [];
      // The first failure stops the others from starting more; those in flight are waited for, so that
      // nothing is still uploading once the pass has returned, and what they landed is recorded.
      let failure: { err: unknown } | undefined;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async (_, worker) => {
          while (!failure && next < batch.length) {
            const row = batch[next++]!;
            try {
              opts.signal?.throwIfAborted();
              if (await this.sendOne(target, remote, row, result, throttle, opts.signal)) landed.push(row.id);
            } catch (err) {
              failure ??= { err };
              return;
            }
            done++;
            opts.onProgress?.({ target: target.name, phase: 'blobs', done, total: total.items, bytes: result.bytes, totalBytes: total.bytes });
          }
        }),
      );
      markUploaded(db, target.id, landed);
      if (failure) throw failure.err;
    }
  }

  /** True when the target holds the blob afterwards (sent now, or already there). */
  private async sendOne(target: ReplicationTarget, remote: Remote, row: BlobRow, result: SyncResult, throttle: ReadThrottle, signal?: AbortSignal): Promise<boolean> {
    const key = blobKey(row.id);
    const there = await remote.head(key);
    if (there?.size === row.cipherSize) {
      result.alreadyThere++;
      return true;
    }
    await throttle.take(row.cipherSize, signal);
    const file = this.deps.store.pathFor(row.id);
    // The remote checks the bytes as it reads them, so the file is read once for both.
    const refused = await remote.put(key, file, row.cipherSize, { signal, sha256: row.cipherSha256 }).then(
      () => false,
      (err: unknown) => {
        if (err instanceof SourceError) return true;
        throw err;
      },
    );
    if (refused) {
      result.refused.push(row.id);
      this.deps.log.warn({ target: target.name, blobId: row.id }, 'not replicating a blob that fails its own checksum; the integrity scrub will handle it');
      return false;
    }
    result.uploaded++;
    result.bytes += row.cipherSize;
    return true;
  }

  /** A new snapshot when the library changed; first any blob it refers to that is not at the target yet. */
  private async sendSnapshot(target: ReplicationTarget, remote: Remote, result: SyncResult, opts: { signal?: AbortSignal; onProgress?(p: SyncProgress): void }): Promise<void> {
    const snap = await makeReplicaSnapshot(this.deps);
    try {
      if (snap.plainSha256 === target.lastSnapshotSha256 && (await remote.head(MANIFEST_KEY))) return;
      opts.onProgress?.({ target: target.name, phase: 'snapshot', done: 0, total: 1, bytes: 0, totalBytes: snap.size });
      // Blobs stored since the pass above: the snapshot must never refer to a blob the target lacks.
      const kinds = new Set(kindsFor(this.deps.targets.options(target).includePreviews));
      const refs = new Set(snap.blobIds);
      await this.sendPending(target, remote, result, opts, refs);
      const held = new Set(ledgerEntries(this.deps.db, target.id).map((h) => h.blobId));
      const missing = blobKinds(this.deps.db, snap.blobIds).filter((b) => kinds.has(b.kind) && !held.has(b.id));
      if (missing.length > 0) {
        const refused = missing.filter((b) => result.refused.includes(b.id));
        const why = refused.length > 0 ? `: ${refused.length} fail their own checksum here (first: ${refused[0]!.id}); run heirloom verify` : ` (first: ${missing[0]!.id})`;
        throw new IntegrityError(`${missing.length} blobs the snapshot refers to could not be sent${why}. The snapshot was held back, so the target's last snapshot still matches what it holds`);
      }
      const takenAt = new Date();
      const key = `snapshots/${takenAt.toISOString().replace(/[:.]/g, '-')}.db.hbl`;
      await remote.put(key, snap.sealedPath, snap.size, { signal: opts.signal });
      const manifest = await this.readManifest(remote);
      manifest.snapshots.unshift({ key, takenAt: takenAt.toISOString(), blobs: snap.blobIds.length });
      for (const old of manifest.snapshots.splice(KEEP_SNAPSHOTS)) await remote.delete(old.key);
      manifest.updatedAt = takenAt.toISOString();
      await this.writeManifest(remote, manifest);
      recordSnapshotSent(this.deps.db, target.id, snap.plainSha256);
      result.snapshot = key;
    } finally {
      await rm(snap.sealedPath, { force: true });
    }
  }

  /** Deletions reach a target only after the grace period, so a mistake here cannot empty the off-site copy at once. */
  private async applyDeletes(target: ReplicationTarget, remote: Remote): Promise<number> {
    const due = dueDeletes(this.deps.db, target.id, new Date(Date.now() - DELETE_GRACE_DAYS * 86_400_000));
    for (const blobId of due) {
      await remote.delete(blobKey(blobId));
      forgetCopy(this.deps.db, target.id, blobId);
    }
    clearSettledDeletes(this.deps.db);
    return due.length;
  }

  /** 'corrupt': the target's bytes differ from the checksum recorded at ingest; 'unreadable': they match it but do not decrypt. */
  private async readBack(remote: Remote, row: BlobRow, signal?: AbortSignal): Promise<'ok' | 'missing' | 'corrupt' | 'unreadable'> {
    const file = path.join(this.deps.store.tmpDir, `${process.pid}-verify-${row.id}`);
    try {
      const got = await downloadTo(remote, blobKey(row.id), file, signal).catch((err: unknown) => {
        if (err instanceof UserError && err.code === 'target-missing-object') return undefined;
        throw err;
      });
      if (!got) return 'missing';
      if (got.sha256 !== row.cipherSha256 || got.size !== row.cipherSize) return 'corrupt';
      // The checksum proves the bytes; decrypting proves the key and format still open them.
      const plain = await decryptFile(file, this.deps.keyring, new Writable({ write: (_c, _e, cb) => cb() })).catch(() => undefined);
      return plain?.plainSha256 === row.plainSha256 ? 'ok' : 'unreadable';
    } finally {
      await rm(file, { force: true });
    }
  }

  private async readManifest(remote: Remote): Promise<Manifest> {
    if (!(await remote.head(MANIFEST_KEY))) return { heirloom: 'replica', format: 1, updatedAt: new Date().toISOString(), snapshots: [] };
    return JSON.parse(await text(await remote.get(MANIFEST_KEY))) as Manifest;
  }

  private async writeManifest(remote: Remote, manifest: Manifest): Promise<void> {
    const file = path.join(this.deps.store.tmpDir, `${process.pid}-manifest.json`);
    const body = JSON.stringify(manifest, null, 2);
    await writeFile(file, body);
    try {
      await remote.put(MANIFEST_KEY, file, Buffer.byteLength(body));
    } finally {
      await rm(file, { force: true });
    }
  }
}
