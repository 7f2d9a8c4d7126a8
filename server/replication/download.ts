import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, open, rm, stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sha256OfFile } from '../vault/file-sha256.js';
import type { Remote } from './remote.js';

/** Downloads an object to a file, fsynced, and returns its SHA-256 and size. The file is removed on failure. */
export async function downloadTo(remote: Remote, key: string, file: string, signal?: AbortSignal): Promise<{ sha256: string; size: number }> {
  if (remote.download) {
    try {
      await remote.download(key, file, signal);
      await chmod(file, 0o600);
      const handle = await open(file, 'r');
      await handle.sync().finally(() => handle.close());
      return { sha256: await sha256OfFile(file), size: (await stat(file)).size };
    } catch (err) {
      await rm(file, { force: true });
      throw err;
    }
  }
  const hash = createHash('sha256');
  let size = 0;
  try {
    const tap = new Transform({
      transform(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    await pipeline(await remote.get(key, signal), tap, createWriteStream(file, { mode: 0o600 }), { signal });
    const handle = await open(file, 'r');
    await handle.sync().finally(() => handle.close());
    return { sha256: hash.digest('hex'), size };
  } catch (err) {
    await rm(file, { force: true });
    throw err;
  }
}
