import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeMedia } from '../server/media/previews.js';
import { makeFixtureDir, makeJpeg, removeFixtureDir } from './fixtures/index.js';
import { runCli, type CliResult } from './helpers/cli.js';
import { openTestVault, type TestVault } from './helpers/context.js';
import { startS3, type S3Server } from './helpers/s3.js';
import { startSshd, type Sshd } from './helpers/sshd.js';

/** s3rver checks the access key id but not the signature, so any secret will do: a distinctive one is easy to look for. */
const S3_SECRET = 'cli-test-secret-9d41c7f0e2';

let v: TestVault;
let fixtures: string;
let sshd: Sshd;
let s3: S3Server;
let env: Record<string, string>;
let usbDir: string;
let sftpDir: string;
let privateKey: string;
const outputs: string[] = [];

async function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  const res = await runCli(args, { env: { ...env, ...extraEnv } });
  outputs.push(`$ heirloom ${args.join(' ')}\n${res.stdout}\n${res.stderr}`);
  return res;
}

beforeAll(async () => {
  [sshd, s3] = await Promise.all([startSshd(), startS3()]);
  v = await openTestVault();
  fixtures = await makeFixtureDir('heirloom-repl-cli-');
  await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: await makeJpeg(path.join(fixtures, 'porch.jpg'), { seed: 5 }), originalName: 'porch.jpg' });
  await v.ctx.close();
  env = { HEIRLOOM_DATA_DIR: v.config.dataDir, HEIRLOOM_KEY_FILE: v.config.keyFile };
  usbDir = path.join(v.dir, 'usb');
  await mkdir(usbDir);
  sftpDir = path.join(sshd.root, 'cli');
  await mkdir(sftpDir);
  privateKey = await readFile(sshd.privateKeyPath, 'utf8');
});

afterAll(async () => {
  await closeMedia();
  await Promise.all([sshd?.close(), s3?.close()]);
  await rm(v.dir, { recursive: true, force: true });
  await removeFixtureDir(fixtures);
});

describe('heirloom target and heirloom replicate', () => {
  it('adds a directory, an SFTP server (pinning its key) and a bucket (credentials from the environment and a _FILE)', async () => {
    const usb = await cli(['target', 'add', 'usb', usbDir]);
    expect(usb.code, usb.stderr).toBe(0);
    expect(usb.stdout).toContain(`Added usb (${usbDir}).`);
    expect(usb.stdout).toContain('a replica is useless without the master key');

    const offsite = await cli(['target', 'add', 'offsite', sshd.url(sftpDir), '-i', sshd.privateKeyPath, '--no-previews']);
    expect(offsite.code, offsite.stderr).toBe(0);
    expect(offsite.stdout).toContain(`Pinned the server's host key SHA256:${await sshd.hostKeyFingerprint()}`);

    const secretFile = path.join(v.dir, 's3-secret');
    await writeFile(secretFile, `${S3_SECRET}\n`);
    const bucket = await cli(['target', 'add', 'bucket', `s3://${s3.bucket}/cli`, '--endpoint', s3.endpoint], { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY_FILE: secretFile });
    expect(bucket.code, bucket.stderr).toBe(0);
    expect(bucket.stdout).toContain(`Added bucket (s3://${s3.bucket}/cli).`);
  });

  it('refuses what cannot work, saying why', async () => {
    const ftp = await cli(['target', 'add', 'old', 'ftp://example.org/photos']);
    expect(ftp.code).toBe(2);
    expect(ftp.stderr).toContain('Targets are directories, sftp:// or s3:// URLs, not ftp://');
    const noCreds = await cli(['target', 'add', 'nocreds', `s3://${s3.bucket}/x`, '--endpoint', s3.endpoint]);
    expect(noCreds.code).toBe(2);
    expect(noCreds.stderr).toContain('An S3 target needs an access key id and secret');
  });

  it('tests a target with a probe', async () => {
    const res = await cli(['target', 'test', 'offsite']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^offsite works: wrote, read back and deleted a probe in \d+ ms\./);
  });

  it('replicates to every active target, skipping a paused one until it is resumed', async () => {
    const paused = await cli(['target', 'pause', 'bucket']);
    expect(paused.stdout).toContain('Paused bucket. Nothing is sent there until: heirloom target resume bucket');

    const first = await cli(['replicate']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/→ offsite \(sftp:[^\n]*\n\s+sent 1 files \([^)]+\), 0 already there, new database snapshot/);
    expect(first.stdout).toMatch(/→ usb \([^\n]*\n\s+sent 3 files \([^)]+\), 0 already there, new database snapshot/);
    expect(first.stdout).not.toContain('→ bucket');
    expect((await readdir(usbDir)).sort()).toEqual(['blobs', 'manifest.json', 'snapshots']);

    expect((await cli(['target', 'resume', 'bucket'])).stdout).toContain('Resumed bucket.');
    const second = await cli(['replicate']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/→ bucket \([^\n]*\n\s+sent 3 files \([^)]+\), 0 already there, new database snapshot/);
    // The others have every file already (the pause itself is a change, so they get a new snapshot).
    expect(second.stdout.match(/sent 0 files \(0 B\), 0 already there/g)).toHaveLength(2);
  });

  it('lists the targets with what is not yet verified there', async () => {
    const res = await cli(['target', 'list']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`bucket  s3://${s3.bucket}/cli`);
    expect(res.stdout).toContain(`offsite  ${sshd.url(sftpDir)}`);
    expect(res.stdout).toContain(`usb  ${usbDir}`);
    // The SFTP target takes the original only; the others its thumbnail and preview too.
    expect(res.stdout).toMatch(/offsite[^\n]*\n\s+not yet verified: 1 files, [^;]+; last success: 20\d\d-/);
    expect(res.stdout).toMatch(/usb[^\n]*\n\s+not yet verified: 3 files/);
  });

  it('exits 1 when a target fails, names it, and shows the error in the list', async () => {
    await s3.stop();
    try {
      const res = await cli(['replicate']);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(`failed: Cannot reach ${s3.endpoint} bucket ${s3.bucket} (ECONNREFUSED). Is it online?`);
      expect(res.stdout).toMatch(/→ usb[^\n]*\n\s+sent 0 files/);
      const list = await cli(['target', 'list']);
      expect(list.stdout).toMatch(/bucket  s3:[^\n]*\n[^\n]*\n\s+last error \([^)]+\): Cannot reach/);
    } finally {
      await s3.start();
    }
  });

  it('removes a target and leaves its copies where they are', async () => {
    const before = await readdir(path.join(usbDir, 'blobs'), { recursive: true });
    const res = await cli(['target', 'remove', 'usb']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Removed usb. The copies already there were left in place.');
    expect(await readdir(path.join(usbDir, 'blobs'), { recursive: true })).toEqual(before);
  });

  it('never prints a credential', () => {
    const all = outputs.join('\n');
    expect(all).toContain('heirloom target list');
    expect(all).not.toContain(S3_SECRET);
    for (const line of privateKey.split('\n').filter((l) => l && !l.startsWith('-----'))) expect(all).not.toContain(line);
  });
});
