import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, openAsBlob } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiTokenService } from '../server/auth/api-tokens.service.js';
import { uploadLimits } from '../server/library/upload.service.js';
import { createZipStream } from '../server/library/zip-stream.js';
import { closeMedia } from '../server/media/previews.js';
import { createUser } from '../server/users/users.service.js';
import { users } from '../server/users/users.table.js';
import { makeEmpty, makeFixtureDir, makeJpeg, makeTextAsJpg, makeVideo, removeFixtureDir } from './fixtures/index.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { multipart, postUpload } from './helpers/multipart.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

let v: TestVault;
let dir: string;
let server: Awaited<ReturnType<typeof listen>>;
let web: WebClient;
let jpeg: string;
let video: string;
const defaults = { ...uploadLimits };

beforeAll(async () => {
  v = await openTestVault();
  await createUser(v.ctx.db, { username: 'oma', role: 'viewer', password: TEST_PASSWORD });
  dir = await makeFixtureDir('heirloom-upload-');
  jpeg = await makeJpeg(path.join(dir, 'lake.jpg'), { seed: 3 });
  video = await makeVideo(path.join(dir, 'clip.mp4'), { seconds: 1 });
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

beforeEach(() => Object.assign(uploadLimits, defaults));

interface Answer {
  status: string;
  assetId?: number;
  flag?: string | null;
  message: string;
}

/** Posts one file the way the page does: multipart, the session cookie and the X-CSRF-Token header. */
async function upload(client: WebClient, file: string, opts: { name?: string; csrf?: boolean; fields?: Record<string, string>; headers?: Record<string, string> } = {}) {
  const form = new FormData();
  for (const [k, val] of Object.entries(opts.fields ?? {})) form.append(k, val);
  form.append('file', await openAsBlob(file), opts.name ?? path.basename(file));
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  if (opts.csrf !== false) headers['x-csrf-token'] = client.csrf;
  const res = await client.request('/upload', { method: 'POST', body: form, headers });
  const text = await res.text();
  let json: Answer;
  try {
    json = JSON.parse(text) as Answer;
  } catch {
    json = { status: 'text', message: text };
  }
  return { status: res.status, json };
}

function assetCount(): number {
  return (v.ctx.db.$client.prepare('SELECT count(*) AS n FROM assets').get() as { n: number }).n;
}

/** Temp blobs in tmp/: an upload is sealed there as it arrives (nothing else writes there in these tests). */
async function uploadLeftovers(): Promise<string[]> {
  return readdir(v.ctx.store.tmpDir);
}

/** Waits (bounded) until tmp/ holds no upload file: cleanup after a broken request runs as the server notices. */
async function waitForCleanTmp(): Promise<string[]> {
  for (let i = 0; i < 100; i++) {
    const left = await uploadLeftovers();
    if (left.length === 0) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
  return uploadLeftovers();
}

describe('POST /upload', () => {
  it('stores a JPEG and a video through the ingest pipeline, byte for byte', async () => {
    const photo = await upload(web, jpeg, { fields: { lastModified: String(Date.UTC(2019, 5, 1, 12)) } });
    expect(photo.status).toBe(201);
    expect(photo.json).toMatchObject({ status: 'imported', flag: null });
    expect(photo.json.message).toContain('lake.jpg');
    const row = v.ctx.db.$client.prepare('SELECT original_name AS name, kind, sha256, file_mtime AS mtime FROM assets WHERE id = ?').get(photo.json.assetId) as {
      name: string;
      kind: string;
      sha256: string;
      mtime: number;
    };
    expect(row).toMatchObject({ name: 'lake.jpg', kind: 'photo' });
    expect(row.sha256).toBe(createHash('sha256').update(await readFile(jpeg)).digest('hex'));
    // The browser's lastModified becomes the file time ingest falls back to for the date taken.
    expect(row.mtime).toBe(Date.UTC(2019, 5, 1, 12));

    const clip = await upload(web, video);
    expect(clip.status).toBe(201);
    expect(clip.json.status).toBe('imported');
    const kind = v.ctx.db.$client.prepare('SELECT kind FROM assets WHERE id = ?').get(clip.json.assetId) as { kind: string };
    expect(kind.kind).toBe('video');
    expect(await uploadLeftovers()).toEqual([]);
  });

  it('reports the same file again as a duplicate, storing nothing', async () => {
    const before = assetCount();
    const again = await upload(web, jpeg, { name: 'lake-copy.jpg' });
    expect(again.status).toBe(200);
    expect(again.json.status).toBe('duplicate');
    expect(again.json.message).toContain('already in your library');
    expect(assetCount()).toBe(before);
  });

  it('keeps a text file named .jpg and says it is flagged', async () => {
    const notes = await makeTextAsJpg(path.join(dir, 'notes.jpg'));
    const res = await upload(web, notes);
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ status: 'imported', flag: 'unsupported' });
    expect(res.json.message).toMatch(/kept .*flagged/i);
    const row = v.ctx.db.$client.prepare('SELECT flag FROM assets WHERE id = ?').get(res.json.assetId) as { flag: string };
    expect(row.flag).toBe('unsupported');
  });

  it('keeps the real name, in any script, and the folder it came from', async () => {
    const copy = await makeJpeg(path.join(dir, 'unicode.jpg'), { seed: 9 });
    const res = await upload(web, copy, { name: 'Grüße aus Köln 🌅.jpg', fields: { relativePath: 'Urlaub 2019/Grüße aus Köln 🌅.jpg' } });
    expect(res.status).toBe(201);
    const row = v.ctx.db.$client.prepare('SELECT original_name AS name, source_path AS src FROM assets WHERE id = ?').get(res.json.assetId) as { name: string; src: string };
    expect(row).toEqual({ name: 'Grüße aus Köln 🌅.jpg', src: 'Urlaub 2019/Grüße aus Köln 🌅.jpg' });
  });

  it('keeps an uploaded zip archive as it is, flagged, without unpacking it', async () => {
    const { stream } = createZipStream([{ name: 'inside.jpg', size: 5, mtime: new Date(), open: async () => Readable.from([Buffer.from('hello')]) }]);
    const zip = path.join(dir, 'takeout.zip');
    await pipeline(stream, createWriteStream(zip));
    const res = await upload(web, zip);
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ status: 'imported', flag: 'unsupported' });
    expect(res.json.message).toContain('application/zip');
  });

  it('refuses, before reading it, a file the data disk has no room for (507)', async () => {
    uploadLimits.reserveBytes = Number.MAX_SAFE_INTEGER;
    const res = await upload(web, await makeJpeg(path.join(dir, 'roomless.jpg'), { seed: 51 }));
    expect(res.status).toBe(507);
    expect(res.json.message).toMatch(/data disk has .* free, not enough/);
    expect(await waitForCleanTmp()).toEqual([]);
  });

  it('refuses an empty file with a clear message', async () => {
    const empty = await makeEmpty(path.join(dir, 'empty.jpg'));
    const res = await upload(web, empty);
    expect(res.status).toBe(400);
    expect(res.json.message).toContain('empty');
    expect(await uploadLeftovers()).toEqual([]);
  });

  it('takes one file per request', async () => {
    const form = new FormData();
    form.append('file', await openAsBlob(jpeg), 'a.jpg');
    form.append('file', await openAsBlob(video), 'b.mp4');
    const res = await web.request('/upload', { method: 'POST', body: form, headers: { 'x-csrf-token': web.csrf } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Answer).message).toMatch(/one file/i);
    expect(await waitForCleanTmp()).toEqual([]);
  });

  it('refuses what is not multipart', async () => {
    const res = await web.request('/upload', { method: 'POST', body: 'hello', headers: { 'x-csrf-token': web.csrf, 'content-type': 'text/plain' } });
    expect(res.status).toBe(415);
  });

  it('refuses viewers (403), requests without the CSRF header (403) and anonymous ones (401), storing nothing', async () => {
    const before = assetCount();
    const other = await makeJpeg(path.join(dir, 'other.jpg'), { seed: 21 });
    const oma = new WebClient(server.url);
    await oma.signIn('oma', TEST_PASSWORD);
    const viewer = await upload(oma, other);
    expect(viewer.status).toBe(403);
    expect(viewer.json.message).toBeTruthy();

    const noCsrf = await upload(web, other, { csrf: false });
    expect(noCsrf.status).toBe(403);

    const anonymous = new WebClient(server.url);
    await anonymous.get('/login');
    expect((await upload(anonymous, other)).status).toBe(401);
    expect(assetCount()).toBe(before);
    expect(await waitForCleanTmp()).toEqual([]);
  });

  it('takes a device token of scope upload or full, without a CSRF token', async () => {
    const tokens = new ApiTokenService(v.ctx.db);
    const client = { ip: '127.0.0.1', userAgent: 'test' };
    const user = v.ctx.db.select().from(users).where(eq(users.id, v.ownerId)).get()!;
    for (const [scope, seed] of [
      ['upload', 31],
      ['full', 32],
    ] as const) {
      const { token } = tokens.create(user, { name: `phone-${scope}`, scope }, client);
      const device = new WebClient(server.url, { authorization: `Bearer ${token}` });
      const res = await upload(device, await makeJpeg(path.join(dir, `device-${scope}.jpg`), { seed }), { csrf: false });
      expect(res.status, res.json.message).toBe(201);
    }
  });

  it('leaves no temp file and no row when the client disconnects halfway, and keeps serving', async () => {
    const before = assetCount();
    const content = randomBytes(3 * 1024 * 1024);
    const { body, type } = multipart(content, 'halfway.jpg');
    const url = new URL('/upload', server.url);
    const cookie = [...web.cookies].map(([k, val]) => `${k}=${val}`).join('; ');
    let sawTemp = 0;
    await new Promise<void>((resolve) => {
      const req = httpRequest(url, { method: 'POST', headers: { 'content-type': type, 'content-length': String(body.length), 'x-csrf-token': web.csrf, cookie } });
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      req.write(body.subarray(0, body.length / 2), () => {
        // The server seals the bytes into a temp blob as they arrive: wait until it is there, then pull the plug.
        void (async () => {
          for (let i = 0; i < 100 && (await uploadLeftovers()).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
          sawTemp = (await uploadLeftovers()).length;
          req.destroy();
        })();
      });
    });
    expect(sawTemp).toBe(1);
    expect(await waitForCleanTmp()).toEqual([]);
    expect(assetCount()).toBe(before);
    expect((await web.get('/healthz')).status).toBe(200);
    // The next upload goes through as if nothing happened.
    const next = await upload(web, await makeJpeg(path.join(dir, 'after.jpg'), { seed: 41 }));
    expect(next.status).toBe(201);
  });

  it('answers 413 for a file over the limit, counted on the stream, and keeps nothing', async () => {
    uploadLimits.maxFileBytes = 100_000;
    const before = assetCount();
    const bigFile = path.join(dir, 'big.jpg');
    await writeFile(bigFile, randomBytes(300_000));

    // Declared up front (Content-Length): refused before the body is read.
    const declared = await upload(web, bigFile);
    expect(declared.status).toBe(413);
    expect(declared.json.message).toMatch(/larger than the 100 KB/);

    // Sent without a length (chunked): refused once the count passes the limit.
    const answer = await postUpload(web, server.url, multipart(await readFile(bigFile)), { piece: 16 * 1024 });
    expect(answer.status).toBe(413);
    expect((JSON.parse(answer.text) as Answer).message).toMatch(/^This file is larger than the 100 KB/);
    expect(await waitForCleanTmp()).toEqual([]);
    expect(assetCount()).toBe(before);
  });
});

describe('GET /upload', () => {
  it('shows the page with the picker, folder picker and limit, linked from the nav', async () => {
    const res = await web.get('/upload');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('accept="image/*,video/*"');
    expect(html).toContain('webkitdirectory');
    expect(html).toContain(`data-max-bytes="${uploadLimits.maxFileBytes}"`);
    expect(html).toContain('<script type="module" src="/static/upload.js">');
    expect(html).toContain('href="/upload"');
    expect(res.headers.get('content-security-policy')).not.toContain('unsafe-inline');
  });

  it('is not for viewers', async () => {
    const oma = new WebClient(server.url);
    await oma.signIn('oma', TEST_PASSWORD);
    expect((await oma.get('/upload')).status).toBe(403);
    expect(await (await oma.get('/')).text()).not.toContain('href="/upload"');
  });
});
