import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { diskFull, IntegrityError, UserError } from '../errors.js';
import { faultPoint } from '../faults.js';
import { isProcessAlive } from '../pids.js';
import { BlobSealer, release, type SealedBlob } from './encrypt.js';
import { isBlobId } from './format.js';
import type { Keyring } from './keyring.js';
import { openBlob, type OpenBlob } from './reader.js';
import { writeAll } from './write-all.js';

/** Bytes of ciphertext gathered before one writev; also the plaintext slice taken from a Buffer source. */
const WRITE_BATCH = 1024 * 1024;

/** Encrypted files under <dataDir>/blobs/ab/cd/<blobId>, written through <dataDir>/tmp/ and renamed in. */
export class BlobStore {
  readonly blobsDir: string;
  readonly tmpDir: string;

  constructor(dataDir: string) {
    this.blobsDir = path.join(dataDir, 'blobs');
    this.tmpDir = path.join(dataDir, 'tmp');
  }

  pathFor(blobId: string): string {
    if (!isBlobId(blobId)) throw new UserError('Not a blob id: a blob id is 32 lowercase hex characters', 'invalid-blob-id');
    return path.join(this.blobsDir, blobId.slice(0, 2), blobId.slice(2, 4), blobId);
  }

  /** Creates the directories and removes what crashed writers left in tmp/ (a live import's files stay). */
  async init(): Promise<void> {
    await mkdir(this.blobsDir, { recursive: true });
    await mkdir(this.tmpDir, { recursive: true });
    for (const name of await readdir(this.tmpDir)) {
      const writer = Number(name.split('-')[0]);
      if (writer !== process.pid && isProcessAlive(writer)) continue;
      await rm(path.join(this.tmpDir, name), { recursive: true, force: true });
    }
  }

  /**
   * Encrypts `source` into tmp/<pid>-<id>.part and fsyncs it. On any failure the partial file is gone.
   * `plainSha256` spares hashing a Buffer source twice: only pass the digest of exactly that Buffer.
   */
  async writeTemp(keyring: Keyring, source: Readable | Buffer, blobId?: string, plainSha256?: string): Promise<{ tmpPath: string; sealed: SealedBlob }> {
    const sealer = new BlobSealer(keyring, { blobId, plainSha256 });
    const tmpPath = path.join(this.tmpDir, `${process.pid}-${sealer.blobId}.part`);
    const handle = await open(tmpPath, 'wx', 0o600).catch((err: unknown) => {
      throw diskFull(err) ?? err;
    });
    try {
      let batch: Buffer[] = [];
      let batchSize = 0;
      const flush = async () => {
        await writeAll(handle, batch);
        for (const bytes of batch) release(bytes);
        batch = [];
        batchSize = 0;
      };
      const add = async (bytes: Buffer) => {
        batch.push(bytes);
        batchSize += bytes.length;
        if (batchSize >= WRITE_BATCH) await flush();
      };
      if (Buffer.isBuffer(source)) {
        for (let at = 0; at < source.length; at += WRITE_BATCH) await add(sealer.write(source.subarray(at, at + WRITE_BATCH)));
      } else {
        for await (const chunk of source) await add(sealer.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string)));
      }
      batch.push(sealer.end());
      await flush();
      faultPoint('after-tmp-write');
      await handle.sync();
      await handle.close();
      faultPoint('after-fsync');
    } catch (err) {
      await handle.close().catch(() => {});
      await this.discard(tmpPath);
      throw diskFull(err) ?? err;
    }
    return { tmpPath, sealed: sealer.sealed() };
  }

  /** Renames a fsynced temp file into blobs/ and makes the rename durable. */
  async commit(tmpPath: string, blobId: string): Promise<void> {
    const dest = this.pathFor(blobId);
    const shard = path.dirname(dest);
    const created = await mkdir(shard, { recursive: true });
    await rename(tmpPath, dest);
    faultPoint('after-rename');
    await fsyncDir(shard);
    // New shard directories are only durable once their own parents are synced.
    if (created) {
      await fsyncDir(path.dirname(shard));
      await fsyncDir(this.blobsDir);
    }
  }

  async discard(tmpPath: string): Promise<void> {
    await unlink(tmpPath).catch(ignoreMissing);
  }

  async remove(blobId: string): Promise<void> {
    await unlink(this.pathFor(blobId)).catch(ignoreMissing);
  }

  async exists(blobId: string): Promise<boolean> {
    try {
      return (await stat(this.pathFor(blobId))).isFile();
    } catch (err) {
      ignoreMissing(err);
      return false;
    }
  }

  /** Opens a stored blob and checks that the file holds the blob it is named for. */
  async open(blobId: string, keyring: Keyring): Promise<OpenBlob> {
    const file = this.pathFor(blobId);
    let blob: OpenBlob;
    try {
      blob = await openBlob(file, keyring);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new IntegrityError(`blob ${blobId} is missing: ${file} does not exist`, { cause: err });
      throw err;
    }
    if (blob.header.blobId !== blobId) {
      await blob.close();
      throw new IntegrityError(`${file} holds blob ${blob.header.blobId}, not ${blobId}: the file was moved or replaced`);
    }
    return blob;
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function ignoreMissing(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
}
