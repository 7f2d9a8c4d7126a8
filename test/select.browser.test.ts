import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTimeline, type SeedMedia } from '../bench/timeline.bench.js';
import { closeMedia } from '../server/media/previews.js';
import { makeFixtureDir, makeJpeg, removeFixtureDir } from './fixtures/index.js';
import { artifactPath, launchBrowser, signInPage, watchErrors } from './helpers/browser.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';

/**
 * Select mode in Chromium: click, shift-click across days and across pages of the infinite scroll, a
 * whole day, the keyboard, then the bar's actions without a page load (favourite, archive with an item
 * trashed elsewhere meanwhile, trash, restore from the trash page, download as a zip), on a phone, and axe-core.
 */

const run = promisify(execFile);
let v: TestVault;
let dir: string;
let server: Awaited<ReturnType<typeof listen>>;
let browser: Browser;
const axeSource = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
// Two days of real photos (newest first), then 200 seeded rows so the timeline has a second page.
const PHOTOS = [
  ['a1.jpg', '2025:06:12 10:00:00'],
  ['a2.jpg', '2025:06:12 09:00:00'],
  ['b1.jpg', '2025:06:11 18:00:00'],
  ['b2.jpg', '2025:06:11 12:00:00'],
  ['b3.jpg', '2025:06:11 08:00:00'],
] as const;
const id: Record<string, number> = {};

beforeAll(async () => {
  v = await openTestVault();
  dir = await makeFixtureDir('heirloom-select-browser-');
  const media: SeedMedia[] = [];
  for (const [i, [name, taken]] of PHOTOS.entries()) {
    const file = await makeJpeg(path.join(dir, name), { seed: i + 1, width: i % 2 ? 800 : 1200, height: i % 2 ? 1200 : 800, exif: { DateTimeOriginal: taken } });
    id[name] = ((await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: file, originalName: name })) as { assetId: number }).assetId;
    media.push(v.ctx.db.$client.prepare('SELECT thumb_blob_id AS thumbBlobId, preview_blob_id AS previewBlobId, thumbhash, width, height FROM assets WHERE id = ?').get(id[name]) as SeedMedia);
  }
  seedTimeline(v.ctx.db, { ownerId: v.ownerId, count: 200, newest: Date.UTC(2025, 5, 1, 18), spacingMs: 3 * 3_600_000, media });
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

/** A signed-in page that records console errors and uncaught exceptions (a CSP violation shows up as one). */
async function openPage(options: Parameters<Browser['newContext']>[0] = { viewport: { width: 1100, height: 800 } }): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ acceptDownloads: true, ...options });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signInPage(page, server.url, 'anna', TEST_PASSWORD);
  return { page, errors };
}

const check = (page: Page, name: string) => page.locator(`#i${id[name]} .org-check`);
const selected = (page: Page) => page.$$eval('[data-select-grid] input.org-check:checked', (els) => els.map((e) => (e.closest('[id]') as HTMLElement).id));
const ids = (...names: string[]) => names.map((n) => `i${id[n]}`);
const count = (page: Page) => page.locator('[data-select-count]').textContent();
const row = (name: string) => v.ctx.db.$client.prepare('SELECT favorite, archived_at, trashed_at FROM assets WHERE id = ?').get(id[name]) as { favorite: number; archived_at: number | null; trashed_at: number | null };
const marker = (page: Page) => page.evaluate(() => (window as unknown as { marker?: number }).marker);

async function axe(page: Page, name: string): Promise<void> {
  // The page's CSP forbids injected scripts; this context bypasses CSP for the audit alone.
  await page.addScriptTag({ content: await axeSource });
  const result = await page.evaluate(async () => {
    const axeRun = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    return axeRun.run(document, { resultTypes: ['violations'] });
  });
  const serious = result.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical');
  expect(serious.map((x) => `${name}: ${x.id} (${x.impact}) ${x.help} at ${x.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`)).toEqual([]);
}

describe('select mode in Chromium', () => {
  it('selects with click, shift-click, a whole day and the keyboard, and acts on the selection without a page load', async () => {
    const { page, errors } = await openPage();
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.tl-tile img')].slice(0, 5).every((i) => i.complete && i.naturalWidth > 0));
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const opacity = (name: string) => check(page, name).evaluate((el) => getComputedStyle(el.closest('.org-pick')!).opacity);
    // The circles wait for a hover (or focus) until something is selected.
    expect(await opacity('a1.jpg')).toBe('0');
    await page.locator(`#i${id['a1.jpg']}`).hover();
    expect(await opacity('a1.jpg')).toBe('1');

    await check(page, 'a1.jpg').click();
    expect(await count(page)).toBe('1 selected');
    expect(await opacity('b3.jpg')).toBe('1');
    await check(page, 'b2.jpg').click({ modifiers: ['Shift'] });
    expect(await selected(page)).toEqual(ids('a1.jpg', 'a2.jpg', 'b1.jpg', 'b2.jpg'));
    expect(await count(page)).toBe('4 selected');
    await page.screenshot({ path: await artifactPath('select-mode-desktop.png') });

    await page.getByRole('button', { name: 'Favourite', exact: true }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: '4 items marked as favourites.' }).count()).toBe(1);
    expect(await selected(page)).toEqual([]);
    const stars = await page.$$eval('.tl-tile [data-fav-mark]:not([hidden])', (els) => els.map((e) => e.closest('.tl-tile')!.id));
    expect(stars).toEqual(ids('a1.jpg', 'a2.jpg', 'b1.jpg', 'b2.jpg'));
    expect(['a1.jpg', 'a2.jpg', 'b1.jpg', 'b2.jpg', 'b3.jpg'].map((n) => row(n).favorite)).toEqual([1, 1, 1, 1, 0]);

    // A day's circle takes the whole day; Escape lets go of everything.
    const dayB = page.locator('.tl-day[data-day="2025-06-11"] [data-select-day]');
    await page.locator('.tl-day[data-day="2025-06-11"] .tl-day-h').hover();
    await dayB.click();
    expect(await selected(page)).toEqual(ids('b1.jpg', 'b2.jpg', 'b3.jpg'));
    expect(await dayB.getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.press('Escape');
    expect(await selected(page)).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.hasAttribute('data-selecting'))).toBe(false);

    // The keyboard: in select mode Space and Enter on a thumbnail tick it, shift+Space extends the range.
    await page.getByRole('button', { name: 'Select', exact: true }).click();
    await page.locator(`#i${id['a2.jpg']} .tl-link`).focus();
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement).value)).toBe(String(id['a2.jpg']));
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Shift+Space');
    expect(await selected(page)).toEqual(ids('a2.jpg', 'b1.jpg'));
    await page.locator(`#i${id['b3.jpg']} .tl-link`).focus();
    await page.keyboard.press('Enter');
    expect(await selected(page)).toEqual(ids('a2.jpg', 'b1.jpg', 'b3.jpg'));
    // In select mode a click on a thumbnail ticks it rather than opening it.
    await page.locator(`#i${id['b1.jpg']} .tl-link`).click();
    expect(await selected(page)).toEqual(ids('a2.jpg', 'b3.jpg'));
    expect(new URL(page.url()).pathname).toBe('/');
    await page.getByRole('button', { name: 'Clear' }).click();

    // Download: the browser saves a zip of the originals.
    await check(page, 'a1.jpg').click();
    await check(page, 'b3.jpg').click({ modifiers: ['Shift'] });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()]);
    const zip = path.join(dir, 'selection.zip');
    await download.saveAs(zip);
    await run('unzip', ['-tqq', zip]);
    const names = (await run('unzip', ['-Z1', zip])).stdout.split('\n').filter(Boolean);
    expect(names.sort()).toEqual(PHOTOS.map(([n]) => n).sort());
    expect(await count(page)).toBe('5 selected');
    await page.getByRole('button', { name: 'Clear' }).click();

    // Archive while one of the two was moved to the trash on another device: that one is named, the other done.
    await check(page, 'a1.jpg').click();
    await check(page, 'a2.jpg').click({ modifiers: ['Shift'] });
    v.ctx.db.$client.prepare('UPDATE assets SET trashed_at = ? WHERE id = ?').run(Date.now(), id['a2.jpg']);
    await page.getByRole('button', { name: 'Archive' }).click();
    const alert = page.getByRole('alert').filter({ hasText: '1 item archived. 1 item was left as it is: it is in the trash (moved there on another device?).' });
    await expect.poll(() => alert.count()).toBe(1);
    expect(await page.locator('.tl-day[data-day="2025-06-12"]').count()).toBe(0);
    expect(row('a1.jpg').archived_at).toBeTypeOf('number');
    expect(row('a2.jpg').archived_at).toBeNull();
    await page.screenshot({ path: await artifactPath('select-partly-done.png') });

    await check(page, 'b1.jpg').click();
    await check(page, 'b3.jpg').click({ modifiers: ['Shift'] });
    await page.getByRole('button', { name: 'Move to trash' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: '3 items moved to the trash.' }).count()).toBe(1);
    expect(await page.locator('.tl-day[data-day="2025-06-11"]').count()).toBe(0);
    expect(['b1.jpg', 'b2.jpg', 'b3.jpg'].map((n) => row(n).trashed_at)).toEqual([expect.any(Number), expect.any(Number), expect.any(Number)]);
    expect(await marker(page)).toBe(42);

    // A refusal answered in plain text (here an expired form) shows as an alert, and the selection stays.
    await page.evaluate(() => document.body.setAttribute('hx-headers:inherited', JSON.stringify({ 'X-CSRF-Token': 'expired' })));
    const first = page.locator('.tl-tile').first();
    await first.locator('.org-check').click();
    await page.getByRole('button', { name: 'Favourite', exact: true }).click();
    await expect.poll(() => page.getByRole('alert').filter({ hasText: 'This form has expired or came from another site.' }).count()).toBe(1);
    expect(await count(page)).toBe('1 selected');
    expect(errors.filter((e) => !e.includes('403'))).toEqual([]);
  });

  it('selects a range across pages of the infinite scroll', async () => {
    const { page, errors } = await openPage();
    const tiles = page.locator('.tl-tile');
    expect(await tiles.count()).toBe(150);
    await tiles.first().locator('.org-check').click();
    for (let i = 0; i < 20 && (await tiles.count()) <= 150; i++) {
      await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
      await page.waitForTimeout(150);
    }
    const total = await tiles.count();
    expect(total).toBeGreaterThan(150);
    await tiles.nth(total - 1).locator('.org-check').click({ modifiers: ['Shift'] });
    expect(await count(page)).toBe(`${total} selected`);
    await page.keyboard.press('Escape');
    expect(await selected(page)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('restores a selection from the trash page', async () => {
    const { page, errors } = await openPage();
    await page.goto(`${server.url}/trash`);
    const boxes = page.locator('[data-select-grid] input.org-check');
    expect(await boxes.count()).toBe(4);
    await boxes.first().click();
    await boxes.last().click({ modifiers: ['Shift'] });
    expect(await count(page)).toBe('4 selected');
    await page.locator('.org-actions').getByRole('button', { name: 'Restore' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: '4 items restored.' }).count()).toBe(1);
    expect(await boxes.count()).toBe(0);
    expect(['a2.jpg', 'b1.jpg', 'b2.jpg', 'b3.jpg'].map((n) => row(n).trashed_at)).toEqual([null, null, null, null]);
    expect(errors).toEqual([]);
  });

  it('fits a phone: "Select" or a long press starts select mode, and a tap ticks a photo', async () => {
    const { page, errors } = await openPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.tl-tile img')].slice(0, 6).every((i) => i.complete && i.naturalWidth > 0));
    const tiles = page.locator('.tl-tile');
    // What a long press on a touch screen fires.
    await tiles.nth(1).locator('.tl-link').dispatchEvent('contextmenu');
    expect(await count(page)).toBe('1 selected');
    await page.getByRole('button', { name: 'Clear' }).tap();
    await page.getByRole('button', { name: 'Select', exact: true }).tap();
    await tiles.nth(0).locator('.tl-link').tap();
    await tiles.nth(2).locator('.tl-link').tap();
    expect(await count(page)).toBe('2 selected');
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: await artifactPath('select-mode-phone.png') });
    // Scrolled down, the bar floats at the bottom of the screen, and so does what the action did.
    await page.evaluate(() => window.scrollTo(0, 3000));
    const inView = () => page.locator('#bulk').evaluate((el) => el.getBoundingClientRect().top >= 0 && el.getBoundingClientRect().bottom <= window.innerHeight);
    expect(await inView()).toBe(true);
    await page.getByRole('button', { name: 'Favourite', exact: true }).tap();
    await expect.poll(() => page.getByRole('status').filter({ hasText: '2 items marked as favourites.' }).count()).toBe(1);
    expect(await inView()).toBe(true);
    await page.screenshot({ path: await artifactPath('select-done-phone.png') });
    expect(errors).toEqual([]);
  });

  it('has no serious or critical axe-core violations in select mode', async () => {
    const { page } = await openPage({ viewport: { width: 1100, height: 800 }, bypassCSP: true });
    await page.locator('.tl-tile').first().locator('.org-check').click();
    await page.locator('.tl-tile').nth(3).locator('.org-check').click({ modifiers: ['Shift'] });
    expect(await count(page)).toBe('4 selected');
    await axe(page, 'timeline in select mode');
    await page.goto(`${server.url}/favorites`);
    await page.locator('[data-select-grid] .org-check').first().click();
    await axe(page, 'favourites in select mode');
  });
});
