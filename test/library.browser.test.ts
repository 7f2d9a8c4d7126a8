import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeMedia } from '../server/media/previews.js';
import { makeFixtureDir, makeJpeg, makeVideo, removeFixtureDir } from './fixtures/index.js';
import { artifactPath, launchBrowser, signInPage, watchErrors } from './helpers/browser.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';

let v: TestVault;
let dir: string;
let server: Awaited<ReturnType<typeof listen>>;
let browser: Browser;

beforeAll(async () => {
  v = await openTestVault();
  dir = await makeFixtureDir('heirloom-browser-');
  for (let seed = 1; seed <= 6; seed++) {
    const file = await makeJpeg(path.join(dir, `photo-${seed}.jpg`), { seed, width: seed % 2 ? 1200 : 800, height: seed % 2 ? 800 : 1200 });
    await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: file, originalName: path.basename(file) });
  }
  const clip = await makeVideo(path.join(dir, 'clip.mp4'), { seconds: 1 });
  await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: clip, originalName: 'clip.mp4' });
  server = await listen(v.ctx);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await closeMedia();
  await v.cleanup();
  await removeFixtureDir(dir);
});

describe('the library grid in Chromium', () => {
  it('shows every thumbnail, decoded, with no CSP or script errors', async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    const errors = watchErrors(page);
    await signInPage(page, server.url, 'anna', TEST_PASSWORD);
    await page.waitForFunction(() => [...document.images].every((i) => i.complete && i.naturalWidth > 0));
    const tiles = await page.locator('.tl-grid .tl-tile img').count();
    expect(tiles).toBe(7);
    expect(await page.locator('.tl-badge', { hasText: 'Video' }).count()).toBe(1);
    // The placeholder script ran: every tile carries its thumbhash as a background.
    const painted = await page.$$eval('.tl-tile', (els) => els.filter((e) => (e as HTMLElement).style.backgroundImage.startsWith('url(')).length);
    expect(painted).toBe(7);
    await page.screenshot({ path: await artifactPath('library-grid.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('fits a phone screen', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    await signInPage(page, server.url, 'anna', TEST_PASSWORD);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: await artifactPath('library-grid-phone.png') });
  });
});
