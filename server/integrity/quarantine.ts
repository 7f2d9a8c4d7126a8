import { link, mkdir, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * Moves a damaged blob out of blobs/ into <data>/quarantine/, never deleting it: a partly readable
 * original may still be someone's only copy of a photo. Returns the new path, or undefined if it was gone.
 */
export async function quarantine(dataDir: string, file: string, blobId: string): Promise<string | undefined> {
  const dir = path.join(dataDir, 'quarantine');
  await mkdir(dir, { recursive: true, mode: 0o750 });
  const stamp = `${blobId}.${new Date().toISOString().replace(/[:.]/g, '-')}`;
  // rename() would replace a file quarantined in the same millisecond: link() refuses to.
  for (let n = 0; ; n++) {
    const dest = path.join(dir, n === 0 ? stamp : `${stamp}-${n}`);
    try {
      await link(file, dest);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code === 'ENOENT') return undefined;
      throw err;
    }
    await unlink(file);
    return dest;
  }
}
