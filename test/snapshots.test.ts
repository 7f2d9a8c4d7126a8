import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { afterEach, describe, expect, it } from 'vitest';
import { listSnapshots, takeSnapshot, type Snapshot } from '../server/backup/snapshots.js';
import { loadConfig } from '../server/config.js';
import { openContext, type Context } from '../server/context.js';
import { openDb } from '../server/db/client.js';
import { putSetting } from '../server/db/settings.repo.js';
import { findJob } from '../server/jobs/jobs.repo.js';
import { createLogger } from '../server/log.js';
import { migrationsDir } from '../server/paths.js';
import { Keyring } from '../server/vault/keyring.js';
import { decryptFile } from '../server/vault/reader.js';
import { runCli } from './helpers/cli.js';
import { openTestVault, type TestVault } from './helpers/context.js';

let vaults: TestVault[] = [];
/** Contexts a test reopened on a vault's data dir, closed before the vault is removed. */
let reopened: Context[] = [];

afterEach(async () => {
  for (const ctx of reopened) await ctx.close();
  for (const v of vaults) await v.cleanup();
  vaults = [];
  reopened = [];
});

/** Closes a vault's context and opens its data dir again, as a restart does. */
async function restart(v: TestVault): Promise<Context> {
  await v.ctx.close();
  const ctx = await openContext(v.config, createLogger('silent'));
  reopened.push(ctx);
  return ctx;
}

async function vault(): Promise<TestVault> {
  const v = await openTestVault();
  vaults.push(v);
  return v;
}

const deps = (v: TestVault) => ({ db: v.ctx.db, store: v.ctx.store, keyring: v.ctx.keyring, dataDir: v.config.dataDir });

/** Decrypts a snapshot in-process to a plain SQLite file in `dir` and opens it read-only. */
async function openSnapshot(dir: string, keyring: Keyring, snap: Snapshot): Promise<Database.Database> {
  const plain = path.join(dir, `${path.basename(snap.file)}.plain.db`);
  const parts: Buffer[] = [];
  await decryptFile(snap.file, keyring, new Writable({ write: (c: Buffer, _e, cb) => (parts.push(c), cb()) }));
  await writeFile(plain, Buffer.concat(parts));
  return new Database(plain, { readonly: true });
}

/** Every table, index, trigger and view, as SQLite stores its definition. */
const schemaOf = (db: Database.Database) => db.prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").all();

const tableNames = (db: Database.Database) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[]).filter((n) => !n.startsWith('sqlite_'));

describe('takeSnapshot', () => {
  it('writes a sealed file that `heirloom decrypt` turns back into the same database', async () => {
    const v = await vault();
    putSetting(v.ctx.db, 'library.name', 'The Larsens');
    v.ctx.background.queue.enqueue({ kind: 'session-cleanup', payload: { note: 'in the snapshot' } });

    const snap = await takeSnapshot(deps(v), 'manual');
    expect(path.dirname(snap.file)).toBe(path.join(v.config.dataDir, 'snapshots'));
    expect(path.basename(snap.file)).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-manual\.db\.hbl$/);
    const sealed = await readFile(snap.file);
    expect(snap.bytes).toBe(sealed.length);
    expect(sealed.subarray(0, 4).toString('ascii')).toBe('HLMB');
    expect(sealed.includes('SQLite format 3')).toBe(false);
    expect(sealed.includes('The Larsens')).toBe(false);

    const out = path.join(v.dir, 'restored.db');
    const decrypted = await runCli(['decrypt', snap.file, '--key', v.config.keyFile, '--out', out]);
    expect(decrypted.stderr).toMatch(/Decrypted/);
    expect(decrypted.code).toBe(0);

    const restored = new Database(out, { readonly: true });
    try {
      expect(restored.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(tableNames(restored)).toEqual(tableNames(v.ctx.db.$client));
      for (const table of ['users', 'settings', 'jobs', '__drizzle_migrations']) {
        expect(restored.prepare(`SELECT * FROM ${table} ORDER BY 1`).all(), table).toEqual(v.ctx.db.$client.prepare(`SELECT * FROM ${table} ORDER BY 1`).all());
      }
      expect(restored.prepare("SELECT value FROM settings WHERE key = 'library.name'").pluck().get()).toBe('The Larsens');
    } finally {
      restored.close();
    }
  });

  it('leaves no plain copy of the database behind', async () => {
    const v = await vault();
    await takeSnapshot(deps(v), 'manual');
    expect(await readdir(v.ctx.store.tmpDir)).toEqual([]);
    expect(await readdir(path.join(v.config.dataDir, 'snapshots'))).toHaveLength(1);
  });

  it('keeps only the newest N of a reason, and leaves other reasons alone', async () => {
    const v = await vault();
    const daily = await takeSnapshot(deps(v), 'daily');
    const manual: Snapshot[] = [];
    for (let i = 0; i < 4; i++) {
      manual.push(await takeSnapshot(deps(v), 'manual', 2));
      // Names carry the millisecond: keep them distinct.
      await new Promise((r) => setTimeout(r, 2));
    }
    const kept = await listSnapshots(v.config.dataDir);
    expect(kept.filter((s) => s.reason === 'manual').map((s) => s.file)).toEqual([manual[3]!.file, manual[2]!.file]);
    expect(kept.filter((s) => s.reason === 'daily').map((s) => s.file)).toEqual([daily.file]);
  });

  it('lists snapshots newest first with their reason, time and size', async () => {
    const v = await vault();
    const first = await takeSnapshot(deps(v), 'daily');
    await new Promise((r) => setTimeout(r, 2));
    const second = await takeSnapshot(deps(v), 'manual');
    const listed = await listSnapshots(v.config.dataDir);
    expect(listed).toEqual([
      { file: second.file, reason: 'manual', takenAt: second.takenAt, bytes: second.bytes },
      { file: first.file, reason: 'daily', takenAt: first.takenAt, bytes: first.bytes },
    ]);
  });

  it('is what the daily db-snapshot schedule runs', async () => {
    const v = await vault();
    const jobId = v.ctx.background.scheduler.runNow('db-snapshot');
    await v.ctx.background.runner.drain();
    expect(findJob(v.ctx.db, jobId)).toMatchObject({ state: 'done', progress: expect.stringMatching(/"done":1,"total":1/) });
    expect((await listSnapshots(v.config.dataDir)).map((s) => s.reason)).toEqual(['daily']);
  });
});

describe('the pre-migration snapshot', () => {
  it('is not taken for a brand-new database', async () => {
    const v = await vault();
    expect(await listSnapshots(v.config.dataDir)).toEqual([]);
  });

  it('is not taken when an up-to-date database is opened again', async () => {
    const v = await vault();
    await restart(v);
    expect(await listSnapshots(v.config.dataDir)).toEqual([]);
  });

  it('is taken before pending migrations are applied to an existing database', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'heirloom-upgrade-'));
    try {
      // An install one release old: every migration but the newest applied, and some data in it.
      const older = path.join(dir, 'older-migrations');
      await cp(migrationsDir, older, { recursive: true });
      const journalFile = path.join(older, 'meta', '_journal.json');
      const journal = JSON.parse(await readFile(journalFile, 'utf8')) as { entries: unknown[] };
      journal.entries.pop();
      await writeFile(journalFile, JSON.stringify(journal));
      const config = loadConfig({ HEIRLOOM_DATA_DIR: path.join(dir, 'data'), HEIRLOOM_KEY_FILE: path.join(dir, 'master.key') });
      await mkdir(config.dataDir);
      const old = openDb(path.join(config.dataDir, 'heirloom.db'));
      migrate(old, { migrationsFolder: older });
      old.$client.prepare("INSERT INTO settings (key, value) VALUES ('library.name', 'The Larsens')").run();
      const schemaBefore = schemaOf(old.$client);
      old.$client.close();
      await Keyring.generate().save(config.keyFile);

      const ctx = await openContext(config, createLogger('silent'));
      let snapshots: Snapshot[];
      try {
        snapshots = await listSnapshots(config.dataDir);
        // Migrated: every migration is recorded and the schema moved on.
        expect(ctx.db.$client.prepare('SELECT count(*) FROM __drizzle_migrations').pluck().get()).toBe(readMigrationFiles({ migrationsFolder: migrationsDir }).length);
        expect(schemaOf(ctx.db.$client)).not.toEqual(schemaBefore);
      } finally {
        await ctx.close();
      }
      expect(snapshots.map((s) => s.reason)).toEqual(['pre-migration']);
      expect(path.basename(snapshots[0]!.file)).toMatch(/-pre-migration\.db\.hbl$/);

      // The snapshot is the database as it was before: the old schema, with its data.
      const before = await openSnapshot(dir, await Keyring.load(config.keyFile), snapshots[0]!);
      try {
        expect(schemaOf(before)).toEqual(schemaBefore);
        expect(before.prepare("SELECT value FROM settings WHERE key = 'library.name'").pluck().get()).toBe('The Larsens');
      } finally {
        before.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
