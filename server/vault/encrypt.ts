import { createCipheriv, createHash, createSecretKey, randomBytes, type Hash, type KeyObject } from 'node:crypto';
import { Transform } from 'node:stream';
import { CHUNK_SIZE, chunkNonce, encodeHeader, newBlobId, NONCE_PREFIX_SIZE } from './format.js';
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

/**
 * Incremental encryptor: feed plaintext with write(), then end(); each returns the blob bytes
 * that are ready, the header first. Holds back one chunk until it knows whether more follows.
 */
export class BlobSealer {
  readonly blobId: string;
  readonly keyVersion: number;
  readonly wrappedDek: Buffer;
  /** A KeyObject: creating a cipher from one is several times cheaper than from raw bytes. */
  private readonly dek: KeyObject;
  private readonly noncePrefix: Buffer;
  private readonly header: Buffer;
  private readonly plainHash: Hash = createHash('sha256');
  private readonly cipherHash: Hash = createHash('sha256');
  private pending: Buffer[] = [];
  private pendingSize = 0;
  private index = 0;
  private plainSize = 0;
  private cipherSize = 0;
  private result: SealedBlob | undefined;

  constructor(keyring: Keyring, blobId = newBlobId(), vector?: TestVectorSecrets) {
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
  }

  write(plain: Buffer): Buffer[] {
    if (this.result) throw new Error('write after end');
    const out = this.start();
    this.plainHash.update(plain);
    this.plainSize += plain.length;
    this.pending.push(plain);
    this.pendingSize += plain.length;
    while (this.pendingSize > CHUNK_SIZE) this.sealChunk(this.takeChunk(), false, out);
    return out;
  }

  end(): Buffer[] {
    if (this.result) throw new Error('end called twice');
    const out = this.start();
    this.sealChunk(this.pending, true, out);
    this.pending = [];
    this.result = {
      blobId: this.blobId,
      keyVersion: this.keyVersion,
      wrappedDek: this.wrappedDek,
      plainSize: this.plainSize,
      plainSha256: this.plainHash.digest('hex'),
      cipherSize: this.cipherSize,
      cipherSha256: this.cipherHash.digest('hex'),
    };
    return out;
  }

  sealed(): SealedBlob {
    if (!this.result) throw new Error('the blob is not sealed until all of it was written');
    return this.result;
  }

  private start(): Buffer[] {
    const out: Buffer[] = [];
    if (this.cipherSize === 0) this.emit(this.header, out);
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

  private sealChunk(parts: Buffer[], last: boolean, out: Buffer[]): void {
    const cipher = createCipheriv('aes-256-gcm', this.dek, chunkNonce(this.noncePrefix, this.index++, last)).setAAD(this.header);
    for (const part of parts) this.emit(cipher.update(part), out);
    cipher.final();
    this.emit(cipher.getAuthTag(), out);
  }

  private emit(bytes: Buffer, out: Buffer[]): void {
    if (bytes.length === 0) return;
    this.cipherHash.update(bytes);
    this.cipherSize += bytes.length;
    out.push(bytes);
  }
}

/** A Transform from plaintext to blob bytes; sealed() is valid once the stream has flushed. */
export function createEncryptStream(keyring: Keyring, blobId?: string, vector?: TestVectorSecrets): { stream: Transform; sealed(): SealedBlob } {
  const sealer = new BlobSealer(keyring, blobId, vector);
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      for (const bytes of sealer.write(chunk)) this.push(bytes);
      done();
    },
    flush(done) {
      for (const bytes of sealer.end()) this.push(bytes);
      done();
    },
  });
  return { stream, sealed: () => sealer.sealed() };
}

export function encryptBuffer(keyring: Keyring, plain: Buffer, blobId?: string, vector?: TestVectorSecrets): { bytes: Buffer; sealed: SealedBlob } {
  const sealer = new BlobSealer(keyring, blobId, vector);
  const parts = [...sealer.write(plain), ...sealer.end()];
  const sealed = sealer.sealed();
  return { bytes: Buffer.concat(parts, sealed.cipherSize), sealed };
}
