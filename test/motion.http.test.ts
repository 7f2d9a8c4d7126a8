import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScrubService, type BlobRepairer } from '../server/integrity/scrub.service.js';
import { importFolder, scanFolder } from '../server/library/folder-import.js';
import { TrashService } from '../server/library/trash.service.js';
import { closeMedia } from '../server/media/previews.js';
import { closeExiftool } from '../server/media/exiftool.js';
import { HEADER_SIZE } from '../server/vault/format.js';
import { makeFixtureDir, makeHeic, makeJpeg, makeLivePhoto, makeMotionPhoto, removeFixtureDir, type MotionPhotoStyle } from './fixtures/index.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

const run = promisify(execFile);

let v: TestVault;
let server: Awaited<ReturnType<typeof listen>>;
let web: WebClient;
let dir: string;

beforeAll(async () => {
  v = await openTestVault();
  server = await listen(v.ctx);
  web = new WebClient(server.url);
  await web.signIn('anna', TEST_PASSWORD);
  dir = await makeFixtureDir('heirloom-motion-');
});

afterAll(async () => {
  await server?.close();
  await closeMedia();
  await closeExiftool();
  await v.cleanup();
  await removeFixtureDir(dir);
});

interface Answer {
  status: string;
  assetId: number;
  message: string;
}

/** Posts one file as the upload page does. */
async function upload(file: string, fields: Record<string, string> = {}): Promise<{ status: number; json: Answer }> {
  const form = new FormData();
  for (const [k, val] of Object.entries(fields)) form.append(k, val);
  form.append('file', await openAsBlob(file), path.basename(file));
  const res = await web.request('/upload', { method: 'POST', body: form, headers: { accept: 'application/json', 'x-csrf-token': web.csrf } });
  return { status: res.status, json: (await res.json()) as Answer };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function body(url: string, headers?: Record<string, string>): Promise<{ res: Response; bytes: Buffer }> {
  const res = await web.get(url, headers);
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
}

function row<T>(sql: string, ...params: unknown[]): T | undefined {
  return v.ctx.db.$client.prepare(sql).get(...params) as T | undefined;
}

const exists = (file: string) => access(file).then(() => true, () => false);

describe('motion photos (a video inside the photo file)', () => {
  for (const style of ['microvideo', 'container', 'samsung'] as MotionPhotoStyle[]) {
    it(`${style}: one item whose original and motion are both byte-exact, with Range reads of the motion`, async () => {
      const made = await makeMotionPhoto(path.join(dir, `PXL_${style}.MP.jpg`), { style, seed: 10 + style.length });
      const up = await upload(made.file);
      expect(up.status).toBe(201);
      const id = up.json.assetId;
      expect(row('SELECT source, offset, length, mime, blob_id AS blobId FROM asset_motion WHERE asset_id = ?', id)).toEqual({
        source: 'embedded',
        offset: made.offset,
        length: made.video.length,
        mime: 'video/mp4',
        blobId: null,
      });

      const original = await body(`/items/${id}/original`);
      expect(sha256(original.bytes)).toBe(sha256(await readFile(made.file)));
      const motion = await body(`/items/${id}/motion`);
      expect(motion.res.status).toBe(200);
      expect(motion.res.headers.get('content-type')).toBe('video/mp4');
      expect(motion.res.headers.get('accept-ranges')).toBe('bytes');
      expect(sha256(motion.bytes)).toBe(sha256(made.video));

      const middle = await body(`/items/${id}/motion`, { range: 'bytes=100-1099' });
      expect(middle.res.status).toBe(206);
      expect(middle.res.headers.get('content-range')).toBe(`bytes 100-1099/${made.video.length}`);
      expect(middle.bytes.equals(made.video.subarray(100, 1100))).toBe(true);
      const tail = await body(`/items/${id}/motion`, { range: 'bytes=-500' });
      expect(tail.res.status).toBe(206);
      expect(tail.bytes.equals(made.video.subarray(made.video.length - 500))).toBe(true);
      const beyond = await web.get(`/items/${id}/motion`, { range: `bytes=${made.video.length}-` });
      expect(beyond.status).toBe(416);
      expect(beyond.headers.get('content-range')).toBe(`bytes */${made.video.length}`);
    });
  }

  it('shows a Live badge on the tile and plays the motion over the still in the viewer', async () => {
    const made = await makeMotionPhoto(path.join(dir, 'PXL_badge.MP.jpg'), { style: 'microvideo', seed: 30 });
    const id = (await upload(made.file)).json.assetId;
    const timeline = await (await web.get('/')).text();
    expect(timeline).toMatch(new RegExp(`id="i${id}"[^]*?tl-badge-live[^]*?</li>`));
    const page = await (await web.get(`/items/${id}`)).text();
    expect(page).toContain(`data-motion="/items/${id}/motion"`);
    expect(page).toContain('/static/motion.js');
    expect(page).toContain(`href="/items/${id}/motion?download=1"`);
    const download = await web.get(`/items/${id}/motion?download=1`);
    expect(download.headers.get('content-disposition')).toMatch(/^attachment; filename="PXL_badge\.MP\.mp4"/);
    // The collection grids mark it too.
    expect((await web.post(`/items/${id}/favorite`, { value: '1' })).status).toBe(303);
    expect(await (await web.get('/favorites')).text()).toMatch(new RegExp(`href="/items/${id}"[^]*?org-badge-live`));
  });

  it('a plain photo has no motion (404)', async () => {
    const id = (await upload(await makeJpeg(path.join(dir, 'still.jpg'), { seed: 40 }))).json.assetId;
    const res = await web.get(`/items/${id}/motion`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('has no motion');
  });
});

describe('Live Photos (a still and a MOV)', () => {
  it('MOV after its still (paired by ContentIdentifier): stored byte-exact as the still’s motion, not a second item', async () => {
    const live = await makeLivePhoto(path.join(dir), 'IMG_0101', { seed: 101, contentId: '0F1E2D3C-0101-4000-8000-000000000101' });
    // A different name, so only the ContentIdentifier can pair them.
    const renamed = path.join(dir, 'IMG_0101-from-icloud.MOV');
    await writeFile(renamed, await readFile(live.mov));
    const still = await upload(live.still);
    expect(still.status).toBe(201);
    const before = row<{ n: number }>('SELECT count(*) AS n FROM assets')!.n;
    const mov = await upload(renamed);
    expect(mov.status).toBe(201);
    expect(mov.json.assetId).toBe(still.json.assetId);
    expect(mov.json.message).toContain('Live Photo');
    expect(row<{ n: number }>('SELECT count(*) AS n FROM assets')!.n).toBe(before);

    const id = still.json.assetId;
    expect(sha256((await body(`/items/${id}/original`)).bytes)).toBe(sha256(await readFile(live.still)));
    const motion = await body(`/items/${id}/motion`);
    expect(sha256(motion.bytes)).toBe(sha256(await readFile(live.mov)));
    // Browsers play a QuickTime file sent as MP4; the download keeps its real type and name.
    expect(motion.res.headers.get('content-type')).toBe('video/mp4');
    const download = await web.get(`/items/${id}/motion?download=1`);
    expect(download.headers.get('content-type')).toBe('video/quicktime');
    expect(download.headers.get('content-disposition')).toMatch(/^attachment; filename="IMG_0101-from-icloud\.MOV"/);
    const slice = await body(`/items/${id}/motion`, { range: 'bytes=10-209' });
    expect(slice.bytes.equals((await readFile(live.mov)).subarray(10, 210))).toBe(true);

    // Either part again is a duplicate of the one item.
    for (const file of [live.still, renamed, live.mov]) {
      const again = await upload(file);
      expect(again.status).toBe(200);
      expect(again.json).toMatchObject({ status: 'duplicate', assetId: id });
    }
  });

  it('MOV first, then its still (paired by name and time): the video item is folded into the still, its blob moved, not copied', async () => {
    const live = await makeLivePhoto(dir, 'IMG_0202', { seed: 202 });
    const mov = await upload(live.mov);
    expect(mov.status).toBe(201);
    const video = row<{ original: string; thumb: string; preview: string }>('SELECT original_blob_id AS original, thumb_blob_id AS thumb, preview_blob_id AS preview FROM assets WHERE id = ?', mov.json.assetId)!;
    expect(video.thumb).toBeTruthy();
    const blobsBefore = row<{ n: number }>('SELECT count(*) AS n FROM blobs')!.n;

    const still = await upload(live.still);
    expect(still.status).toBe(201);
    const id = still.json.assetId;
    expect(row('SELECT id FROM assets WHERE id = ?', mov.json.assetId)).toBeUndefined();
    expect(row('SELECT source, blob_id AS blobId, original_name AS name FROM asset_motion WHERE asset_id = ?', id)).toEqual({ source: 'live', blobId: video.original, name: 'IMG_0202.MOV' });
    // The still brought three blobs; the video's thumbnail and preview went, rows and files.
    expect(row<{ n: number }>('SELECT count(*) AS n FROM blobs')!.n).toBe(blobsBefore + 3 - 2);
    for (const gone of [video.thumb, video.preview]) {
      expect(row('SELECT id FROM blobs WHERE id = ?', gone)).toBeUndefined();
      expect(await exists(v.ctx.store.pathFor(gone))).toBe(false);
    }
    expect(sha256((await body(`/items/${id}/motion`)).bytes)).toBe(sha256(await readFile(live.mov)));
    expect((await upload(live.mov)).json).toMatchObject({ status: 'duplicate', assetId: id });
  });

  it('a damaged MOV is an original to the scrub: named with its still, restored from a replica, never regenerated', async () => {
    const live = await makeLivePhoto(dir, 'IMG_0250', { seed: 250, contentId: '0F1E2D3C-0250-4000-8000-000000000250' });
    const id = (await upload(live.still)).json.assetId;
    await upload(live.mov);
    const { blobId } = row<{ blobId: string }>('SELECT blob_id AS blobId FROM asset_motion WHERE asset_id = ?', id)!;
    expect(row('SELECT kind FROM blobs WHERE id = ?', blobId)).toEqual({ kind: 'original' });
    const file = v.ctx.store.pathFor(blobId);
    const replicaCopy = await readFile(file);
    const damaged = Buffer.from(replicaCopy);
    damaged[HEADER_SIZE + 1000] = damaged[HEADER_SIZE + 1000]! ^ 0xff;
    await writeFile(file, damaged);
    const restored: string[] = [];
    const repairer: BlobRepairer = {
      hasSources: () => true,
      async restore(r) {
        restored.push(r.id);
        await writeFile(v.ctx.store.pathFor(r.id), replicaCopy);
        return true;
      },
    };
    const scrub = new ScrubService({ db: v.ctx.db, store: v.ctx.store, keyring: v.ctx.keyring, log: v.ctx.log, dataDir: v.config.dataDir, repairer });
    const run = await scrub.run({ level: 'full', scope: 'all', trigger: 'cli' });
    expect(restored).toEqual([blobId]);
    expect(run).toMatchObject({ problemsFound: 1, repairsMade: 1 });
    expect(row('SELECT asset_id AS assetId, blob_kind AS kind, state FROM integrity_problems WHERE blob_id = ?', blobId)).toEqual({ assetId: id, kind: 'original', state: 'repaired' });
    expect(sha256((await body(`/items/${id}/motion`)).bytes)).toBe(sha256(await readFile(live.mov)));
  });

  it('pairs an iPhone HEIC still with its MOV', async () => {
    const live = await makeLivePhoto(dir, 'IMG_0280', { seed: 280 });
    const heic = await makeHeic(path.join(dir, 'IMG_0280.HEIC'), { seed: 280, exif: { DateTimeOriginal: '2021:07:05 01:10:00', OffsetTimeOriginal: '+02:00', Make: 'Apple' } });
    const mov = await upload(live.mov);
    const still = await upload(heic);
    expect(still.status).toBe(201);
    expect(row('SELECT id FROM assets WHERE id = ?', mov.json.assetId)).toBeUndefined();
    expect(sha256((await body(`/items/${still.json.assetId}/original`)).bytes)).toBe(sha256(await readFile(heic)));
    expect(sha256((await body(`/items/${still.json.assetId}/motion`)).bytes)).toBe(sha256(await readFile(live.mov)));
  });

  it('does not pair halves of the same name taken far apart, or from different folders', async () => {
    const apart = await makeLivePhoto(dir, 'IMG_0303', { seed: 303, taken: { local: '2021:08:01 10:00:00', offset: '+02:00', utc: '2021-08-01T09:00:00Z' } });
    const a = await upload(apart.still);
    const b = await upload(apart.mov);
    expect(b.json.assetId).not.toBe(a.json.assetId);
    const folders = await makeLivePhoto(dir, 'IMG_0404', { seed: 404 });
    const c = await upload(folders.still, { relativePath: 'trip/IMG_0404.JPG' });
    const d = await upload(folders.mov, { relativePath: 'other/IMG_0404.MOV' });
    expect(d.json.assetId).not.toBe(c.json.assetId);
    expect(row('SELECT asset_id FROM asset_motion WHERE asset_id IN (?, ?)', a.json.assetId, c.json.assetId)).toBeUndefined();
  });

  it('zips a Live Photo as its still and its MOV', async () => {
    const live = await makeLivePhoto(dir, 'IMG_0505', { seed: 505, contentId: '0F1E2D3C-0505-4000-8000-000000000505' });
    const id = (await upload(live.still)).json.assetId;
    await upload(live.mov);
    const res = await web.post('/download.zip', { ids: String(id) });
    expect(res.status).toBe(200);
    const zip = path.join(dir, 'live.zip');
    await writeFile(zip, Buffer.from(await res.arrayBuffer()));
    await run('unzip', ['-tqq', zip]);
    expect((await run('unzip', ['-Z1', zip])).stdout.split('\n').filter(Boolean)).toEqual(['IMG_0505.JPG', 'IMG_0505.MOV']);
    const { stdout } = await run('unzip', ['-p', zip, 'IMG_0505.MOV'], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
    expect(sha256(stdout)).toBe(sha256(await readFile(live.mov)));
  });

  it('deleting for good removes the MOV’s blob with the still’s', async () => {
    const live = await makeLivePhoto(dir, 'IMG_0606', { seed: 606, contentId: '0F1E2D3C-0606-4000-8000-000000000606' });
    const id = (await upload(live.still)).json.assetId;
    await upload(live.mov);
    const { original, movBlob } = row<{ original: string; movBlob: string }>(
      'SELECT a.original_blob_id AS original, m.blob_id AS movBlob FROM assets a JOIN asset_motion m ON m.asset_id = a.id WHERE a.id = ?',
      id,
    )!;
    expect(await exists(v.ctx.store.pathFor(movBlob))).toBe(true);
    expect((await web.post(`/items/${id}/trash`)).status).toBe(303);
    const result = await new TrashService({ db: v.ctx.db, store: v.ctx.store, log: v.ctx.log }).purgeExpired(new Date(Date.now() + 31 * 86_400_000));
    expect(result.items).toBeGreaterThanOrEqual(1);
    for (const blob of [original, movBlob]) {
      expect(row('SELECT id FROM blobs WHERE id = ?', blob)).toBeUndefined();
      expect(row('SELECT blob_id FROM replication_deletes WHERE blob_id = ?', blob)).toBeDefined();
      expect(await exists(v.ctx.store.pathFor(blob))).toBe(false);
    }
    expect(row('SELECT asset_id FROM asset_motion WHERE asset_id = ?', id)).toBeUndefined();
  });

  it('a folder import pairs the halves found side by side, whichever is read first', async () => {
    const folder = path.join(dir, 'import');
    await mkdir(path.join(folder, 'DCIM'), { recursive: true });
    const a = await makeLivePhoto(path.join(folder, 'DCIM'), 'IMG_0707', { seed: 707 });
    const b = await makeLivePhoto(path.join(folder, 'DCIM'), 'IMG_0708', { seed: 708, contentId: '0F1E2D3C-0708-4000-8000-000000000708' });
    await makeJpeg(path.join(folder, 'DCIM', 'IMG_0709.JPG'), { seed: 709 });
    const summary = await importFolder(v.ctx.ingest, await scanFolder(folder), { ownerId: v.ownerId, concurrency: 2 });
    expect(summary).toMatchObject({ imported: 5, duplicates: 0, failed: [] });
    const items = v.ctx.db.$client
      .prepare("SELECT a.original_name AS name, m.original_name AS motion FROM assets a LEFT JOIN asset_motion m ON m.asset_id = a.id WHERE a.source_path LIKE 'DCIM/%' ORDER BY a.original_name")
      .all();
    expect(items).toEqual([
      { name: 'IMG_0707.JPG', motion: 'IMG_0707.MOV' },
      { name: 'IMG_0708.JPG', motion: 'IMG_0708.MOV' },
      { name: 'IMG_0709.JPG', motion: null },
    ]);
    expect(sha256(await readFile(a.mov))).toBe(row<{ s: string }>("SELECT sha256 AS s FROM asset_motion WHERE original_name = 'IMG_0707.MOV'")!.s);
    expect(sha256(await readFile(b.mov))).toBe(row<{ s: string }>("SELECT sha256 AS s FROM asset_motion WHERE original_name = 'IMG_0708.MOV'")!.s);
    const again = await importFolder(v.ctx.ingest, await scanFolder(folder), { ownerId: v.ownerId });
    expect(again).toMatchObject({ imported: 0, duplicates: 5 });
  });
});
