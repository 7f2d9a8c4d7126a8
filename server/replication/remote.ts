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
