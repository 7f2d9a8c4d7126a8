import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobStore } from '../server/vault/blob-store.js';
import { Keyring } from '../server/vault/keyring.js';
import { decryptFile } from '../server/vault/reader.js';
import { best, row } from './measure.js';

const SIZE = 256 * 1024 * 1024;
const mbps = (s: number) => `${(SIZE / 1e6 / s).toFixed(0)} MB/s`;

/** A sink that drops bytes, so the decrypt figure is the decrypt, not a second disk write. */
const sink = () => new Writable({ write: (_c, _e, cb) => cb() });

/** Encrypt (hash + seal + write + fsync) against a plain copy with fsync; decrypt against a plain read. */
export async function benchVault(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'heirloom-bench-vault-'));
  try {
    const source = path.join(dir, 'source.bin');
    await writeFile(source, randomBytes(SIZE));
    const keyring = Keyring.generate();
    const store = new BlobStore(path.join(dir, 'data'));
    await store.init();

    const copy = await best(3, async () => {
      const dest = path.join(dir, 'copy.bin');
      await pipeline(createReadStream(source, { highWaterMark: 1 << 20 }), createWriteStream(dest));
      const h = await open(dest, 'r+');
      await h.sync();
      await h.close();
      await rm(dest);
    });
    let blobPath = '';
    const encrypt = await best(3, async () => {
      if (blobPath) await rm(blobPath);
      const { tmpPath } = await store.writeTemp(keyring, createReadStream(source, { highWaterMark: 1 << 20 }));
      blobPath = tmpPath;
    });
    const plainRead = await best(3, () => pipeline(createReadStream(source, { highWaterMark: 1 << 20 }), sink()));
    const hashedRead = await best(3, () => pipeline(createReadStream(source, { highWaterMark: 1 << 20 }), createHash('sha256')));
    const decrypt = await best(3, () => decryptFile(blobPath, keyring, sink()));

    console.log(`Vault, ${SIZE / 1024 / 1024} MiB of random bytes (page-cached)`);
    row('encrypt + hash + fsync', mbps(encrypt), mbps(copy), copy / encrypt);
    row('decrypt + verify tags + sha256', mbps(decrypt), mbps(plainRead), plainRead / decrypt);
    row('decrypt + verify tags + sha256', mbps(decrypt), `${mbps(hashedRead)} read+sha256`, hashedRead / decrypt);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
