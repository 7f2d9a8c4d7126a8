import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../server/config.js';
import { openContext } from '../server/context.js';
import type { FaultPoint } from '../server/faults.js';
import { assets } from '../server/library/assets.table.js';
import { createLogger } from '../server/log.js';
import { closeMedia } from '../server/media/previews.js';
import { makeFixtureDir, makeJpeg, makePng, makeVideo, removeFixtureDir } from './fixtures/index.js';
import { runCli } from './helpers/cli.js';
import { vaultProblems } from './helpers/invariants.js';

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
