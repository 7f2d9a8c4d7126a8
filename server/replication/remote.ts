import type { Readable } from 'node:stream';

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
  /** Stores a local file under `key`, replacing what was there. */
  put(key: string, file: string, size: number, signal?: AbortSignal): Promise<void>;
  head(key: string): Promise<RemoteObject | undefined>;
  /** Streams an object; rejects with a clear error when it does not exist. */
  get(key: string, signal?: AbortSignal): Promise<Readable>;
  delete(key: string): Promise<void>;
  /** Every object under a prefix ('blobs/'), with its size. */
  list(prefix: string): AsyncIterable<RemoteObject>;
  close(): Promise<void>;
}
