import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseRange } from '../server/http/byte-range.js';
import { downloadLimits } from '../server/library/download.service.js';
import { closeMedia } from '../server/media/previews.js';
import { createUser } from '../server/users/users.service.js';
import { makeFixtureDir, makeJpeg, makeTextAsJpg, makeVideo, removeFixtureDir } from './fixtures/index.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

const run = promisify(execFile);

let v: TestVault;
let dir: string;
let server: Awaited<ReturnType<typeof listen>>;
let web: WebClient;
const ids: Record<string, number> = {};
const files: Record<string, string> = {};
const defaults = { ...downloadLimits };

const sha = (b: Buffer | Uint8Array) => createHash('sha256').update(b).digest('hex');

async function ingest(key: string, file: string, ownerId: number, originalName = path.basename(file)): Promise<void> {
  const out = await v.ctx.ingest.ingestFile({ ownerId, path: file, originalName });
  if (out.status !== 'imported') throw new Error(`${key} was not imported`);
  ids[key] = out.assetId;
  files[key] = file;
}

beforeAll(async () => {
  v = await openTestVault();
  const bob = await createUser(v.ctx.db, { username: 'bob', role: 'member', password: TEST_PASSWORD });
  dir = await makeFixtureDir('heirloom-download-');
  const day = { DateTimeOriginal: '2021:07:04 20:30:00', OffsetTimeOriginal: '+02:00' };
  await ingest('lake', await makeJpeg(path.join(dir, 'lake.jpg'), { seed: 1, width: 1600, height: 1200, exif: day }), v.ownerId);
  // Two different photos with the same name (from two cameras, say), on the same day.
  await ingest('img1a', await makeJpeg(path.join(dir, 'a-IMG_1.JPG'), { seed: 2, exif: { ...day, DateTimeOriginal: '2021:07:04 09:00:00' } }), v.ownerId, 'IMG_1.JPG');
  await ingest('img1b', await makeJpeg(path.join(dir, 'b-IMG_1.JPG'), { seed: 3, exif: { ...day, DateTimeOriginal: '2021:07:04 10:00:00' } }), v.ownerId, 'img_1.jpg');
  await ingest('clip', await makeVideo(path.join(dir, 'clip.mp4'), { seconds: 2, width: 640, height: 480 }), v.ownerId);
  await ingest('unicode', await makeJpeg(path.join(dir, 'u.jpg'), { seed: 4 }), v.ownerId, 'Grüße "aus" Köln 🌅.jpg');
  await ingest('climber', await makeJpeg(path.join(dir, 'c.jpg'), { seed: 5 }), v.ownerId, '../../etc/passwd.jpg');
  await ingest('notes', await makeTextAsJpg(path.join(dir, 'notes.jpg')), v.ownerId);
  // 00:30 on the 5th in local time is still the 4th in UTC: it belongs to the 5th, as the timeline shows it.
  await ingest('nextDay', await makeJpeg(path.join(dir, 'night.jpg'), { seed: 8, exif: { ...day, DateTimeOriginal: '2021:07:05 00:30:00' } }), v.ownerId);
  await ingest('trashed', await makeJpeg(path.join(dir, 'old.jpg'), { seed: 6, exif: day }), v.ownerId);
  v.ctx.db.$client.prepare('UPDATE assets SET trashed_at = ? WHERE id = ?').run(Date.now(), ids.trashed);
  // Big enough that a download is still streaming when the client walks away (socket buffers hold a few MB).
  const big = path.join(dir, 'big.bin');
  await writeFile(big, randomBytes(24 * 1024 * 1024));
  await ingest('big', big, v.ownerId);
  await ingest('bobs', await makeJpeg(path.join(dir, 'bobs.jpg'), { seed: 7, exif: day }), bob.id);
  server = await listen(v.ctx);
  web = new WebClient(server.url);
  await web.signIn('anna', TEST_PASSWORD);
});

afterAll(async () => {
  await server?.close();
  await closeMedia();
  await v?.cleanup();
  await removeFixtureDir(dir);
});

beforeEach(() => Object.assign(downloadLimits, defaults));

/** Blob files this process holds open: a download must close each one, finished or broken off. */
async function openBlobHandles(): Promise<number> {
  let n = 0;
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target.startsWith(v.ctx.store.blobsDir)) n++;
  }
  return n;
}

async function noBlobHandlesLeft(): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const n = await openBlobHandles();
    if (n === 0) return 0;
    await new Promise((r) => setTimeout(r, 50));
  }
  return openBlobHandles();
}

async function unzip(zip: Buffer): Promise<{ file: string; names: string[]; contents: Map<string, Buffer> }> {
  const file = path.join(dir, `dl-${Date.now()}-${Math.random().toString(16).slice(2)}.zip`);
  await writeFile(file, zip);
  // -t checks every entry's CRC-32; -Z1 lists the names exactly as stored.
  await run('unzip', ['-tqq', file]);
  const names = (await run('unzip', ['-Z1', file])).stdout.split('\n').filter((n) => n !== '');
  const contents = new Map<string, Buffer>();
  for (const name of names) {
    const { stdout } = await run('unzip', ['-p', file, name.replace(/[[\]*?\\]/g, '\\$&')], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
    contents.set(name, stdout);
  }
  return { file, names, contents };
}

describe('GET /items/:id/original', () => {
  it('streams the original decrypted, byte for byte, with its type, length and real name', async () => {
    const res = await web.get(`/items/${ids.lake}/original`);
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(sha(body)).toBe(sha(await readFile(files.lake!)));
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('content-length')).toBe(String(body.length));
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('content-disposition')).toBe(`inline; filename="lake.jpg"; filename*=UTF-8''lake.jpg`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await noBlobHandlesLeft()).toBe(0);
  });

  it('offers it as an attachment with ?download=1, with an exact UTF-8 name (RFC 5987) and an ASCII fallback', async () => {
    const res = await web.get(`/items/${ids.unicode}/original?download=1`);
    expect(res.status).toBe(200);
    const disposition = res.headers.get('content-disposition')!;
    expect(disposition.startsWith('attachment; filename="Gr__e _aus_ K_ln __.jpg"; filename*=UTF-8\'\'')).toBe(true);
    expect(decodeURIComponent(disposition.split("UTF-8''")[1]!)).toBe('Grüße "aus" Köln 🌅.jpg');
    await res.arrayBuffer();
  });

  it('sends a file of no allowlisted type as application/octet-stream, never inline', async () => {
    const res = await web.get(`/items/${ids.notes}/original`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(sha(Buffer.from(await res.arrayBuffer()))).toBe(sha(await readFile(files.notes!)));
  });

  it('answers Range requests with exactly the plaintext slice, across chunk boundaries', async () => {
    const plain = await readFile(files.clip!);
    expect(plain.length).toBeGreaterThan(140_000);
    const cases: [string, number, number][] = [
      ['bytes=0-0', 0, 0],
      ['bytes=100-199', 100, 199],
      ['bytes=65000-140000', 65_000, 140_000],
      [`bytes=${plain.length - 10}-`, plain.length - 10, plain.length - 1],
      ['bytes=-500', plain.length - 500, plain.length - 1],
      [`bytes=1000-${plain.length + 5000}`, 1000, plain.length - 1],
    ];
    for (const [range, start, end] of cases) {
      const res = await web.get(`/items/${ids.clip}/original`, { range });
      expect(res.status, range).toBe(206);
      expect(res.headers.get('content-type')).toBe('video/mp4');
      expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${plain.length}`);
      expect(res.headers.get('content-length')).toBe(String(end - start + 1));
      expect(Buffer.from(await res.arrayBuffer()).equals(plain.subarray(start, end + 1)), range).toBe(true);
    }
    expect(await noBlobHandlesLeft()).toBe(0);
  });

  it('refuses a bad or unsatisfiable range with 416 and the size', async () => {
    const size = (await readFile(files.clip!)).length;
    for (const range of [`bytes=${size}-`, 'bytes=500-100', 'bytes=abc', 'bytes=-0', 'bytes=']) {
      const res = await web.get(`/items/${ids.clip}/original`, { range });
      expect(res.status, range).toBe(416);
      expect(res.headers.get('content-range')).toBe(`bytes */${size}`);
      expect(await res.text()).toContain(`${size}-byte file`);
    }
    // Not a bytes range, or several ranges: the whole file, as RFC 9110 allows.
    for (const range of ['items=0-5', 'bytes=0-5,10-20']) {
      const res = await web.get(`/items/${ids.clip}/original`, { range });
      expect(res.status, range).toBe(200);
      await res.arrayBuffer();
    }
    expect(await noBlobHandlesLeft()).toBe(0);
  });

  it('honours If-None-Match and If-Range, and answers HEAD without a body', async () => {
    const first = await web.get(`/items/${ids.lake}/original`);
    const etag = first.headers.get('etag')!;
    await first.arrayBuffer();
    expect((await web.get(`/items/${ids.lake}/original`, { 'if-none-match': etag })).status).toBe(304);
    const stale = await web.get(`/items/${ids.lake}/original`, { range: 'bytes=0-9', 'if-range': '"something-else"' });
    expect(stale.status).toBe(200);
    await stale.arrayBuffer();
    const fresh = await web.get(`/items/${ids.lake}/original`, { range: 'bytes=0-9', 'if-range': etag });
    expect(fresh.status).toBe(206);
    await fresh.arrayBuffer();
    const head = await web.request(`/items/${ids.lake}/original`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String((await readFile(files.lake!)).length));
    expect(await noBlobHandlesLeft()).toBe(0);
  });

  it("never serves another user's item (404), an unknown one (404) or a trashed one (410)", async () => {
    const foreign = await web.get(`/items/${ids.bobs}/original`);
    expect(foreign.status).toBe(404);
    const unknown = await web.get('/items/999999/original');
    expect(unknown.status).toBe(404);
    // The same answer, so an id tells nothing about someone else's library.
    expect(await foreign.text()).toBe(await unknown.text());
    const trashed = await web.get(`/items/${ids.trashed}/original`);
    expect(trashed.status).toBe(410);
    expect(await trashed.text()).toContain('in the trash');
    expect((await web.get('/items/abc/original')).status).toBe(404);
    const anonymous = new WebClient(server.url);
    expect((await anonymous.get(`/items/${ids.lake}/original`)).status).toBe(303);
  });

  it('closes the blob when the client goes away mid-download, and keeps serving', async () => {
    const controller = new AbortController();
    const res = await fetch(new URL(`/items/${ids.big}/original`, server.url), {
      headers: { cookie: [...web.cookies].map(([k, val]) => `${k}=${val}`).join('; ') },
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    // Still streaming: the blob is open.
    expect(await openBlobHandles()).toBe(1);
    controller.abort();
    await reader.read().catch(() => undefined);
    expect(await noBlobHandlesLeft()).toBe(0);
    expect((await web.get('/healthz')).status).toBe(200);
  });
});

describe('POST /download.zip', () => {
  it('streams a zip of the selection: every entry byte for byte, names made unique and kept flat', async () => {
    const chosen = ['lake', 'img1a', 'img1b', 'clip', 'unicode', 'climber'];
    const form = new URLSearchParams({ _csrf: web.csrf, ids: `${ids.lake},${ids.img1a}` });
    for (const key of chosen.slice(2)) form.append('ids', String(ids[key]));
    const res = await web.request('/download.zip', { method: 'POST', body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="heirloom-6-items-\d{4}-\d{2}-\d{2}\.zip"/);
    const zip = Buffer.from(await res.arrayBuffer());
    expect(res.headers.get('content-length')).toBe(String(zip.length));
    const { file, names, contents } = await unzip(zip);
    expect(names).toHaveLength(6);
    expect(names).toEqual(expect.arrayContaining(['lake.jpg', 'IMG_1.JPG', 'img_1 (2).jpg', 'clip.mp4', 'Grüße _aus_ Köln 🌅.jpg', 'passwd.jpg']));
    for (const name of names) expect(name).not.toMatch(/[\\/]/);
    const byName: Record<string, string> = {
      'lake.jpg': 'lake',
      'IMG_1.JPG': 'img1a',
      'img_1 (2).jpg': 'img1b',
      'clip.mp4': 'clip',
      'Grüße _aus_ Köln 🌅.jpg': 'unicode',
      'passwd.jpg': 'climber',
    };
    for (const [name, key] of Object.entries(byName)) expect(sha(contents.get(name)!), name).toBe(sha(await readFile(files[key]!)));
    // Stored, not deflated: photos are compressed already.
    const listing = (await run('unzip', ['-v', file])).stdout;
    expect(listing).toContain('Stored');
    expect(listing).not.toContain('Defl');
    expect(await noBlobHandlesLeft()).toBe(0);
  });

  it("refuses a selection with someone else's item or an unknown id (404), a trashed item (410), nothing (422)", async () => {
    const post = (value: string) => web.post('/download.zip', { ids: value });
    const foreign = await post(`${ids.lake},${ids.bobs}`);
    expect(foreign.status).toBe(404);
    const unknown = await post(`${ids.lake},999999`);
    expect(unknown.status).toBe(404);
    expect(await foreign.text()).toBe(await unknown.text());
    const trashed = await post(`${ids.lake},${ids.trashed}`);
    expect(trashed.status).toBe(410);
    expect(await trashed.text()).toMatch(/old\.jpg.*Reload the page/);
    expect((await post('')).status).toBe(422);
    const bad = await post('1,two');
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('"two" is not an item id');
    expect(await noBlobHandlesLeft()).toBe(0);
  });

  it('answers 413 with a clear message, before streaming, when the selection is too big', async () => {
    downloadLimits.maxItems = 2;
    const many = await web.post('/download.zip', { ids: `${ids.lake},${ids.img1a},${ids.img1b}` });
    expect(many.status).toBe(413);
    expect(await many.text()).toMatch(/3 items, more than the 2 one download may hold/);
    Object.assign(downloadLimits, defaults);
    downloadLimits.maxBytes = 10_000;
    const large = await web.post('/download.zip', { ids: `${ids.lake},${ids.clip}` });
    expect(large.status).toBe(413);
    expect(large.headers.get('content-type')).toContain('text/plain');
    expect(await large.text()).toMatch(/more than the 10 KB one download may hold/);
  });

  it('needs the CSRF token and a signed-in person', async () => {
    const noToken = await web.request('/download.zip', { form: { ids: String(ids.lake) } });
    expect(noToken.status).toBe(403);
    const anonymous = new WebClient(server.url);
    await anonymous.get('/login');
    expect((await anonymous.post('/download.zip', { ids: String(ids.lake) })).status).toBe(401);
  });

  it('stops reading and closes every blob when the client breaks off a zip halfway', async () => {
    const controller = new AbortController();
    const res = await fetch(new URL('/download.zip', server.url), {
      method: 'POST',
      headers: { cookie: [...web.cookies].map(([k, val]) => `${k}=${val}`).join('; '), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: web.csrf, ids: `${ids.clip},${ids.big},${ids.lake},${ids.img1a}` }).toString(),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    let got = 0;
    // Past the small first entry and into the big one.
    while (got < 2 * 1024 * 1024) got += (await reader.read()).value?.length ?? 0;
    expect(await openBlobHandles()).toBe(1);
    controller.abort();
    await reader.read().catch(() => undefined);
    expect(await noBlobHandlesLeft()).toBe(0);
    expect((await web.get('/healthz')).status).toBe(200);
  });
});

describe('GET /download/day/:date.zip', () => {
  it("zips the person's own items taken that local day, not trashed ones, not anyone else's", async () => {
    const res = await web.get('/download/day/2021-07-04.zip');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('filename="heirloom-2021-07-04.zip"');
    const { names, contents } = await unzip(Buffer.from(await res.arrayBuffer()));
    // Oldest first: 09:00, 10:00, 20:30 local time.
    expect(names).toEqual(['IMG_1.JPG', 'img_1 (2).jpg', 'lake.jpg']);
    expect(sha(contents.get('lake.jpg')!)).toBe(sha(await readFile(files.lake!)));
    const next = await web.get('/download/day/2021-07-05.zip');
    expect((await unzip(Buffer.from(await next.arrayBuffer()))).names).toEqual(['night.jpg']);
  });

  it('answers 404 with a message for a day without items or a date that does not exist', async () => {
    const empty = await web.get('/download/day/2021-07-06.zip');
    expect(empty.status).toBe(404);
    expect(await empty.text()).toContain('6 July 2021');
    expect((await web.get('/download/day/2021-02-30.zip')).status).toBe(404);
    expect((await web.get('/download/day/yesterday.zip')).status).toBe(404);
  });

  it('answers 413 when the day holds more than one download may', async () => {
    downloadLimits.maxItems = 2;
    const res = await web.get('/download/day/2021-07-04.zip');
    expect(res.status).toBe(413);
    expect(await res.text()).toContain('more than 2 items');
  });
});

describe('parseRange', () => {
  it('reads the forms RFC 9110 defines', () => {
    expect(parseRange(undefined, 10)).toBeUndefined();
    expect(parseRange('bytes=2-4', 10)).toEqual({ start: 2, end: 4 });
    expect(parseRange('bytes=2-', 10)).toEqual({ start: 2, end: 9 });
    expect(parseRange('bytes=-3', 10)).toEqual({ start: 7, end: 9 });
    expect(parseRange('bytes=-30', 10)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=0-99', 10)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=10-', 10)).toBe('unsatisfiable');
    expect(parseRange('bytes=4-2', 10)).toBe('unsatisfiable');
    expect(parseRange('bytes=x-2', 10)).toBe('unsatisfiable');
    expect(parseRange('bytes=99999999999999999999-', 10)).toBe('unsatisfiable');
  });
});
