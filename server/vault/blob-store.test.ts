import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IntegrityError, UserError } from '../errors.js';
import { BlobStore } from './blob-store.js';
import { newBlobId } from './format.js';
import { Keyring } from './keyring.js';

const keyring = Keyring.generate();
let dataDir: string;
let store: BlobStore;
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'heirloom-store-'));
  store = new BlobStore(dataDir);
  await store.init();
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('BlobStore', () => {
  it('init creates blobs/ and tmp/ and wipes tmp/ only', async () => {
    await mkdir(path.join(store.tmpDir, 'leftover-dir'));
    await writeFile(path.join(store.tmpDir, 'leftover-dir', 'x'), 'x');
    await writeFile(path.join(store.tmpDir, `${newBlobId()}.part`), 'partial');
    const { tmpPath, sealed } = await store.writeTemp(keyring, Buffer.from('kept'));
    await store.commit(tmpPath, sealed.blobId);
    await store.init();
    expect(await readdir(store.tmpDir)).toEqual([]);
    expect(await store.exists(sealed.blobId)).toBe(true);
  });

  it("init leaves a live writer's temp files alone and removes a dead one's", async () => {
    const live = `${process.ppid}-${newBlobId()}.part`;
    const dead = `999999999-${newBlobId()}.part`;
    await writeFile(path.join(store.tmpDir, live), 'in flight');
    await writeFile(path.join(store.tmpDir, dead), 'crashed');
    await store.init();
    expect(await readdir(store.tmpDir)).toEqual([live]);
  });

  it('writeTemp then commit places an encrypted, readable blob in its shard', async () => {
    const plain = randomBytes(3 * 1024 * 1024 + 17);
    const { tmpPath, sealed } = await store.writeTemp(keyring, plain);
    expect(path.dirname(tmpPath)).toBe(store.tmpDir);
    expect(await store.exists(sealed.blobId)).toBe(false);
    await store.commit(tmpPath, sealed.blobId);

    const id = sealed.blobId;
    expect(store.pathFor(id)).toBe(path.join(dataDir, 'blobs', id.slice(0, 2), id.slice(2, 4), id));
    expect(await readdir(store.tmpDir)).toEqual([]);
    const onDisk = await readFile(store.pathFor(id));
    expect(onDisk.length).toBe(sealed.cipherSize);
    expect(createHash('sha256').update(onDisk).digest('hex')).toBe(sealed.cipherSha256);
    expect(onDisk.includes(plain.subarray(0, 64))).toBe(false);

    const blob = await store.open(id, keyring);
    expect((await blob.readAll()).equals(plain)).toBe(true);
    await blob.close();
    await store.remove(id);
    expect(await store.exists(id)).toBe(false);
    await store.remove(id);
  });

  it('writeTemp from a stream seals the same plaintext as from a buffer', async () => {
    const plain = randomBytes(2 * 1024 * 1024 + 5);
    const fromStream = await store.writeTemp(keyring, Readable.from([plain.subarray(0, 1000), plain.subarray(1000)]));
    const fromBuffer = await store.writeTemp(keyring, plain);
    expect(fromStream.sealed.plainSha256).toBe(fromBuffer.sealed.plainSha256);
    expect(fromStream.sealed.cipherSize).toBe(fromBuffer.sealed.cipherSize);
    expect(createHash('sha256').update(await readFile(fromStream.tmpPath)).digest('hex')).toBe(fromStream.sealed.cipherSha256);
  });

  it('writeTemp removes its partial file when the source fails', async () => {
    async function* failing() {
      yield randomBytes(3 * 1024 * 1024);
      throw new Error('client went away');
    }
    await expect(store.writeTemp(keyring, Readable.from(failing()))).rejects.toThrow('client went away');
    expect(await readdir(store.tmpDir)).toEqual([]);
  });

  it('pathFor rejects anything but a 32-character lowercase hex id', () => {
    for (const bad of ['../x', '../../etc/passwd', 'a'.repeat(31), 'g'.repeat(32), 'A'.repeat(32), `${'a'.repeat(30)}/.`, '']) {
      expect(() => store.pathFor(bad)).toThrow(UserError);
    }
  });

  it('discard removes a temp file and ignores one already gone', async () => {
    const { tmpPath } = await store.writeTemp(keyring, Buffer.from('x'));
    await store.discard(tmpPath);
    await store.discard(tmpPath);
    expect(await readdir(store.tmpDir)).toEqual([]);
  });

  it('open refuses a missing blob and a file that holds another blob', async () => {
    const missing = newBlobId();
    await expect(store.open(missing, keyring)).rejects.toThrow(IntegrityError);
    const { tmpPath, sealed } = await store.writeTemp(keyring, Buffer.from('x'));
    await store.commit(tmpPath, sealed.blobId);
    await mkdir(path.dirname(store.pathFor(missing)), { recursive: true });
    await copyFile(store.pathFor(sealed.blobId), store.pathFor(missing));
    await expect(store.open(missing, keyring)).rejects.toThrow(/holds blob .* not /);
  });
});

describe('BlobStore on a full disk', () => {
  let mountPoint: string;
  let mounted = false;
  beforeAll(async () => {
    mountPoint = await mkdtemp(path.join(tmpdir(), 'heirloom-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint], { stdio: 'ignore' });
      mounted = true;
    } catch {
      mounted = false;
    }
  });
  afterAll(async () => {
    if (mounted) execFileSync('umount', [mountPoint]);
    await rm(mountPoint, { recursive: true, force: true });
  });

  it.for([
    ['a buffer', () => randomBytes(2 * 1024 * 1024)],
    ['a stream', () => Readable.from([randomBytes(1024 * 1024), randomBytes(1024 * 1024)])],
  ] as const)('writeTemp of %s reports disk-full and leaves no partial file', async ([, source], ctx) => {
    // Needs root to mount a 1 MiB tmpfs; without it there is no honest way to fill a disk.
    if (!mounted) ctx.skip('cannot mount a 1 MiB tmpfs here (needs root), so ENOSPC cannot be produced');
    const full = new BlobStore(mountPoint);
    await full.init();
    const err = await full.writeTemp(keyring, source()).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe('disk-full');
    expect((err as UserError).message).toMatch(/^The data disk is full: /);
    expect(await readdir(full.tmpDir)).toEqual([]);
  });
});
