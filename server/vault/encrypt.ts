import { createCipheriv, createHash, createSecretKey, randomBytes, type Hash, type KeyObject } from 'node:crypto';
import { Transform } from 'node:stream';
import { CHUNK_SIZE, chunkNonce, encodeHeader, HEADER_SIZE, newBlobId, NONCE_PREFIX_SIZE, TAG_SIZE } from './format.js';
import type { Keyring } from './keyring.js';

/** What the DB records about a stored blob. Hashes are lowercase hex. */
export interface SealedBlob {
  blobId: string;
  keyVersion: number;
  wrappedDek: Buffer;
  plainSize: number;
  plainSha256: string;
  cipherSize: number;
  cipherSha256: string;
}

/**
 * Fixed secrets, only to reproduce the test vectors of docs/vault-format.md. Never use them to
 * store data: a data key and nonce prefix used twice break AES-GCM.
 */
export interface TestVectorSecrets {
  dek: Buffer;
  noncePrefix: Buffer;
  /** The DEK wrapped with a fixed nonce; it must unwrap to `dek` under the keyring's current key. */
  wrappedDek: Buffer;
}

export interface SealerOptions {
  blobId?: string;
  /** The SHA-256 of exactly the plaintext that will be written, when the caller already hashed it: it is not hashed twice. */
  plainSha256?: string;
  vector?: TestVectorSecrets;
}

/**
 * Incremental encryptor: feed plaintext with write(), then end(); each returns the blob bytes
 * that are ready, the header first, as one Buffer that belongs to the caller alone.
 * Holds back one chunk until it knows whether more follows.
 */
export class BlobSealer {
  readonly blobId: string;
  readonly keyVersion: number;
  readonly wrappedDek: Buffer;
  /** A KeyObject: creating a cipher from one is several times cheaper than from raw bytes. */
  private readonly dek: KeyObject;
  private readonly noncePrefix: Buffer;
  private readonly header: Buffer;
  private readonly plainHash: Hash | undefined;
  private readonly knownPlainSha256: string | undefined;
  private readonly cipherHash: Hash = createHash('sha256');
  private pending: Buffer[] = [];
  private pendingSize = 0;
  private index = 0;
  private plainSize = 0;
  private cipherSize = 0;
  private result: SealedBlob | undefined;

  constructor(keyring: Keyring, { blobId = newBlobId(), plainSha256, vector }: SealerOptions = {}) {
    this.blobId = blobId;
    this.keyVersion = keyring.currentVersion;
    const dek = vector?.dek ?? randomBytes(32);
    this.noncePrefix = vector?.noncePrefix ?? randomBytes(NONCE_PREFIX_SIZE);
    if (vector && !keyring.unwrapDek(vector.wrappedDek, blobId, this.keyVersion).equals(dek)) {
      throw new Error('the test vector wrapped DEK does not unwrap to its DEK');
    }
    this.wrappedDek = vector?.wrappedDek ?? keyring.wrapDek(dek, blobId, this.keyVersion);
    this.dek = createSecretKey(dek);
    this.header = encodeHeader({ keyVersion: this.keyVersion, blobId, noncePrefix: this.noncePrefix, wrappedDek: this.wrappedDek });
    this.knownPlainSha256 = plainSha256;
    this.plainHash = plainSha256 ? undefined : createHash('sha256');
  }

  write(plain: Buffer): Buffer {
    if (this.result) throw new Error('write after end');
    this.plainHash?.update(plain);
    this.plainSize += plain.length;
    this.pending.push(plain);
    this.pendingSize += plain.length;
    const chunks = Math.max(0, Math.ceil(this.pendingSize / CHUNK_SIZE) - 1);
    const out = this.start(chunks * (CHUNK_SIZE + TAG_SIZE));
    let at = this.cipherSize === 0 ? HEADER_SIZE : 0;
    for (let i = 0; i < chunks; i++) at = this.sealChunk(this.takeChunk(), false, out, at);
    return this.emit(out);
  }

  end(): Buffer {
    if (this.result) throw new Error('end called twice');
    const out = this.start(this.pendingSize + TAG_SIZE);
    this.sealChunk(this.pending, true, out, this.cipherSize === 0 ? HEADER_SIZE : 0);
    this.pending = [];
    this.emit(out);
    this.result = {
      blobId: this.blobId,
      keyVersion: this.keyVersion,
      wrappedDek: this.wrappedDek,
      plainSize: this.plainSize,
      plainSha256: this.knownPlainSha256 ?? this.plainHash!.digest('hex'),
      cipherSize: this.cipherSize,
      cipherSha256: this.cipherHash.digest('hex'),
    };
    return out;
  }

  sealed(): SealedBlob {
    if (!this.result) throw new Error('the blob is not sealed until all of it was written');
    return this.result;
  }

  /** The output of one call: the header (before the first bytes only) and room for `sealedBytes`. */
  private start(sealedBytes: number): Buffer {
    const first = this.cipherSize === 0;
    const out = Buffer.allocUnsafeSlow((first ? HEADER_SIZE : 0) + sealedBytes);
    if (first) this.header.copy(out);
    return out;
  }

  /** Removes exactly one chunk of plaintext from `pending`, as slices of the buffers written. */
  private takeChunk(): Buffer[] {
    const chunk: Buffer[] = [];
    let need = CHUNK_SIZE;
    while (need > 0) {
      const head = this.pending[0]!;
      if (head.length <= need) {
        chunk.push(head);
        this.pending.shift();
        need -= head.length;
      } else {
        chunk.push(head.subarray(0, need));
        this.pending[0] = head.subarray(need);
        need = 0;
      }
    }
    this.pendingSize -= CHUNK_SIZE;
    return chunk;
  }

  /** Encrypts one chunk into `out` at `at`, its tag after it; returns where the next chunk goes. */
  private sealChunk(parts: Buffer[], last: boolean, out: Buffer, at: number): number {
    const cipher = createCipheriv('aes-256-gcm', this.dek, chunkNonce(this.noncePrefix, this.index++, last)).setAAD(this.header);
    for (const part of parts) {
      const bytes = cipher.update(part);
      at += bytes.copy(out, at);
      release(bytes);
    }
    cipher.final();
    return at + cipher.getAuthTag().copy(out, at);
  }

  private emit(out: Buffer): Buffer {
    this.cipherHash.update(out);
    this.cipherSize += out.length;
    return out;
  }
}

/**
 * Frees a Buffer's memory now rather than at the next full GC. V8 starts a full mark-compact for
 * every 64 MB of such memory that builds up, which at one 12 MP photo after another costs more
 * CPU than the hashing. Only for a Buffer that alone spans its memory and that nothing reads any more.
 */
export function release(buffer: Buffer): void {
  if (buffer.byteOffset !== 0 || buffer.byteLength !== buffer.buffer.byteLength) return;
  (buffer.buffer as ArrayBuffer & { transfer(length: number): ArrayBuffer }).transfer(0);
}

/** A Transform from plaintext to blob bytes; sealed() is valid once the stream has flushed. */
export function createEncryptStream(keyring: Keyring, blobId?: string, vector?: TestVectorSecrets): { stream: Transform; sealed(): SealedBlob } {
  const sealer = new BlobSealer(keyring, { blobId, vector });
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const bytes = sealer.write(chunk);
      if (bytes.length > 0) this.push(bytes);
      done();
    },
    flush(done) {
      this.push(sealer.end());
      done();
    },
  });
  return { stream, sealed: () => sealer.sealed() };
}

export function encryptBuffer(keyring: Keyring, plain: Buffer, blobId?: string, vector?: TestVectorSecrets): { bytes: Buffer; sealed: SealedBlob } {
  const sealer = new BlobSealer(keyring, { blobId, vector });
  const parts = [sealer.write(plain), sealer.end()];
  const sealed = sealer.sealed();
  return { bytes: Buffer.concat(parts, sealed.cipherSize), sealed };
}
