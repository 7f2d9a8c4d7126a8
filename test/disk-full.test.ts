import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../server/config.js';
import { openContext, type Context } from '../server/context.js';
import { importFolder, scanFolder } from '../server/library/folder-import.js';
import { assets } from '../server/library/assets.table.js';
import { uploadLimits } from '../server/library/upload.service.js';
import { createLogger } from '../server/log.js';
import { createUser } from '../server/users/users.service.js';
import { Keyring } from '../server/vault/keyring.js';
import { makeFixtureDir, makeJpeg, removeFixtureDir } from './fixtures/index.js';
import { TEST_PASSWORD } from './helpers/context.js';
import { vaultProblems } from './helpers/invariants.js';
import { multipart, postUpload } from './helpers/multipart.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

let root: string;
let dataDir: string;
let uploadDataDir: string;
let mounted = false;

// A real full disk: each data dir is a 3 MiB tmpfs (needs root, which CI has).
beforeAll(async () => {
  root = await makeFixtureDir('heirloom-full-');
  dataDir = path.join(root, 'data');
  uploadDataDir = path.join(root, 'upload-data');
  try {
    for (const dir of [dataDir, uploadDataDir]) {
      await mkdir(dir);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', dir], { stdio: 'ignore' });
    }
    mounted = true;
  } catch {
    console.warn('disk-full test skipped: mounting a tmpfs needs root');
  }
});

afterAll(async () => {
  if (mounted) for (const dir of [dataDir, uploadDataDir]) execFileSync('umount', [dir]);
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

describe('a data disk that fills up during an upload', () => {
  it.skipIf(process.getuid?.() !== 0)('answers 507 with a clear message, leaves no temp blob, and takes the next upload that fits', async () => {
    expect(mounted).toBe(true);
    const { reserveBytes } = uploadLimits;
    const keyFile = path.join(root, 'upload.key');
    await Keyring.generate().save(keyFile);
    const ctx: Context = await openContext(loadConfig({ HEIRLOOM_DATA_DIR: uploadDataDir, HEIRLOOM_KEY_FILE: keyFile }), createLogger('silent'));
    const server = await listen(ctx);
    try {
      await createUser(ctx.db, { username: 'anna', role: 'member', password: TEST_PASSWORD });
      const web = new WebClient(server.url);
      await web.signIn('anna', TEST_PASSWORD);
      // Sent without a length, so only the disk itself can say no, midway.
      const answer = await postUpload(web, server.url, multipart(randomBytes(4 * 1024 * 1024), 'huge.jpg'));
      expect(answer.status).toBe(507);
      expect((JSON.parse(answer.text) as { message: string }).message).toBe('The data disk is full: free some space, then try again. Nothing already stored was touched.');
      expect(await readdir(ctx.store.tmpDir)).toEqual([]);
      expect(await vaultProblems(uploadDataDir, ctx.db)).toEqual([]);

      // The room kept free for everything else is far more than this whole disk.
      uploadLimits.reserveBytes = 0;
      const photo = await makeJpeg(path.join(root, 'small.jpg'), { seed: 99, width: 400, height: 300 });
      const form = new FormData();
      form.append('file', await openAsBlob(photo), 'small.jpg');
      const next = await web.request('/upload', { method: 'POST', body: form, headers: { accept: 'application/json', 'x-csrf-token': web.csrf } });
      expect(next.status).toBe(201);
    } finally {
      uploadLimits.reserveBytes = reserveBytes;
      await server.close();
      await ctx.close();
    }
  });
});
