import { createDecipheriv, createHash, createSecretKey, type KeyObject } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { IntegrityError } from '../errors.js';
import type { SealedBlob } from './encrypt.js';
import { CHUNK_SIZE, chunkCount, chunkNonce, decodeHeader, HEADER_SIZE, plainSizeFor, TAG_SIZE, type BlobHeader } from './format.js';
import type { Keyring } from './keyring.js';

const STRIDE = CHUNK_SIZE + TAG_SIZE;
/** Chunks fetched by one read: 1 MiB keeps syscalls few and memory small. */
const READ_BATCH_CHUNKS = 16;

export interface OpenBlob {
  header: BlobHeader;
  plainSize: number;
  /** Decrypts only the chunks the inclusive byte range touches. The caller closes the blob when done. */
  createReadStream(range?: { start: number; end: number }): Readable;
  readAll(): Promise<Buffer>;
  close(): Promise<void>;
}

export type DecryptedBlob = Pick<SealedBlob, 'blobId' | 'keyVersion' | 'plainSize' | 'plainSha256'>;

export function openBlob(path: string, keyring: Keyring): Promise<OpenBlob> {
  return openBlobFile(path, keyring);
}

async function openBlobFile(path: string, keyring: Keyring): Promise<BlobFile> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(HEADER_SIZE);
    const [{ size }, { bytesRead }] = await Promise.all([handle.stat(), handle.read(head, 0, HEADER_SIZE, 0)]);
    const header = decodeHeader(head.subarray(0, bytesRead));
    const plainSize = plainSizeFor(size);
    const dek = keyring.unwrapDek(header.wrappedDek, header.blobId, header.keyVersion);
    return new BlobFile(handle, header, plainSize, createSecretKey(dek));
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/**
 * Decrypts a whole blob into `out` and ends it. Every chunk written was verified first, but a
 * failure at chunk k leaves chunks before it in `out`: discard the output when this throws.
 */
export async function decryptFile(path: string, keyring: Keyring, out: Writable): Promise<DecryptedBlob> {
  const blob = await openBlobFile(path, keyring);
  try {
    const hash = createHash('sha256');
    const source = Readable.from(blob.plaintext(0, blob.plainSize - 1, (chunk) => hash.update(chunk)), { objectMode: false });
    await pipeline(source, out);
    const { blobId, keyVersion } = blob.header;
    return { blobId, keyVersion, plainSize: blob.plainSize, plainSha256: hash.digest('hex') };
  } finally {
    await blob.close();
  }
}

class BlobFile implements OpenBlob {
  private readonly chunks: number;

  constructor(
    private readonly handle: FileHandle,
    readonly header: BlobHeader,
    readonly plainSize: number,
    private readonly dek: KeyObject,
  ) {
    this.chunks = chunkCount(plainSize);
  }

  createReadStream(range?: { start: number; end: number }): Readable {
    const start = range?.start ?? 0;
    const end = range?.end ?? this.plainSize - 1;
    if (range && !(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end && end < this.plainSize)) {
      throw new RangeError(`byte range ${start}-${end} is outside this ${this.plainSize}-byte blob`);
    }
    return Readable.from(this.plaintext(start, end), { objectMode: false });
  }

  async readAll(): Promise<Buffer> {
    const all = Buffer.allocUnsafe(this.plainSize);
    let at = 0;
    for await (const part of this.plaintext(0, this.plainSize - 1)) at += part.copy(all, at);
    return all;
  }

  close(): Promise<void> {
    return this.handle.close();
  }

  /**
   * Verified plaintext of bytes start..end (inclusive; end = start - 1 reads nothing but still
   * verifies chunk 0, which is how an empty blob is checked). Reads the next batch while
   * decrypting this one.
   */
  async *plaintext(start: number, end: number, onChunk?: (plain: Buffer) => void): AsyncGenerator<Buffer> {
    const first = Math.floor(start / CHUNK_SIZE);
    const last = Math.max(first, Math.floor(end / CHUNK_SIZE));
    let next: Promise<Buffer> | undefined = this.readChunks(first, Math.min(last, first + READ_BATCH_CHUNKS - 1));
    for (let batchStart = first; next; batchStart += READ_BATCH_CHUNKS) {
      const batch = await next;
      const nextStart = batchStart + READ_BATCH_CHUNKS;
      next = nextStart <= last ? this.readChunks(nextStart, Math.min(last, nextStart + READ_BATCH_CHUNKS - 1)) : undefined;
      // A rejected prefetch must not go unhandled while this batch is still being consumed.
      next?.catch(() => {});
      for (let i = batchStart, off = 0; off < batch.length; i++) {
        const size = this.cipherChunkSize(i);
        const plain = this.openChunk(i, batch.subarray(off, off + size));
        off += size;
        onChunk?.(plain);
        const from = Math.max(start - i * CHUNK_SIZE, 0);
        const to = Math.min(end + 1 - i * CHUNK_SIZE, plain.length);
        if (to > from) yield from === 0 && to === plain.length ? plain : plain.subarray(from, to);
      }
    }
  }

  private cipherChunkSize(i: number): number {
    return i < this.chunks - 1 ? STRIDE : this.plainSize - (this.chunks - 1) * CHUNK_SIZE + TAG_SIZE;
  }

  /** Chunks first..last (inclusive) with one read. */
  private async readChunks(first: number, last: number): Promise<Buffer> {
    const position = HEADER_SIZE + first * STRIDE;
    const length = (last - first) * STRIDE + this.cipherChunkSize(last);
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await this.handle.read(buf, got, length - got, position + got);
      if (bytesRead === 0) throw new IntegrityError(`blob ${this.header.blobId} ended early: it shrank while being read`);
      got += bytesRead;
    }
    return buf;
  }

  private openChunk(i: number, sealed: Buffer): Buffer {
    const decipher = createDecipheriv('aes-256-gcm', this.dek, chunkNonce(this.header.noncePrefix, i, i === this.chunks - 1), { authTagLength: TAG_SIZE })
      .setAAD(this.header.raw)
      .setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
    const plain = decipher.update(sealed.subarray(0, sealed.length - TAG_SIZE));
    try {
      decipher.final();
    } catch (err) {
      throw new IntegrityError(
        `blob ${this.header.blobId} is damaged: chunk ${i} of ${this.chunks} failed authentication (altered, truncated, reordered or from another blob)`,
        { cause: err },
      );
    }
    return plain;
  }
}
