import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeMedia } from '../server/media/previews.js';
import { makeFixtureDir, makeJpeg, makeTextAsJpg, makeVideo, removeFixtureDir } from './fixtures/index.js';
import { artifactPath, launchBrowser, signInPage, watchErrors } from './helpers/browser.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';

let v: TestVault;
let dir: string;
let server: Awaited<ReturnType<typeof listen>>;
let browser: Browser;
let existing: string;

beforeAll(async () => {
  v = await openTestVault();
  dir = await makeFixtureDir('heirloom-upload-browser-');
  existing = await makeJpeg(path.join(dir, 'already-there.jpg'), { seed: 1 });
  await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: existing, originalName: 'already-there.jpg' });
  server = await listen(v.ctx);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await closeMedia();
  await v?.cleanup();
  await removeFixtureDir(dir);
});

/** Records every state each file's row passes through and every progress value its bar shows. */
async function watchRows(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: Record<string, { states: string[]; values: number[] }> = {};
    (window as unknown as { seen: typeof seen }).seen = seen;
    const record = (li: HTMLElement) => {
      const name = li.querySelector('.up-name')?.textContent ?? '?';
      const entry = (seen[name] ??= { states: [], values: [] });
      const state = li.dataset.state ?? '';
      if (entry.states.at(-1) !== state) entry.states.push(state);
      const value = (li.querySelector('.up-bar') as HTMLProgressElement | null)?.value ?? 0;
      if (entry.values.at(-1) !== value) entry.values.push(value);
    };
    new MutationObserver((records) => {
      for (const r of records) {
        const li = (r.target as HTMLElement).closest?.('.up-item') as HTMLElement | null;
        if (li) record(li);
      }
    }).observe(document.getElementById('up-list')!, { subtree: true, attributes: true, childList: true, characterData: true });
  });
}

async function finished(page: Page, count: number): Promise<void> {
  await page.waitForFunction(
    (n) => {
      const rows = [...document.querySelectorAll<HTMLElement>('.up-item')];
      return rows.length === n && rows.every((r) => ['imported', 'flagged', 'duplicate', 'failed'].includes(r.dataset.state ?? ''));
    },
    count,
    { timeout: 30_000 },
  );
}

const stateOf = (page: Page, name: string) => page.locator('.up-item', { has: page.locator('.up-name', { hasText: name }) }).getAttribute('data-state');

describe('the upload page in Chromium', () => {
  it('uploads three files with per-file and overall progress, and reports the duplicate', async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    const errors = watchErrors(page);
    await signInPage(page, server.url, 'anna', TEST_PASSWORD);
    await page.getByRole('link', { name: 'Upload' }).click();
    await page.waitForURL('**/upload');
    await expect.poll(() => page.getByRole('heading', { name: 'Upload' }).isVisible()).toBe(true);
    await watchRows(page);

    const photo = await makeJpeg(path.join(dir, 'garden.jpg'), { seed: 2, width: 2400, height: 1600 });
    const clip = await makeVideo(path.join(dir, 'birthday.mp4'), { seconds: 2 });
    await page.setInputFiles('#up-files', [photo, clip, existing]);
    await finished(page, 3);

    expect(await stateOf(page, 'garden.jpg')).toBe('imported');
    expect(await stateOf(page, 'birthday.mp4')).toBe('imported');
    expect(await stateOf(page, 'already-there.jpg')).toBe('duplicate');
    await expect.poll(() => page.locator('.up-item[data-state="duplicate"] .up-message').textContent()).toContain('already in your library');
    expect(await page.locator('#up-total-bar').evaluate((b: HTMLProgressElement) => b.value)).toBe(100);
    expect(await page.locator('#up-total-text').textContent()).toMatch(/^3 of 3 files done · .* · 2 stored · 1 already there$/);

    // Each file went through sending and storing, and its bar ended full.
    const seen = await page.evaluate(() => (window as unknown as { seen: Record<string, { states: string[]; values: number[] }> }).seen);
    for (const name of ['garden.jpg', 'birthday.mp4', 'already-there.jpg']) {
      expect(seen[name]!.states, name).toEqual(expect.arrayContaining(['uploading', 'storing']));
      expect(seen[name]!.values.at(-1), name).toBe(100);
    }
    const count = v.ctx.db.$client.prepare('SELECT count(*) AS n FROM assets').get() as { n: number };
    expect(count.n).toBe(3);
    await page.screenshot({ path: await artifactPath('upload-done.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('pauses when the connection drops, says so, and "Retry the rest" goes on with the remaining files', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await signInPage(page, server.url, 'anna', TEST_PASSWORD);
    await page.goto(`${server.url}/upload`);
    // The network fails for the second file: the first is stored, the rest waits.
    let posts = 0;
    await page.route('**/upload', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      posts++;
      if (posts === 2) return route.abort('connectionreset');
      return route.continue();
    });
    const files = [
      await makeJpeg(path.join(dir, 'one.jpg'), { seed: 11 }),
      await makeJpeg(path.join(dir, 'two.jpg'), { seed: 12 }),
      await makeTextAsJpg(path.join(dir, 'three.jpg')),
    ];
    await page.setInputFiles('#up-files', files);
    await page.getByRole('button', { name: 'Retry the rest' }).waitFor({ state: 'visible', timeout: 30_000 });
    expect(await stateOf(page, 'one.jpg')).toBe('imported');
    expect(await stateOf(page, 'two.jpg')).toBe('interrupted');
    expect(await stateOf(page, 'three.jpg')).toBe('waiting');
    expect(await page.locator('#up-notice').textContent()).toContain('connection to the server was lost');
    await page.screenshot({ path: await artifactPath('upload-interrupted-phone.png'), fullPage: true });

    await page.getByRole('button', { name: 'Retry the rest' }).click();
    await finished(page, 3);
    expect(await stateOf(page, 'two.jpg')).toBe('imported');
    expect(await stateOf(page, 'three.jpg')).toBe('flagged');
    expect(await page.locator('.up-item[data-state="flagged"] .up-message').textContent()).toMatch(/kept as it is, but flagged/);
    expect(await page.locator('#up-notice').isHidden()).toBe(true);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: await artifactPath('upload-resumed-phone.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
});
