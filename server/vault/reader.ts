import { createDecipheriv, createHash, createSecretKey, type KeyObject } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { IntegrityError } from '../errors.js';
import { release, type SealedBlob } from './encrypt.js';
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

/** The first `bytes` of plaintext (fewer when the blob is shorter), e.g. to tell its type. */
export async function readHead(blob: OpenBlob, bytes: number): Promise<Buffer> {
  if (blob.plainSize === 0) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of blob.createReadStream({ start: 0, end: Math.min(bytes, blob.plainSize) - 1 })) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Decrypts a whole blob into `out` and ends it. Every chunk written was verified first, but a
 * failure at chunk k leaves chunks before it in `out`: discard the output when this throws.
 */
export async function decryptFile(path: string, keyring: Keyring, out: Writable): Promise<DecryptedBlob> {
  const blob = await openBlobFile(path, keyring);
  try {
    const hash = createHash('sha256');
    await pipeline(async function* () {
      for await (const part of blob.plaintext(0, blob.plainSize - 1)) {
        hash.update(part);
        yield part;
      }
    }, out);
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
    for await (const part of this.plaintext(0, this.plainSize - 1)) {
      at += part.copy(all, at);
      release(part);
    }
    return all;
  }

  close(): Promise<void> {
    return this.handle.close();
  }

  /**
   * Verified plaintext of bytes start..end (inclusive; end = start - 1 reads nothing but still
   * verifies chunk 0, which is how an empty blob is checked), a Buffer per chunk that is the
   * caller's alone. A range that needs several reads starts with a one-chunk read, so a seek answers
   * fast; each read after it is prefetched while the one before decrypts.
   */
  async *plaintext(start: number, end: number): AsyncGenerator<Buffer> {
    const first = Math.floor(start / CHUNK_SIZE);
    const last = Math.max(first, Math.floor(end / CHUNK_SIZE));
    // Two ciphertext buffers, reused: one is read into while the other decrypts.
    const room = Math.min(READ_BATCH_CHUNKS * STRIDE, (last - first) * STRIDE + this.cipherChunkSize(last));
    const sealed: Buffer[] = [];
    const read = (from: number, to: number, n: number) => this.readChunks(from, to, (sealed[n % 2] ??= Buffer.allocUnsafeSlow(room)));
    const firstLast = last - first < READ_BATCH_CHUNKS ? last : first;
    let next: Promise<Buffer> | undefined = read(first, firstLast, 0);
    for (let batchFirst = first, batchLast = firstLast, n = 1; next; n++) {
      const batch = await next;
      const nextFirst = batchLast + 1;
      const nextLast = Math.min(last, nextFirst + READ_BATCH_CHUNKS - 1);
      next = nextFirst <= last ? read(nextFirst, nextLast, n) : undefined;
      // A rejected prefetch must not go unhandled while this batch is still being consumed.
      next?.catch(() => {});
      for (let i = batchFirst, off = 0; i <= batchLast; i++) {
        const size = this.cipherChunkSize(i);
        const plain = this.openChunk(i, batch.subarray(off, off + size));
        off += size;
        const from = Math.max(start - i * CHUNK_SIZE, 0);
        const to = Math.min(end + 1 - i * CHUNK_SIZE, plain.length);
        if (to > from) yield from === 0 && to === plain.length ? plain : plain.subarray(from, to);
      }
      [batchFirst, batchLast] = [nextFirst, nextLast];
    }
    // Only reached when no read is in flight.
    for (const buffer of sealed) release(buffer);
  }

  private cipherChunkSize(i: number): number {
    return i < this.chunks - 1 ? STRIDE : this.plainSize - (this.chunks - 1) * CHUNK_SIZE + TAG_SIZE;
  }

  /** Chunks first..last (inclusive) with one read into the start of `buf`; returns that part of it. */
  private async readChunks(first: number, last: number, buf: Buffer): Promise<Buffer> {
    const position = HEADER_SIZE + first * STRIDE;
    const length = (last - first) * STRIDE + this.cipherChunkSize(last);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await this.handle.read(buf, got, length - got, position + got);
      if (bytesRead === 0) throw new IntegrityError(`blob ${this.header.blobId} ended early: it shrank while being read`);
      got += bytesRead;
    }
    return buf.subarray(0, length);
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
