import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { cp, mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../server/config.js';
import { openContext } from '../server/context.js';
import { createLogger } from '../server/log.js';
import { closeMedia } from '../server/media/previews.js';
import { packageRoot } from '../server/paths.js';
import { blobRow, insertBlobs } from '../server/vault/blobs.repo.js';
import { encryptBuffer } from '../server/vault/encrypt.js';
import { HEADER_SIZE } from '../server/vault/format.js';
import { makeFixtureDir, makeJpeg, removeFixtureDir } from './fixtures/index.js';
import { runCli } from './helpers/cli.js';
import { openTestVault } from './helpers/context.js';

/** A closed library with one photo of anna's; each test runs the CLI on its own copy. */
let template: string;
let fixtures: string;
let originalBlobId: string;
const copies: string[] = [];

beforeAll(async () => {
  fixtures = await makeFixtureDir('heirloom-verify-');
  const v = await openTestVault();
  template = v.dir;
  const photo = await makeJpeg(path.join(fixtures, 'IMG_2041.jpg'), { width: 1200, height: 900, seed: 7 });
  const outcome = await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: photo, originalName: 'IMG_2041.jpg' });
  if (outcome.status !== 'imported') throw new Error('the fixture photo was not imported');
  originalBlobId = v.ctx.db.$client.prepare('SELECT original_blob_id AS id FROM assets WHERE id = ?').pluck().get(outcome.assetId) as string;
  await v.ctx.close();
});

afterEach(async () => {
  for (const dir of copies.splice(0)) await rm(dir, { recursive: true, force: true });
});

afterAll(async () => {
  await closeMedia();
  await rm(template, { recursive: true, force: true });
  await removeFixtureDir(fixtures);
});

interface Library {
  env: { HEIRLOOM_DATA_DIR: string; HEIRLOOM_KEY_FILE: string };
  blobFile(id: string): string;
  dbFile: string;
}

async function copyLibrary(): Promise<Library> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'heirloom-verify-lib-'));
  copies.push(dir);
  await cp(template, dir, { recursive: true });
  const dataDir = path.join(dir, 'data');
  return {
    env: { HEIRLOOM_DATA_DIR: dataDir, HEIRLOOM_KEY_FILE: path.join(dir, 'master.key') },
    blobFile: (id) => path.join(dataDir, 'blobs', id.slice(0, 2), id.slice(2, 4), id),
    dbFile: path.join(dataDir, 'heirloom.db'),
  };
}

const verify = (lib: Library, ...args: string[]) => runCli(['verify', ...args], { env: lib.env });

async function flipByte(file: string, offset: number): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, offset);
    byte[0] = byte[0]! ^ 0xff;
    await handle.write(byte, 0, 1, offset);
  } finally {
    await handle.close();
  }
}

function scrubRuns(lib: Library): { state: string; pid: number; blobs_checked: number }[] {
  const db = new Database(lib.dbFile, { readonly: true });
  try {
    return db.prepare('SELECT state, pid, blobs_checked FROM scrub_runs ORDER BY id').all() as never;
  } finally {
    db.close();
  }
}

describe('heirloom verify', () => {
  it('exits 0 and says so when everything is intact', async () => {
    const lib = await copyLibrary();
    const result = await verify(lib);
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Checked 3 files \(.+\) in [\d.]+ s; database ok\./);
    expect(result.stdout).toMatch(/Everything is intact\.\n$/);
  });

  it('exits 1 and names the item when a byte of it has flipped', async () => {
    const lib = await copyLibrary();
    await flipByte(lib.blobFile(originalBlobId), HEADER_SIZE + 500);
    const result = await verify(lib);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ {2}checksum: IMG_2041\.jpg: ciphertext SHA-256 is .+ \(moved to .+quarantine.+\)/);
    expect(result.stderr).toMatch(/^1 problem needs attention\.$/m);
    expect(result.stdout).not.toMatch(/intact/);
  });

  it('decrypts with --full, finding damage a checksum alone cannot', async () => {
    const lib = await copyLibrary();
    const file = lib.blobFile(originalBlobId);
    await flipByte(file, HEADER_SIZE + 500);
    // Rot that happened before the checksum was taken: the row agrees with the damaged bytes.
    const db = new Database(lib.dbFile);
    db.prepare('UPDATE blobs SET cipher_sha256 = ? WHERE id = ?').run(createHash('sha256').update(await readFile(file)).digest('hex'), originalBlobId);
    db.close();

    const keyless = await verify(lib);
    expect(keyless.code).toBe(0);
    const full = await verify(lib, '--full');
    expect(full.stdout).toMatch(/^Decrypting and verifying every stored file/);
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/ {2}decrypt: IMG_2041\.jpg: .*failed authentication/);
  });

  it('exits 1 and reports the database when a page of it is damaged', async () => {
    const lib = await copyLibrary();
    const probe = new Database(lib.dbFile, { readonly: true });
    const { rootpage } = probe.prepare("SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = 'assets'").get() as { rootpage: number };
    const pageSize = probe.pragma('page_size', { simple: true }) as number;
    probe.close();
    // The b-tree page header of a table boot never reads: where its cell content starts.
    await flipByte(lib.dbFile, (rootpage - 1) * pageSize + 5);
    const result = await verify(lib);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/database DAMAGED/);
    expect(result.stderr).toMatch(/ {2}database: database: SQLite integrity_check: /);
  });
});

describe('heirloom verify --full stopped midway', () => {
  /** Enough small blobs that the run saves its progress (every 200) well before it ends. */
  const EXTRA_BLOBS = 600;

  /** Real sealed blobs with their rows, written without the store's fsyncs to keep the test quick. */
  async function addBlobs(lib: Library): Promise<number> {
    const ctx = await openContext(loadConfig(lib.env), createLogger('silent'));
    try {
      const rows: ReturnType<typeof blobRow>[] = [];
      for (let i = 0; i < EXTRA_BLOBS; i++) {
        const { bytes, sealed } = encryptBuffer(ctx.keyring, randomBytes(8192));
        const file = ctx.store.pathFor(sealed.blobId);
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, bytes);
        rows.push(blobRow(sealed, 'original'));
      }
      ctx.db.transaction((tx) => insertBlobs(tx, rows));
      return ctx.db.$client.prepare('SELECT count(*) FROM blobs').pluck().get() as number;
    } finally {
      await ctx.close();
    }
  }

  /**
   * Starts `heirloom verify --full` and returns once it has saved progress, holding the database's write
   * lock: the child can check blobs but cannot record its end, so it is surely mid-run until release().
   */
  async function verifyHeldMidRun(lib: Library) {
    const child = spawn(process.execPath, [path.join(packageRoot, 'dist/server/cli.js'), 'verify', '--full'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...lib.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.resume();
    const exited = once(child, 'close');
    const watcher = new Database(lib.dbFile);
    watcher.pragma('busy_timeout = 10000');
    const progress = watcher.prepare('SELECT state, blobs_checked FROM scrub_runs WHERE pid = ?');
    const deadline = Date.now() + 30_000;
    for (;;) {
      const run = progress.get(child.pid) as { state: string; blobs_checked: number } | undefined;
      if (run && run.blobs_checked >= 200) break;
      if (run?.state === 'done' || child.exitCode !== null) throw new Error('verify finished before it could be stopped midway');
      if (Date.now() > deadline) throw new Error('verify never got going');
      await sleep(2);
    }
    watcher.prepare('BEGIN IMMEDIATE').run();
    expect(progress.get(child.pid)).toMatchObject({ state: 'running' });
    return {
      child,
      exited,
      stderr: () => stderr,
      release() {
        if (watcher.inTransaction) watcher.prepare('ROLLBACK').run();
        watcher.close();
      },
    };
  }

  it('by SIGKILL leaves a run the next one marks interrupted, and the next one completes', async () => {
    const lib = await copyLibrary();
    const total = await addBlobs(lib);
    const held = await verifyHeldMidRun(lib);
    try {
      held.child.kill('SIGKILL');
      await held.exited;
    } finally {
      held.release();
    }
    expect(held.child.signalCode).toBe('SIGKILL');
    const killed = scrubRuns(lib);
    expect(killed).toMatchObject([{ state: 'running', pid: held.child.pid }]);
    expect(killed[0]!.blobs_checked).toBeLessThan(total);

    const rerun = await verify(lib, '--full');
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toMatch(new RegExp(`Checked ${total} files`));
    expect(rerun.stdout).toMatch(/Everything is intact\./);
    expect(scrubRuns(lib)).toMatchObject([
      { state: 'interrupted', pid: held.child.pid },
      { state: 'done', blobs_checked: total },
    ]);
  });

  it('by Ctrl-C records the run as interrupted and exits 130', async () => {
    const lib = await copyLibrary();
    const total = await addBlobs(lib);
    const held = await verifyHeldMidRun(lib);
    try {
      held.child.kill('SIGINT');
    } finally {
      // The child handles the signal once it may write again.
      held.release();
    }
    const [code] = (await held.exited) as [number | null];
    expect(code).toBe(130);
    expect(held.stderr()).toMatch(/Stopped\. Run it again to check everything\./);
    const [run] = scrubRuns(lib);
    expect(run).toMatchObject({ state: 'interrupted', pid: held.child.pid });
    expect(run!.blobs_checked).toBeGreaterThanOrEqual(200);
    expect(run!.blobs_checked).toBeLessThan(total);
  });
});
