import { createWriteStream } from 'node:fs';
import { access, mkdir, open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import Database from 'better-sqlite3';
import { openDb } from '../db/client.js';
import { UserError } from '../errors.js';
import { dropTranscodes } from '../library/transcode.repo.js';
import { BlobStore } from '../vault/blob-store.js';
import { sha256OfFile } from '../vault/file-sha256.js';
import type { Keyring } from '../vault/keyring.js';
import { decryptFile } from '../vault/reader.js';
import { downloadTo } from './download.js';
import type { Remote } from './remote.js';
import { blobKey, MANIFEST_KEY, type Manifest } from './replica-layout.js';

const MARKER = '.restore-in-progress';

export interface RestoreProgress {
  phase: 'snapshot' | 'blobs';
  done: number;
  total: number;
  bytes: number;
  totalBytes: number;
}

export interface RestoreResult {
  snapshot: string;
  fetched: number;
  alreadyThere: number;
  bytes: number;
  /** Thumbnails and previews the target did not hold: make them again with the data dir opened. */
  toRegenerate: string[];
  /** Originals the target did not hold or held damaged: the restore is incomplete without them. */
  missingOriginals: string[];
  /** Web copies of videos and motion parts the target did not hold: forgotten, and made again once the server runs. */
  transcodesDropped: number;
}

/**
 * Rebuilds a data directory from a replica: the newest database snapshot, then every blob it refers
 * to, each checked against the SHA-256 the snapshot records before it is put in place. Safe to run again
 * after an interruption: what is already in place and correct is kept.
 */
export async function restoreFromRemote(remote: Remote, keyring: Keyring, dataDir: string, opts: { signal?: AbortSignal; onProgress?(p: RestoreProgress): void } = {}): Promise<RestoreResult> {
  const dbFile = path.join(dataDir, 'heirloom.db');
  const marker = path.join(dataDir, MARKER);
  await mkdir(dataDir, { recursive: true, mode: 0o750 });
  const resuming = await exists(marker);
  if (!resuming && (await readdir(dataDir)).length > 0) {
    throw new UserError(`${dataDir} is not empty. Restore into an empty directory (or rerun an interrupted restore into the same one).`, 'restore-not-empty');
  }
  await writeFile(marker, new Date().toISOString());
  const store = new BlobStore(dataDir);
  await store.init();

  const manifest = await readManifest(remote);
  const snapshot = manifest.snapshots[0];
  if (!snapshot) throw new UserError('The target holds no database snapshot yet: run `heirloom replicate` on the old server first.', 'restore-no-snapshot');
  if (!(await exists(dbFile))) {
    opts.onProgress?.({ phase: 'snapshot', done: 0, total: 1, bytes: 0, totalBytes: 0 });
    const sealed = path.join(store.tmpDir, `${process.pid}-snapshot`);
    const partial = `${dbFile}.partial`;
    try {
      await downloadTo(remote, snapshot.key, sealed, opts.signal);
      await decryptFile(sealed, keyring, createWriteStream(partial, { mode: 0o600 }));
      const handle = await open(partial, 'r');
      await handle.sync().finally(() => handle.close());
      await rename(partial, dbFile);
    } finally {
      await rm(sealed, { force: true });
      await rm(partial, { force: true });
    }
  }

  const db = new Database(dbFile, { readonly: true });
  const rows = db.prepare('SELECT id, kind, cipher_size AS size, cipher_sha256 AS sha FROM blobs ORDER BY id').all() as { id: string; kind: string; size: number; sha: string }[];
  db.close();
  const totalBytes = rows.reduce((n, r) => n + r.size, 0);
  const result: RestoreResult = { snapshot: snapshot.key, fetched: 0, alreadyThere: 0, bytes: 0, toRegenerate: [], missingOriginals: [], transcodesDropped: 0 };
  const transcodes: string[] = [];
  const lacking = (kind: string) => (kind === 'original' ? result.missingOriginals : kind === 'transcode' ? transcodes : result.toRegenerate);
  let done = 0;
  for (const row of rows) {
    opts.signal?.throwIfAborted();
    const dest = store.pathFor(row.id);
    if (await holds(dest, row.sha)) {
      result.alreadyThere++;
    } else if (!(await remote.head(blobKey(row.id)))) {
      lacking(row.kind).push(row.id);
    } else {
      const tmp = path.join(store.tmpDir, `${process.pid}-${row.id}.part`);
      const got = await downloadTo(remote, blobKey(row.id), tmp, opts.signal);
      if (got.sha256 !== row.sha || got.size !== row.size) {
        await rm(tmp, { force: true });
        lacking(row.kind).push(row.id);
      } else {
        await store.commit(tmp, row.id);
        result.fetched++;
        result.bytes += row.size;
      }
    }
    done++;
    opts.onProgress?.({ phase: 'blobs', done, total: rows.length, bytes: result.bytes, totalBytes });
  }
  if (transcodes.length > 0) {
    const rw = openDb(dbFile);
    try {
      result.transcodesDropped = dropTranscodes(rw, transcodes).length;
    } finally {
      rw.$client.close();
    }
  }
  if (result.missingOriginals.length === 0) await rm(marker, { force: true });
  return result;
}

async function readManifest(remote: Remote): Promise<Manifest> {
  if (!(await remote.head(MANIFEST_KEY))) throw new UserError('This target holds no Heirloom replica (no manifest.json).', 'restore-no-replica');
  const manifest = JSON.parse(await text(await remote.get(MANIFEST_KEY))) as Manifest;
  if (manifest.heirloom !== 'replica' || manifest.format !== 1) throw new UserError('manifest.json at this target is not a Heirloom replica this version can read.', 'restore-no-replica');
  return manifest;
}

/** A blob already in place counts only if its ciphertext checksum matches. */
async function holds(file: string, sha256: string): Promise<boolean> {
  return (await sha256OfFile(file).catch(() => undefined)) === sha256;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}
