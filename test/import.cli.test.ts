import { chmod, mkdir, readFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../server/db/client.js';
import {
  makeDecompressionBomb,
  makeEmpty,
  makeFixtureDir,
  makeGif,
  makeJpeg,
  makeTextAsJpg,
  makeTruncated,
  removeFixtureDir,
} from './fixtures/index.js';
import { runCli } from './helpers/cli.js';

let root: string;
let photos: string;
let env: Record<string, string>;
const unicodeName = 'Sommer 2019/Strand mit Öl – Tag 1 📷.jpg';

beforeAll(async () => {
  root = await makeFixtureDir('heirloom-cli-');
  photos = path.join(root, 'photos');
  await mkdir(path.join(photos, 'Sommer 2019'), { recursive: true });
  await makeJpeg(path.join(photos, unicodeName), { seed: 1 });
  await makeJpeg(path.join(photos, 'good.jpg'), { seed: 2 });
  await makeTruncated(path.join(photos, 'truncated.jpg'), await makeJpeg(path.join(root, 'whole.jpg'), { seed: 3, width: 1200, height: 900 }), 4000);
  await makeGif(path.join(photos, 'pixel.gif'), { width: 1, height: 1 });
  await makeDecompressionBomb(path.join(photos, 'bomb.png'));
  await makeTextAsJpg(path.join(photos, 'notes.jpg'));
  await makeEmpty(path.join(photos, 'empty.jpg'));
  await makeJpeg(path.join(root, 'outside.jpg'), { seed: 4 });
  await symlink(path.join(root, 'outside.jpg'), path.join(photos, 'link-out.jpg'));
  await makeJpeg(path.join(photos, 'locked.jpg'), { seed: 5 });
  await chmod(path.join(photos, 'locked.jpg'), 0o000);
  env = { HEIRLOOM_DATA_DIR: path.join(root, 'data'), HEIRLOOM_KEY_FILE: path.join(root, 'master.key') };
  expect((await runCli(['key', 'generate', '--out', env.HEIRLOOM_KEY_FILE!], { env })).code).toBe(0);
  expect((await runCli(['user', 'create', 'anna', '--role', 'admin'], { env, input: 'long enough password\n' })).code).toBe(0);
});

afterAll(async () => {
  await removeFixtureDir(root);
});

describe('heirloom CLI', () => {
  it('lists every command in --help', async () => {
    const { stdout, code } = await runCli(['--help']);
    expect(code).toBe(0);
    for (const command of ['serve', 'import', 'user', 'key', 'decrypt', 'healthcheck']) expect(stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
  });

  it('stops at boot with a message naming a bad setting', async () => {
    const { stderr, code } = await runCli(['import', photos, '--user', 'anna'], { env: { ...env, HEIRLOOM_PORT: 'abc' } });
    expect(code).toBe(2);
    expect(stderr).toContain("HEIRLOOM_PORT must be a port number from 1 to 65535 (got 'abc')");
  });

  it('imports a messy folder: stores what it can, flags what it cannot read, names every problem, goes on', async () => {
    const run = await runCli(['import', photos, '--user', 'anna'], { env, obeyFileModes: true });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Imported 6, already there 0, flagged 3, failed 1');
    expect(run.stdout).toMatch(/truncated\.jpg: .+/);
    expect(run.stdout).toMatch(/bomb\.png: .*(pixel|limit|too large)/i);
    expect(run.stdout).toMatch(/notes\.jpg: not a photo or video format/);
    expect(run.stdout).toMatch(/locked\.jpg: .*cannot be read \(permission denied\)/);
    expect(run.stdout).toMatch(/link-out\.jpg: symbolic link \(not followed\)/);
    expect(run.stdout).toMatch(/empty\.jpg: empty file/);

    const db = openDb(path.join(env.HEIRLOOM_DATA_DIR!, 'heirloom.db'));
    const names = db.$client.prepare('SELECT original_name AS n, source_path AS p FROM assets ORDER BY n').all() as { n: string; p: string }[];
    db.$client.close();
    expect(names.map((r) => r.n)).toEqual(['Strand mit Öl – Tag 1 📷.jpg', 'bomb.png', 'good.jpg', 'notes.jpg', 'pixel.gif', 'truncated.jpg']);
    expect(names.find((r) => r.n.startsWith('Strand'))!.p).toBe(unicodeName);
  });

  it('reruns safely: everything already stored is skipped as a duplicate', async () => {
    await chmod(path.join(photos, 'locked.jpg'), 0o644);
    const run = await runCli(['import', photos, '--user', 'anna'], { env });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Imported 1, already there 6, flagged 0, failed 0');
  });

  it('decrypts a stored original with nothing but the key file', async () => {
    const db = openDb(path.join(env.HEIRLOOM_DATA_DIR!, 'heirloom.db'));
    const { id } = db.$client.prepare("SELECT original_blob_id AS id FROM assets WHERE original_name = 'good.jpg'").get() as { id: string };
    db.$client.close();
    const blob = path.join(env.HEIRLOOM_DATA_DIR!, 'blobs', id.slice(0, 2), id.slice(2, 4), id);
    const out = path.join(root, 'restored.jpg');
    const run = await runCli(['decrypt', blob, '--key', env.HEIRLOOM_KEY_FILE!, '--out', out], { env: {} });
    expect(run.code).toBe(0);
    expect((await readFile(out)).equals(await readFile(path.join(photos, 'good.jpg')))).toBe(true);
    const again = await runCli(['decrypt', blob, '--key', env.HEIRLOOM_KEY_FILE!, '--out', out], { env: {} });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
    expect((await readFile(out)).equals(await readFile(path.join(photos, 'good.jpg')))).toBe(true);
  });

  it('names an unknown user and how to create it', async () => {
    const run = await runCli(['import', photos, '--user', 'zoe'], { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('There is no user named zoe. Create one with: heirloom user create zoe');
  });
});
