import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { openAsBlob } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../server/config.js';
import { openContext } from '../server/context.js';
import type { FaultPoint } from '../server/faults.js';
import { assets } from '../server/library/assets.table.js';
import { createLogger } from '../server/log.js';
import { closeMedia } from '../server/media/previews.js';
import { packageRoot } from '../server/paths.js';
import { makeFixtureDir, makeJpeg, makePng, makeVideo, removeFixtureDir } from './fixtures/index.js';
import { runCli } from './helpers/cli.js';
import { TEST_PASSWORD } from './helpers/context.js';
import { vaultProblems } from './helpers/invariants.js';
import { freePort, listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

const faults: FaultPoint[] = ['after-tmp-write', 'after-fsync', 'after-rename', 'before-db-commit', 'after-db-commit'];

let root: string;
let photos: string;

beforeAll(async () => {
  root = await makeFixtureDir('heirloom-crash-');
  photos = path.join(root, 'photos');
  await mkdir(path.join(photos, 'summer'), { recursive: true });
  await makeJpeg(path.join(photos, 'a.jpg'), { seed: 1 });
  await makeJpeg(path.join(photos, 'summer', 'b.jpg'), { seed: 2 });
  await makePng(path.join(photos, 'summer', 'c.png'), { seed: 3 });
  await makeVideo(path.join(photos, 'clip.mp4'), { seconds: 1 });
});

afterAll(async () => {
  await closeMedia();
  await removeFixtureDir(root);
});

describe('an import killed with SIGKILL at each step of a store', () => {
  it.each(faults)('%s: leaves nothing half-stored, and a rerun completes', async (fault) => {
    const env = { HEIRLOOM_DATA_DIR: path.join(root, fault, 'data'), HEIRLOOM_KEY_FILE: path.join(root, fault, 'master.key') };
    expect((await runCli(['key', 'generate', '--out', env.HEIRLOOM_KEY_FILE], { env })).code).toBe(0);
    expect((await runCli(['user', 'create', 'anna'], { env, input: 'long enough password\n' })).code).toBe(0);

    const crashed = await runCli(['import', photos, '--user', 'anna', '--jobs', '1'], { env: { ...env, HEIRLOOM_FAULT: fault } });
    expect(crashed.signal).toBe('SIGKILL');

    // Restart: boot recovery runs, then the vault must be consistent with nothing stray in tmp/.
    const ctx = await openContext(loadConfig(env), createLogger('silent'));
    try {
      expect(await vaultProblems(env.HEIRLOOM_DATA_DIR, ctx.db)).toEqual([]);
      expect(await readdir(path.join(env.HEIRLOOM_DATA_DIR, 'tmp'))).toEqual([]);
      expect(ctx.db.select().from(assets).all().length).toBe(fault === 'after-db-commit' ? 1 : 0);
    } finally {
      await ctx.close();
    }

    const rerun = await runCli(['import', photos, '--user', 'anna'], { env });
    expect(rerun.stderr).not.toMatch(/Error/);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toMatch(fault === 'after-db-commit' ? /Imported 3, already there 1/ : /Imported 4, already there 0/);

    const after = await openContext(loadConfig(env), createLogger('silent'));
    try {
      expect(await vaultProblems(env.HEIRLOOM_DATA_DIR, after.db)).toEqual([]);
      expect(after.db.select().from(assets).all().length).toBe(4);
    } finally {
      await after.close();
    }
  });
});

/** The built server in a process of its own, answering once /healthz does. */
async function startServer(env: Record<string, string>): Promise<{ url: string; exited: Promise<NodeJS.Signals | null> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(packageRoot, 'dist/server/cli.js'), 'serve'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env, HEIRLOOM_HOST: '127.0.0.1', HEIRLOOM_PORT: String(port), HEIRLOOM_LOG_LEVEL: 'silent' },
    stdio: 'ignore',
  });
  const exited = once(child, 'exit').then(([, signal]) => signal as NodeJS.Signals | null);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) return { url, exited };
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error('the server did not start');
}

async function uploadPhoto(client: WebClient, file: string): Promise<Response> {
  const form = new FormData();
  form.append('file', await openAsBlob(file), path.basename(file));
  return client.request('/upload', { method: 'POST', body: form, headers: { accept: 'application/json', 'x-csrf-token': client.csrf } });
}

describe('a server killed with SIGKILL at each step of storing an upload', () => {
  it.each(faults)('%s: leaves nothing half-stored, and the upload goes through after a restart', async (fault) => {
    const env = { HEIRLOOM_DATA_DIR: path.join(root, `upload-${fault}`, 'data'), HEIRLOOM_KEY_FILE: path.join(root, `upload-${fault}`, 'master.key') };
    expect((await runCli(['key', 'generate', '--out', env.HEIRLOOM_KEY_FILE], { env })).code).toBe(0);
    expect((await runCli(['user', 'create', 'anna'], { env, input: `${TEST_PASSWORD}\n` })).code).toBe(0);
    const photo = path.join(photos, 'a.jpg');

    const server = await startServer({ ...env, HEIRLOOM_FAULT: fault });
    const web = new WebClient(server.url);
    await web.signIn('anna', TEST_PASSWORD);
    await expect(uploadPhoto(web, photo)).rejects.toThrow();
    expect(await server.exited).toBe('SIGKILL');

    const ctx = await openContext(loadConfig(env), createLogger('silent'));
    try {
      expect(await vaultProblems(env.HEIRLOOM_DATA_DIR, ctx.db)).toEqual([]);
      expect(await readdir(path.join(env.HEIRLOOM_DATA_DIR, 'tmp'))).toEqual([]);
      expect(ctx.db.select().from(assets).all().length).toBe(fault === 'after-db-commit' ? 1 : 0);

      const restarted = await listen(ctx);
      try {
        const again = new WebClient(restarted.url);
        await again.signIn('anna', TEST_PASSWORD);
        const res = await uploadPhoto(again, photo);
        expect(res.status).toBe(fault === 'after-db-commit' ? 200 : 201);
      } finally {
        await restarted.close();
      }
      expect(await vaultProblems(env.HEIRLOOM_DATA_DIR, ctx.db)).toEqual([]);
      expect(ctx.db.select().from(assets).all().length).toBe(1);
    } finally {
      await ctx.close();
    }
  });
});
