import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTimeline, type SeedMedia } from '../bench/timeline.bench.js';
import { eq } from 'drizzle-orm';
import { EditsService } from '../server/library/edits.service.js';
import { closeMedia } from '../server/media/previews.js';
import { users } from '../server/users/users.table.js';
import { makeFixtureDir, makeJpeg, makeVideo, removeFixtureDir } from './fixtures/index.js';
import { artifactPath, launchBrowser, signInPage, watchErrors } from './helpers/browser.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';

/**
 * The timeline and the viewer in Chromium: infinite scroll, jumping to a month, the viewer's keys and
 * swipe, the way back, a phone screen, and axe-core. Real photos are ingested; 400 more timeline rows
 * share their thumbnails so there is something to scroll through without ingesting 400 files.
 */

let v: TestVault;
let dir: string;
let server: Awaited<ReturnType<typeof listen>>;
let browser: Browser;
let landscapeId: number;
const axeSource = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

beforeAll(async () => {
  v = await openTestVault();
  dir = await makeFixtureDir('heirloom-timeline-browser-');
  const shapes: [number, number][] = [
    [1200, 800],
    [800, 1200],
    [1600, 900],
    [900, 900],
    [2000, 700],
    [1000, 750],
  ];
  const media: SeedMedia[] = [];
  for (const [i, [width, height]] of shapes.entries()) {
    const name = `photo-${i + 1}.jpg`;
    const exif = { DateTimeOriginal: `2025:06:${String(10 + i).padStart(2, '0')} 1${i}:15:00`, OffsetTimeOriginal: '+02:00', Make: 'Fujifilm', Model: 'X100V' };
    const result = await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: await makeJpeg(path.join(dir, name), { seed: i + 1, width, height, exif }), originalName: name });
    const row = v.ctx.db.$client
      .prepare('SELECT thumb_blob_id AS thumbBlobId, preview_blob_id AS previewBlobId, thumbhash, width, height FROM assets WHERE id = ?')
      .get((result as { assetId: number }).assetId) as SeedMedia;
    media.push(row);
    if (i === 0) landscapeId = (result as { assetId: number }).assetId;
  }
  const clip = await makeVideo(path.join(dir, 'clip.mp4'), { seconds: 1 });
  const video = await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: clip, originalName: 'clip.mp4' });
  // The clip carries no date, so it takes the file's (now): the newest item. Put it in June with the photos.
  v.ctx.db.$client.prepare('UPDATE assets SET taken_at = ? WHERE id = ?').run(Date.UTC(2025, 5, 20, 9), (video as { assetId: number }).assetId);
  // 600 more, one every 3 hours back from the end of May 2025: to the middle of March.
  seedTimeline(v.ctx.db, { ownerId: v.ownerId, count: 600, newest: Date.UTC(2025, 4, 31, 18), spacingMs: 3 * 3_600_000, media });
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

async function axe(page: Page, name: string): Promise<void> {
  // The page's CSP forbids injected scripts; this context bypasses CSP for the audit alone.
  await page.addScriptTag({ content: await axeSource });
  const result = await page.evaluate(async () => {
    const run = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    return run.run(document, { resultTypes: ['violations'] });
  });
  const serious = result.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical');
  expect(serious.map((x) => `${name}: ${x.id} (${x.impact}) ${x.help} at ${x.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`)).toEqual([]);
}

const tileCount = (page: Page) => page.locator('.tl-tile').count();
const headingTop = (page: Page, month: string) => page.locator(`.tl-month[data-month="${month}"] .tl-month-h`).evaluate((el) => el.getBoundingClientRect().top);

/** Row by row (tiles at the same top within a day's grid): heights equal, and every row but a day's last filled edge to edge. */
async function justifiedRows(page: Page): Promise<{ rows: number; ragged: string[] }> {
  return page.$$eval('.tl-grid', (grids) => {
    const ragged: string[] = [];
    let rows = 0;
    for (const grid of grids.slice(0, 6)) {
      const box = grid.getBoundingClientRect();
      const byTop = new Map<number, DOMRect[]>();
      for (const li of grid.querySelectorAll('.tl-tile')) {
        const r = li.getBoundingClientRect();
        const key = Math.round(r.top);
        byTop.set(key, [...(byTop.get(key) ?? []), r]);
      }
      const lines = [...byTop.values()];
      lines.forEach((line, i) => {
        rows++;
        const heights = line.map((r) => r.height);
        if (Math.max(...heights) - Math.min(...heights) > 1.5) ragged.push(`heights ${heights.join(',')}`);
        const right = Math.max(...line.map((r) => r.right));
        if (i < lines.length - 1 && Math.abs(right - box.right) > 1.5) ragged.push(`row ends at ${right}, grid at ${box.right}`);
      });
    }
    return { rows, ragged };
  });
}

describe('the timeline and viewer in Chromium', () => {
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    errors = watchErrors(page);
    await signInPage(page, server.url, 'anna', TEST_PASSWORD);
  });

  afterAll(async () => {
    await context?.close();
  });

  it('shows the newest page as a justified grid by day and month, placeholders painted', async () => {
    expect(await tileCount(page)).toBe(150);
    // Every thumbnail on screen has loaded (the ones further down load lazily as they come near).
    await expect
      .poll(() =>
        page.evaluate(() =>
          [...document.querySelectorAll<HTMLImageElement>('.tl-tile img')]
            .filter((i) => i.getBoundingClientRect().top < window.innerHeight)
            .every((i) => i.complete && i.naturalWidth > 0),
        ),
      )
      .toBe(true);
    expect(await page.locator('.tl-month-h').first().textContent()).toBe('June 2025');
    expect(await page.locator('.tl-badge', { hasText: 'Video' }).count()).toBe(1);
    const painted = await page.$$eval('.tl-tile', (els) => els.filter((e) => (e as HTMLElement).style.backgroundImage.startsWith('url(')).length);
    expect(painted).toBe(150);
    const { rows, ragged } = await justifiedRows(page);
    expect(rows).toBeGreaterThan(3);
    expect(ragged).toEqual([]);
    await page.screenshot({ path: await artifactPath('timeline.png') });
    expect(errors).toEqual([]);
  });

  it('loads the next page when scrolled to the end, joining a day split across pages', async () => {
    // Count and scroll in one task: a scroll just after the second page landed would fetch a third.
    for (let i = 0; i < 20 && (await tileCount(page)) <= 150; i++) {
      await page.evaluate(() => document.querySelectorAll('.tl-tile').length <= 150 && window.scrollTo(0, document.documentElement.scrollHeight));
      await page.waitForTimeout(150);
    }
    expect(await tileCount(page)).toBe(300);
    const sections = await page.evaluate(() => ({
      ids: [...document.querySelectorAll('.tl-tile')].map((t) => t.id),
      months: [...document.querySelectorAll('#tl > .tl-month')].map((m) => (m as HTMLElement).dataset.month),
      days: [...document.querySelectorAll('.tl-day')].map((d) => (d as HTMLElement).dataset.day),
      unpainted: document.querySelectorAll('[data-thumbhash]').length,
    }));
    expect(new Set(sections.ids).size).toBe(300);
    expect(new Set(sections.months).size).toBe(sections.months.length);
    expect(new Set(sections.days).size).toBe(sections.days.length);
    expect(sections.unpainted).toBe(0);
    expect(await page.locator('.tl-more-older').count()).toBe(1);
    await page.screenshot({ path: await artifactPath('timeline-second-page.png') });
    expect(errors).toEqual([]);
  });

  it('jumps to a month from the list of months with photos', async () => {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.getByText('Jump to a month').click();
    const march = page.getByRole('link', { name: 'Mar 2025', exact: true });
    await march.waitFor();
    await page.screenshot({ path: await artifactPath('timeline-jump.png') });
    await Promise.all([page.waitForURL((u) => u.search === '?from=2025-03'), march.click()]);
    expect(await page.locator('.tl-position').textContent()).toContain('From March 2025.');
    // Newer items load above March at once (it has 113); the page keeps March where it was on screen.
    await expect.poll(() => tileCount(page)).toBe(113 + 150);
    expect(await headingTop(page, '2025-03')).toBeGreaterThanOrEqual(0);
    expect(await headingTop(page, '2025-03')).toBeLessThan(300);
    await page.screenshot({ path: await artifactPath('timeline-march.png') });
    // The month field does the same without the list.
    await page.getByText('Jump to a month').click();
    await page.getByLabel('Month', { exact: true }).fill('2025-04');
    await Promise.all([page.waitForURL((u) => u.search === '?from=2025-04'), page.getByRole('button', { name: 'Go' }).click()]);
    expect(await page.locator('.tl-position').textContent()).toContain('From April 2025.');
    expect(errors).toEqual([]);
  });

  it('opens the viewer, steps with the arrow keys and goes back with Escape to the same place', async () => {
    await page.goto(`${server.url}/?from=2025-04`);
    await expect.poll(() => tileCount(page)).toBe(300);
    expect(await headingTop(page, '2025-04')).toBeLessThan(300);
    await page.screenshot({ path: await artifactPath('timeline-april.png') });
    const tiles = page.locator('.tl-month[data-month="2025-04"] .tl-tile');
    const third = (await tiles.nth(2).getAttribute('id'))!.slice(1);
    const fourth = (await tiles.nth(3).getAttribute('id'))!.slice(1);
    await Promise.all([page.waitForURL(`**/items/${third}`), tiles.nth(2).locator('a').click()]);
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('.viewer-img');
      return img?.complete && img.naturalWidth > 0;
    });
    await page.screenshot({ path: await artifactPath('viewer.png') });
    await page.keyboard.press('i');
    expect(await page.locator('.viewer-facts').isVisible()).toBe(true);
    const facts = await page.locator('.viewer-facts').textContent();
    expect(facts).toContain('April 2025');
    expect(facts).toMatch(/File nameIMG_\d+\.jpg/);
    await page.screenshot({ path: await artifactPath('viewer-info.png') });
    await page.keyboard.press('i');

    await Promise.all([page.waitForURL(`**/items/${fourth}`), page.keyboard.press('ArrowRight')]);
    await Promise.all([page.waitForURL(`**/items/${third}`), page.keyboard.press('ArrowLeft')]);
    await Promise.all([page.waitForURL(`**/items/${fourth}`), page.keyboard.press('ArrowRight')]);

    await Promise.all([page.waitForURL((u) => u.pathname === '/' && u.hash === `#i${fourth}`), page.keyboard.press('Escape')]);
    const tile = page.locator(`#i${fourth}`);
    await tile.waitFor();
    // Newer items load above it, and it stays on screen.
    await expect.poll(() => page.locator('.tl-tile').count()).toBeGreaterThan(150);
    const inView = await tile.evaluate((el) => {
      const r = el.getBoundingClientRect();
      return r.bottom > 0 && r.top < window.innerHeight;
    });
    expect(inView).toBe(true);
    await page.screenshot({ path: await artifactPath('timeline-back-from-viewer.png') });
    expect(errors).toEqual([]);
  });

  it('works with the keyboard alone: tiles take focus visibly and open with Enter', async () => {
    await page.goto(server.url);
    let focused = '';
    for (let i = 0; i < 20 && !focused.startsWith('tl-link'); i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => document.activeElement?.className ?? '');
    }
    expect(focused).toBe('tl-link');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!.closest('.tl-tile')!).outlineStyle);
    expect(outline).toBe('solid');
    await page.screenshot({ path: await artifactPath('timeline-keyboard-focus.png') });
    await Promise.all([page.waitForURL('**/items/*'), page.keyboard.press('Enter')]);
    expect(errors).toEqual([]);
  });

  it('has no serious or critical axe-core violations on the timeline and the viewer', async () => {
    const audit = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
    try {
      const p = await audit.newPage();
      await signInPage(p, server.url, 'anna', TEST_PASSWORD);
      await axe(p, 'timeline');
      await p.getByText('Jump to a month').click();
      await p.getByRole('link', { name: 'Mar 2025', exact: true }).waitFor();
      await axe(p, 'timeline with the month list');
      await Promise.all([p.waitForURL('**/items/*'), p.locator('.tl-tile a').nth(1).click()]);
      await axe(p, 'viewer');
      await p.keyboard.press('i');
      await axe(p, 'viewer with info');
    } finally {
      await audit.close();
    }
  });
});

describe('a rotated photo', () => {
  it('shows turned in the viewer, fitted to the screen', async () => {
    const user = v.ctx.db.select().from(users).where(eq(users.id, v.ownerId)).get()!;
    new EditsService({ db: v.ctx.db }).rotate({ user, via: { kind: 'session', sessionId: 0 } }, landscapeId, 'cw');
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const page = await context.newPage();
      const errors = watchErrors(page);
      await signInPage(page, server.url, 'anna', TEST_PASSWORD);
      await page.goto(`${server.url}/items/${landscapeId}`);
      await page.waitForFunction(() => document.querySelector<HTMLImageElement>('.viewer-img')?.complete);
      const box = await page.evaluate(() => {
        const img = document.querySelector('.viewer-img')!.getBoundingClientRect();
        const stage = document.querySelector('[data-stage]')!.getBoundingClientRect();
        return { img: { w: img.width, h: img.height, top: img.top, bottom: img.bottom }, stage: { top: stage.top, bottom: stage.bottom } };
      });
      // A 1200×800 photo turned a quarter: taller than wide, and inside the stage.
      expect(box.img.h).toBeGreaterThan(box.img.w);
      expect(box.img.top).toBeGreaterThanOrEqual(box.stage.top - 1);
      expect(box.img.bottom).toBeLessThanOrEqual(box.stage.bottom + 1);
      await page.screenshot({ path: await artifactPath('viewer-rotated.png') });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('on a phone', () => {
  it('fits 390 px, and a swipe steps through the viewer', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    try {
      const page = await context.newPage();
      const errors = watchErrors(page);
      await signInPage(page, server.url, 'anna', TEST_PASSWORD);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      const { ragged } = await justifiedRows(page);
      expect(ragged).toEqual([]);
      await page.screenshot({ path: await artifactPath('timeline-phone.png') });

      const tiles = page.locator('.tl-tile');
      const first = (await tiles.nth(1).getAttribute('id'))!.slice(1);
      const second = (await tiles.nth(2).getAttribute('id'))!.slice(1);
      await Promise.all([page.waitForURL(`**/items/${first}`), tiles.nth(1).locator('a').tap()]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
      await page.screenshot({ path: await artifactPath('viewer-phone.png') });
      const swipe = (from: number, to: number) =>
        page.evaluate(
          ([a, b]) => {
            const stage = document.querySelector('[data-stage]')!;
            const touch = (x: number) => new Touch({ identifier: 1, target: stage, clientX: x, clientY: 400 });
            stage.dispatchEvent(new TouchEvent('touchstart', { touches: [touch(a!)], changedTouches: [touch(a!)], bubbles: true }));
            stage.dispatchEvent(new TouchEvent('touchend', { touches: [], changedTouches: [touch(b!)], bubbles: true }));
          },
          [from, to],
        );
      await Promise.all([page.waitForURL(`**/items/${second}`), swipe(300, 100)]);
      await Promise.all([page.waitForURL(`**/items/${first}`), swipe(100, 300)]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
