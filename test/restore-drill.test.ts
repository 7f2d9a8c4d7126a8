import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { access, mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiTokenService } from '../server/auth/api-tokens.service.js';
import type { Actor } from '../server/auth/actor.js';
import { issueRecoveryCodes } from '../server/auth/recovery-codes.js';
import { totpPurpose } from '../server/auth/second-factor.js';
import { newTotpSecret } from '../server/auth/totp.js';
import { InviteService } from '../server/admin/invites.service.js';
import { loadConfig } from '../server/config.js';
import { openContext, type Context } from '../server/context.js';
import { EditsService } from '../server/library/edits.service.js';
import { OrganiseService } from '../server/library/organise.service.js';
import { createLogger } from '../server/log.js';
import { closeMedia } from '../server/media/previews.js';
import { packageRoot } from '../server/paths.js';
import { blobKey } from '../server/replication/replica-layout.js';
import { findUserById, updateUser } from '../server/users/users.repo.js';
import { createUser } from '../server/users/users.service.js';
import type { User } from '../server/users/users.table.js';
import { Keyring } from '../server/vault/keyring.js';
import { decryptFile } from '../server/vault/reader.js';
import { makeFixtureDir, makeJpeg, makeVideo, removeFixtureDir } from './fixtures/index.js';
import { runCli } from './helpers/cli.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';
import { startSshd, type Sshd } from './helpers/sshd.js';
import { WebClient } from './helpers/web-client.js';

/**
 * The disaster-recovery drill: a library with two people in it goes to an SFTP server (and a USB
 * disk), the machine is "lost", and `heirloom restore` on an empty directory must give back every
 * original bit for bit, every row of every table, and a server both people can sign in to.
 */

const ADMIN_PASSWORD = 'a different horse staple';
/** Rows that only describe this machine's own progress; replica-snapshot.ts leaves them out by design. */
const LOCAL_ONLY_TABLES = new Set(['replication_ledger', 'jobs', 'login_failures']);
const LOCAL_ONLY_COLUMNS: Record<string, string[]> = { replication_targets: ['last_snapshot_sha256', 'last_success_at', 'last_verified_at', 'last_error', 'last_error_at'] };

let fixtures: string;
let work: string;
let sshd: Sshd;
let source: TestVault;
let anna: User;
let bert: User;
let totpSecret: string;
let sourceTables: Record<string, string[]>;
/** Asset id → SHA-256 of the file as it was imported. */
const originalSha = new Map<number, string>();
let bertCookies: Map<string, string>;
let sftpUrl: string;
let usbDir: string;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const restoreArgs = (from: string, dataDir: string) => ['restore', '--from', from, '--key', source.config.keyFile, '--data-dir', dataDir, '-i', sshd.privateKeyPath];

/** Every row of every table, as sorted JSON lines, without what is local to one machine. */
function tableRows(dbFile: string): Record<string, string[]> {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const out: Record<string, string[]> = {};
    for (const table of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[]) {
      if (LOCAL_ONLY_TABLES.has(table)) continue;
      const skip = new Set(LOCAL_ONLY_COLUMNS[table] ?? []);
      out[table] = (db.prepare(`SELECT * FROM "${table}"`).all() as Record<string, unknown>[])
        .map((row) => JSON.stringify(Object.entries(row).filter(([k]) => !skip.has(k)).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('hex') : v])))
        .sort();
    }
    return out;
  } finally {
    db.close();
  }
}

async function ingest(ctx: Context, owner: User, file: string): Promise<number> {
  const outcome = await ctx.ingest.ingestFile({ ownerId: owner.id, path: file, originalName: path.basename(file) });
  if (outcome.status !== 'imported') throw new Error(`${file} was not imported`);
  originalSha.set(outcome.assetId, sha256(await readFile(file)));
  return outcome.assetId;
}

/** The SHA-256 of what a stored original decrypts to. */
async function decryptedSha(file: string, keyring: Keyring): Promise<string> {
  const hash = createHash('sha256');
  await decryptFile(file, keyring, new Writable({ write: (chunk: Buffer, _e, cb) => (hash.update(chunk), cb()) }));
  return hash.digest('hex');
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}

async function countFiles(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) if (e.isFile()) n++;
  return n;
}

beforeAll(async () => {
  fixtures = await makeFixtureDir('heirloom-drill-');
  work = await mkdtemp(path.join(os.tmpdir(), 'heirloom-drill-work-'));
  sshd = await startSshd();
  source = await openTestVault();
  const { ctx } = source;
  anna = findUserById(ctx.db, source.ownerId)!;
  bert = await createUser(ctx.db, { username: 'bert', displayName: 'Bert (admin)', role: 'admin', password: ADMIN_PASSWORD });

  // Two people's photos and a video, as they would import them.
  const lake = await ingest(ctx, anna, await makeJpeg(path.join(fixtures, 'lake.jpg'), { seed: 11, exif: { DateTimeOriginal: '2018:08:01 10:00:00', Make: 'Fujifilm', ImageDescription: 'Summer at the lake' } }));
  await ingest(ctx, anna, await makeJpeg(path.join(fixtures, 'garden.jpg'), { seed: 12, width: 800, height: 600, exif: { DateTimeOriginal: '2019:04:02 09:00:00', GPS: { lat: 48.85, lon: 2.35 } } }));
  const steps = await ingest(ctx, anna, await makeVideo(path.join(fixtures, 'first-steps.mp4'), { seconds: 1, audio: true }));
  await ingest(ctx, bert, await makeJpeg(path.join(fixtures, 'wedding.jpg'), { seed: 13 }));
  const blurry = await ingest(ctx, bert, await makeJpeg(path.join(fixtures, 'blurry.jpg'), { seed: 14 }));
  // Scans of old papers: enough bytes that a restore can be cut off halfway.
  for (let i = 0; i < 24; i++) {
    const file = path.join(fixtures, `scan-${String(i).padStart(2, '0')}.bin`);
    await writeFile(file, randomBytes(1024 * 1024 + i));
    await ingest(ctx, i % 2 ? anna : bert, file);
  }

  // Edits (each keeps a version), a favourite, something in the trash.
  const actor = (user: User): Actor => ({ user, via: { kind: 'session', sessionId: 0 } });
  new EditsService({ db: ctx.db }).rotate(actor(anna), lake, 'cw');
  new EditsService({ db: ctx.db }).rotate(actor(anna), lake, 'cw');
  new OrganiseService({ db: ctx.db }).favorite(actor(anna), steps, true);
  new OrganiseService({ db: ctx.db }).trash(actor(bert), blurry);

  // Accounts: 2FA with recovery codes for anna, a device token, an open invite, a signed-in session.
  totpSecret = newTotpSecret();
  updateUser(ctx.db, anna.id, { totpSecret: ctx.keyring.sealSecret(totpSecret, totpPurpose(anna.id)) });
  issueRecoveryCodes(ctx.db, anna.id);
  const client = { ip: '127.0.0.1', userAgent: 'restore drill' };
  new ApiTokenService(ctx.db).create(anna, { name: "Anna's phone", scope: 'upload' }, client);
  new InviteService(ctx.db).create(bert, { role: 'member', days: '7', note: 'for Carl' }, client);
  const server = await listen(ctx);
  const web = new WebClient(server.url);
  await web.signIn('bert', ADMIN_PASSWORD);
  bertCookies = new Map(web.cookies);
  await server.close();

  // Off-site: an SFTP server, then a USB disk.
  await mkdir(path.join(sshd.root, 'family'));
  sftpUrl = sshd.url(path.join(sshd.root, 'family'));
  usbDir = path.join(work, 'usb');
  await mkdir(usbDir);
  await ctx.background.targets.add({ name: 'offsite', url: sftpUrl, credentials: { privateKey: await readFile(sshd.privateKeyPath, 'utf8') } });
  await ctx.background.targets.add({ name: 'usb', url: usbDir });
  expect((await ctx.background.replication.sync('offsite')).snapshot).toBeDefined();
  expect((await ctx.background.replication.sync('usb')).snapshot).toBeDefined();
  sourceTables = tableRows(path.join(source.config.dataDir, 'heirloom.db'));
}, 120_000);

afterAll(async () => {
  await closeMedia();
  await source?.cleanup();
  await sshd?.close();
  await rm(work, { recursive: true, force: true });
  await removeFixtureDir(fixtures);
});

describe('restore drill', () => {
  const restored = () => path.join(work, 'restored');

  it('has a library worth restoring', () => {
    const count = (t: string) => sourceTables[t]?.length ?? 0;
    expect(count('users')).toBe(2);
    expect(count('assets')).toBe(29);
    expect(count('asset_metadata')).toBe(29);
    expect(count('asset_versions')).toBe(2);
    expect(count('sessions')).toBe(1);
    expect(count('api_tokens')).toBe(1);
    expect(count('recovery_codes')).toBe(10);
    expect(count('invites')).toBe(1);
    expect(count('audit_log')).toBeGreaterThan(0);
    expect(count('replication_targets')).toBe(2);
    expect(sourceTables.assets!.some((r) => /"trashed_at",\d+/.test(r))).toBe(true);
  });

  it('survives being killed midway, and the same command then finishes the job', async () => {
    const child = spawn(process.execPath, [path.join(packageRoot, 'dist/server/cli.js'), ...restoreArgs(sftpUrl, restored())], { env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir() }, stdio: 'ignore' });
    const exited = once(child, 'exit');
    let killedAt = -1;
    for (let i = 0; i < 2000 && killedAt < 0 && child.exitCode === null; i++) {
      const n = await countFiles(path.join(restored(), 'blobs'));
      if (n >= 6) {
        child.kill('SIGKILL');
        killedAt = n;
      } else await sleep(5);
    }
    const [, signal] = (await exited) as [number | null, string | null];
    expect(signal, 'the restore finished before it could be interrupted').toBe('SIGKILL');
    expect(await exists(path.join(restored(), '.restore-in-progress'))).toBe(true);

    const rerun = await runCli(restoreArgs(sftpUrl, restored()));
    expect(rerun.code, rerun.stderr).toBe(0);
    const inPlace = Number(/(\d+) already in place/.exec(rerun.stdout)?.[1]);
    expect(inPlace).toBeGreaterThanOrEqual(killedAt - 2);
    expect(rerun.stdout).toMatch(/Done\. Start Heirloom on it/);
    expect(await exists(path.join(restored(), '.restore-in-progress'))).toBe(false);
  });

  it('gives back every row of every table', () => {
    const back = tableRows(path.join(restored(), 'heirloom.db'));
    expect(Object.keys(back).sort()).toEqual(Object.keys(sourceTables).sort());
    for (const table of Object.keys(sourceTables)) expect(back[table], `table ${table}`).toEqual(sourceTables[table]);
  });

  it('gives back every original, bit for bit', async () => {
    const keyring = await Keyring.load(source.config.keyFile);
    const db = new Database(path.join(restored(), 'heirloom.db'), { readonly: true });
    const rows = db.prepare('SELECT id, original_blob_id AS blob FROM assets').all() as { id: number; blob: string }[];
    db.close();
    expect(rows).toHaveLength(originalSha.size);
    for (const { id, blob } of rows) {
      const file = path.join(restored(), 'blobs', blob.slice(0, 2), blob.slice(2, 4), blob);
      expect(await decryptedSha(file, keyring), `asset ${id}`).toBe(originalSha.get(id));
    }
  });

  it('starts a server on the restored data that both people can sign in to and see their photos', async () => {
    const ctx = await openContext(loadConfig({ HEIRLOOM_DATA_DIR: restored(), HEIRLOOM_KEY_FILE: source.config.keyFile }), createLogger('silent'));
    const server = await listen(ctx);
    try {
      const thumbOf = (owner: number) => ctx.db.$client.prepare("SELECT thumb_blob_id FROM assets WHERE owner_id = ? AND kind = 'photo' AND trashed_at IS NULL ORDER BY id LIMIT 1").pluck().get(owner) as string;
      const annaWeb = new WebClient(server.url);
      await annaWeb.signIn('anna', TEST_PASSWORD, totpSecret);
      const annaThumb = await annaWeb.get(`/media/${thumbOf(anna.id)}`);
      expect(annaThumb.status).toBe(200);
      expect(annaThumb.headers.get('content-type')).toBe('image/webp');
      expect((await annaThumb.arrayBuffer()).byteLength).toBeGreaterThan(100);

      const bertWeb = new WebClient(server.url);
      await bertWeb.signIn('bert', ADMIN_PASSWORD);
      const bertThumb = await bertWeb.get(`/media/${thumbOf(bert.id)}`);
      expect(bertThumb.status).toBe(200);
      expect(bertThumb.headers.get('content-type')).toBe('image/webp');
      // People keep what they could not see: anna cannot see bert's photo on the new machine either.
      expect((await annaWeb.get(`/media/${thumbOf(bert.id)}`)).status).toBe(404);

      // A sign-in from before the disaster is still good: the session came back with the database.
      const old = new WebClient(server.url);
      for (const [k, val] of bertCookies) old.cookies.set(k, val);
      const home = await old.get('/');
      expect(home.status).toBe(200);
    } finally {
      await server.close();
      await ctx.close();
    }
  });

  it('refuses to restore into a directory that holds something', async () => {
    const full = path.join(work, 'not-empty');
    await mkdir(full);
    await writeFile(path.join(full, 'notes.txt'), 'keep me');
    const res = await runCli(restoreArgs(sftpUrl, full));
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`heirloom: ${full} is not empty. Restore into an empty directory`);
    expect(await readdir(full)).toEqual(['notes.txt']);
  });

  it('reports an original the target holds damaged, exits 1, and can be completed from another target', async () => {
    const db = new Database(path.join(source.config.dataDir, 'heirloom.db'), { readonly: true });
    const damaged = db.prepare("SELECT original_blob_id FROM assets WHERE original_name = 'wedding.jpg'").pluck().get() as string;
    db.close();
    const copy = path.join(usbDir, ...blobKey(damaged).split('/'));
    const h = await open(copy, 'r+');
    await h.write(Buffer.from('rot'), 0, 3, 4000);
    await h.close();

    const target = path.join(work, 'from-usb');
    const res = await runCli(restoreArgs(usbDir, target));
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`1 originals are missing or damaged at the target (first: ${damaged}). Try another target into the same directory.`);
    expect(await exists(path.join(target, 'blobs', damaged.slice(0, 2), damaged.slice(2, 4), damaged))).toBe(false);
    expect(await exists(path.join(target, '.restore-in-progress'))).toBe(true);

    const rest = await runCli(restoreArgs(sftpUrl, target));
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.stdout).toMatch(/fetched 1 files/);
    expect(tableRows(path.join(target, 'heirloom.db'))).toEqual(sourceTables);
  });
});
