import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

const READ_SIZE = 1 << 20;

/**
 * SHA-256 of a file as hex (what a keyless check of a stored blob needs). Reads into one reused
 * 1 MiB buffer: about twice the throughput of a read stream, which allocates a buffer per chunk.
 */
export async function sha256OfFile(file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(READ_SIZE);
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, 0, READ_SIZE, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}
