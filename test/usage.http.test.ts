import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../server/format-bytes.js';
import { UsageService, type Amount, type Usage } from '../server/library/usage.service.js';
import { closeMedia } from '../server/media/previews.js';
import { findUserById } from '../server/users/users.repo.js';
import { createUser } from '../server/users/users.service.js';
import { amountText } from '../views/components/usage.js';
import { makeFixtureDir, makeJpeg, makeLivePhoto, makeTextAsJpg, makeVideo, removeFixtureDir } from './fixtures/index.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

/** Storage per person, photos and videos apart: the numbers, the account page, and the admin's people page. */

let v: TestVault;
let dir: string;
let server: Awaited<ReturnType<typeof listen>>;
const ids = {} as Record<'anna' | 'bob' | 'oma' | 'grete', number>;
const web = {} as Record<keyof typeof ids, WebClient>;
/** Anna's photo that the trash tests throw away. */
let annaPhoto: { id: number; bytes: number };

/** What the service reports for someone, asked as that person. */
function usageFor(ownerId: number): Usage {
  const user = findUserById(v.ctx.db, ownerId)!;
  return new UsageService({ db: v.ctx.db, dataDir: v.config.dataDir }).own({ user, via: { kind: 'session', sessionId: 0 } });
}

const size = async (file: string) => (await stat(file)).size;

async function ingest(ownerId: number, file: string, name = path.basename(file)): Promise<number> {
  const outcome = await v.ctx.ingest.ingestFile({ ownerId, path: file, originalName: name });
  if (!('assetId' in outcome)) throw new Error(`${name} was not stored`);
  return outcome.assetId;
}

/** The plain size of each derived file of an owner's items, added up one item at a time: the long way round. */
function derivedBytesOf(ownerId: number): number {
  const sizeOf = v.ctx.db.$client.prepare('SELECT plain_size AS n FROM blobs WHERE id = ?');
  const items = v.ctx.db.$client
    .prepare(
      `SELECT a.thumb_blob_id AS thumb, a.preview_blob_id AS preview, v.transcode_blob_id AS web, m.transcode_blob_id AS motionWeb
       FROM assets a LEFT JOIN asset_video v ON v.asset_id = a.id LEFT JOIN asset_motion m ON m.asset_id = a.id WHERE a.owner_id = ?`,
    )
    .all(ownerId) as Record<'thumb' | 'preview' | 'web' | 'motionWeb', string | null>[];
  let total = 0;
  for (const item of items) for (const blobId of Object.values(item)) if (blobId) total += (sizeOf.get(blobId) as { n: number }).n;
  return total;
}

/** The figures an account page shows, read from its HTML. */
async function accountFigures(client: WebClient): Promise<{ html: string; photo?: string; video?: string; other?: string; derived?: string; total?: string; trashed?: string }> {
  const res = await client.get('/account');
  expect(res.status).toBe(200);
  const html = await res.text();
  const cell = (id: string) => new RegExp(`data-testid="usage-${id}"[^>]*>(?: \\(now )?([^<)]*)`).exec(html)?.[1];
  return { html, photo: cell('photo'), video: cell('video'), other: cell('other'), derived: cell('derived'), total: cell('total'), trashed: cell('trashed') };
}

const expected = {} as Record<'anna' | 'bob' | 'oma', { photo: Amount; video: Amount; other: Amount }>;

beforeAll(async () => {
  v = await openTestVault();
  ids.anna = v.ownerId;
  ids.bob = (await createUser(v.ctx.db, { username: 'bob', role: 'member', password: TEST_PASSWORD })).id;
  ids.oma = (await createUser(v.ctx.db, { username: 'oma', role: 'viewer', password: TEST_PASSWORD })).id;
  ids.grete = (await createUser(v.ctx.db, { username: 'grete', role: 'admin', password: TEST_PASSWORD })).id;
  dir = await makeFixtureDir('heirloom-usage-');

  // Anna: two photos, a Live Photo (its MOV counts as video bytes, not as a video item) and a video.
  const a1 = await makeJpeg(path.join(dir, 'a1.jpg'), { seed: 1, width: 320, height: 240 });
  const a2 = await makeJpeg(path.join(dir, 'a2.jpg'), { seed: 2, width: 400, height: 300 });
  const live = await makeLivePhoto(dir, 'IMG_0303', { seed: 3, codec: 'hevc', contentId: '0F1E2D3C-0303-4000-8000-000000000303' });
  const clip = await makeVideo(path.join(dir, 'anna.mp4'), { seconds: 1 });
  annaPhoto = { id: await ingest(ids.anna, a1), bytes: await size(a1) };
  await ingest(ids.anna, a2);
  await ingest(ids.anna, live.still);
  await ingest(ids.anna, live.mov);
  await ingest(ids.anna, clip);
  expected.anna = {
    photo: { items: 3, bytes: (await size(a1)) + (await size(a2)) + (await size(live.still)) },
    video: { items: 1, bytes: (await size(clip)) + (await size(live.mov)) },
    other: { items: 0, bytes: 0 },
  };

  // Bob: a photo, a WebM that gets a web copy, and a file Heirloom cannot show.
  const b1 = await makeJpeg(path.join(dir, 'b1.jpg'), { seed: 4, width: 640, height: 480 });
  const webm = await makeVideo(path.join(dir, 'bob.webm'), { container: 'webm', seconds: 1 });
  const notes = await makeTextAsJpg(path.join(dir, 'notes.jpg'));
  await ingest(ids.bob, b1);
  await ingest(ids.bob, webm);
  await ingest(ids.bob, notes);
  await v.ctx.background.runner.drain();
  expected.bob = {
    photo: { items: 1, bytes: await size(b1) },
    video: { items: 1, bytes: await size(webm) },
    other: { items: 1, bytes: await size(notes) },
  };

  // Oma is a viewer now, but kept a photo from before.
  const o1 = await makeJpeg(path.join(dir, 'o1.jpg'), { seed: 5 });
  await ingest(ids.oma, o1);
  expected.oma = { photo: { items: 1, bytes: await size(o1) }, video: { items: 0, bytes: 0 }, other: { items: 0, bytes: 0 } };

  server = await listen(v.ctx);
  for (const name of ['anna', 'bob', 'oma', 'grete'] as const) {
    web[name] = new WebClient(server.url);
    await web[name].signIn(name, TEST_PASSWORD);
  }
});

afterAll(async () => {
  await server?.close();
  await closeMedia();
  await v?.cleanup();
  await removeFixtureDir(dir);
});

describe('usage', () => {
  it('is counted per person, photos, videos and other files apart, with previews and web copies separate', () => {
    for (const name of ['anna', 'bob', 'oma'] as const) {
      const usage = usageFor(ids[name]);
      const derivedBytes = derivedBytesOf(ids[name]);
      const originals = expected[name].photo.bytes + expected[name].video.bytes + expected[name].other.bytes;
      expect(usage, name).toEqual({ ...expected[name], derivedBytes, trashed: { items: 0, bytes: 0 }, totalBytes: originals + derivedBytes });
    }
    // Bob's WebM and Anna's HEVC Live Photo have web copies, and those count among the derived files.
    const webCopies = (table: string, ownerId: number) =>
      (v.ctx.db.$client.prepare(`SELECT count(*) AS n FROM ${table} t JOIN assets a ON a.id = t.asset_id WHERE a.owner_id = ? AND t.transcode_blob_id IS NOT NULL`).get(ownerId) as { n: number }).n;
    expect(webCopies('asset_video', ids.bob)).toBe(1);
    expect(webCopies('asset_motion', ids.anna)).toBe(1);
    expect(usageFor(ids.grete)).toEqual({ photo: { items: 0, bytes: 0 }, video: { items: 0, bytes: 0 }, other: { items: 0, bytes: 0 }, derivedBytes: 0, trashed: { items: 0, bytes: 0 }, totalBytes: 0 });
  });

  it('shows each person their own on the account page, and never anyone else’s', async () => {
    for (const name of ['anna', 'bob', 'oma'] as const) {
      const page = await accountFigures(web[name]);
      const usage = usageFor(ids[name]);
      expect(page.photo, name).toBe(amountText(expected[name].photo));
      expect(page.video, name).toBe(amountText(expected[name].video));
      expect(page.other, name).toBe(expected[name].other.items ? amountText(expected[name].other) : undefined);
      expect(page.derived, name).toBe(formatBytes(usage.derivedBytes));
      expect(page.total, name).toBe(formatBytes(usage.totalBytes));
      for (const someoneElse of ['anna', 'bob', 'oma', 'grete'].filter((n) => n !== name)) expect(page.html).not.toContain(`>${someoneElse}<`);
    }
    expect((await accountFigures(web.anna)).photo).toBe('3 items, ' + formatBytes(expected.anna.photo.bytes));
    expect((await accountFigures(web.oma)).photo).toBe('1 item, ' + formatBytes(expected.oma.photo.bytes));
  });

  it('counts trashed items until they are deleted for good, and a purge lowers the numbers', async () => {
    const before = usageFor(ids.anna);
    const photoDerived = (v.ctx.db.$client.prepare('SELECT sum(b.plain_size) AS n FROM assets a JOIN blobs b ON b.id IN (a.thumb_blob_id, a.preview_blob_id) WHERE a.id = ?').get(annaPhoto.id) as { n: number }).n;

    expect((await web.anna.post(`/items/${annaPhoto.id}/trash`)).status).toBe(303);
    const trashed = usageFor(ids.anna);
    expect(trashed).toEqual({ ...before, trashed: { items: 1, bytes: annaPhoto.bytes } });
    expect((await accountFigures(web.anna)).trashed).toBe(amountText({ items: 1, bytes: annaPhoto.bytes }));

    await web.anna.get('/trash');
    expect((await web.anna.post(`/trash/${annaPhoto.id}/delete-now`, { confirm: 'yes' })).status).toBe(303);
    const after = usageFor(ids.anna);
    expect(after.photo).toEqual({ items: before.photo.items - 1, bytes: before.photo.bytes - annaPhoto.bytes });
    expect(after.video).toEqual(before.video);
    expect(after.derivedBytes).toBe(before.derivedBytes - photoDerived);
    expect(after.trashed).toEqual({ items: 0, bytes: 0 });
    expect(after.totalBytes).toBe(before.totalBytes - annaPhoto.bytes - photoDerived);
    const page = await accountFigures(web.anna);
    expect(page.photo).toBe(amountText(after.photo));
    expect(page.trashed).toBeUndefined();
  });

  it('shows the admin everyone’s, with totals and the data disk’s free space; nobody else', async () => {
    const res = await web.grete.get('/admin/users');
    expect(res.status).toBe(200);
    const html = await res.text();
    const row = (name: string) => {
      const cells = [...(new RegExp(`<tr data-user="${name}">(.*?)</tr>`, 's').exec(html)?.[1] ?? '').matchAll(/<td>([^<]*)<\/td>/g)].map((m) => m[1]);
      return { photo: cells[0], video: cells[1], other: cells[2], derived: cells[3], total: cells[4], trashed: cells[5] };
    };
    const total = { photo: { items: 0, bytes: 0 }, video: { items: 0, bytes: 0 }, other: { items: 0, bytes: 0 }, derivedBytes: 0, totalBytes: 0 };
    for (const name of ['anna', 'bob', 'oma', 'grete'] as const) {
      const usage = usageFor(ids[name]);
      expect(row(name), name).toEqual({
        photo: amountText(usage.photo),
        video: amountText(usage.video),
        other: amountText(usage.other),
        derived: formatBytes(usage.derivedBytes),
        total: formatBytes(usage.totalBytes),
        trashed: amountText(usage.trashed),
      });
      for (const kind of ['photo', 'video', 'other'] as const) {
        total[kind].items += usage[kind].items;
        total[kind].bytes += usage[kind].bytes;
      }
      total.derivedBytes += usage.derivedBytes;
      total.totalBytes += usage.totalBytes;
    }
    expect(row('Everyone')).toMatchObject({ photo: amountText(total.photo), video: amountText(total.video), other: amountText(total.other), derived: formatBytes(total.derivedBytes), total: formatBytes(total.totalBytes) });
    expect(html).toMatch(/data-testid="disk-free">The data disk has \d[^<]* free of \d[^<]*\.</);

    for (const name of ['anna', 'bob', 'oma'] as const) {
      const refused = await web[name].get('/admin/users');
      expect(refused.status, name).toBe(403);
      expect(await refused.text()).not.toContain('data-testid="storage"');
    }
  });
});
