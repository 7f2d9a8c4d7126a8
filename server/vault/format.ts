import { randomBytes } from 'node:crypto';
import { IntegrityError } from '../errors.js';

/** Byte layout of a version 1 blob header; docs/vault-format.md explains every field. */
const MAGIC = Buffer.from('HLMB', 'ascii');
const OFF_VERSION = 4;
const OFF_ALGORITHM = 5;
const OFF_RESERVED = 6;
const OFF_CHUNK_SIZE = 8;
const OFF_KEY_VERSION = 12;
const OFF_BLOB_ID = 16;
const OFF_NONCE_PREFIX = 32;
const OFF_WRAPPED_DEK = 39;

const FORMAT_VERSION = 1;
const ALG_AES_256_GCM = 1;
export const CHUNK_SIZE = 65536;
export const TAG_SIZE = 16;
const BLOB_ID_SIZE = 16;
export const NONCE_PREFIX_SIZE = 7;
export const WRAPPED_DEK_SIZE = 60;
export const HEADER_SIZE = OFF_WRAPPED_DEK + WRAPPED_DEK_SIZE;

const BLOB_ID_RE = /^[0-9a-f]{32}$/;

export function newBlobId(): string {
  return randomBytes(BLOB_ID_SIZE).toString('hex');
}

export function isBlobId(id: string): boolean {
  return BLOB_ID_RE.test(id);
}

export function blobIdBytes(id: string): Buffer {
  if (!isBlobId(id)) throw new TypeError('a blob id is 32 lowercase hex characters');
  return Buffer.from(id, 'hex');
}

export interface BlobHeader {
  version: number;
  algorithm: number;
  chunkSize: number;
  keyVersion: number;
  blobId: string;
  noncePrefix: Buffer;
  wrappedDek: Buffer;
  /** The header bytes exactly as stored: the associated data of every chunk. */
  raw: Buffer;
}

export function encodeHeader(h: Omit<BlobHeader, 'raw' | 'version' | 'algorithm' | 'chunkSize'>): Buffer {
  if (h.noncePrefix.length !== NONCE_PREFIX_SIZE) throw new TypeError(`the nonce prefix must be ${NONCE_PREFIX_SIZE} bytes`);
  if (h.wrappedDek.length !== WRAPPED_DEK_SIZE) throw new TypeError(`the wrapped data key must be ${WRAPPED_DEK_SIZE} bytes`);
  const buf = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(buf, 0);
  buf[OFF_VERSION] = FORMAT_VERSION;
  buf[OFF_ALGORITHM] = ALG_AES_256_GCM;
  buf.writeUInt32BE(CHUNK_SIZE, OFF_CHUNK_SIZE);
  buf.writeUInt32BE(h.keyVersion, OFF_KEY_VERSION);
  blobIdBytes(h.blobId).copy(buf, OFF_BLOB_ID);
  h.noncePrefix.copy(buf, OFF_NONCE_PREFIX);
  h.wrappedDek.copy(buf, OFF_WRAPPED_DEK);
  return buf;
}

export function decodeHeader(buf: Buffer): BlobHeader {
  if (buf.length < HEADER_SIZE) throw new IntegrityError(`not a Heirloom blob: ${buf.length} bytes is shorter than the ${HEADER_SIZE}-byte header`);
  const raw = Buffer.from(buf.subarray(0, HEADER_SIZE));
  if (!raw.subarray(0, MAGIC.length).equals(MAGIC)) throw new IntegrityError('not a Heirloom blob: bad magic bytes (expected "HLMB")');
  const version = raw[OFF_VERSION]!;
  if (version !== FORMAT_VERSION) throw new IntegrityError(`unsupported blob format version ${version} (this Heirloom reads version ${FORMAT_VERSION})`);
  const algorithm = raw[OFF_ALGORITHM]!;
  if (algorithm !== ALG_AES_256_GCM) throw new IntegrityError(`unknown blob encryption algorithm ${algorithm} (expected ${ALG_AES_256_GCM}, AES-256-GCM)`);
  if (raw.readUInt16BE(OFF_RESERVED) !== 0) throw new IntegrityError('damaged blob header: reserved bytes are not zero');
  const chunkSize = raw.readUInt32BE(OFF_CHUNK_SIZE);
  if (chunkSize !== CHUNK_SIZE) throw new IntegrityError(`unsupported blob chunk size ${chunkSize} (version ${FORMAT_VERSION} uses ${CHUNK_SIZE})`);
  const keyVersion = raw.readUInt32BE(OFF_KEY_VERSION);
  if (keyVersion === 0) throw new IntegrityError('damaged blob header: master key version 0 does not exist');
  return {
    version,
    algorithm,
    chunkSize,
    keyVersion,
    blobId: raw.toString('hex', OFF_BLOB_ID, OFF_BLOB_ID + BLOB_ID_SIZE),
    noncePrefix: raw.subarray(OFF_NONCE_PREFIX, OFF_NONCE_PREFIX + NONCE_PREFIX_SIZE),
    wrappedDek: raw.subarray(OFF_WRAPPED_DEK, OFF_WRAPPED_DEK + WRAPPED_DEK_SIZE),
    raw,
  };
}

/** Number of chunks in a blob of this plaintext size: an empty plaintext still has one (empty, final) chunk. */
export function chunkCount(plainSize: number): number {
  return Math.max(1, Math.ceil(plainSize / CHUNK_SIZE));
}

export function cipherSizeFor(plainSize: number): number {
  return HEADER_SIZE + plainSize + TAG_SIZE * chunkCount(plainSize);
}

/** The plaintext size a blob file of this size holds; sizes no plaintext can produce are damage. */
export function plainSizeFor(cipherSize: number): number {
  const body = cipherSize - HEADER_SIZE;
  const n = Math.max(1, Math.ceil(body / (CHUNK_SIZE + TAG_SIZE)));
  const lastChunk = body - (n - 1) * (CHUNK_SIZE + TAG_SIZE);
  // Only a lone chunk may be empty: the encryptor never ends with an empty chunk after a full one.
  if (!Number.isSafeInteger(cipherSize) || lastChunk < TAG_SIZE || (n > 1 && lastChunk === TAG_SIZE)) {
    throw new IntegrityError(`damaged or truncated blob: no plaintext encrypts to ${cipherSize} bytes`);
  }
  return body - TAG_SIZE * n;
}

/** AES-GCM nonce of chunk `index`: prefix ‖ u32 BE index ‖ 0x01 on the last chunk, else 0x00. */
export function chunkNonce(prefix: Buffer, index: number, last: boolean): Buffer {
  const nonce = Buffer.allocUnsafe(NONCE_PREFIX_SIZE + 5);
  prefix.copy(nonce, 0);
  nonce.writeUInt32BE(index, NONCE_PREFIX_SIZE);
  nonce[NONCE_PREFIX_SIZE + 4] = last ? 1 : 0;
  return nonce;
}
