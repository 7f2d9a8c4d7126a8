import { statfs } from 'node:fs/promises';

export interface DiskSpace {
  freeBytes: number;
  sizeBytes: number;
}

/** Free space (what an unprivileged process may still write) and size of the filesystem holding `dir`; undefined when it cannot be read. */
export async function diskSpace(dir: string): Promise<DiskSpace | undefined> {
  const fs = await statfs(dir).catch(() => undefined);
  return fs && { freeBytes: fs.bavail * fs.bsize, sizeBytes: fs.blocks * fs.bsize };
}
