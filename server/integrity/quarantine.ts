import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';

/**
 * Moves a damaged blob out of blobs/ into <data>/quarantine/, never deleting it: a partly readable
 * original may still be someone's only copy of a photo. Returns the new path, or undefined if it was gone.
 */
export async function quarantine(dataDir: string, file: string, blobId: string): Promise<string | undefined> {
  const dir = path.join(dataDir, 'quarantine');
  await mkdir(dir, { recursive: true, mode: 0o750 });
  const dest = path.join(dir, `${blobId}.${new Date().toISOString().replace(/[:.]/g, '-')}`);
  try {
    await rename(file, dest);
    return dest;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
