import type { Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { hashedChunks } from '../vault/file-sha256.js';

export interface PutOptions {
  signal?: AbortSignal;
  /**
   * The SHA-256 the file's bytes must have. The object appears only when the bytes sent hash to it;
   * otherwise put() rejects with SourceError and the target is left as it was.
   */
  sha256?: string;
}

/** The local file is missing, unreadable, or does not match the checksum put() was given: nothing was stored. */
export class SourceError extends Error {
  constructor(file: string, cause?: unknown) {
    super(cause ? `${file} could not be read (${(cause as Error).message}); it was not sent` : `${file} does not match its recorded checksum; it was not sent`, { cause });
    this.name = 'SourceError';
  }
}

/** A failed read of the local file becomes a SourceError, so that it is not taken for the target failing; a cancelled one stays what it is. */
export function fromSource<T>(file: string, reading: Promise<T>, signal?: AbortSignal): Promise<T> {
  return reading.catch((err: unknown) => {
    throw signal?.aborted || (err as Error).name === 'AbortError' ? err : new SourceError(file, err);
  });
}

/** hashedChunks() of a local file to send, its read failures as SourceErrors. */
export async function* sourceChunks(file: string, hash: Hash, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const chunks = hashedChunks(file, hash, signal);
  try {
    for (;;) {
      const next = await fromSource(file, chunks.next(), signal);
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await chunks.return(undefined);
  }
}

export interface RemoteObject {
  key: string;
  size: number;
}

/**
 * What replication needs from a place that holds copies. Keys are relative paths with '/'
 * ('blobs/ab/cd/<id>', 'snapshots/…', 'manifest.json'). Writes are atomic: a reader sees the whole
 * object or none of it.
 */
export interface Remote {
  /** Stores a local file under `key`, replacing what was there; resolves once the whole object is in place. */
  put(key: string, file: string, size: number, opts?: PutOptions): Promise<void>;
  head(key: string): Promise<RemoteObject | undefined>;
  /** Streams an object; rejects with a clear error when it does not exist. */
  get(key: string, signal?: AbortSignal): Promise<Readable>;
  /**
   * Optional: copies an object into a local file faster than get() can stream it (SFTP reads many
   * chunks at once). Rejects like get() when the object does not exist; may leave a partial file on failure.
   */
  download?(key: string, file: string, signal?: AbortSignal): Promise<void>;
  delete(key: string): Promise<void>;
  /** Every object under a prefix ('blobs/'), with its size. */
  list(prefix: string): AsyncIterable<RemoteObject>;
  close(): Promise<void>;
}
