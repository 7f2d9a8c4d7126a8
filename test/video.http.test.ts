import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertJob, updateJob } from '../server/jobs/jobs.repo.js';
import { closeMedia } from '../server/media/previews.js';
import { createUser } from '../server/users/users.service.js';
import { CHUNK_SIZE } from '../server/vault/format.js';
import { makeFixtureDir, makeJpeg, makeVideo, removeFixtureDir } from './fixtures/index.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

let v: TestVault;
let dir: string;
let server: Awaited<ReturnType<typeof listen>>;
let web: WebClient;
const ids: Record<string, number> = {};
const files: Record<string, string> = {};

async function ingest(key: string, file: string, ownerId: number): Promise<number> {
  const out = await v.ctx.ingest.ingestFile({ ownerId, path: file, originalName: path.basename(file) });
  if (out.status !== 'imported') throw new Error(`${key} was not imported`);
  files[key] = file;
  return (ids[key] = out.assetId);
}

type VideoRow = { playable: boolean; state?: 'pending' | 'done' | 'failed' | 'skipped'; blobId?: string; error?: string };

function setVideoRow(assetId: number, row: VideoRow): void {
  v.ctx.db.$client
    .prepare(
      `INSERT INTO asset_video (asset_id, container, video_codec, playable, transcode_state, transcode_blob_id, transcode_error) VALUES (?, 'mp4', 'h264', ?, ?, ?, ?)
       ON CONFLICT (asset_id) DO UPDATE SET playable = excluded.playable, transcode_state = excluded.transcode_state, transcode_blob_id = excluded.transcode_blob_id, transcode_error = excluded.transcode_error`,
    )
    .run(assetId, row.playable ? 1 : 0, row.state ?? null, row.blobId ?? null, row.error ?? null);
}

/** A fixed-seed generator, so a failing range can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function noBlobHandlesLeft(): Promise<number> {
  const count = async () => {
    let n = 0;
    for (const fd of await readdir('/proc/self/fd')) if ((await readlink(`/proc/self/fd/${fd}`).catch(() => '')).startsWith(v.ctx.store.blobsDir)) n++;
    return n;
  };
  for (let i = 0; i < 100 && (await count()) > 0; i++) await new Promise((r) => setTimeout(r, 50));
  return count();
}

beforeAll(async () => {
  v = await openTestVault({ HEIRLOOM_TRANSCODE_PRESET: 'ultrafast', HEIRLOOM_TRANSCODE_HEIGHT: '240' });
  const bob = await createUser(v.ctx.db, { username: 'bob', role: 'member', password: TEST_PASSWORD });
  dir = await makeFixtureDir('heirloom-video-http-');
  await ingest('clip', await makeVideo(path.join(dir, 'clip.mp4'), { seconds: 4, width: 640, height: 480, audio: true }), v.ownerId);
  // Browser-playable originals, given the states of videos that are not by hand (no transcode is queued for them).
  for (const [i, key] of ['pending', 'failed', 'skipped'].entries()) await ingest(key, await makeVideo(path.join(dir, `${key}.mp4`), { seconds: 1, width: 320 + 16 * i }), v.ownerId);
  await ingest('photo', await makeJpeg(path.join(dir, 'photo.jpg')), v.ownerId);
  await ingest('trashed', await makeVideo(path.join(dir, 'old.mp4'), { seconds: 1, width: 400 }), v.ownerId);
  v.ctx.db.$client.prepare('UPDATE assets SET trashed_at = ? WHERE id = ?').run(Date.now(), ids.trashed);
  await ingest('bobs', await makeVideo(path.join(dir, 'bobs.mp4'), { seconds: 1 }), bob.id);
  server = await listen(v.ctx);
  web = new WebClient(server.url);
  await web.signIn('anna', TEST_PASSWORD);
}, 120_000);

afterAll(async () => {
  await server?.close();
  await closeMedia();
  await v?.cleanup();
  await removeFixtureDir(dir);
});

describe('GET /items/:id/video', () => {
  it('streams a playable original whole, decrypted, as video/mp4 with an ETag of its blob', async () => {
    expect(v.ctx.db.$client.prepare('SELECT playable, transcode_state AS state FROM asset_video WHERE asset_id = ?').get(ids.clip)).toEqual({ playable: 1, state: null });
    const plain = await readFile(files.clip!);
    const res = await web.get(`/items/${ids.clip}/video`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('content-length')).toBe(String(plain.length));
    const blobId = (v.ctx.db.$client.prepare('SELECT original_blob_id AS b FROM assets WHERE id = ?').get(ids.clip) as { b: string }).b;
    expect(res.headers.get('etag')).toBe(`"${blobId}"`);
    expect(Buffer.from(await res.arrayBuffer()).equals(plain)).toBe(true);
  });

  it('answers Range requests with exactly the plaintext slices: first and last byte, chunk edges, random ranges', async () => {
    const plain = await readFile(files.clip!);
    const size = plain.length;
    expect(size).toBeGreaterThan(4 * CHUNK_SIZE);
    const ranges: [number, number][] = [
      [0, 0],
      [size - 1, size - 1],
      [CHUNK_SIZE - 1, CHUNK_SIZE],
      [CHUNK_SIZE, CHUNK_SIZE],
      [CHUNK_SIZE - 10, 3 * CHUNK_SIZE + 10],
      [0, size - 1],
    ];
    const rnd = random(42);
    for (let i = 0; i < 40; i++) {
      const a = Math.floor(rnd() * size);
      const b = Math.floor(rnd() * size);
      ranges.push([Math.min(a, b), Math.max(a, b)]);
    }
    for (const [start, end] of ranges) {
      const res = await web.get(`/items/${ids.clip}/video`, { range: `bytes=${start}-${end}` });
      const label = `bytes=${start}-${end}`;
      expect(res.status, label).toBe(206);
      expect(res.headers.get('content-range'), label).toBe(`bytes ${start}-${end}/${size}`);
      expect(res.headers.get('content-length'), label).toBe(String(end - start + 1));
      expect(Buffer.from(await res.arrayBuffer()).equals(plain.subarray(start, end + 1)), label).toBe(true);
    }
    // Open-ended and suffix forms, as a player seeking to the end sends them.
    const tail = await web.get(`/items/${ids.clip}/video`, { range: 'bytes=-1000' });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(plain.subarray(size - 1000))).toBe(true);
    const rest = await web.get(`/items/${ids.clip}/video`, { range: `bytes=${size - 70_000}-` });
    expect(rest.headers.get('content-range')).toBe(`bytes ${size - 70_000}-${size - 1}/${size}`);
    expect(Buffer.from(await rest.arrayBuffer()).equals(plain.subarray(size - 70_000))).toBe(true);
    expect(await noBlobHandlesLeft()).toBe(0);
  });

  it('refuses an unsatisfiable range with 416 and the size', async () => {
    const size = (await readFile(files.clip!)).length;
    for (const range of [`bytes=${size}-`, `bytes=${size + 10}-${size + 20}`, 'bytes=500-100', 'bytes=-0', 'bytes=abc']) {
      const res = await web.get(`/items/${ids.clip}/video`, { range });
      expect(res.status, range).toBe(416);
      expect(res.headers.get('content-range'), range).toBe(`bytes */${size}`);
      expect(await res.text()).toContain(`${size}-byte file`);
    }
    expect(await noBlobHandlesLeft()).toBe(0);
  });

  it('answers HEAD with the headers and no body, and honours If-Range and If-None-Match', async () => {
    const size = (await readFile(files.clip!)).length;
    const head = await web.request(`/items/${ids.clip}/video`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(size));
    expect(head.headers.get('content-type')).toBe('video/mp4');
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    const headRange = await web.request(`/items/${ids.clip}/video`, { method: 'HEAD', headers: { range: 'bytes=10-19' } });
    expect(headRange.status).toBe(206);
    expect(headRange.headers.get('content-range')).toBe(`bytes 10-19/${size}`);
    const etag = head.headers.get('etag')!;
    // A Range for another version of the file gets the whole of this one.
    const stale = await web.get(`/items/${ids.clip}/video`, { range: 'bytes=0-9', 'if-range': '"an-older-web-copy"' });
    expect(stale.status).toBe(200);
    expect((await stale.arrayBuffer()).byteLength).toBe(size);
    const fresh = await web.get(`/items/${ids.clip}/video`, { range: 'bytes=0-9', 'if-range': etag });
    expect(fresh.status).toBe(206);
    expect((await fresh.arrayBuffer()).byteLength).toBe(10);
    expect((await web.get(`/items/${ids.clip}/video`, { 'if-none-match': etag })).status).toBe(304);
    expect(await noBlobHandlesLeft()).toBe(0);
  });

  it('streams the web copy once the transcode job has made it, with Ranges over it and an ETag of the copy', async () => {
    await ingest('webm', await makeVideo(path.join(dir, 'vp9.webm'), { container: 'webm', seconds: 2, audio: true }), v.ownerId);
    const waiting = await web.get(`/items/${ids.webm}/video`);
    expect(waiting.status).toBe(409);
    expect(await waiting.text()).toBe('This video is still being prepared for the web. Try again in a little while, or download the original.');
    await v.ctx.background.runner.drain();

    const { blobId } = v.ctx.db.$client.prepare(`SELECT transcode_blob_id AS blobId FROM asset_video WHERE asset_id = ? AND transcode_state = 'done'`).get(ids.webm) as { blobId: string };
    const copy = await v.ctx.store.open(blobId, v.ctx.keyring);
    const plain = await copy.readAll().finally(() => copy.close());
    const whole = await web.get(`/items/${ids.webm}/video`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('video/mp4');
    expect(whole.headers.get('etag')).toBe(`"${blobId}"`);
    const body = Buffer.from(await whole.arrayBuffer());
    expect(body.equals(plain)).toBe(true);
    // An H.264 MP4 with its index first (faststart): a browser can seek before it has the rest.
    expect(body.toString('latin1', 4, 8)).toBe('ftyp');
    expect(body.indexOf('moov')).toBeLessThan(body.indexOf('mdat'));
    const rnd = random(7);
    for (let i = 0; i < 10; i++) {
      const start = Math.floor(rnd() * plain.length);
      const end = Math.min(plain.length - 1, start + Math.floor(rnd() * 3 * CHUNK_SIZE));
      const part = await web.get(`/items/${ids.webm}/video`, { range: `bytes=${start}-${end}`, 'if-range': `"${blobId}"` });
      expect(part.status).toBe(206);
      expect(Buffer.from(await part.arrayBuffer()).equals(plain.subarray(start, end + 1))).toBe(true);
    }
    // A player holding a part of the original (or an older copy) gets the whole copy, not a mismatched slice.
    const stale = await web.get(`/items/${ids.webm}/video`, { range: 'bytes=0-99', 'if-range': `"${ids.webm}-before"` });
    expect(stale.status).toBe(200);
    expect((await stale.arrayBuffer()).byteLength).toBe(plain.length);
    // The original stays what /original serves.
    const original = await web.get(`/items/${ids.webm}/original`);
    expect(Buffer.from(await original.arrayBuffer()).equals(await readFile(files.webm!))).toBe(true);
    expect(await noBlobHandlesLeft()).toBe(0);
  });

  it('says why when there is no playable form: still being prepared (with how far), could not be converted, skipped', async () => {
    setVideoRow(ids.pending!, { playable: false, state: 'pending' });
    const pending = await web.get(`/items/${ids.pending}/video`);
    expect(pending.status).toBe(409);
    expect(await pending.text()).toBe('This video is still being prepared for the web. Try again in a little while, or download the original.');
    // The transcode job reports seconds done of the video's length.
    const job = insertJob(v.ctx.db, { kind: 'transcode', payload: { assetId: ids.pending }, dedupeKey: `transcode:${ids.pending}` });
    updateJob(v.ctx.db, job.id, { state: 'running', progress: JSON.stringify({ done: 42, total: 100, unit: 'seconds' }) });
    const running = await web.get(`/items/${ids.pending}/video`);
    expect(await running.text()).toBe('This video is still being prepared for the web (42%). Try again in a little while, or download the original.');
    updateJob(v.ctx.db, job.id, { state: 'cancelled' });

    setVideoRow(ids.failed!, { playable: false, state: 'failed', error: 'Invalid data found when processing input.' });
    const failed = await web.get(`/items/${ids.failed}/video`);
    expect(failed.status).toBe(404);
    expect(await failed.text()).toBe("This video couldn't be converted for the web: Invalid data found when processing input. Download the original to watch it.");
    setVideoRow(ids.skipped!, { playable: false, state: 'skipped', error: 'it is 7 h long, over the 6 h limit for web copies; download the original to watch it' });
    const skipped = await web.get(`/items/${ids.skipped}/video`);
    expect(skipped.status).toBe(404);
    expect(await skipped.text()).toBe('No copy of this video that plays in the browser was made: it is 7 h long, over the 6 h limit for web copies; download the original to watch it.');
  });

  it("never serves another user's video or an unknown id (the same 404), a trashed one (410) or a photo", async () => {
    const foreign = await web.get(`/items/${ids.bobs}/video`);
    expect(foreign.status).toBe(404);
    const unknown = await web.get('/items/999999/video');
    expect(unknown.status).toBe(404);
    expect(await foreign.text()).toBe(await unknown.text());
    const trashed = await web.get(`/items/${ids.trashed}/video`);
    expect(trashed.status).toBe(410);
    expect(await trashed.text()).toContain('in the trash');
    const photo = await web.get(`/items/${ids.photo}/video`);
    expect(photo.status).toBe(404);
    expect(await photo.text()).toBe('photo.jpg is not a video.');
    expect((await new WebClient(server.url).get(`/items/${ids.clip}/video`)).status).toBe(303);
  });
});

describe('the viewer for a video', () => {
  const page = async (id: number) => {
    const res = await web.get(`/items/${id}`);
    expect(res.status).toBe(200);
    return res.text();
  };

  it('plays it from /video with the poster, fetching only metadata until play', async () => {
    const html = await page(ids.clip!);
    const tag = /<video [^>]*>/.exec(html)?.[0] ?? '';
    expect(tag).toContain(`src="/items/${ids.clip}/video"`);
    expect(tag).toContain('preload="metadata"');
    expect(tag).toContain('playsinline');
    expect(tag).toMatch(/poster="\/media\/[0-9a-f]{32}"/);
    expect(html).not.toContain('Preparing this video');
  });

  it('shows the poster, what is happening and the download while there is no playable form', async () => {
    const pending = await page(ids.pending!);
    expect(pending).not.toContain('<video');
    expect(pending).toContain('Preparing this video for playback…');
    expect(pending).toContain(`data-preparing="/items/${ids.pending}/video"`);
    expect(pending).toContain(`href="/items/${ids.pending}/original?download=1"`);
    const failed = await page(ids.failed!);
    expect(failed).not.toContain('<video');
    expect(failed).toContain('This video couldn&#39;t be converted for the web: Invalid data found when processing input. Download the original to watch it.');
    expect(failed).toContain(`href="/items/${ids.failed}/original?download=1"`);
  });

  it("puts each video's length on its timeline thumbnail", async () => {
    const html = await (await web.get('/')).text();
    expect(html).toMatch(new RegExp(`id="i${ids.clip}"[^]*?<span class="tl-badge"><span class="visually-hidden">Video, </span>0:04</span>`));
  });
});
