import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findMotion } from '../server/library/motion.repo.js';
import { closeExiftool } from '../server/media/exiftool.js';
import { closeMedia } from '../server/media/previews.js';
import { makeFixtureDir, makeLivePhoto, makeMotionPhoto, removeFixtureDir } from './fixtures/index.js';
import { artifactPath, launchBrowser, signInPage, watchErrors } from './helpers/browser.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';

let v: TestVault;
let dir: string;
let server: Awaited<ReturnType<typeof listen>>;
let browser: Browser;
let liveId: number;
let motionPhotoId: number;
let hevcLiveId: number;

beforeAll(async () => {
  v = await openTestVault();
  dir = await makeFixtureDir('heirloom-motion-browser-');
  const live = await makeLivePhoto(dir, 'IMG_0001', { seed: 1 });
  liveId = (await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: live.still, originalName: 'IMG_0001.JPG' })).assetId;
  await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: live.mov, originalName: 'IMG_0001.MOV' });
  const motion = await makeMotionPhoto(path.join(dir, 'PXL_0002.MP.jpg'), { style: 'container', seed: 2 });
  motionPhotoId = (await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: motion.file, originalName: 'PXL_0002.MP.jpg' })).assetId;
  const hevc = await makeLivePhoto(dir, 'IMG_0003', { seed: 3, codec: 'hevc' });
  hevcLiveId = (await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: hevc.still, originalName: 'IMG_0003.JPG' })).assetId;
  await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: hevc.mov, originalName: 'IMG_0003.MOV' });
  await v.ctx.background.runner.drain();
  server = await listen(v.ctx);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await closeMedia();
  await closeExiftool();
  await v.cleanup();
  await removeFixtureDir(dir);
});

/** Resolves once the viewer's motion video is showing and its clock has moved on. */
function motionPlaying(page: Page): Promise<unknown> {
  return page.waitForFunction(
    () => {
      const video = document.querySelector<HTMLVideoElement>('.viewer-motion');
      return video && !video.hidden && !video.paused && video.currentTime > 0.2;
    },
    undefined,
    { timeout: 15_000 },
  );
}

describe('Live Photos and motion photos in Chromium', () => {
  it('marks them in the timeline, and plays the motion while the mouse rests on the photo', async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    const errors = watchErrors(page);
    const ranges: (string | undefined)[] = [];
    page.on('request', (r) => r.url().endsWith('/motion') && ranges.push(r.headers().range));
    await signInPage(page, server.url, 'anna', TEST_PASSWORD);
    expect(await page.locator('.tl-tile .tl-badge-live').count()).toBe(3);
    expect(await page.locator('.tl-tile').count()).toBe(3);

    for (const id of [liveId, motionPhotoId]) {
      ranges.length = 0;
      await page.goto(`${server.url}/items/${id}`);
      await page.locator('.viewer-img').waitFor();
      // Nothing of the video is fetched until it is wanted.
      expect(ranges).toEqual([]);
      expect(await page.locator('.viewer-motion').isHidden()).toBe(true);
      await page.locator('.viewer-img').hover();
      await motionPlaying(page);
      expect(ranges[0]).toMatch(/^bytes=0-/);
      if (id === liveId) await page.screenshot({ path: await artifactPath('motion-viewer-playing.png') });
      await page.mouse.move(5, 5);
      await page.waitForFunction(() => document.querySelector<HTMLVideoElement>('.viewer-motion')!.hidden);
      expect(await page.evaluate(() => document.querySelector<HTMLVideoElement>('.viewer-motion')!.paused)).toBe(true);
    }
    expect(errors).toEqual([]);
  });

  it('plays an HEVC Live Photo’s motion through its H.264 web copy', async () => {
    const copy = findMotion(v.ctx.db, hevcLiveId)?.transcodeBlobId;
    expect(copy).toBeTruthy();
    const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const etags: (string | undefined)[] = [];
    page.on('response', (r) => r.url().endsWith('/motion') && etags.push(r.headers().etag));
    await signInPage(page, server.url, 'anna', TEST_PASSWORD);
    await page.goto(`${server.url}/items/${hevcLiveId}`);
    await page.locator('.viewer-img').hover();
    await motionPlaying(page);
    expect(etags.length).toBeGreaterThan(0);
    expect(new Set(etags)).toEqual(new Set([`"${copy}"`]));
    expect(await page.evaluate(() => document.querySelector<HTMLVideoElement>('.viewer-motion')!.videoHeight)).toBe(240);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('plays while a finger holds the photo down, and stops when it lifts', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    await signInPage(page, server.url, 'anna', TEST_PASSWORD);
    await page.goto(`${server.url}/items/${liveId}`);
    const photo = page.locator('.viewer-live');
    await photo.dispatchEvent('pointerdown', { pointerType: 'touch', isPrimary: true });
    await motionPlaying(page);
    await photo.dispatchEvent('pointerup', { pointerType: 'touch', isPrimary: true });
    await page.waitForFunction(() => document.querySelector<HTMLVideoElement>('.viewer-motion')!.hidden);
    await context.close();
  });
});
