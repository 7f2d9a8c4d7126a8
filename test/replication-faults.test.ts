import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { mkdir, mkdtemp, open, readdir, readFile, rename, rm, stat, truncate, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IntegrityError, UserError } from '../server/errors.js';
import { createLogger } from '../server/log.js';
import { closeMedia } from '../server/media/previews.js';
import { packageRoot } from '../server/paths.js';
import type { TargetCredentials } from '../server/replication/open-remote.js';
import { SourceError } from '../server/replication/remote.js';
import { blobKey } from '../server/replication/replica-layout.js';
import { SftpRemote } from '../server/replication/sftp-remote.js';
import { replicateJob } from '../server/replication/replicate.job.js';
import { replicationLedger, replicationTargets } from '../server/replication/replication.table.js';
import type { TargetOptions } from '../server/replication/targets.service.js';
import { blobRow, insertBlobs } from '../server/vault/blobs.repo.js';
import { blobs, type BlobRow } from '../server/vault/blobs.table.js';
import { runCli } from './helpers/cli.js';
import { openTestVault, type TestVault } from './helpers/context.js';
import { freePort } from './helpers/server.js';
import { startS3, type S3Server } from './helpers/s3.js';
import { startSshd, type Sshd } from './helpers/sshd.js';

let sshd: Sshd;
let s3: S3Server;
let scratch: string;
const vaults: TestVault[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'heirloom-faults-'));
  [sshd, s3] = await Promise.all([startSshd(), startS3()]);
});

afterAll(async () => {
  for (const v of vaults) await v.cleanup();
  await closeMedia();
  await Promise.all([sshd?.close(), s3?.close()]);
  await rm(scratch, { recursive: true, force: true });
});

type Kind = 'dir' | 'sftp' | 's3';

interface Place {
  url: string;
  credentials?: TargetCredentials;
  options: Partial<TargetOptions>;
  /** The file on the server's disk that holds an object's bytes. */
  fileOf(key: string): string;
  /** Every file under the location on the server's disk, relative to it. */
  files(): Promise<string[]>;
}

async function walk(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(full, base)));
    else out.push(path.relative(base, full));
  }
  return out;
}

let places = 0;
async function makePlace(kind: Kind, at?: string): Promise<Place> {
  const name = `place-${++places}`;
  const onDisk = at ?? (kind === 'dir' ? path.join(scratch, name) : kind === 'sftp' ? path.join(sshd.root, name) : path.join(s3.dir, s3.bucket, name));
  if (kind !== 's3') await mkdir(onDisk, { recursive: true });
  return {
    url: kind === 'dir' ? onDisk : kind === 'sftp' ? sshd.url(onDisk) : `s3://${s3.bucket}/${name}`,
    credentials: kind === 'sftp' ? { privateKey: await readFile(sshd.privateKeyPath, 'utf8') } : kind === 's3' ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } : undefined,
    options: kind === 's3' ? { endpoint: s3.endpoint, pathStyle: true } : {},
    fileOf: (key) => path.join(onDisk, ...key.split('/')) + (kind === 's3' ? '._S3rver_object' : ''),
    // s3rver keeps each object as <key>._S3rver_object beside its metadata.
    files: async () => (await walk(onDisk)).flatMap((f) => (kind !== 's3' ? [f] : f.endsWith('._S3rver_object') ? [f.slice(0, -'._S3rver_object'.length)] : [])),
  };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function vault(): Promise<TestVault> {
  const v = await openTestVault({}, { withMember: false });
  vaults.push(v);
  return v;
}

/** Originals of random bytes, stored the way ingest stores them (sealed, committed, one row each). */
async function addBlobs(v: TestVault, count: number, size: number): Promise<BlobRow[]> {
  const rows: BlobRow[] = [];
  for (let i = 0; i < count; i++) {
    const { tmpPath, sealed } = await v.ctx.store.writeTemp(v.ctx.keyring, randomBytes(size));
    await v.ctx.store.commit(tmpPath, sealed.blobId);
    insertBlobs(v.ctx.db, [blobRow(sealed, 'original')]);
    rows.push(v.ctx.db.select().from(blobs).where(eq(blobs.id, sealed.blobId)).get()!);
  }
  return rows;
}

async function flipByte(file: string, at: number): Promise<void> {
  const h = await open(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    await h.read(b, 0, 1, at);
    b[0] = b[0]! ^ 0xff;
    await h.write(b, 0, 1, at);
  } finally {
    await h.close();
  }
}

const ledgerOf = (v: TestVault, targetId: number) => v.ctx.db.select().from(replicationLedger).where(eq(replicationLedger.targetId, targetId)).all();

/** What the ledger claims must be true at the target: each copy it lists is there, whole. */
async function expectLedgerHonest(v: TestVault, targetId: number, place: Place): Promise<void> {
  for (const entry of ledgerOf(v, targetId)) {
    const row = v.ctx.db.select().from(blobs).where(eq(blobs.id, entry.blobId)).get()!;
    expect(sha256(await readFile(place.fileOf(blobKey(entry.blobId)))), `the ledger lists ${entry.blobId} but the target's copy differs`).toBe(row.cipherSha256);
  }
}

describe.each<'sftp' | 's3'>(['sftp', 's3'])('a %s target that goes offline midway', (kind) => {
  it('fails the pass with a clear error, marks nothing it did not prove, and completes after the server is back', async () => {
    const v = await vault();
    const rows = await addBlobs(v, 30, 256 * 1024);
    const place = await makePlace(kind);
    const server = kind === 'sftp' ? sshd : s3;
    // A bandwidth cap (4 MB/s, so the pass takes about 2 s) makes sure the server goes away midway.
    const target = await v.ctx.background.targets.add({ name: 'away', url: place.url, credentials: place.credentials, options: { ...place.options, bytesPerSecond: 4_000_000 } });
    let stopping: Promise<void> | undefined;
    let landedBefore = 0;
    const err = await v.ctx.background.replication
      .sync('away', {
        onProgress: (p) => {
          if (p.phase === 'blobs' && p.done === 8) stopping = server.stop();
        },
      })
      .then(() => undefined, (e: unknown) => e as Error);
    await stopping;
    try {
      expect(err).toBeInstanceOf(Error);
      expect(err!.message).toMatch(
        kind === 'sftp'
          ? /^\S+@127\.0\.0\.1:\d+ (dropped the connection \(.+\)\. The next pass picks up where this one stopped\.|refused the connection\. Is the server running\?)$/
          : /^Cannot reach http:\/\/127\.0\.0\.1:\d+ bucket heirloom-replica \((ECONNREFUSED|ECONNRESET)\)\. Is it online\?$/,
      );
      const t = v.ctx.background.targets.get('away');
      expect(t.lastError).toBe(err!.message);
      expect(t.lastErrorAt).toBeInstanceOf(Date);
      expect(t.lastSuccessAt).toBeNull();
      const ledger = ledgerOf(v, target.id);
      landedBefore = ledger.length;
      expect(ledger.length).toBeGreaterThanOrEqual(8);
      expect(ledger.length).toBeLessThan(rows.length);
      expect(ledger.every((l) => l.state === 'uploaded')).toBe(true);
      await expectLedgerHonest(v, target.id, place);
      // Verification cannot run against a server that is not there, and proves nothing meanwhile.
      await expect(v.ctx.background.replication.verify('away')).rejects.toThrow();
      expect(ledgerOf(v, target.id).some((l) => l.state === 'verified')).toBe(false);
    } finally {
      await server.start();
    }
    const again = await v.ctx.background.replication.sync('away');
    expect(again.uploaded + again.alreadyThere).toBe(rows.length - landedBefore);
    expect(again.snapshot).toBeDefined();
    expect(v.ctx.background.targets.get('away')).toMatchObject({ lastError: null, lastSuccessAt: expect.any(Date) });
    expect(await v.ctx.background.replication.verify('away')).toMatchObject({ verified: rows.length, corrupt: 0, missing: 0 });
    await expectLedgerHonest(v, target.id, place);
  });
});

describe('a target that cannot be reached or logged into', () => {
  it('names a closed port as refusing the connection', async () => {
    const v = await vault();
    const port = await freePort();
    const sftp = v.ctx.background.targets.add({ name: 'nobody', url: `sftp://${sshd.user}@127.0.0.1:${port}/srv`, credentials: { privateKey: await readFile(sshd.privateKeyPath, 'utf8') } });
    await expect(sftp).rejects.toThrow(`${sshd.user}@127.0.0.1:${port} refused the connection. Is the server running?`);
    const bucket = v.ctx.background.targets.add({ name: 'nobucket', url: 's3://b/p', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, options: { endpoint: `http://127.0.0.1:${port}` } });
    await expect(bucket).rejects.toThrow(`Cannot reach http://127.0.0.1:${port} bucket b (ECONNREFUSED). Is it online?`);
    await expect(v.ctx.background.targets.add({ name: 'unplugged', url: path.join(scratch, 'not-mounted') })).rejects.toThrow(/is not there\. Is the disk plugged in and mounted\?/);
    expect(v.ctx.background.targets.list()).toEqual([]);
  });

  it('gives up on a server that accepts the connection and never answers, saying so', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const remote = new SftpRemote({ host: '127.0.0.1', port, username: sshd.user, root: '/srv', privateKey: await readFile(sshd.privateKeyPath, 'utf8'), timeoutMs: 500 });
      await expect(remote.connect()).rejects.toThrow(`${sshd.user}@127.0.0.1:${port} did not answer in time.`);
      await remote.close();
    } finally {
      silent.close();
    }
  });

  it('refuses a wrong SSH key with a message about the login', async () => {
    const v = await vault();
    const place = await makePlace('sftp');
    const err = await v.ctx.background.targets.add({ name: 'wrongkey', url: place.url, credentials: { privateKey: await readFile(sshd.wrongKeyPath, 'utf8') } }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err).toMatchObject({ code: 'target-credentials', message: `${sshd.user}@127.0.0.1:${sshd.port} refused the login. Check the user name, password or key.` });
    expect(v.ctx.background.targets.list()).toEqual([]);
  });

  it('refuses an unknown S3 access key with a message about the credentials, and does not retry it as if it were an outage', async () => {
    const v = await vault();
    await addBlobs(v, 2, 1024);
    const place = await makePlace('s3');
    const err = await v.ctx.background.targets.add({ name: 'wrongid', url: place.url, credentials: { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'x' }, options: place.options }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err).toMatchObject({ code: 'target-credentials' });
    // The first request is a HEAD, whose answer has no body to name the error: the status stands in.
    expect((err as Error).message).toBe(`${s3.endpoint} bucket ${s3.bucket} refused the credentials (HTTP 403). Check the access key and secret.`);

    // Credentials that stop working later (a rotated key): the pass fails, says why, and the job does not retry it.
    const t = await v.ctx.background.targets.add({ name: 'rotated', url: place.url, credentials: place.credentials, options: place.options });
    v.ctx.db.update(replicationTargets).set({ credentials: v.ctx.keyring.sealSecret(JSON.stringify({ accessKeyId: 'ROTATED-AWAY', secretAccessKey: 'x' }), 'target:rotated') }).where(eq(replicationTargets.id, t.id)).run();
    await expect(v.ctx.background.replication.sync('rotated')).rejects.toThrow(/refused the credentials/);
    expect(v.ctx.background.targets.get('rotated').lastError).toMatch(/refused the credentials \(HTTP 403\)/);
    const job = replicateJob(v.ctx.background.targets, v.ctx.background.replication);
    const jobErr = await job.run({ signal: new AbortController().signal, progress: () => {}, payload: undefined } as never).then(() => undefined, (e: unknown) => e);
    expect(jobErr).toBeInstanceOf(UserError);
    expect(jobErr).toMatchObject({ code: 'replication-failed' });
    expect(ledgerOf(v, t.id)).toEqual([]);
  });
});

describe.each<Kind>(['dir', 'sftp', 's3'])('copies at a %s target damaged behind our back', (kind) => {
  it('are found by verify(), forgotten, and sent again by the next pass', async () => {
    const v = await vault();
    const rows = await addBlobs(v, 6, 64 * 1024);
    const place = await makePlace(kind);
    const target = await v.ctx.background.targets.add({ name: 'far', url: place.url, credentials: place.credentials, options: place.options });
    await v.ctx.background.replication.sync('far');
    expect(await v.ctx.background.replication.verify('far')).toMatchObject({ verified: 6 });

    const [gone, flipped, cut] = rows as [BlobRow, BlobRow, BlobRow];
    if (kind === 's3') {
      // s3rver keeps metadata beside each object: delete through its API so its listing stays coherent.
      const remote = await v.ctx.background.targets.connect(v.ctx.background.targets.get('far'));
      await remote.delete(blobKey(gone.id));
      await remote.close();
    } else {
      await unlink(place.fileOf(blobKey(gone.id)));
    }
    await flipByte(place.fileOf(blobKey(flipped.id)), 1000);
    if (kind !== 's3') await truncate(place.fileOf(blobKey(cut.id)), 1000);

    const result = await v.ctx.background.replication.verify('far');
    expect(result).toMatchObject({ missing: 1, corrupt: 1, wrongSize: kind === 's3' ? 0 : 1 });
    const damaged = kind === 's3' ? [gone, flipped] : [gone, flipped, cut];
    const held = new Map(ledgerOf(v, target.id).map((l) => [l.blobId, l.state]));
    for (const r of damaged) expect(held.has(r.id), `${r.id} is still in the ledger`).toBe(false);
    for (const r of rows.filter((r) => !damaged.includes(r))) expect(held.get(r.id)).toBe('verified');
    expect(v.ctx.background.replication.lag(v.ctx.background.targets.get('far')).items).toBe(damaged.length);

    const again = await v.ctx.background.replication.sync('far');
    expect(again.uploaded).toBe(damaged.length);
    for (const r of rows) expect(sha256(await readFile(place.fileOf(blobKey(r.id))))).toBe(r.cipherSha256);
    const reverify = await v.ctx.background.replication.verify('far');
    expect(reverify).toMatchObject({ corrupt: 0, missing: 0, wrongSize: 0 });
    expect(reverify.verified).toBeGreaterThanOrEqual(damaged.length);
    expect(v.ctx.background.replication.lag(v.ctx.background.targets.get('far'))).toEqual({ items: 0, bytes: 0 });
  });
});

describe('a target disk that fills up', () => {
  const root = process.getuid?.() === 0;
  it.skipIf(!root)('stops with a clear "full" message, and the ledger holds only what landed (needs root to mount a 2 MB tmpfs)', async () => {
    const v = await vault();
    const rows = await addBlobs(v, 10, 300 * 1024);
    const mountPoint = path.join(scratch, 'small-disk');
    await mkdir(mountPoint);
    await new Promise<void>((resolve, reject) => {
      const p = spawn('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint], { stdio: 'inherit' });
      p.once('error', reject);
      p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mount exited ${code}`))));
    });
    try {
      const place = await makePlace('dir', mountPoint);
      const target = await v.ctx.background.targets.add({ name: 'small', url: place.url });
      const err = await v.ctx.background.replication.sync('small').then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect(err).toMatchObject({ code: 'target-full', message: `The target disk at ${mountPoint} is full.` });
      expect(v.ctx.background.targets.get('small').lastError).toBe(`The target disk at ${mountPoint} is full.`);
      const ledger = ledgerOf(v, target.id);
      expect(ledger.length).toBeGreaterThan(0);
      expect(ledger.length).toBeLessThan(rows.length);
      await expectLedgerHonest(v, target.id, place);
      // No half-written file is left taking space, and no snapshot claims a library the disk does not hold.
      const files = await place.files();
      expect(files.filter((f) => f.includes('.part-'))).toEqual([]);
      expect(files.filter((f) => !f.startsWith('blobs'))).toEqual([]);
      expect(files).toHaveLength(ledger.length);
    } finally {
      await new Promise((resolve) => spawn('umount', [mountPoint], { stdio: 'inherit' }).once('exit', resolve));
    }
  });
});

describe('a `heirloom replicate` killed during an upload', () => {
  it('leaves no partial object under a final name, and a rerun completes', async () => {
    const v = await openTestVault({}, { withMember: false });
    const dir = v.dir;
    const rows = await addBlobs(v, 8, 4 * 1024 * 1024);
    const place = await makePlace('sftp');
    const target = await v.ctx.background.targets.add({ name: 'nas', url: place.url, credentials: place.credentials });
    await v.ctx.close();
    const env = { HEIRLOOM_DATA_DIR: v.config.dataDir, HEIRLOOM_KEY_FILE: v.config.keyFile, HEIRLOOM_LOG_LEVEL: 'warn' };
    try {
      const child = spawn(process.execPath, [path.join(packageRoot, 'dist/server/cli.js'), 'replicate'], { env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), ...env }, stdio: 'ignore' });
      const exited = once(child, 'exit');
      // Wait until one object is complete and another is on its way, then pull the plug.
      let killed = false;
      for (let i = 0; i < 1000 && !killed; i++) {
        const files = await place.files();
        const parts = files.filter((f) => f.includes('.part-'));
        const done = files.filter((f) => f.startsWith('blobs') && !f.includes('.part-'));
        if (done.length >= 1 && parts.length > 0 && (await stat(place.fileOf(parts[0]!)).catch(() => undefined))?.size) {
          child.kill('SIGKILL');
          killed = true;
        } else await sleep(5);
      }
      const [, signal] = (await exited) as [number | null, string | null];
      expect(killed).toBe(true);
      expect(signal).toBe('SIGKILL');

      const after = await place.files();
      expect(after.some((f) => f.includes('.part-'))).toBe(true);
      const landed = after.filter((f) => f.startsWith('blobs') && !f.includes('.part-'));
      expect(landed.length).toBeLessThan(rows.length);
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const f of landed) expect(sha256(await readFile(place.fileOf(f))), `${f} is visible but incomplete`).toBe(byId.get(path.basename(f))!.cipherSha256);
      expect(after).not.toContain('manifest.json');

      const rerun = await runCli(['replicate'], { env });
      expect(rerun.stderr).not.toMatch(/failed|Error/);
      expect(rerun.code).toBe(0);
      expect(rerun.stdout).toMatch(/new database snapshot/);
      for (const r of rows) expect(sha256(await readFile(place.fileOf(blobKey(r.id))))).toBe(r.cipherSha256);
    } finally {
      const { openContext } = await import('../server/context.js');
      const ctx = await openContext(v.config, createLogger('silent'));
      try {
        expect(await ctx.background.replication.verify('nas')).toMatchObject({ verified: rows.length, corrupt: 0 });
        expect(ctx.db.select().from(replicationLedger).where(eq(replicationLedger.targetId, target.id)).all()).toHaveLength(rows.length);
      } finally {
        await ctx.close();
        await rm(dir, { recursive: true, force: true });
      }
    }
  });
});

describe.each<Kind>(['dir', 'sftp', 's3'])('a local blob that fails its own checksum, replicating to a %s target', (kind) => {
  it('is never sent, not even half, and a good copy at the target is never overwritten by it', async () => {
    const v = await vault();
    const rows = await addBlobs(v, 4, 64 * 1024);
    const place = await makePlace(kind);
    await v.ctx.background.targets.add({ name: 'usb', url: place.url, credentials: place.credentials, options: place.options });
    await v.ctx.background.replication.sync('usb');
    const bad = rows[1]!;
    await flipByte(v.ctx.store.pathFor(bad.id), bad.cipherSize - 10);
    // One gone altogether is refused the same way, not taken for the target failing.
    const gone = rows[2]!;
    await rename(v.ctx.store.pathFor(gone.id), path.join(v.dir, 'moved-away'));
    // One large enough for a multipart upload to S3, damaged near its end: its parts must never be completed.
    const [big] = await addBlobs(v, 1, 17 * 1024 * 1024);
    await flipByte(v.ctx.store.pathFor(big!.id), big!.cipherSize - 10);

    // A new target: the damaged blob is refused, and no snapshot is sent that would refer to it.
    const fresh = await makePlace(kind);
    await v.ctx.background.targets.add({ name: 'fresh', url: fresh.url, credentials: fresh.credentials, options: fresh.options });
    const err = await v.ctx.background.replication.sync('fresh').then(() => undefined, (e: unknown) => e as Error);
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err!.message).toMatch(/^3 blobs .*: 3 fail their own checksum here/);
    expect(v.ctx.background.targets.get('fresh').lastError).toBe(err!.message);
    const sent = await fresh.files();
    expect(sent.sort()).toEqual(rows.filter((r) => r !== bad && r !== gone).map((r) => blobKey(r.id)).sort());
    await rename(path.join(v.dir, 'moved-away'), v.ctx.store.pathFor(gone.id));
    await flipByte(v.ctx.store.pathFor(big!.id), big!.cipherSize - 10);

    // The old target, its ledger lost (removed and added again): its good copy is kept, not replaced.
    v.ctx.background.targets.remove('usb');
    await v.ctx.background.targets.add({ name: 'usb', url: place.url, credentials: place.credentials, options: place.options });
    const resync = await v.ctx.background.replication.sync('usb');
    expect(resync).toMatchObject({ uploaded: 1, alreadyThere: 4 });
    expect(sha256(await readFile(place.fileOf(blobKey(bad.id))))).toBe(bad.cipherSha256);
    expect(await v.ctx.background.replication.verify('usb')).toMatchObject({ verified: 5, corrupt: 0 });
  });
});

describe.each<Kind>(['dir', 'sftp', 's3'])('an upload to a %s target that is cancelled', (kind) => {
  it('ends with the reason it was cancelled for, never as a damaged local blob, and leaves nothing there', async () => {
    const v = await vault();
    const [row] = await addBlobs(v, 1, 17 * 1024 * 1024);
    const place = await makePlace(kind);
    const target = await v.ctx.background.targets.add({ name: 'far', url: place.url, credentials: place.credentials, options: place.options });
    const remote = await v.ctx.background.targets.connect(target);
    try {
      const controller = new AbortController();
      const reason = new Error('Cancelled.');
      controller.abort(reason);
      const err = await remote.put(blobKey(row!.id), v.ctx.store.pathFor(row!.id), row!.cipherSize, { signal: controller.signal, sha256: row!.cipherSha256 }).then(() => undefined, (e: unknown) => e as Error);
      expect(err).toBeDefined();
      expect(err).not.toBeInstanceOf(SourceError);
      expect(err!.message).toMatch(/Cancelled\.|aborted/i);
      expect(await place.files()).toEqual([]);
    } finally {
      await remote.close();
    }
  });
});

describe('a clock that is off', () => {
  it('does not stop replication to S3: the request time is corrected from the server\'s Date header', async () => {
    const v = await vault();
    const rows = await addBlobs(v, 3, 64 * 1024);
    // s3rver in a child process keeps the right time; this process runs 40 minutes fast (S3 allows 15).
    const server = await startS3('skewed', { inChild: true });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 40 * 60_000);
    try {
      const options = { endpoint: server.endpoint, pathStyle: true };
      await v.ctx.background.targets.add({ name: 'cloud', url: `s3://${server.bucket}/x`, credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey }, options });
      const result = await v.ctx.background.replication.sync('cloud');
      expect(result).toMatchObject({ uploaded: rows.length });
      expect(await v.ctx.background.replication.verify('cloud')).toMatchObject({ verified: rows.length, corrupt: 0 });
    } finally {
      vi.useRealTimers();
      await server.close();
    }
  });
});
