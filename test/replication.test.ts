import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../server/errors.js';
import { integrityProblems } from '../server/integrity/integrity.table.js';
import { closeMedia } from '../server/media/previews.js';
import type { TargetCredentials } from '../server/replication/open-remote.js';
import { blobKey } from '../server/replication/replica-layout.js';
import { replicationLedger } from '../server/replication/replication.table.js';
import type { TargetOptions } from '../server/replication/targets.service.js';
import { blobs } from '../server/vault/blobs.table.js';
import { makeFixtureDir, makeJpeg, makeTextAsJpg, makeVideo, removeFixtureDir } from './fixtures/index.js';
import { openTestVault, type TestVault } from './helpers/context.js';
import { startS3, type S3Server } from './helpers/s3.js';
import { startSshd, type Sshd } from './helpers/sshd.js';

/** Written into a photo's EXIF description and found in the plaintext file: it must never reach a target. */
const MARKER = 'HEIRLOOM-PLAINTEXT-MARKER-7f3a';
const PHOTO_NAME = 'Grandma-Birthday-Cake.jpg';
const NOTES_NAME = 'shopping-list-notes.jpg';
const VIDEO_NAME = 'first-steps-garden.mp4';

let fixtures: string;
let sshd: Sshd;
let s3: S3Server;
let scratch: string;
const files: { path: string; name: string }[] = [];

beforeAll(async () => {
  fixtures = await makeFixtureDir('heirloom-repl-');
  scratch = await mkdtemp(path.join(os.tmpdir(), 'heirloom-repl-dirs-'));
  [sshd, s3] = await Promise.all([startSshd(), startS3()]);
  files.push(
    { path: await makeJpeg(path.join(fixtures, PHOTO_NAME), { seed: 3, exif: { ImageDescription: MARKER, DateTimeOriginal: '2019:05:04 15:00:00' } }), name: PHOTO_NAME },
    { path: await makeTextAsJpg(path.join(fixtures, NOTES_NAME)), name: NOTES_NAME },
    { path: await makeVideo(path.join(fixtures, VIDEO_NAME), { seconds: 1 }), name: VIDEO_NAME },
  );
  // The check below means something only if the plaintext really carries the marker.
  expect((await readFile(files[0]!.path)).includes(MARKER)).toBe(true);
});

afterAll(async () => {
  await closeMedia();
  await Promise.all([sshd?.close(), s3?.close()]);
  await rm(scratch, { recursive: true, force: true });
  await removeFixtureDir(fixtures);
});

type Kind = 'dir' | 'sftp' | 's3';

/** A fresh location at one kind of target, and a way to see what it holds without going through our code. */
interface Place {
  url: string;
  credentials?: TargetCredentials;
  options: Partial<TargetOptions>;
  /** Object key → bytes, read from the server's own storage on disk. */
  objects(): Promise<Map<string, Buffer>>;
  /** Every file the server stores for this location (for s3rver: objects and their metadata), with its path. */
  everything(): Promise<{ name: string; bytes: Buffer }[]>;
  /** The file on disk holding an object's bytes. */
  fileOf(key: string): string;
  /** Names directly under the location on the server's disk (files and directories). */
  top(): Promise<string[]>;
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(full)));
    else out.push(full);
  }
  return out;
}

let places = 0;
async function makePlace(kind: Kind): Promise<Place> {
  const name = `place-${++places}`;
  const S3_SUFFIX = '._S3rver_object';
  const onDisk = kind === 'dir' ? path.join(scratch, name) : kind === 'sftp' ? path.join(sshd.root, name) : path.join(s3.dir, s3.bucket, name);
  if (kind !== 's3') await mkdir(onDisk);
  const everything = async () => Promise.all((await walk(onDisk)).map(async (f) => ({ name: path.relative(onDisk, f), bytes: await readFile(f) })));
  return {
    url: kind === 'dir' ? onDisk : kind === 'sftp' ? sshd.url(onDisk) : `s3://${s3.bucket}/${name}`,
    credentials: kind === 'sftp' ? { privateKey: await readFile(sshd.privateKeyPath, 'utf8') } : kind === 's3' ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } : undefined,
    options: kind === 's3' ? { endpoint: s3.endpoint, pathStyle: true } : {},
    everything,
    async objects() {
      const map = new Map<string, Buffer>();
      for (const f of await everything()) {
        if (kind !== 's3') map.set(f.name.split(path.sep).join('/'), f.bytes);
        else if (f.name.endsWith(S3_SUFFIX)) map.set(f.name.slice(0, -S3_SUFFIX.length).split(path.sep).join('/'), f.bytes);
      }
      return map;
    },
    fileOf: (key) => path.join(onDisk, ...key.split('/')) + (kind === 's3' ? S3_SUFFIX : ''),
    top: () => readdir(onDisk).catch(() => []),
  };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function flipByte(file: string, at: number): Promise<void> {
  const h = await open(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    await h.read(b, 0, 1, at);
    b[0] = b[0]! ^ 0x5a;
    await h.write(b, 0, 1, at);
  } finally {
    await h.close();
  }
}

async function ingestAll(v: TestVault, which = files): Promise<void> {
  for (const f of which) {
    const outcome = await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: f.path, originalName: f.name });
    expect(outcome.status).toBe('imported');
  }
}

/** Both files of the database, as they are on disk: a secret stored in plaintext would be found here. */
async function databaseBytes(v: TestVault): Promise<Buffer> {
  const db = path.join(v.config.dataDir, 'heirloom.db');
  return Buffer.concat([await readFile(db), await readFile(`${db}-wal`).catch(() => Buffer.alloc(0))]);
}

describe.each<Kind>(['dir', 'sftp', 's3'])('replication to a %s target', (kind) => {
  let v: TestVault;
  let place: Place;
  const name = `${kind}-copy`;
  const ledger = () => v.ctx.db.select().from(replicationLedger).all();
  const blobRows = () => v.ctx.db.select().from(blobs).all();

  beforeAll(async () => {
    v = await openTestVault();
    await ingestAll(v);
    place = await makePlace(kind);
  });

  afterAll(async () => {
    await v?.cleanup();
  });

  it('is added after one connection: the URL is stored without secrets, an SFTP host key is pinned, credentials are sealed', async () => {
    const t = await v.ctx.background.targets.add({ name, url: place.url, credentials: place.credentials, options: place.options });
    expect(t).toMatchObject({ name, kind, url: place.url, paused: false });
    expect(t.hostKey).toBe(kind === 'sftp' ? await sshd.hostKeyFingerprint() : null);
    const stored = await databaseBytes(v);
    if (kind === 'dir') expect(t.credentials).toBeNull();
    if (kind === 's3') {
      expect(t.credentials).toBeTruthy();
      expect(stored.includes(s3.secretAccessKey)).toBe(false);
      expect(stored.includes(s3.accessKeyId)).toBe(false);
    }
    if (kind === 'sftp') {
      // Any line of the key's body would give it away.
      const body = place.credentials!.privateKey!.split('\n').filter((l) => l && !l.startsWith('-----'));
      expect(body.length).toBeGreaterThan(0);
      for (const line of body) expect(stored.includes(line)).toBe(false);
    }
  });

  if (kind === 'sftp') it('refuses a server whose host key changed, with a message that says so', async () => {
    await sshd.stop();
    await sshd.start({ otherHostKey: true });
    try {
      const err = await v.ctx.background.targets.test(name).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).code).toBe('target-host-key');
      expect((err as Error).message).toMatch(/host key of 127\.0\.0\.1 changed/);
      expect((err as Error).message).toContain(await sshd.hostKeyFingerprint(true));
      await expect(v.ctx.background.replication.sync(name)).rejects.toThrow(/host key .* changed/);
      expect(v.ctx.background.targets.get(name).lastError).toMatch(/host key .* changed/);
      // The pin is not replaced by the impostor's key.
      expect(v.ctx.background.targets.get(name).hostKey).toBe(await sshd.hostKeyFingerprint());
      expect(await place.objects()).toEqual(new Map());
    } finally {
      await sshd.stop();
      await sshd.start();
    }
  });

  it('passes the probe: writes, reads back and deletes an object', async () => {
    const { roundTripMs } = await v.ctx.background.targets.test(name);
    expect(roundTripMs).toBeGreaterThanOrEqual(0);
    expect(await place.top()).toEqual([]);
  });

  it('sends every blob once, then a snapshot and a manifest; a second pass sends nothing and takes no new snapshot', async () => {
    const rows = blobRows();
    expect(rows.filter((b) => b.kind === 'original')).toHaveLength(3);
    const first = await v.ctx.background.replication.sync(name);
    expect(first).toMatchObject({ uploaded: rows.length, alreadyThere: 0, refused: [], bytes: rows.reduce((n, b) => n + b.cipherSize, 0) });
    expect(first.snapshot).toMatch(/^snapshots\/.+\.db\.hbl$/);

    const objects = await place.objects();
    const blobKeys = [...objects.keys()].filter((k) => k.startsWith('blobs/')).sort();
    expect(blobKeys).toEqual(rows.map((b) => blobKey(b.id)).sort());
    for (const b of rows) expect(sha256(objects.get(blobKey(b.id))!)).toBe(b.cipherSha256);
    expect([...objects.keys()].filter((k) => !k.startsWith('blobs/')).sort()).toEqual(['manifest.json', first.snapshot].sort());
    const manifest = JSON.parse(objects.get('manifest.json')!.toString()) as { snapshots: { key: string; blobs: number }[] };
    expect(manifest.snapshots).toEqual([expect.objectContaining({ key: first.snapshot, blobs: rows.length })]);
    expect(ledger().map((l) => l.state)).toEqual(rows.map(() => 'uploaded'));
    expect(v.ctx.background.targets.get(name)).toMatchObject({ lastError: null, lastSuccessAt: expect.any(Date) });

    const second = await v.ctx.background.replication.sync(name);
    expect(second).toMatchObject({ uploaded: 0, alreadyThere: 0, bytes: 0, refused: [] });
    expect(second.snapshot).toBeUndefined();
    expect([...(await place.objects()).keys()].sort()).toEqual([...objects.keys()].sort());
  });

  it('holds only ciphertext: no plaintext marker, no file name, no key', async () => {
    const stored = await place.everything();
    expect(stored.length).toBeGreaterThan(blobRows().length);
    const keyFile = await readFile(v.config.keyFile, 'utf8');
    const keys = (JSON.parse(keyFile) as { keys: { key: string }[] }).keys.map((k) => k.key);
    const names = files.map((f) => f.name).flatMap((n) => [n, path.parse(n).name]);
    for (const { name: file, bytes } of stored) {
      expect(bytes.includes(MARKER), `${file} holds the plaintext marker`).toBe(false);
      expect(bytes.includes('shopping list'), `${file} holds the notes' text`).toBe(false);
      for (const n of names) {
        expect(file.includes(n), `a file at the target is named after ${n}`).toBe(false);
        expect(bytes.includes(n), `${file} names ${n}`).toBe(false);
      }
      for (const k of keys) expect(bytes.includes(k) || bytes.includes(Buffer.from(k, 'base64'))).toBe(false);
    }
  });

  it('verify() reads every copy back, proves it, and only then marks it verified', async () => {
    const rows = blobRows();
    expect(v.ctx.background.replication.lag(v.ctx.background.targets.get(name))).toEqual({ items: rows.length, bytes: rows.reduce((n, b) => n + b.cipherSize, 0) });
    const result = await v.ctx.background.replication.verify(name);
    expect(result).toEqual({ checked: rows.length, verified: rows.length, missing: 0, wrongSize: 0, corrupt: 0 });
    expect(ledger().every((l) => l.state === 'verified' && l.verifiedAt instanceof Date)).toBe(true);
    expect(v.ctx.background.replication.lag(v.ctx.background.targets.get(name))).toEqual({ items: 0, bytes: 0 });
    expect(v.ctx.background.targets.get(name).lastVerifiedAt).toBeInstanceOf(Date);
  });

  it('sends originals only to a target that leaves previews out', async () => {
    const other = await makePlace(kind);
    const t = await v.ctx.background.targets.add({ name: `${kind}-originals`, url: other.url, credentials: other.credentials, options: { ...other.options, includePreviews: false } });
    const originals = blobRows().filter((b) => b.kind === 'original');
    expect(v.ctx.background.replication.lag(t)).toEqual({ items: 3, bytes: originals.reduce((n, b) => n + b.cipherSize, 0) });
    const result = await v.ctx.background.replication.sync(t.name);
    expect(result.uploaded).toBe(3);
    const keys = [...(await other.objects()).keys()].filter((k) => k.startsWith('blobs/')).sort();
    expect(keys).toEqual(originals.map((b) => blobKey(b.id)).sort());
    expect(await v.ctx.background.replication.verify(t.name)).toMatchObject({ verified: 3, corrupt: 0 });
    expect(v.ctx.background.replication.lag(v.ctx.background.targets.get(t.name))).toEqual({ items: 0, bytes: 0 });
    v.ctx.background.targets.remove(t.name);
  });

  it('sends nothing while paused, and catches up when resumed', async () => {
    const { targets, replication } = v.ctx.background;
    targets.setPaused(name, true);
    expect(targets.get(name).paused).toBe(true);
    const extra = await makeJpeg(path.join(fixtures, `later-${kind}.jpg`), { seed: 40 + places });
    await ingestAll(v, [{ path: extra, name: `later-${kind}.jpg` }]);
    const before = await place.objects();
    const err = await replication.sync(name).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe('target-paused');
    expect((err as Error).message).toContain(`heirloom target resume ${name}`);
    expect([...(await place.objects()).keys()]).toEqual([...before.keys()]);

    targets.setPaused(name, false);
    const result = await replication.sync(name);
    expect(result.uploaded).toBe(3);
    expect(result.snapshot).toBeDefined();
    expect((await place.objects()).size).toBe(before.size + 4);
  });

  it('is removed without touching what it holds', async () => {
    const { targets } = v.ctx.background;
    const before = await place.objects();
    const id = targets.get(name).id;
    targets.remove(name);
    expect(targets.list()).toEqual([]);
    expect(v.ctx.db.select().from(replicationLedger).where(eq(replicationLedger.targetId, id)).all()).toEqual([]);
    const after = await place.objects();
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [k, b] of before) expect(after.get(k)!.equals(b)).toBe(true);
  });
});

describe('scrub repair from a replica', () => {
  let v: TestVault;
  let place: Place;
  let originalId: string;

  beforeAll(async () => {
    v = await openTestVault();
    await ingestAll(v, files.slice(0, 1));
    originalId = v.ctx.db.$client.prepare("SELECT id FROM blobs WHERE kind = 'original'").pluck().get() as string;
    place = await makePlace('dir');
    await v.ctx.background.targets.add({ name: 'usb', url: place.url });
    await v.ctx.background.replication.sync('usb');
    expect(await v.ctx.background.replication.verify('usb')).toMatchObject({ verified: 3, corrupt: 0 });
  });

  afterAll(async () => {
    await v?.cleanup();
  });

  const problems = () => v.ctx.db.select().from(integrityProblems).all();
  const localFile = () => v.ctx.store.pathFor(originalId);
  const row = () => v.ctx.db.select().from(blobs).where(eq(blobs.id, originalId)).get()!;

  it('replaces a damaged local original with the replica copy once that copy verifies', async () => {
    await flipByte(localFile(), row().cipherSize - 100);
    const run = await v.ctx.background.scrub.run({ level: 'full', scope: 'all', trigger: 'admin' });
    expect(run).toMatchObject({ state: 'done', problemsFound: 1, repairsMade: 1 });
    expect(problems()).toEqual([expect.objectContaining({ blobId: originalId, state: 'repaired' })]);
    expect(sha256(await readFile(localFile()))).toBe(row().cipherSha256);
    // The repaired file decrypts to the photo.
    const again = await v.ctx.background.scrub.run({ level: 'full', scope: 'all', trigger: 'admin' });
    expect(again).toMatchObject({ problemsFound: 0 });
  });

  it('reports, and does not spread, damage when the replica copy is damaged too', async () => {
    const replicaFile = place.fileOf(blobKey(originalId));
    await flipByte(replicaFile, 200);
    const damagedReplica = await readFile(replicaFile);
    await flipByte(localFile(), row().cipherSize - 50);
    const run = await v.ctx.background.scrub.run({ level: 'full', scope: 'all', trigger: 'admin' });
    expect(run).toMatchObject({ problemsFound: 1, repairsMade: 0 });
    const open = problems().filter((p) => p.state === 'open');
    expect(open).toEqual([expect.objectContaining({ blobId: originalId })]);
    expect(open[0]!.detail).toMatch(/no replica holds a verified copy/);
    // The replica keeps its own (damaged) bytes: the local damage was not copied over it.
    expect((await readFile(replicaFile)).equals(damagedReplica)).toBe(true);
    // Nor does a replication pass send what failed its checksum, nor verification remove the replica's
    // copy when there is no good copy here to send instead.
    const sync = await v.ctx.background.replication.sync('usb');
    expect(sync.uploaded).toBe(0);
    expect(await v.ctx.background.replication.verify('usb')).toMatchObject({ corrupt: 1 });
    expect((await readFile(replicaFile)).equals(damagedReplica)).toBe(true);
  });
});
