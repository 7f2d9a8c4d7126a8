import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeMedia } from '../server/media/previews.js';
import { makeFixtureDir, makeJpeg, removeFixtureDir } from './fixtures/index.js';
import { artifactPath, launchBrowser, signInPage, watchErrors } from './helpers/browser.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';

/** In real Chromium: shift-click range selection, bulk trash, the trash page and restore; search as you type. */

let v: TestVault;
let dir: string;
let server: Awaited<ReturnType<typeof listen>>;
let browser: Browser;
const NAMES = ['harbour-morning.jpg', 'harbour-evening.jpg', 'garden.jpg', 'birthday.jpg', 'snowman.jpg', 'picnic.jpg'];

beforeAll(async () => {
  v = await openTestVault();
  dir = await makeFixtureDir('heirloom-organise-browser-');
  for (const [i, name] of NAMES.entries()) {
    const file = await makeJpeg(path.join(dir, name), { seed: i + 1, width: i % 2 ? 800 : 1200, height: i % 2 ? 1200 : 800, exif: { DateTimeOriginal: `2022:0${i + 1}:15 10:00:00` } });
    await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: file, originalName: name });
  }
  v.ctx.db.$client.prepare('UPDATE assets SET favorite = 1').run();
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

/** A page that records console errors and uncaught exceptions (a CSP violation shows up as one). */
async function openPage(viewport = { width: 1100, height: 800 }): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport });
  const errors = watchErrors(page);
  await signInPage(page, server.url, 'anna', TEST_PASSWORD);
  return { page, errors };
}

const checked = (page: Page) => page.$$eval('[data-select-grid] input.org-check', (els) => els.map((e) => (e as HTMLInputElement).checked));

describe('organising in Chromium', () => {
  it('selects a range with shift-click, moves it to the trash, and restores it from the trash page', async () => {
    const { page, errors } = await openPage();
    await page.goto(`${server.url}/favorites`);
    await page.waitForFunction(() => [...document.images].every((i) => i.complete && i.naturalWidth > 0));
    const boxes = page.locator('[data-select-grid] input.org-check');
    expect(await boxes.count()).toBe(6);
    // Nothing selected: the action buttons wait.
    await expect.poll(() => page.locator('.org-actions button').first().isDisabled()).toBe(true);

    await boxes.nth(0).click();
    await boxes.nth(3).click({ modifiers: ['Shift'] });
    expect(await checked(page)).toEqual([true, true, true, true, false, false]);
    await expect.poll(() => page.locator('[data-select-count]').textContent()).toBe('4 selected');
    // Shift-click back inside the range unticks from the last click to there.
    await boxes.nth(2).click({ modifiers: ['Shift'] });
    expect(await checked(page)).toEqual([true, true, false, false, false, false]);
    await boxes.nth(3).click({ modifiers: ['Shift'] });
    expect(await checked(page)).toEqual([true, true, true, true, false, false]);
    await page.screenshot({ path: await artifactPath('organise-select-range.png'), fullPage: true });

    // The grid loses them in place: no page load.
    await page.getByRole('button', { name: 'Move to trash' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: '4 items moved to the trash.' }).count()).toBe(1);
    expect(await page.locator('[data-select-grid] input.org-check').count()).toBe(2);
    expect(new URL(page.url()).pathname).toBe('/favorites');
    await page.screenshot({ path: await artifactPath('organise-after-bulk-trash.png'), fullPage: true });

    // The library no longer shows them.
    const trashed = v.ctx.db.$client.prepare('SELECT thumb_blob_id AS t FROM assets WHERE trashed_at IS NOT NULL').all() as { t: string }[];
    expect(trashed).toHaveLength(4);
    await page.goto(`${server.url}/`);
    const library = await page.content();
    for (const { t } of trashed) expect(library).not.toContain(t);

    await page.goto(`${server.url}/trash`);
    await page.waitForFunction(() => [...document.images].every((i) => i.complete && i.naturalWidth > 0));
    expect(await page.locator('[data-select-grid] .org-tile').count()).toBe(4);
    expect(await page.getByText('30 days left').count()).toBe(4);
    await page.screenshot({ path: await artifactPath('organise-trash.png'), fullPage: true });

    // One with its own button, then the rest as a selection.
    await Promise.all([page.waitForResponse((r) => /\/items\/\d+\/restore$/.test(r.url())), page.locator('.org-tile').first().getByRole('button', { name: /^Restore/ }).click()]);
    await page.waitForLoadState();
    expect(new URL(page.url()).pathname).toBe('/trash');
    const rest = page.locator('[data-select-grid] input.org-check');
    expect(await rest.count()).toBe(3);
    await rest.nth(0).click();
    await rest.nth(2).click({ modifiers: ['Shift'] });
    await page.locator('.org-actions').getByRole('button', { name: 'Restore' }).click();
    await expect.poll(() => page.getByText('3 items restored.').count()).toBe(1);
    expect(await rest.count()).toBe(0);
    await page.screenshot({ path: await artifactPath('organise-trash-restored.png'), fullPage: true });

    await page.goto(`${server.url}/favorites`);
    expect(await page.locator('[data-select-grid] .org-tile').count()).toBe(6);
    expect(errors).toEqual([]);
  });

  it('searches as you type, swapping only the results, and keeps the search in the address', async () => {
    const { page, errors } = await openPage();
    await page.goto(`${server.url}/search`);
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const box = page.getByLabel('Search your photos');
    await box.pressSequentially('harb', { delay: 40 });
    await expect.poll(() => page.locator('#search-results .org-tile').count(), { timeout: 5000 }).toBe(2);
    const names = await page.$$eval('#search-results img', (imgs) => imgs.map((i) => i.getAttribute('alt') ?? ''));
    expect(names.every((n) => n.startsWith('harbour-'))).toBe(true);
    // No page load happened: the marker set before typing is still there, and focus stayed in the box.
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('search-q');
    await expect.poll(() => new URL(page.url()).search).toBe('?q=harb');
    await page.waitForFunction(() => [...document.querySelectorAll('#search-results img')].every((i) => (i as HTMLImageElement).complete));
    await page.screenshot({ path: await artifactPath('search-as-you-type.png'), fullPage: true });

    // FTS syntax is just text, and a filter narrows what the words found.
    await box.fill('"harb* OR (');
    await expect.poll(() => page.locator('#search-results').textContent()).toContain('Nothing found');
    await box.fill('harbour evening');
    await expect.poll(() => page.locator('#search-results .org-tile').count()).toBe(1);
    await box.fill('');
    await page.getByLabel('From').fill('2022-03-01');
    await expect.poll(() => page.locator('#search-results .org-tile').count()).toBe(4);
    await page.screenshot({ path: await artifactPath('search-date-filter.png'), fullPage: true });
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    expect(errors).toEqual([]);
  });

  it('edits the details, shows the history and reverts with one click', async () => {
    const { page, errors } = await openPage();
    const { id } = v.ctx.db.$client.prepare("SELECT id FROM assets WHERE original_name = 'garden.jpg'").get() as { id: number };
    await page.goto(`${server.url}/items/${id}/edit`);
    expect(await page.getByLabel('Date').inputValue()).toBe('2022-03-15');
    await page.getByLabel('Description').fill('Planting tomatoes with Grandpa');
    await page.getByLabel('Latitude').fill('52.52');
    await page.getByLabel('Longitude').fill('13.405');
    await page.getByLabel('Time zone where it was taken').selectOption('60');
    await page.screenshot({ path: await artifactPath('organise-edit.png'), fullPage: true });
    await Promise.all([page.waitForURL(/\/history\?saved=1$/), page.getByRole('button', { name: 'Save' }).click()]);
    expect(await page.getByText('“Planting tomatoes with Grandpa”').count()).toBe(1);
    await page.screenshot({ path: await artifactPath('organise-history.png'), fullPage: true });
    await Promise.all([page.waitForURL(/reverted=1$/), page.getByRole('button', { name: 'Revert this change' }).first().click()]);
    expect(await page.locator('.org-version').count()).toBe(2);
    const row = v.ctx.db.$client.prepare('SELECT description, latitude FROM asset_metadata WHERE asset_id = ?').get(id);
    expect(row).toEqual({ description: null, latitude: null });
    expect(errors).toEqual([]);
  });

  it('fits a phone screen', async () => {
    const { page } = await openPage({ width: 390, height: 844 });
    for (const url of ['/favorites', '/search?q=harbour', '/trash']) {
      await page.goto(`${server.url}${url}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, url).toBeLessThanOrEqual(0);
    }
    await page.goto(`${server.url}/favorites`);
    await page.screenshot({ path: await artifactPath('organise-favorites-phone.png') });
  });
});
