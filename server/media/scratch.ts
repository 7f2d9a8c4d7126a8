import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isProcessAlive } from '../pids.js';
import type { MediaSource } from './metadata.js';

/** Returns the scratch directory, creating it on first call. */
export type Scratch = () => Promise<string>;

const PREFIX = 'heirloom-media-';
let sweep: Promise<unknown> | undefined;

/**
 * Runs `fn` with a private scratch directory under os.tmpdir() (a RAM-backed tmpfs in the container; never
 * the data dir, since it holds plaintext), created only if `fn` asks for it and always removed afterwards.
 * The first use in a process also clears what killed processes left behind.
 */
export async function withScratch<T>(fn: (scratch: Scratch) => Promise<T>): Promise<T> {
  let dir: Promise<string> | undefined;
  try {
    return await fn(() => {
      sweep ??= removeStaleScratch().catch(() => undefined);
      return (dir ??= mkdtemp(path.join(tmpdir(), `${PREFIX}${process.pid}-`)));
    });
  } finally {
    if (dir) await dir.then((d) => rm(d, { recursive: true, force: true }), () => undefined);
  }
}

/** A file path (or, for ffmpeg, a URL) for tools that cannot read from memory: the source's own, or its buffer written to scratch. */
export async function sourcePath(src: MediaSource, scratch: Scratch, ext: string): Promise<string> {
  if ('path' in src) return src.path;
  if ('url' in src) return src.url;
  const file = path.join(await scratch(), `source.${ext}`);
  await writeFile(file, src.buffer, { mode: 0o600 });
  return file;
}

/** Removes scratch directories of processes that no longer run (SIGKILL, power loss): they may hold plaintext. */
export async function removeStaleScratch(): Promise<number> {
  let removed = 0;
  for (const name of await readdir(tmpdir())) {
    const owner = new RegExp(`^${PREFIX}(\\d+)-`).exec(name)?.[1];
    if (owner === undefined || isProcessAlive(Number(owner))) continue;
    await rm(path.join(tmpdir(), name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}
