import { createHash, type Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { release } from './encrypt.js';

const READ_SIZE = 1 << 20;

/**
 * A file front to back, each chunk added to `hash` before it is handed out. Reads into two reused
 * 1 MiB buffers, the next read in flight while the caller handles the last: a read stream would
 * allocate a buffer per chunk and wait for each read. A chunk is valid only until the next one is asked for.
 */
export async function* hashedChunks(file: string, hash: Hash, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffers = [Buffer.allocUnsafeSlow(READ_SIZE), Buffer.allocUnsafeSlow(READ_SIZE)];
    const read = (n: number, position: number) => {
      const reading = handle.read(buffers[n % 2]!, 0, READ_SIZE, position);
      // A rejected read must not go unhandled when the caller stops early.
      reading.catch(() => {});
      return reading;
    };
    let next = read(0, 0);
    for (let n = 1, position = 0; ; n++) {
      signal?.throwIfAborted();
      const { bytesRead, buffer } = await next;
      if (bytesRead === 0) break;
      position += bytesRead;
      next = read(n, position);
      const chunk = buffer.subarray(0, bytesRead);
      hash.update(chunk);
      yield chunk;
    }
    // Only reached when no read is in flight.
    for (const buffer of buffers) release(buffer);
  } finally {
    await handle.close();
  }
}

/** SHA-256 of a file as hex (what a keyless check of a stored blob needs). */
export async function sha256OfFile(file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const _ of hashedChunks(file, hash, signal));
  return hash.digest('hex');
}
