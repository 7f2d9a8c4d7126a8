import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MediaSource } from './metadata.js';

/**
 * Runs `fn` with a fresh private directory under os.tmpdir() (a RAM-backed tmpfs in the container,
 * never the data dir, since it holds plaintext) and removes it afterwards, whatever happened.
 */
export async function withScratchDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'heirloom-media-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A file path for tools that cannot read from memory: the source's own path, or its buffer written into `dir`. */
export async function sourcePath(src: MediaSource, dir: string, ext: string): Promise<string> {
  if ('path' in src) return src.path;
  const file = path.join(dir, `source.${ext}`);
  await writeFile(file, src.buffer, { mode: 0o600 });
  return file;
}
