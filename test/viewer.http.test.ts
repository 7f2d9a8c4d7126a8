import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { EditsService } from '../server/library/edits.service.js';
import { closeMedia } from '../server/media/previews.js';
import { users } from '../server/users/users.table.js';
import { createUser } from '../server/users/users.service.js';
import { makeFixtureDir, makeJpeg, makeTextAsJpg, removeFixtureDir } from './fixtures/index.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

let v: TestVault;
let dir: string;
let server: Awaited<ReturnType<typeof listen>>;
let anna: WebClient;
let bob: WebClient;
const ids = {} as Record<'harbour' | 'morning' | 'winter' | 'notes' | 'bobs', number>;

const assetId = (r: unknown) => (r as { assetId: number }).assetId;

beforeAll(async () => {
  v = await openTestVault();
  dir = await makeFixtureDir('heirloom-viewer-');
  const bobId = (await createUser(v.ctx.db, { username: 'bob', role: 'member', password: TEST_PASSWORD })).id;
  const ingest = async (ownerId: number, name: string, opts: Parameters<typeof makeJpeg>[1]) =>
    assetId(await v.ctx.ingest.ingestFile({ ownerId, path: await makeJpeg(path.join(dir, name), opts), originalName: name }));
  ids.harbour = await ingest(v.ownerId, 'harbour.jpg', {
    seed: 1,
    width: 1200,
    height: 800,
    exif: {
      DateTimeOriginal: '2023:08:14 18:30:05',
      OffsetTimeOriginal: '+02:00',
      Make: 'Canon',
      Model: 'Canon EOS R6',
      LensModel: 'RF 35mm F1.8 MACRO IS STM',
      FNumber: 2.8,
      ExposureTime: '1/250',
      ISO: 200,
      FocalLength: 35,
      ImageDescription: 'Boats at dusk',
      GPS: { lat: 54.32134, lon: 10.13489, alt: 12 },
    },
  });
  ids.morning = await ingest(v.ownerId, 'morning.jpg', { seed: 2, exif: { DateTimeOriginal: '2023:08:14 09:00:00', OffsetTimeOriginal: '+02:00' } });
  ids.winter = await ingest(v.ownerId, 'winter.jpg', { seed: 3, exif: { DateTimeOriginal: '2019:12:24 17:00:00' } });
  ids.notes = assetId(await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: await makeTextAsJpg(path.join(dir, 'notes.jpg')), originalName: 'notes.jpg' }));
  ids.bobs = await ingest(bobId, 'bobs.jpg', { seed: 4, exif: { DateTimeOriginal: '2023:08:14 12:00:00' } });
  server = await listen(v.ctx);
  anna = new WebClient(server.url);
  await anna.signIn('anna', TEST_PASSWORD);
  bob = new WebClient(server.url);
  await bob.signIn('bob', TEST_PASSWORD);
});

afterAll(async () => {
  await server?.close();
  await closeMedia();
  await v.cleanup();
  await removeFixtureDir(dir);
});

const blobIds = (id: number) => v.ctx.db.$client.prepare('SELECT preview_blob_id AS p, taken_at AS t FROM assets WHERE id = ?').get(id) as { p: string; t: number };

describe('the viewer', () => {
  it('shows the preview full screen with the info panel', async () => {
    const res = await anna.get(`/items/${ids.harbour}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const { p } = blobIds(ids.harbour);
    expect(html).toContain(`<img class="viewer-img" src="/media/${p}"`);
    expect(html).toContain(`data-original="/items/${ids.harbour}/original"`);
    expect(html).toContain('<script type="module" src="/static/viewer.js">');
    // Date and time where it was taken, with its zone; camera, lens, exposure, size, place, name.
    expect(html).toContain('<time datetime="2023-08-14T18:30:05+02:00">Monday, 14 August 2023 at 18:30:05</time> (UTC+02:00)');
    expect(html).toContain('UTC+02:00');
    expect(html).toContain('<dd>Canon EOS R6</dd>');
    expect(html).toContain('RF 35mm F1.8 MACRO IS STM');
    expect(html).toContain('1/250 s · f/2.8 · ISO 200 · 35 mm');
    expect(html).toContain('1200 × 800 (1.0 MP)');
    expect(html).toMatch(/<dt>File size<\/dt><dd>\d+(\.\d)? KB<\/dd>/);
    expect(html).toContain('54.32134, 10.13489');
    expect(html).toContain('href="https://www.openstreetmap.org/?mlat=54.32134&amp;mlon=10.13489#map=16/54.32134/10.13489"');
    expect(html).toContain('<dd>harbour.jpg</dd>');
    expect(html).toContain('Boats at dusk');
  });

  it('says when the time zone is not known', async () => {
    const html = await (await anna.get(`/items/${ids.winter}`)).text();
    expect(html).toContain('<time datetime="2019-12-24T17:00:00">Tuesday, 24 December 2019 at 17:00:00</time> (time zone unknown)');
    expect(html).toContain('time zone unknown');
  });

  it('renders the actions as plain forms with the CSRF field, and the download and close links', async () => {
    const html = await (await anna.get(`/items/${ids.harbour}`)).text();
    const base = `/items/${ids.harbour}`;
    const form = (action: string) => new RegExp(`<form method="post" action="${action}" class="viewer-act"><input type="hidden" name="_csrf" value="${anna.csrf}"/>`);
    expect(html).toMatch(form(`${base}/favorite`));
    expect(html).toMatch(new RegExp(`action="${base}/favorite"[^]*?name="value" value="1"`));
    expect(html).toMatch(new RegExp(`action="${base}/archive"[^]*?name="value" value="1"`));
    expect(html).toMatch(form(`${base}/trash`));
    expect(html).toMatch(new RegExp(`action="${base}/rotate"[^]*?name="direction" value="ccw"`));
    expect(html).toMatch(new RegExp(`action="${base}/rotate"[^]*?name="direction" value="cw"`));
    expect(html).toContain(`href="${base}/original?download=1"`);
    const { t } = blobIds(ids.harbour);
    expect(html).toContain(`href="/?at=${t}.${ids.harbour}#i${ids.harbour}"`);
  });

  it('steps through the timeline order: previous is newer, next is older', async () => {
    // Timeline: harbour (14 Aug 18:30), morning (14 Aug 09:00), winter (2019); notes.jpg takes its file date (now), so it is first.
    const html = await (await anna.get(`/items/${ids.morning}`)).text();
    expect(html).toMatch(new RegExp(`rel="prev" href="/items/${ids.harbour}"`));
    expect(html).toMatch(new RegExp(`rel="next" href="/items/${ids.winter}"`));
    const last = await (await anna.get(`/items/${ids.winter}`)).text();
    expect(last).not.toContain('rel="next"');
    // Bob's photo of the same day is not in Anna's order.
    expect(html).not.toContain(`/items/${ids.bobs}"`);
  });

  it('shows a kept but unreadable file with a download link instead of a preview', async () => {
    const html = await (await anna.get(`/items/${ids.notes}`)).text();
    expect(html).toContain('This file is kept safely');
    expect(html).toContain(`href="/items/${ids.notes}/original?download=1"`);
    expect(html).not.toContain('class="viewer-img"');
  });

  it('answers another member’s item and an unknown id with the same 404 page', async () => {
    const foreign = await anna.get(`/items/${ids.bobs}`);
    const unknown = await anna.get('/items/999999');
    expect(foreign.status).toBe(404);
    expect(unknown.status).toBe(404);
    const [a, b] = [await foreign.text(), await unknown.text()];
    expect(a).toContain('There is no such photo or video');
    expect(a.replace(/content="[^"]+"/g, '')).toBe(b.replace(/content="[^"]+"/g, ''));
    expect(a).toContain('<a href="/">Back to the library</a>');
    expect((await anna.get('/items/abc')).status).toBe(404);
  });

  it('answers a trashed item of one’s own with 410 and the way back; to others it stays 404', async () => {
    v.ctx.db.$client.prepare('UPDATE assets SET trashed_at = ? WHERE id = ?').run(Date.now(), ids.morning);
    const res = await anna.get(`/items/${ids.morning}`);
    expect(res.status).toBe(410);
    const html = await res.text();
    expect(html).toContain('This photo was moved to the trash');
    expect(html).toContain('<a href="/">Back to the library</a>');
    expect((await bob.get(`/items/${ids.morning}`)).status).toBe(404);
    // The neighbours close the gap: harbour's next is now winter.
    expect(await (await anna.get(`/items/${ids.harbour}`)).text()).toMatch(new RegExp(`rel="next" href="/items/${ids.winter}"`));
    v.ctx.db.$client.prepare('UPDATE assets SET trashed_at = NULL WHERE id = ?').run(ids.morning);
  });

  it('shows an archived item (a shared link still works) with the way to unarchive it', async () => {
    v.ctx.db.$client.prepare('UPDATE assets SET archived_at = ?, favorite = 1 WHERE id = ?').run(Date.now(), ids.winter);
    const html = await (await anna.get(`/items/${ids.winter}`)).text();
    expect(html).toMatch(new RegExp(`action="/items/${ids.winter}/archive"[^]*?name="value" value="0"`));
    expect(html).toMatch(new RegExp(`action="/items/${ids.winter}/favorite"[^]*?name="value" value="0"`));
    expect(html).toContain('Archived (hidden from the timeline)');
    v.ctx.db.$client.prepare('UPDATE assets SET archived_at = NULL, favorite = 0 WHERE id = ?').run(ids.winter);
  });

  it('shows a rotated photo turned (the rotation only records an orientation), without zooming to the unturned original', async () => {
    const user = v.ctx.db.select().from(users).where(eq(users.id, v.ownerId)).get()!;
    const actor = { user, via: { kind: 'session' as const, sessionId: 0 } };
    const edits = new EditsService({ db: v.ctx.db });
    const stage = async () => /<div class="(viewer-stage[^"]*)" data-stage/.exec(await (await anna.get(`/items/${ids.harbour}`)).text())![1];
    expect(await stage()).toBe('viewer-stage');
    edits.rotate(actor, ids.harbour, 'cw');
    expect(await stage()).toBe('viewer-stage viewer-turn-1');
    const turned = await (await anna.get(`/items/${ids.harbour}`)).text();
    expect(turned).not.toContain('data-zoom');
    expect(turned).not.toContain('data-original');
    edits.rotate(actor, ids.harbour, 'cw');
    expect(await stage()).toBe('viewer-stage viewer-turn-2');
    edits.rotate(actor, ids.harbour, 'ccw');
    edits.rotate(actor, ids.harbour, 'ccw');
    expect(await stage()).toBe('viewer-stage');
    expect(await (await anna.get(`/items/${ids.harbour}`)).text()).toContain('data-zoom');
  });

  it('sends the signed-out to sign in first, and back here after', async () => {
    const res = await new WebClient(server.url).get(`/items/${ids.harbour}`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/login?next=${encodeURIComponent(`/items/${ids.harbour}`)}`);
  });
});
