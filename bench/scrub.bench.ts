import { spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openDb } from '../server/db/client.js';
import { migrateDb } from '../server/db/migrate.js';
import { ScrubService } from '../server/integrity/scrub.service.js';
import { createLogger } from '../server/log.js';
import { BlobStore } from '../server/vault/blob-store.js';
import { blobRow, insertBlobs } from '../server/vault/blobs.repo.js';
import type { BlobKind } from '../server/vault/blobs.table.js';
import { Keyring } from '../server/vault/keyring.js';
import { best, row } from './measure.js';

/** About 200 MB in a photo library's mix: per photo a ~3 MB original, a ~200 KB preview, a ~20 KB thumbnail. */
const PHOTOS = 60;

function sha256sum(files: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sha256sum', files, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`sha256sum exited with ${code}`))));
  });
}

/**
 * Scrub throughput over the same blobs as `sha256sum` reads, both from the page cache: the keyless
 * level (size + ciphertext SHA-256, per blob against its row) should keep up with the plain tool.
 */
export async function benchScrub(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'heirloom-bench-scrub-'));
  const db = openDb(path.join(dir, 'heirloom.db'));
  try {
    migrateDb(db);
    const keyring = Keyring.generate();
    const store = new BlobStore(dir);
    await store.init();
    const files: string[] = [];
    let bytes = 0;
    const add = async (kind: BlobKind, size: number) => {
      // Written through the store as ingest does, without the media work: random bytes stand in for photos.
      const { tmpPath, sealed } = await store.writeTemp(keyring, randomBytes(size));
      await store.commit(tmpPath, sealed.blobId);
      insertBlobs(db, [blobRow(sealed, kind)]);
      files.push(store.pathFor(sealed.blobId));
      bytes += sealed.cipherSize;
    };
    for (let i = 0; i < PHOTOS; i++) {
      await add('original', randomInt(2_000_000, 4_400_000));
      await add('preview', randomInt(150_000, 250_000));
      await add('thumb', randomInt(12_000, 28_000));
    }
    // Warm the page cache for both sides.
    for (const file of files) await readFile(file);

    const scrub = new ScrubService({ db, store, keyring, log: createLogger('silent'), dataDir: dir });
    const mbps = (s: number) => `${(bytes / 1e6 / s).toFixed(0)} MB/s`;
    const scrubAll = (level: 'keyless' | 'full') => async () => {
      const run = await scrub.run({ level, scope: 'all', trigger: 'cli' });
      if (run.problemsFound > 0 || run.blobsChecked !== files.length) throw new Error(`the ${level} scrub found ${run.problemsFound} problems in ${run.blobsChecked} blobs`);
    };
    // Alternated, so a busy moment on the machine does not land on one side only; the best of each is kept.
    let tool = Infinity;
    let keyless = Infinity;
    for (let round = 0; round < 3; round++) {
      tool = Math.min(tool, await best(1, () => sha256sum(files)));
      keyless = Math.min(keyless, await best(1, scrubAll('keyless')));
    }
    const full = await best(2, scrubAll('full'));

    console.log(`Scrub, ${files.length} blobs, ${(bytes / 1e6).toFixed(0)} MB (page-cached)`);
    row('scrub keyless (size + sha256)', mbps(keyless), `${mbps(tool)} sha256sum`, tool / keyless, '≥ 0.90');
    row('scrub full (decrypt + sha256)', mbps(full), `${mbps(tool)} sha256sum`, tool / full);
  } finally {
    db.$client.close();
    await rm(dir, { recursive: true, force: true });
  }
}
