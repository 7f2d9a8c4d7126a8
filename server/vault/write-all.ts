import type { FileHandle } from 'node:fs/promises';

/** writev until every byte is down: a short write (e.g. the disk filling up) is retried to surface its error. */
export async function writeAll(handle: FileHandle, parts: Buffer[]): Promise<void> {
  let rest = parts;
  while (rest.length > 0) {
    let { bytesWritten } = await handle.writev(rest);
    if (bytesWritten === 0) throw new Error('writev wrote nothing');
    let i = 0;
    while (i < rest.length && bytesWritten >= rest[i]!.length) bytesWritten -= rest[i++]!.length;
    rest = rest.slice(i);
    if (bytesWritten > 0) rest[0] = rest[0]!.subarray(bytesWritten);
  }
}
