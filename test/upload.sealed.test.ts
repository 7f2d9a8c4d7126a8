import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetMetadata, assets } from '../server/library/assets.table.js';
import { ingestLimits } from '../server/library/ingest.service.js';
import { findVideo } from '../server/library/transcode.repo.js';
import { closeMedia } from '../server/media/previews.js';
import { createUser } from '../server/users/users.service.js';
import { closeBlobUrls } from '../server/vault/blob-url.js';
import { makeFixtureDir, makeJpeg, makeVideo, removeFixtureDir, type VideoOptions } from './fixtures/index.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { multipart, postUpload } from './helpers/multipart.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

let v: TestVault;
let dir: string;
let server: Awaited<ReturnType<typeof listen>>;
let web: WebClient;
let importerId: number;

beforeAll(async () => {
  v = await openTestVault();
  importerId = (await createUser(v.ctx.db, { username: 'ben', role: 'member', password: TEST_PASSWORD })).id;
  dir = await makeFixtureDir('heirloom-upload-sealed-');
  server = await listen(v.ctx);
  web = new WebClient(server.url);
  await web.signIn('anna', TEST_PASSWORD);
});

afterAll(async () => {
  await server?.close();
  await closeBlobUrls();
  await closeMedia();
  await v?.cleanup();
  await removeFixtureDir(dir);
});

/** Every file under the data dir whose bytes contain `needle` (the database and its WAL included). */
async function filesHolding(needle: string): Promise<string[]> {
  const root = v.config.dataDir;
  const found: string[] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    // A temp file may be renamed or removed between listing and reading.
    const bytes = await readFile(file).catch(() => undefined);
    if (bytes?.includes(needle)) found.push(path.relative(root, file));
  }
  return found;
}

async function sealedBytesInTmp(): Promise<number> {
  let total = 0;
  for (const name of await readdir(v.ctx.store.tmpDir)) total += await stat(path.join(v.ctx.store.tmpDir, name)).then((s) => s.size, () => 0);
  return total;
}

/** Bytes that follow the file's own data, carrying the marker and enough filler that the first half fills more than one write batch. */
function filler(marker: string): Buffer {
  return Buffer.concat([Buffer.from(marker), randomBytes(3 * 1024 * 1024)]);
}

/** A JPEG with the marker in comment segments right after SOI, where decoders skip it. */
function jpegWithMarker(jpeg: Buffer, marker: string): Buffer {
  const body = filler(marker);
  const segments: Buffer[] = [];
  for (let at = 0; at < body.length; at += 65_000) {
    const part = body.subarray(at, at + 65_000);
    const head = Buffer.from([0xff, 0xfe, 0, 0]);
    head.writeUInt16BE(part.length + 2, 2);
    segments.push(head, part);
  }
  return Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);
}

/** An MP4/MOV with the marker in a top-level 'free' box after its index, which players skip. */
function videoWithMarker(video: Buffer, marker: string): Buffer {
  const body = filler(marker);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length + 8, 0);
  head.write('free', 4, 'latin1');
  return Buffer.concat([video, head, body]);
}

/**
 * Posts `bytes` as one upload, stopping halfway until the server has sealed more than a write batch of them into
 * tmp/, and asserts that no file on the data disk holds the marker then, nor once the upload is stored.
 */
async function uploadWatched(bytes: Buffer, name: string, marker: string): Promise<number> {
  const upload = multipart(bytes, name);
  const half = Math.floor(upload.body.length / 2);
  let midway: string[] | undefined;
  let sealing: string[] = [];
  // Half the body, then a look at the data dir while the rest is held back.
  const answer = await postUpload(web, server.url, upload, {
    write: (req) =>
      req.write(upload.body.subarray(0, half), () => {
        void (async () => {
          for (let i = 0; i < 200 && (await sealedBytesInTmp()) < 1024 * 1024; i++) await new Promise((r) => setTimeout(r, 25));
          expect(await sealedBytesInTmp()).toBeGreaterThanOrEqual(1024 * 1024);
          midway = await filesHolding(marker);
          sealing = await readdir(v.ctx.store.tmpDir);
          req.end(upload.body.subarray(half));
        })().catch((err: Error) => req.destroy(err));
      }),
  });
  expect(midway).toEqual([]);
  expect(answer.status, answer.text).toBe(201);
  expect(await filesHolding(marker)).toEqual([]);
  const { assetId } = JSON.parse(answer.text) as { assetId: number };
  // The stored original is the blob sealed as the bytes arrived (not encrypted a second time): the upload, byte for byte.
  const asset = v.ctx.db.select().from(assets).where(eq(assets.id, assetId)).get()!;
  expect(sealing).toEqual([`${process.pid}-${asset.originalBlobId}.part`]);
  const blob = await v.ctx.store.open(asset.originalBlobId, v.ctx.keyring);
  const stored = await blob.readAll().finally(() => blob.close());
  expect(createHash('sha256').update(stored).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
  return assetId;
}

const where = { latitude: 48.8584, longitude: 2.2945 };

describe('an upload is sealed as it arrives', () => {
  it('never has a photo’s plaintext on the data disk, midway or after, and stores it with its previews', async () => {
    const marker = `heirloom-plaintext-${randomUUID()}`;
    const photo = jpegWithMarker(await readFile(await makeJpeg(path.join(dir, 'lake.jpg'), { seed: 5, width: 800, height: 600 })), marker);
    const id = await uploadWatched(photo, 'lake.jpg', marker);
    const asset = v.ctx.db.select().from(assets).where(eq(assets.id, id)).get()!;
    expect(asset).toMatchObject({ kind: 'photo', width: 800, height: 600, flag: null });
    expect(asset.thumbBlobId).toBeTruthy();
    expect(asset.previewBlobId).toBeTruthy();
    expect(await readdir(v.ctx.store.tmpDir)).toEqual([]);
  });

  it('decrypts a photo too large for memory into the scratch dir, never the data disk, and removes it after', async () => {
    const { inMemoryBytes } = ingestLimits;
    ingestLimits.inMemoryBytes = 64 * 1024;
    try {
      const marker = `heirloom-plaintext-${randomUUID()}`;
      const photo = jpegWithMarker(await readFile(await makeJpeg(path.join(dir, 'big.jpg'), { seed: 6, width: 640, height: 480 })), marker);
      const id = await uploadWatched(photo, 'big.jpg', marker);
      const asset = v.ctx.db.select().from(assets).where(eq(assets.id, id)).get()!;
      expect(asset).toMatchObject({ kind: 'photo', width: 640, height: 480, flag: null });
      expect(asset.previewBlobId).toBeTruthy();
      expect((await readdir(tmpdir())).filter((name) => name.startsWith(`heirloom-media-${process.pid}-`))).toEqual([]);
    } finally {
      ingestLimits.inMemoryBytes = inMemoryBytes;
    }
  });

  it.each<[string, string, VideoOptions, Record<string, unknown>, Record<string, unknown>]>([
    [
      'an iPhone HEVC video',
      'IMG_0042.MOV',
      {
        container: 'mov',
        codec: 'hevc',
        audio: true,
        creationTime: '2024-07-14T16:30:05Z',
        tags: {
          'com.apple.quicktime.creationdate': '2024-07-14T18:30:05+0200',
          'com.apple.quicktime.location.ISO6709': '+48.8584+002.2945+035.000/',
          'com.apple.quicktime.make': 'Apple',
          'com.apple.quicktime.model': 'iPhone 15 Pro',
        },
      },
      { takenAtSource: 'quicktime:CreationDate', tzOffsetMinutes: 120, videoCodec: 'hevc' },
      { make: 'Apple', model: 'iPhone 15 Pro', altitude: 35 },
    ],
    [
      'an Android VP9 video',
      'PXL_20240714_163005.mp4',
      {
        codec: 'vp9',
        creationTime: '2024-07-14T16:30:05Z',
        tags: { location: '+48.8584+002.2945/', 'com.android.manufacturer': 'Google', 'com.android.model': 'Pixel 8' },
      },
      { takenAtSource: 'quicktime:CreateDate', tzOffsetMinutes: 0, videoCodec: 'vp9' },
      { make: 'Google', model: 'Pixel 8' },
    ],
  ])('never has %s in the clear on the data disk; poster, probe, metadata and web copy all work, as on import', async (_, name, opts, expected, described) => {
    const { videoCodec, ...taken } = expected;
    const file = await makeVideo(path.join(dir, name), { seconds: 1, ...opts });
    const marker = `heirloom-plaintext-${randomUUID()}`;
    const id = await uploadWatched(videoWithMarker(await readFile(file), marker), name, marker);

    const asset = v.ctx.db.select().from(assets).where(eq(assets.id, id)).get()!;
    expect(asset).toMatchObject({ kind: 'video', width: 320, height: 240, durationMs: expect.closeTo(1000, -2), flag: null, ...taken });
    expect(asset.takenAt.toISOString()).toBe('2024-07-14T16:30:05.000Z');
    expect(asset.thumbBlobId).toBeTruthy();
    expect(asset.previewBlobId).toBeTruthy();
    const meta = v.ctx.db.select().from(assetMetadata).where(eq(assetMetadata.assetId, id)).get()!;
    expect(meta).toMatchObject(described);
    expect(meta.latitude).toBeCloseTo(where.latitude, 4);
    expect(meta.longitude).toBeCloseTo(where.longitude, 4);
    expect(findVideo(v.ctx.db, id)).toMatchObject({ videoCodec, playable: false, transcodeState: 'pending' });

    await v.ctx.background.runner.drain();
    expect(findVideo(v.ctx.db, id)).toMatchObject({ transcodeState: 'done', transcodeBlobId: expect.any(String) });
    expect(await filesHolding(marker)).toEqual([]);

    // The same video imported from a folder says the same.
    const imported = await v.ctx.ingest.ingestFile({ ownerId: importerId, path: file, originalName: name });
    expect(imported.status).toBe('imported');
    const twin = v.ctx.db.select().from(assets).where(eq(assets.id, imported.assetId)).get()!;
    expect(twin).toMatchObject({ kind: 'video', width: 320, height: 240, ...taken });
    expect(twin.takenAt.toISOString()).toBe('2024-07-14T16:30:05.000Z');
    const twinMeta = v.ctx.db.select().from(assetMetadata).where(eq(assetMetadata.assetId, twin.id)).get()!;
    expect(twinMeta).toMatchObject(described);
    expect(twinMeta.latitude).toBeCloseTo(where.latitude, 4);
  });
});
