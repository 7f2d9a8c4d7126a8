import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetMetadata, assets } from '../server/library/assets.table.js';
import { importFolder, scanFolder } from '../server/library/folder-import.js';
import { closeMedia } from '../server/media/previews.js';
import { createUser } from '../server/users/users.service.js';
import {
  makeDecompressionBomb,
  makeEmpty,
  makeFixtureDir,
  makeGif,
  makeJpeg,
  makeTextAsJpg,
  makeTruncated,
  makeVideo,
  removeFixtureDir,
  writeXmpSidecar,
} from './fixtures/index.js';
import { openTestVault, type TestVault } from './helpers/context.js';
import { vaultProblems } from './helpers/invariants.js';

let v: TestVault;
let dir: string;

beforeAll(async () => {
  v = await openTestVault();
  dir = await makeFixtureDir('heirloom-ingest-');
});

afterAll(async () => {
  await closeMedia();
  await v.cleanup();
  await removeFixtureDir(dir);
});

const ingest = (file: string, ownerId = v.ownerId, extra: { sidecarPath?: string } = {}) =>
  v.ctx.ingest.ingestFile({ ownerId, path: file, originalName: path.basename(file), ...extra });

function assetRow(id: number) {
  return v.ctx.db.select().from(assets).where(eq(assets.id, id)).get()!;
}

async function decrypt(blobId: string): Promise<Buffer> {
  const blob = await v.ctx.store.open(blobId, v.ctx.keyring);
  try {
    return await blob.readAll();
  } finally {
    await blob.close();
  }
}

describe('ingest', () => {
  it('stores a photo byte-exact and encrypted, with metadata and previews', async () => {
    const file = await makeJpeg(path.join(dir, 'IMG_0001.JPG'), {
      width: 1600,
      height: 1200,
      exif: { DateTimeOriginal: '2021:07:04 20:30:00', OffsetTimeOriginal: '+02:00', Make: 'Canon', Model: 'Canon EOS R6', GPS: { lat: 48.8584, lon: 2.2945 } },
    });
    const outcome = await ingest(file);
    expect(outcome).toMatchObject({ status: 'imported', type: { kind: 'photo', mime: 'image/jpeg' } });
    if (outcome.status !== 'imported') return;

    const asset = assetRow(outcome.assetId);
    expect(asset).toMatchObject({ kind: 'photo', originalName: 'IMG_0001.JPG', tzOffsetMinutes: 120, takenAtSource: 'exif:DateTimeOriginal', width: 1600, height: 1200, flag: null });
    expect(asset.takenAt.toISOString()).toBe('2021-07-04T18:30:00.000Z');
    const meta = v.ctx.db.select().from(assetMetadata).where(eq(assetMetadata.assetId, asset.id)).get()!;
    expect(meta).toMatchObject({ make: 'Canon', model: 'Canon EOS R6' });
    expect(meta.latitude).toBeCloseTo(48.8584, 3);

    const original = await readFile(file);
    expect((await decrypt(asset.originalBlobId)).equals(original)).toBe(true);
    const onDisk = await readFile(v.ctx.store.pathFor(asset.originalBlobId));
    expect(onDisk.includes(original.subarray(2000, 2064))).toBe(false);

    const thumb = await sharp(await decrypt(asset.thumbBlobId!)).metadata();
    const preview = await sharp(await decrypt(asset.previewBlobId!)).metadata();
    expect(thumb.format).toBe('webp');
    expect(Math.min(thumb.width!, thumb.height!)).toBeGreaterThanOrEqual(200);
    expect(Math.max(preview.width!, preview.height!)).toBeLessThanOrEqual(1600);
    expect(asset.thumbhash!.length).toBeGreaterThan(5);
    expect(await vaultProblems(v.config.dataDir, v.ctx.db)).toEqual([]);
  });

  it('dedupes per owner by content, whatever the name, but not across owners', async () => {
    const file = await makeJpeg(path.join(dir, 'dup.jpg'), { seed: 7 });
    const first = await ingest(file);
    const copy = path.join(dir, 'copy of dup.jpg');
    await writeFile(copy, await readFile(file));
    expect(await ingest(copy)).toEqual({ status: 'duplicate', assetId: (first as { assetId: number }).assetId });
    const ben = await createUser(v.ctx.db, { username: 'ben', role: 'member', password: 'another fine password' });
    expect(await ingest(copy, ben.id)).toMatchObject({ status: 'imported' });
  });

  it('reads an XMP sidecar over the embedded values', async () => {
    const file = await makeJpeg(path.join(dir, 'side.jpg'), { seed: 8, exif: { DateTimeOriginal: '2010:01:01 10:00:00' } });
    const sidecar = await writeXmpSidecar(`${file}.xmp`, { description: 'Grandma at the lake', keywords: ['lake', 'family'], rating: 5 });
    const outcome = await ingest(file, v.ownerId, { sidecarPath: sidecar });
    const meta = v.ctx.db.select().from(assetMetadata).where(eq(assetMetadata.assetId, (outcome as { assetId: number }).assetId)).get()!;
    expect(meta).toMatchObject({ description: 'Grandma at the lake', rating: 5 });
    expect(meta.keywords).toEqual(expect.arrayContaining(['lake', 'family']));
  });

  it('finds the sidecar of each imported photo in its folder, whichever way it is named', async () => {
    const folder = path.join(dir, 'with-sidecars');
    await mkdir(folder);
    await makeJpeg(path.join(folder, 'IMG_10.JPG'), { seed: 10 });
    await writeXmpSidecar(path.join(folder, 'IMG_10.JPG.xmp'), { description: 'darktable names it so' });
    await makeJpeg(path.join(folder, 'IMG_11.JPG'), { seed: 11 });
    await writeXmpSidecar(path.join(folder, 'IMG_11.XMP'), { description: 'Lightroom names it so' });
    await makeJpeg(path.join(folder, 'IMG_12.JPG'), { seed: 12 });
    const scan = await scanFolder(folder);
    expect(scan.files.map((f) => path.basename(f.path))).toEqual(['IMG_10.JPG', 'IMG_11.JPG', 'IMG_12.JPG']);
    expect(await importFolder(v.ctx.ingest, scan, { ownerId: v.ownerId })).toMatchObject({ imported: 3, failed: [] });
    const description = (name: string) => {
      const asset = v.ctx.db.select().from(assets).where(eq(assets.originalName, name)).get()!;
      return v.ctx.db.select().from(assetMetadata).where(eq(assetMetadata.assetId, asset.id)).get()?.description ?? null;
    };
    expect([description('IMG_10.JPG'), description('IMG_11.JPG'), description('IMG_12.JPG')]).toEqual(['darktable names it so', 'Lightroom names it so', null]);
  });

  it('gives a video a poster-frame preview and its duration', async () => {
    const file = await makeVideo(path.join(dir, 'clip.mp4'), { seconds: 2, audio: true, creationTime: '2020-05-01T12:00:00Z' });
    const outcome = await ingest(file);
    expect(outcome).toMatchObject({ status: 'imported', type: { kind: 'video' } });
    const asset = assetRow((outcome as { assetId: number }).assetId);
    expect(asset.durationMs).toBeGreaterThan(1500);
    expect(asset.thumbBlobId).not.toBeNull();
    expect(asset.takenAt.toISOString()).toBe('2020-05-01T12:00:00.000Z');
  });

  it('gives a 1×1 GIF its previews', async () => {
    const outcome = await ingest(await makeGif(path.join(dir, 'pixel.gif'), { width: 1, height: 1 }));
    expect(outcome).toMatchObject({ status: 'imported' });
    expect(assetRow((outcome as { assetId: number }).assetId)).toMatchObject({ flag: null, width: 1, height: 1 });
  });

  it.each([
    ['a text file named .jpg', (f: string) => makeTextAsJpg(f), 'notes.jpg', 'unsupported'],
    ['a truncated JPEG', async (f: string) => makeTruncated(f, await makeJpeg(path.join(dir, 'whole.jpg'), { seed: 9, width: 1200, height: 900 }), 3000), 'cut.jpg', 'undecodable'],
    ['a 60000×60000 PNG bomb', (f: string) => makeDecompressionBomb(f), 'bomb.png', 'undecodable'],
  ] as const)('keeps %s byte-exact and flags it', async (_label, make, name, flag) => {
    const file = path.join(dir, name);
    await make(file);
    const outcome = await ingest(file);
    expect(outcome).toMatchObject({ status: 'imported', flag: { code: flag } });
    const asset = assetRow((outcome as { assetId: number }).assetId);
    expect(asset.flag).toBe(flag);
    expect(asset.flagReason).toBeTruthy();
    expect(asset.thumbBlobId).toBeNull();
    expect((await decrypt(asset.originalBlobId)).equals(await readFile(file))).toBe(true);
  });

  it('refuses an empty file with a clear reason: there is nothing to keep', async () => {
    const file = await makeEmpty(path.join(dir, 'empty.jpg'));
    await expect(ingest(file)).rejects.toThrow(/empty\.jpg is empty \(0 bytes\)/);
  });

  it('says clearly when a file vanished before it was read, and stores nothing', async () => {
    const file = await makeJpeg(path.join(dir, 'gone.jpg'), { seed: 10 });
    await rm(file);
    await expect(ingest(file)).rejects.toThrow(/gone\.jpg disappeared before it could be read/);
    expect(await vaultProblems(v.config.dataDir, v.ctx.db)).toEqual([]);
  });
});
