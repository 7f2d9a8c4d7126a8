import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** Every file under blobs/ (two levels of shard directories), as paths relative to blobs/. */
export async function* blobFiles(blobsDir: string): AsyncGenerator<string> {
  for (const a of await readdir(blobsDir, { withFileTypes: true })) {
    if (!a.isDirectory()) {
      yield a.name;
      continue;
    }
    for (const b of await readdir(path.join(blobsDir, a.name), { withFileTypes: true })) {
      if (!b.isDirectory()) {
        yield path.join(a.name, b.name);
        continue;
      }
      for (const f of await readdir(path.join(blobsDir, a.name, b.name))) yield path.join(a.name, b.name, f);
    }
  }
}
