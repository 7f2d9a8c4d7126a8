import { stat } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { IntegrityError } from '../errors.js';
import type { BlobStore } from '../vault/blob-store.js';
import { sha256OfFile } from '../vault/file-sha256.js';
import type { BlobRow } from '../vault/blobs.table.js';
import type { Keyring } from '../vault/keyring.js';
import { decryptFile } from '../vault/reader.js';
import type { ProblemKind, ScrubLevel } from './integrity.table.js';
import type { ReadThrottle } from './throttle.js';

export interface BlobFinding {
  kind: ProblemKind;
  detail: string;
}

/**
 * Checks one stored blob against its row. 'keyless' compares size and the SHA-256 of the ciphertext
 * (no key needed: what a replica can prove too); 'full' also decrypts every chunk, verifying each tag and
 * the plaintext SHA-256. Returns undefined when the blob is sound.
 */
export async function checkBlob(store: BlobStore, keyring: Keyring, row: BlobRow, level: ScrubLevel, throttle: ReadThrottle, signal?: AbortSignal): Promise<BlobFinding | undefined> {
  const file = store.pathFor(row.id);
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing', detail: `${file} does not exist` };
    throw err;
  }
  if (size !== row.cipherSize) return { kind: 'size', detail: `${size} bytes on disk, ${row.cipherSize} expected` };
  await throttle.take(size, signal);
  if (level === 'keyless') {
    const actual = await sha256OfFile(file, signal);
    return actual === row.cipherSha256 ? undefined : { kind: 'checksum', detail: `ciphertext SHA-256 is ${actual.slice(0, 16)}…, ${row.cipherSha256.slice(0, 16)}… expected` };
  }
  try {
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    const result = await decryptFile(file, keyring, sink);
    if (result.blobId !== row.id) return { kind: 'decrypt', detail: `the file holds blob ${result.blobId}` };
    if (result.plainSha256 !== row.plainSha256 || result.plainSize !== row.plainSize) {
      return { kind: 'checksum', detail: `plaintext SHA-256 is ${result.plainSha256.slice(0, 16)}…, ${row.plainSha256.slice(0, 16)}… expected` };
    }
    return undefined;
  } catch (err) {
    if (err instanceof IntegrityError) return { kind: 'decrypt', detail: err.message };
    throw err;
  }
}
