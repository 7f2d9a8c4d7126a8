import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { UserError } from '../errors.js';
import { writeAll } from '../vault/write-all.js';
import { type PutOptions, type Remote, type RemoteObject, SourceError, sourceChunks } from './remote.js';

/** A directory: a USB disk, or an NFS/SMB mount. Objects are written beside their name and renamed in. */
export class DirRemote implements Remote {
  constructor(private readonly root: string) {}

  /** The root must exist already: creating it would hide an unplugged disk behind an empty folder. */
  async connect(): Promise<void> {
    try {
      await access(this.root);
    } catch {
      throw new UserError(`The target directory ${this.root} is not there. Is the disk plugged in and mounted?`, 'target-offline');
    }
  }

  private file(key: string): string {
    const resolved = path.resolve(this.root, key);
    if (!resolved.startsWith(this.root + path.sep)) throw new Error(`key ${key} is outside the target`);
    return resolved;
  }

  async put(key: string, file: string, _size: number, opts: PutOptions = {}): Promise<void> {
    const dest = this.file(key);
    await mkdir(path.dirname(dest), { recursive: true });
    const part = `${dest}.part-${process.pid}`;
    try {
      const hash = createHash('sha256');
      const out = await open(part, 'w');
      try {
        for await (const chunk of sourceChunks(file, hash, opts.signal)) await writeAll(out, [chunk]);
        await out.sync();
      } finally {
        await out.close();
      }
      if (opts.sha256 && hash.digest('hex') !== opts.sha256) throw new SourceError(file);
      await rename(part, dest);
    } catch (err) {
      await rm(part, { force: true });
      throw err instanceof SourceError ? err : friendly(err, this.root);
    }
  }

  async head(key: string): Promise<RemoteObject | undefined> {
    try {
      return { key, size: (await stat(this.file(key))).size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw friendly(err, this.root);
    }
  }

  async get(key: string, _signal?: AbortSignal): Promise<Readable> {
    const file = this.file(key);
    await stat(file).catch((err: unknown) => {
      throw friendly(err, this.root, key);
    });
    return createReadStream(file, { highWaterMark: 1 << 20 });
  }

  async delete(key: string): Promise<void> {
    await unlink(this.file(key)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw friendly(err, this.root);
    });
  }

  async *list(prefix: string): AsyncIterable<RemoteObject> {
    const base = this.file(prefix.replace(/\/$/, '') || '.');
    const walk = async function* (dir: string): AsyncGenerator<string> {
      const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return [];
        throw err;
      });
      for (const e of entries) {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) yield* walk(full);
        else if (!e.name.includes('.part-')) yield full;
      }
    };
    for await (const full of walk(base)) yield { key: path.relative(this.root, full).split(path.sep).join('/'), size: (await stat(full)).size };
  }

  async close(): Promise<void> {}
}

function friendly(err: unknown, root: string, key?: string): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new UserError(`The target disk at ${root} is full.`, 'target-full', { cause: err });
  if (code === 'ENOENT' && key) return new UserError(`The target has no ${key}.`, 'target-missing-object', { cause: err });
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return new UserError(`Heirloom may not write to ${root} (${code}).`, 'target-denied', { cause: err });
  return err as Error;
}
