import { stat } from 'node:fs/promises';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/app.js';
import { closeMedia } from '../server/media/previews.js';
import { makeFixtureDir, makeJpeg, makeVideo, removeFixtureDir } from './fixtures/index.js';
import { tool } from './fixtures/tools.js';
import { artifactPath, launchBrowser, signInPage, watchErrors } from './helpers/browser.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { freePort } from './helpers/server.js';

const SECONDS = 60;

let v: TestVault;
let dir: string;
let server: ServerType;
let baseUrl: string;
let browser: Browser;
let videoFile: string;
const ids: Record<string, number> = {};
/** Every request for a video stream the server answered: its Range header and status. */
const seen: { path: string; range: string | undefined; status: number }[] = [];

/**
 * A minute of H.264/AAC MP4 with its index at the front, at 2 Mbit/s (about 15 MB): a browser reads some
 * seconds ahead of where it plays, so a seek to the middle has to ask for bytes it does not have.
 */
async function makeWebVideo(file: string): Promise<string> {
  await tool('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', `testsrc2=s=640x360:r=25:d=${SECONDS}`, '-f', 'lavfi', '-i', `sine=f=440:d=${SECONDS}`],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '2M', '-maxrate', '2M', '-bufsize', '4M', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest'],
    ...['-metadata', 'creation_time=2021-07-04T18:30:00Z', '-movflags', '+faststart', '-f', 'mp4', file],
  ]);
  return file;
}

async function add(key: string, file: string): Promise<void> {
  const out = await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: file, originalName: path.basename(file) });
  if (out.status !== 'imported') throw new Error(`${key} was not imported`);
  ids[key] = out.assetId;
}

beforeAll(async () => {
  v = await openTestVault({ HEIRLOOM_TRANSCODE_PRESET: 'ultrafast', HEIRLOOM_TRANSCODE_HEIGHT: '360' });
  dir = await makeFixtureDir('heirloom-video-browser-');
  videoFile = await makeWebVideo(path.join(dir, 'garden.mp4'));
  await add('video', videoFile);
  // Neighbours in the timeline on either side, for the arrow keys.
  await add('newer', await makeJpeg(path.join(dir, 'newer.jpg'), { seed: 1, exif: { DateTimeOriginal: '2022:01:01 10:00:00' } }));
  await add('older', await makeJpeg(path.join(dir, 'older.jpg'), { seed: 2, exif: { DateTimeOriginal: '2020:01:01 10:00:00' } }));
  const app = createApp(v.ctx);
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  server = await new Promise<ServerType>((resolve) => {
    const s = serve(
      {
        port,
        hostname: '127.0.0.1',
        fetch: async (req, env) => {
          const res = await app.fetch(req, env);
          const { pathname } = new URL(req.url);
          if (pathname.endsWith('/video')) seen.push({ path: pathname, range: req.headers.get('range') ?? undefined, status: res.status });
          return res;
        },
      },
      () => resolve(s),
    );
  });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await closeMedia();
  await v?.cleanup();
  await removeFixtureDir(dir);
});

describe('a video in the viewer, in Chromium', () => {
  it('plays, seeks to the middle through a Range request, and leaves the arrow keys to the viewer', async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    const errors = watchErrors(page);
    await signInPage(page, baseUrl, 'anna', TEST_PASSWORD);
    await page.goto(`${baseUrl}/items/${ids.video}`);

    const video = page.locator('video.viewer-video');
    expect(await video.getAttribute('src')).toBe(`/items/${ids.video}/video`);
    expect(await video.getAttribute('preload')).toBe('metadata');
    expect(await page.evaluate(() => document.createElement('video').canPlayType('video/mp4; codecs="avc1.640028, mp4a.40.2"'))).toBe('probably');
    // Fits the screen: no part of the player is off it.
    const box = (await video.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.y + box.height).toBeLessThanOrEqual(768);

    await page.waitForFunction(() => (document.querySelector('video') as HTMLVideoElement).readyState >= 1);
    expect(await video.evaluate((el: HTMLVideoElement) => Math.round(el.duration))).toBe(SECONDS);
    await video.evaluate((el: HTMLVideoElement) => {
      el.muted = true;
      return el.play();
    });
    await page.waitForFunction(() => (document.querySelector('video') as HTMLVideoElement).currentTime > 0.5, undefined, { timeout: 15_000 });

    seen.length = 0;
    const seek = await video.evaluate(
      (el: HTMLVideoElement) =>
        new Promise<{ currentTime: number; readyState: number }>((resolve, reject) => {
          el.pause();
          el.addEventListener('seeked', () => resolve({ currentTime: el.currentTime, readyState: el.readyState }), { once: true });
          el.addEventListener('error', () => reject(new Error(`media error ${el.error?.code}: ${el.error?.message}`)), { once: true });
          el.currentTime = el.duration / 2;
        }),
    );
    expect(seek.currentTime).toBeCloseTo(SECONDS / 2, 0);
    await page.waitForFunction(() => (document.querySelector('video') as HTMLVideoElement).readyState >= 2);
    // The browser asked for bytes from the middle of the file and got them as a partial answer (pieces it had
    // cached it only revalidates: 304, nothing decrypted).
    const size = (await stat(videoFile)).size;
    const fromMiddle = seen.filter((r) => Number(/^bytes=(\d+)-/.exec(r.range ?? '')?.[1] ?? 0) > size / 3);
    expect(fromMiddle.some((r) => r.status === 206), JSON.stringify(seen)).toBe(true);
    expect(seen.every((r) => r.status === 206 || r.status === 304), JSON.stringify(seen)).toBe(true);
    // The frame after the seek is decoded and painted: a screenshot shows the middle of the clip.
    await page.screenshot({ path: await artifactPath('video-viewer-seeked.png') });

    // With the player focused, the arrows are its own (seeking); elsewhere they step through the timeline.
    await video.focus();
    // A listener on window runs after the viewer's own (on document): it sees whether the viewer took the key.
    // Installed (and awaited) before the key is pressed, so the press cannot outrun it.
    await page.evaluate(() => addEventListener('keydown', (e) => document.body.setAttribute('data-key-taken', String(e.defaultPrevented)), { once: true }));
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.evaluate(() => document.body.getAttribute('data-key-taken'))).toBe('false');
    expect(new URL(page.url()).pathname).toBe(`/items/${ids.video}`);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await Promise.all([page.waitForURL(`${baseUrl}/items/${ids.older}`), page.keyboard.press('ArrowRight')]);
    await page.goto(`${baseUrl}/items/${ids.video}`);
    await Promise.all([page.waitForURL(`${baseUrl}/items/${ids.newer}`), page.keyboard.press('ArrowLeft')]);
    expect(errors).toEqual([]);
  });

  it('shows the poster while the web copy is being made, then plays the copy once the transcode job is done', async () => {
    // VP9 in WebM: not on the list a browser is trusted with as it is, so the job makes an H.264 copy.
    await add('webm', await makeVideo(path.join(dir, 'pond.webm'), { container: 'webm', seconds: 4, width: 640, height: 360, audio: true }));
    const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    const errors = watchErrors(page);
    await signInPage(page, baseUrl, 'anna', TEST_PASSWORD);
    await page.goto(`${baseUrl}/items/${ids.webm}`);
    expect(await page.locator('video').count()).toBe(0);
    await expect.poll(() => page.locator('.viewer-video-wait img').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
    expect(await page.getByText('Preparing this video for playback…').isVisible()).toBe(true);
    expect(await page.getByRole('link', { name: 'Download the original' }).getAttribute('href')).toBe(`/items/${ids.webm}/original?download=1`);
    await page.screenshot({ path: await artifactPath('video-viewer-preparing.png') });

    await v.ctx.background.runner.drain();
    // The page looks again by itself and shows the player once the copy plays.
    const video = page.locator('video.viewer-video');
    await video.waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => (document.querySelector('video') as HTMLVideoElement).readyState >= 1);
    await video.evaluate((el: HTMLVideoElement) => {
      el.muted = true;
      return el.play();
    });
    await page.waitForFunction(() => (document.querySelector('video') as HTMLVideoElement).currentTime > 0.5, undefined, { timeout: 15_000 });
    const seek = await video.evaluate(
      (el: HTMLVideoElement) =>
        new Promise<number>((resolve) => {
          el.pause();
          el.addEventListener('seeked', () => resolve(el.currentTime), { once: true });
          el.currentTime = el.duration / 2;
        }),
    );
    expect(seek).toBeCloseTo(2, 0);
    await page.waitForFunction(() => (document.querySelector('video') as HTMLVideoElement).readyState >= 2);
    await page.screenshot({ path: await artifactPath('video-viewer-web-copy.png') });
    expect(errors).toEqual([]);
  });

  it('says so, with the download, when the browser cannot decode a video it was given to try', async () => {
    // An iPhone's HEVC stored before probing existed: no asset_video row yet, so the browser gets the original.
    await add('hevc', await makeVideo(path.join(dir, 'IMG_0001.MOV'), { container: 'mov', codec: 'hevc', seconds: 1 }));
    v.ctx.db.$client.prepare('DELETE FROM asset_video WHERE asset_id = ?').run(ids.hevc);
    const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    await signInPage(page, baseUrl, 'anna', TEST_PASSWORD);
    await page.goto(`${baseUrl}/items/${ids.hevc}`);
    await page.getByText('This browser cannot play this video.').waitFor();
    expect(await page.locator('video').isHidden()).toBe(true);
    expect(await page.getByRole('link', { name: 'Download the original' }).getAttribute('href')).toBe(`/items/${ids.hevc}/original?download=1`);
  });
});
