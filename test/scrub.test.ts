import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, open, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { eq } from 'drizzle-orm';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../server/config.js';
import { openContext, type Context } from '../server/context.js';
import { openDb } from '../server/db/client.js';
import { getSetting } from '../server/db/settings.repo.js';
import { openProblems, recentRuns, startRun, updateRun } from '../server/integrity/integrity.repo.js';
import { integrityProblems, scrubRuns, type IntegrityProblem } from '../server/integrity/integrity.table.js';
import { quarantine } from '../server/integrity/quarantine.js';
import { ScrubService, type BlobRepairer, type ScrubOptions } from '../server/integrity/scrub.service.js';
import { findJob } from '../server/jobs/jobs.repo.js';
import { assets, type Asset } from '../server/library/assets.table.js';
import { createLogger } from '../server/log.js';
import { closeMedia } from '../server/media/previews.js';
import { createUser } from '../server/users/users.service.js';
import { blobRow, countBlobs, findBlob, insertBlobs } from '../server/vault/blobs.repo.js';
import { blobs, type BlobRow } from '../server/vault/blobs.table.js';
import { HEADER_SIZE } from '../server/vault/format.js';
import { Keyring } from '../server/vault/keyring.js';
import { makeFixtureDir, makeJpeg, makeVideo, removeFixtureDir } from './fixtures/index.js';
import { openTestVault } from './helpers/context.js';

const log = createLogger('silent');

/**
 * One library, ingested once and closed: anna owns two photos and a video, ben one photo.
 * Every test scrubs its own copy of that data dir, so each fault is the only one.
 */
let template: string;
let fixtures: string;
let anna: number;
let ben: number;
const item: Record<'beach' | 'garden' | 'clip' | 'bens', Asset> = {} as never;

beforeAll(async () => {
  fixtures = await makeFixtureDir('heirloom-scrub-');
  const v = await openTestVault();
  template = v.dir;
  anna = v.ownerId;
  ben = (await createUser(v.ctx.db, { username: 'ben', role: 'member', password: 'another long password' })).id;
  const files = {
    beach: [await makeJpeg(path.join(fixtures, 'beach.jpg'), { width: 1600, height: 1200, seed: 1 }), anna],
    garden: [await makeJpeg(path.join(fixtures, 'garden.jpg'), { width: 1200, height: 900, seed: 2 }), anna],
    clip: [await makeVideo(path.join(fixtures, 'clip.mp4'), { seconds: 1 }), anna],
    bens: [await makeJpeg(path.join(fixtures, 'bens.jpg'), { width: 1000, height: 800, seed: 3 }), ben],
  } as const;
  for (const [name, [file, ownerId]] of Object.entries(files)) {
    const outcome = await v.ctx.ingest.ingestFile({ ownerId, path: file, originalName: path.basename(file) });
    if (outcome.status !== 'imported') throw new Error(`fixture ${name} was not imported`);
    item[name as keyof typeof item] = v.ctx.db.select().from(assets).where(eq(assets.id, outcome.assetId)).get()!;
  }
  await v.ctx.close();
});

afterAll(async () => {
  await closeMedia();
  await rm(template, { recursive: true, force: true });
  await removeFixtureDir(fixtures);
});

interface Vault {
  dataDir: string;
  ctx: Context;
}

const opened: { dir: string; ctx: Context }[] = [];

afterEach(async () => {
  for (const { dir, ctx } of opened.splice(0)) {
    await ctx.close();
    await rm(dir, { recursive: true, force: true });
  }
});

/** A private copy of the template library, opened the way the server opens it. */
async function cloneVault(): Promise<Vault> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'heirloom-scrub-vault-'));
  await cp(template, dir, { recursive: true });
  const config = loadConfig({ HEIRLOOM_DATA_DIR: path.join(dir, 'data'), HEIRLOOM_KEY_FILE: path.join(dir, 'master.key') });
  const ctx = await openContext(config, log);
  opened.push({ dir, ctx });
  return { dataDir: config.dataDir, ctx };
}

function scrubber(v: Vault, extra: { repairer?: BlobRepairer; keyring?: Keyring } = {}): ScrubService {
  return new ScrubService({ db: v.ctx.db, store: v.ctx.store, keyring: extra.keyring ?? v.ctx.keyring, log, dataDir: v.dataDir, repairer: extra.repairer });
}

const scrubAll = (v: Vault, level: ScrubOptions['level'], extra: Parameters<typeof scrubber>[1] = {}) =>
  scrubber(v, extra).run({ level, scope: 'all', trigger: 'cli' });

const blobFile = (v: Vault, blobId: string) => v.ctx.store.pathFor(blobId);

/** Inverts one byte of a file in place: the smallest possible bit rot. */
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

/** A byte well inside the first chunk's ciphertext. */
const BODY_OFFSET = HEADER_SIZE + 1000;

const problemsOf = (v: Vault, blobId: string): IntegrityProblem[] => v.ctx.db.select().from(integrityProblems).where(eq(integrityProblems.blobId, blobId)).all();
const allProblems = (v: Vault): IntegrityProblem[] => v.ctx.db.select().from(integrityProblems).all();

async function decrypt(v: Vault, blobId: string): Promise<Buffer> {
  const blob = await v.ctx.store.open(blobId, v.ctx.keyring);
  try {
    return await blob.readAll();
  } finally {
    await blob.close();
  }
}

/** Writes a blob of random bytes straight into the store, with its row (no asset). */
async function storeRandomBlob(v: Vault, size: number, blobId?: string): Promise<BlobRow> {
  const { tmpPath, sealed } = await v.ctx.store.writeTemp(v.ctx.keyring, randomBytes(size), blobId);
  await v.ctx.store.commit(tmpPath, sealed.blobId);
  insertBlobs(v.ctx.db, [blobRow(sealed, 'original')]);
  return findBlob(v.ctx.db, sealed.blobId)!;
}

const sortedBlobIds = (v: Vault) => v.ctx.db.select({ id: blobs.id }).from(blobs).orderBy(blobs.id).all().map((r) => r.id);

describe('a scrub of an intact library', () => {
  it('checks every blob and the database and finds nothing', async () => {
    const v = await cloneVault();
    const total = countBlobs(v.ctx.db);
    expect(total.count).toBe(12);
    for (const level of ['keyless', 'full'] as const) {
      const run = await scrubAll(v, level);
      expect(run).toMatchObject({ level, state: 'done', blobsChecked: total.count, bytesChecked: total.bytes, problemsFound: 0, repairsMade: 0, dbCheck: 'ok' });
    }
    expect(allProblems(v)).toEqual([]);
    expect(existsSync(path.join(v.dataDir, 'quarantine'))).toBe(false);
  });
});

describe('a damaged original', () => {
  it('is found by a full scrub as a decryption failure', async () => {
    const v = await cloneVault();
    await flipByte(blobFile(v, item.beach.originalBlobId), BODY_OFFSET);
    const run = await scrubAll(v, 'full');
    expect(run).toMatchObject({ state: 'done', problemsFound: 1, repairsMade: 0 });
    const [problem] = problemsOf(v, item.beach.originalBlobId);
    expect(problem).toMatchObject({ runId: run.id, kind: 'decrypt', blobKind: 'original', assetId: item.beach.id, state: 'open' });
    expect(problem!.detail).toMatch(/failed authentication/);
    expect(problem!.detail).toMatch(/no replica is configured/);
  });

  it('is moved to quarantine/ with its bytes unchanged, never deleted', async () => {
    const v = await cloneVault();
    const file = blobFile(v, item.beach.originalBlobId);
    await flipByte(file, BODY_OFFSET);
    const damaged = await readFile(file);
    await scrubAll(v, 'full');
    const [problem] = problemsOf(v, item.beach.originalBlobId);
    expect(existsSync(file)).toBe(false);
    expect(path.dirname(problem!.quarantinedAs!)).toBe(path.join(v.dataDir, 'quarantine'));
    expect((await readFile(problem!.quarantinedAs!)).equals(damaged)).toBe(true);
  });

  it('is named to the admin and to its owner, and not to another member', async () => {
    const v = await cloneVault();
    await flipByte(blobFile(v, item.beach.originalBlobId), BODY_OFFSET);
    await scrubAll(v, 'full');
    expect(openProblems(v.ctx.db).map((p) => p.itemName)).toEqual(['beach.jpg']);
    expect(openProblems(v.ctx.db, anna).map((p) => [p.itemName, p.blobId])).toEqual([['beach.jpg', item.beach.originalBlobId]]);
    expect(openProblems(v.ctx.db, ben)).toEqual([]);
  });

  it('stays one open problem across later runs', async () => {
    const v = await cloneVault();
    await flipByte(blobFile(v, item.beach.originalBlobId), BODY_OFFSET);
    await scrubAll(v, 'full');
    // The file is in quarantine now: the next runs find it missing, the same problem.
    await scrubAll(v, 'full');
    await scrubAll(v, 'keyless');
    expect(problemsOf(v, item.beach.originalBlobId)).toHaveLength(1);
    expect(openProblems(v.ctx.db)).toHaveLength(1);
  });

  it('is repaired from a replica copy that verifies, and the quarantined file is kept', async () => {
    const v = await cloneVault();
    const file = blobFile(v, item.beach.originalBlobId);
    // Stands in for a replica until replication exists: the ciphertext as it was stored.
    const replicaCopy = await readFile(file);
    await flipByte(file, BODY_OFFSET);
    const restored: string[] = [];
    const replica: BlobRepairer = {
      hasSources: () => true,
      async restore(row) {
        restored.push(row.id);
        await writeFile(v.ctx.store.pathFor(row.id), replicaCopy);
        return true;
      },
    };
    const run = await scrubAll(v, 'full', { repairer: replica });
    expect(restored).toEqual([item.beach.originalBlobId]);
    expect(run).toMatchObject({ problemsFound: 1, repairsMade: 1 });
    const [problem] = problemsOf(v, item.beach.originalBlobId);
    expect(problem).toMatchObject({ state: 'repaired', kind: 'decrypt' });
    expect(problem!.resolvedAt).toBeInstanceOf(Date);
    expect(existsSync(problem!.quarantinedAs!)).toBe(true);
    expect(openProblems(v.ctx.db, anna)).toEqual([]);

    expect((await decrypt(v, item.beach.originalBlobId)).equals(await readFile(path.join(fixtures, 'beach.jpg')))).toBe(true);
    expect((await scrubAll(v, 'full')).problemsFound).toBe(0);
  });

  it('is not marked repaired when the replica hands back a corrupt copy', async () => {
    const v = await cloneVault();
    const file = blobFile(v, item.beach.originalBlobId);
    const rotten = await readFile(file);
    rotten[BODY_OFFSET + 5000] = rotten[BODY_OFFSET + 5000]! ^ 0x01;
    await flipByte(file, BODY_OFFSET);
    const replica: BlobRepairer = {
      hasSources: () => true,
      async restore(row) {
        await writeFile(v.ctx.store.pathFor(row.id), rotten);
        return true;
      },
    };
    const run = await scrubAll(v, 'full', { repairer: replica });
    expect(run).toMatchObject({ problemsFound: 1, repairsMade: 0 });
    const [problem] = problemsOf(v, item.beach.originalBlobId);
    expect(problem).toMatchObject({ state: 'open' });
    expect(problem!.detail).toMatch(/no replica holds a verified copy/);
    expect(openProblems(v.ctx.db, anna).map((p) => p.itemName)).toEqual(['beach.jpg']);
    // The bad copy is not left in blobs/ as if it were the photo, and the first damaged file is still the one on record.
    expect(existsSync(file)).toBe(false);
    const quarantined = await readFile(problem!.quarantinedAs!);
    expect(quarantined.equals(rotten)).toBe(false);
    expect(quarantined[BODY_OFFSET]).not.toBe(rotten[BODY_OFFSET]);
    const kept = (await readdir(path.join(v.dataDir, 'quarantine'))).filter((n) => n.startsWith(item.beach.originalBlobId));
    expect(kept).toHaveLength(2);
  });

  it('is left open when the replica has no copy', async () => {
    const v = await cloneVault();
    await flipByte(blobFile(v, item.garden.originalBlobId), BODY_OFFSET);
    const run = await scrubAll(v, 'full', { repairer: { hasSources: () => true, restore: async () => false } });
    expect(run.repairsMade).toBe(0);
    expect(problemsOf(v, item.garden.originalBlobId)).toMatchObject([{ state: 'open', detail: expect.stringMatching(/no replica holds a verified copy/) }]);
  });
});

describe('a damaged preview or thumbnail', () => {
  it('is regenerated in place from the original, under the same blob id', async () => {
    const v = await cloneVault();
    const damaged = [item.beach.previewBlobId!, item.clip.thumbBlobId!];
    const before = damaged.map((id) => findBlob(v.ctx.db, id)!);
    for (const id of damaged) await flipByte(blobFile(v, id), BODY_OFFSET);

    const run = await scrubAll(v, 'full');
    expect(run).toMatchObject({ problemsFound: 2, repairsMade: 2 });
    for (const [i, id] of damaged.entries()) {
      expect(problemsOf(v, id)).toMatchObject([{ kind: 'decrypt', state: 'regenerated', quarantinedAs: expect.any(String) }]);
      const row = findBlob(v.ctx.db, id)!;
      expect(row.cipherSha256).not.toBe(before[i]!.cipherSha256);
      expect(row.wrappedDek.equals(before[i]!.wrappedDek)).toBe(false);
      const image = await sharp(await decrypt(v, id)).metadata();
      expect(image.width).toBeGreaterThan(0);
    }
    // The assets still point at the same ids, and everything verifies again.
    expect(v.ctx.db.select().from(assets).where(eq(assets.id, item.beach.id)).get()!.previewBlobId).toBe(item.beach.previewBlobId);
    expect(openProblems(v.ctx.db)).toEqual([]);
    expect((await scrubAll(v, 'full')).problemsFound).toBe(0);
  });

  it('is regenerated when it is missing altogether', async () => {
    const v = await cloneVault();
    await rm(blobFile(v, item.garden.thumbBlobId!));
    const run = await scrubAll(v, 'keyless');
    expect(run.repairsMade).toBe(1);
    expect(problemsOf(v, item.garden.thumbBlobId!)).toMatchObject([{ kind: 'missing', state: 'regenerated', quarantinedAs: null }]);
    expect((await sharp(await decrypt(v, item.garden.thumbBlobId!)).metadata()).format).toBe('webp');
  });
});

describe('other damage to blob files', () => {
  it('finds a flipped byte in a blob header', async () => {
    const v = await cloneVault();
    // Byte 20 lies in the blob id, which the wrapped data key is bound to.
    await flipByte(blobFile(v, item.garden.originalBlobId), 20);
    await scrubAll(v, 'full');
    expect(problemsOf(v, item.garden.originalBlobId)).toMatchObject([{ kind: 'decrypt', state: 'open', detail: expect.stringMatching(/damaged blob header/) }]);
    expect(openProblems(v.ctx.db, anna).map((p) => p.itemName)).toEqual(['garden.jpg']);
  });

  it('reports a truncated blob as the wrong size', async () => {
    const v = await cloneVault();
    const row = findBlob(v.ctx.db, item.garden.originalBlobId)!;
    await truncate(blobFile(v, row.id), 4096);
    await scrubAll(v, 'keyless');
    expect(problemsOf(v, row.id)).toMatchObject([{ kind: 'size', detail: expect.stringContaining(`4096 bytes on disk, ${row.cipherSize} expected`) }]);
  });

  it('reports a deleted blob as missing, to its owner', async () => {
    const v = await cloneVault();
    await rm(blobFile(v, item.bens.originalBlobId));
    const run = await scrubAll(v, 'keyless');
    expect(run.problemsFound).toBe(1);
    expect(problemsOf(v, item.bens.originalBlobId)).toMatchObject([{ kind: 'missing', state: 'open', quarantinedAs: null }]);
    expect(openProblems(v.ctx.db, ben).map((p) => p.itemName)).toEqual(['bens.jpg']);
    expect(openProblems(v.ctx.db, anna)).toEqual([]);
  });

  it('reports an unknown file in blobs/ once across two runs, and leaves it where it is', async () => {
    const v = await cloneVault();
    const stray = path.join(v.ctx.store.blobsDir, 'ab', 'cd', 'holiday-notes.txt');
    await mkdir(path.dirname(stray), { recursive: true });
    await writeFile(stray, 'not a blob');
    const first = await scrubAll(v, 'keyless');
    const second = await scrubAll(v, 'keyless');
    expect(first.problemsFound).toBe(1);
    expect(second.problemsFound).toBe(0);
    expect(allProblems(v)).toMatchObject([{ kind: 'untracked', blobId: path.join('ab', 'cd', 'holiday-notes.txt'), state: 'open', runId: first.id }]);
    expect(await readFile(stray, 'utf8')).toBe('not a blob');
  });

  it('finds a flipped byte at the keyless level by checksum, without the key', async () => {
    const v = await cloneVault();
    await flipByte(blobFile(v, item.garden.originalBlobId), BODY_OFFSET);
    // A key that opens nothing here: a keyless scrub must not need one.
    const run = await scrubAll(v, 'keyless', { keyring: Keyring.generate() });
    expect(run).toMatchObject({ state: 'done', blobsChecked: 12, problemsFound: 1 });
    expect(problemsOf(v, item.garden.originalBlobId)).toMatchObject([{ kind: 'checksum', detail: expect.stringMatching(/ciphertext SHA-256 is/) }]);
  });
});

describe('a damaged database file', () => {
  /** A closed, VACUUMed copy of the library's database with one byte of the assets table's b-tree page flipped. */
  let copies = 0;
  async function damagedCopy(v: Vault, pageOffset: number): Promise<string> {
    const copy = path.join(v.dataDir, `damaged-${++copies}.db`);
    v.ctx.db.$client.prepare('VACUUM INTO ?').run(copy);
    const probe = new Database(copy, { readonly: true });
    const { rootpage } = probe.prepare("SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = 'assets'").get() as { rootpage: number };
    const pageSize = probe.pragma('page_size', { simple: true }) as number;
    probe.close();
    expect(rootpage).toBeGreaterThan(1);
    await flipByte(copy, (rootpage - 1) * pageSize + pageOffset);
    return copy;
  }

  async function scrubCopy(v: Vault, copy: string, fullDbCheck: boolean) {
    const db = openDb(copy);
    try {
      const run = await new ScrubService({ db, store: v.ctx.store, keyring: v.ctx.keyring, log, dataDir: v.dataDir }).run({ level: 'keyless', scope: 'all', trigger: 'cli', fullDbCheck });
      return { run, problems: db.select().from(integrityProblems).all() };
    } finally {
      db.$client.close();
    }
  }

  it('is reported by quick_check when a cell pointer is damaged', async () => {
    const v = await cloneVault();
    // Bytes 5–6 of a b-tree page header: where its cell content starts.
    const { run, problems } = await scrubCopy(v, await damagedCopy(v, 5), false);
    expect(run.state).toBe('done');
    expect(run.dbCheck).not.toBe('ok');
    expect(run.problemsFound).toBe(1);
    expect(problems).toMatchObject([{ kind: 'database', blobId: null, state: 'open', detail: expect.stringMatching(/^SQLite quick_check: \S/) }]);
  });

  it('is reported, not a crash, when SQLite cannot read the page at all', async () => {
    const v = await cloneVault();
    // Byte 0: the page type. SQLite refuses the page, and the pragma itself raises SQLITE_CORRUPT.
    for (const fullDbCheck of [false, true]) {
      const { run, problems } = await scrubCopy(v, await damagedCopy(v, 0), fullDbCheck);
      expect(run.state).toBe('done');
      expect(run.dbCheck).toMatch(/malformed|corrupt/i);
      expect(problems).toMatchObject([{ kind: 'database', state: 'open', detail: expect.stringMatching(/^SQLite (quick|integrity)_check: /) }]);
    }
  });

  it('is reported once while it stays damaged', async () => {
    const v = await cloneVault();
    const copy = await damagedCopy(v, 5);
    await scrubCopy(v, copy, false);
    const { problems } = await scrubCopy(v, copy, true);
    expect(problems.filter((p) => p.kind === 'database')).toHaveLength(1);
  });
});

describe('nightly slices', () => {
  const slice = (v: Vault, extra: Partial<ScrubOptions> = {}) => scrubber(v).run({ level: 'keyless', scope: 'slice', trigger: 'schedule', cycleDays: 3, ...extra });

  it('cover every blob exactly once over a cycle, each night reading its share, then start over', async () => {
    const v = await cloneVault();
    const total = countBlobs(v.ctx.db);
    const ids = sortedBlobIds(v);
    const budget = Math.ceil(total.bytes / 3);
    const runs = [];
    let covered = 0;
    // Each night reads at least its budget (its last blob may overshoot), so three nights cover it all.
    for (let night = 0; night < 3 && getSetting(v.ctx.db, 'scrub.cursor') !== ''; night++) {
      const run = await slice(v);
      runs.push(run);
      covered += run.blobsChecked;
      const cursor = getSetting(v.ctx.db, 'scrub.cursor');
      // The cursor is the last blob read, in id order: every night continues right after the previous one.
      expect(cursor).toBe(covered === total.count ? '' : ids[covered - 1]);
      if (cursor !== '') expect(run.bytesChecked).toBeGreaterThanOrEqual(budget);
    }
    expect(getSetting(v.ctx.db, 'scrub.cursor')).toBe('');
    expect(runs.reduce((n, r) => n + r.blobsChecked, 0)).toBe(total.count);
    expect(runs.reduce((n, r) => n + r.bytesChecked, 0)).toBe(total.bytes);
    // The next night starts the next cycle from the first blob.
    const next = await slice(v);
    expect(getSetting(v.ctx.db, 'scrub.cursor')).toBe(ids[next.blobsChecked - 1]);
  });

  it('of a three-day cycle read a third each on three nights, and wrap on the third', async () => {
    // Six equal blobs alone in a fresh store: each night's budget is exactly two of them, and the
    // third night ends exactly on the last blob.
    const fresh = await openTestVault({}, { withMember: false });
    opened.push({ dir: fresh.dir, ctx: fresh.ctx });
    const w: Vault = { dataDir: fresh.config.dataDir, ctx: fresh.ctx };
    for (let i = 0; i < 6; i++) await storeRandomBlob(w, 100_000);
    const ids = sortedBlobIds(w);
    const nights = [];
    for (let night = 0; night < 3; night++) {
      nights.push([(await slice(w)).blobsChecked, getSetting(w.ctx.db, 'scrub.cursor')]);
    }
    expect(nights).toEqual([
      [2, ids[1]],
      [2, ids[3]],
      [2, ''],
    ]);
    expect((await slice(w)).blobsChecked).toBe(2);
    expect(getSetting(w.ctx.db, 'scrub.cursor')).toBe(ids[1]);
  });

  it('record an aborted run as interrupted, and the next one resumes where it stopped', async () => {
    const v = await cloneVault();
    const ids = sortedBlobIds(v);
    const abort = new AbortController();
    const run = slice(v, {
      cycleDays: 1,
      signal: abort.signal,
      onProgress: (p) => {
        if (p.blobs === 5) abort.abort();
      },
    });
    await expect(run).rejects.toThrow();
    const [interrupted] = recentRuns(v.ctx.db, 1);
    expect(interrupted).toMatchObject({ state: 'interrupted', blobsChecked: 5, error: null });
    expect(interrupted!.finishedAt).toBeInstanceOf(Date);
    expect(getSetting(v.ctx.db, 'scrub.cursor')).toBe(ids[4]);

    const resumed = await slice(v, { cycleDays: 1 });
    expect(resumed).toMatchObject({ state: 'done', blobsChecked: ids.length - 5 });
    expect(getSetting(v.ctx.db, 'scrub.cursor')).toBe('');
  });
});

describe('runs cut short by a crash', () => {
  async function deadPid(): Promise<number> {
    const child = spawn(process.execPath, ['-e', '']);
    await once(child, 'exit');
    return child.pid!;
  }

  it('are marked interrupted by the next run when their process is gone', async () => {
    const v = await cloneVault();
    const crashed = startRun(v.ctx.db, { level: 'full', scope: 'slice', trigger: 'schedule' });
    updateRun(v.ctx.db, crashed.id, { pid: await deadPid(), blobsChecked: 3 });
    const live = startRun(v.ctx.db, { level: 'keyless', scope: 'all', trigger: 'cli' });
    // Our parent stands in for a `heirloom verify` still running in another process.
    updateRun(v.ctx.db, live.id, { pid: process.ppid });

    const next = await scrubAll(v, 'keyless');
    const state = (id: number) => v.ctx.db.select().from(scrubRuns).where(eq(scrubRuns.id, id)).get()!;
    expect(state(crashed.id)).toMatchObject({ state: 'interrupted', blobsChecked: 3 });
    expect(state(crashed.id).finishedAt).toBeInstanceOf(Date);
    expect(state(live.id).state).toBe('running');
    expect(next.state).toBe('done');
  });
});

describe('the scheduled scrub job', () => {
  it('runs a full slice through the job queue and records it', async () => {
    const v = await cloneVault();
    const jobId = v.ctx.background.scheduler.runNow('scrub');
    await v.ctx.background.runner.drain();
    expect(findJob(v.ctx.db, jobId)).toMatchObject({ kind: 'scrub', state: 'done' });
    const [run] = recentRuns(v.ctx.db, 1);
    expect(run).toMatchObject({ level: 'full', scope: 'slice', trigger: 'schedule', state: 'done' });
    expect(run!.blobsChecked).toBeGreaterThan(0);
    expect(run!.blobsChecked).toBeLessThan(12);
  });
});

describe('quarantine', () => {
  it('keeps both files when one blob is quarantined twice in the same millisecond', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'heirloom-quarantine-'));
    const blobId = 'ab'.repeat(16);
    const file = path.join(dir, 'blobs', blobId);
    await mkdir(path.dirname(file), { recursive: true });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2031-05-06T07:08:09.010Z'));
    try {
      await writeFile(file, 'first damaged copy');
      const first = await quarantine(dir, file, blobId);
      await writeFile(file, 'second damaged copy');
      const second = await quarantine(dir, file, blobId);
      expect(second).not.toBe(first);
      expect(await readFile(first!, 'utf8')).toBe('first damaged copy');
      expect(await readFile(second!, 'utf8')).toBe('second damaged copy');
      expect(existsSync(file)).toBe(false);
      expect(await quarantine(dir, file, blobId)).toBeUndefined();
    } finally {
      vi.useRealTimers();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
