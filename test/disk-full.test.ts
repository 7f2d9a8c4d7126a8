import { execFileSync } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../server/config.js';
import { openContext, type Context } from '../server/context.js';
import { importFolder, scanFolder } from '../server/library/folder-import.js';
import { assets } from '../server/library/assets.table.js';
import { createLogger } from '../server/log.js';
import { createUser } from '../server/users/users.service.js';
import { Keyring } from '../server/vault/keyring.js';
import { makeFixtureDir, makeJpeg, removeFixtureDir } from './fixtures/index.js';
import { vaultProblems } from './helpers/invariants.js';

let root: string;
let dataDir: string;
let mounted = false;

// A real full disk: the data dir is a 3 MiB tmpfs (needs root, which CI has).
beforeAll(async () => {
  root = await makeFixtureDir('heirloom-full-');
  dataDir = path.join(root, 'data');
  await mkdir(dataDir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', dataDir], { stdio: 'ignore' });
    mounted = true;
  } catch {
    console.warn('disk-full test skipped: mounting a tmpfs needs root');
  }
});

afterAll(async () => {
  if (mounted) execFileSync('umount', [dataDir]);
  await removeFixtureDir(root);
});

describe('a data disk that fills up during an import', () => {
  it.skipIf(process.getuid?.() !== 0)('stops with a clear message and leaves every stored photo intact', async () => {
    expect(mounted).toBe(true);
    const photos = path.join(root, 'photos');
    await mkdir(photos);
    for (let seed = 1; seed <= 12; seed++) await makeJpeg(path.join(photos, `p${String(seed).padStart(2, '0')}.jpg`), { seed, width: 1000, height: 750, quality: 95 });
    const keyFile = path.join(root, 'master.key');
    await Keyring.generate().save(keyFile);
    const ctx: Context = await openContext(loadConfig({ HEIRLOOM_DATA_DIR: dataDir, HEIRLOOM_KEY_FILE: keyFile }), createLogger('silent'));
    try {
      const owner = await createUser(ctx.db, { username: 'anna', role: 'member', password: 'long enough password' });
      const summary = await importFolder(ctx.ingest, await scanFolder(photos), { ownerId: owner.id, concurrency: 1 });
      expect(summary.stoppedBy).toMatch(/^The data disk is full: free some space, then try again\. Nothing already stored was touched\.$/);
      expect(summary.imported).toBeGreaterThan(0);
      expect(summary.notReached).toBeGreaterThan(0);
      expect(await vaultProblems(dataDir, ctx.db)).toEqual([]);
      for (const a of ctx.db.select().from(assets).all()) {
        const blob = await ctx.store.open(a.originalBlobId, ctx.keyring);
        expect((await blob.readAll()).equals(await readFile(path.join(photos, a.originalName)))).toBe(true);
        await blob.close();
      }
    } finally {
      await ctx.close();
    }
  });
});
