import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeMedia } from '../server/media/previews.js';
import { createUser } from '../server/users/users.service.js';
import { makeFixtureDir, makeJpeg, removeFixtureDir } from './fixtures/index.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

/** Favourites, archive, trash and restore, rotate and bulk actions over real HTTP, against a real database. */

let v: TestVault;
let dir: string;
let server: Awaited<ReturnType<typeof listen>>;
let anna: WebClient;
let bob: WebClient;
let oma: WebClient;
let anon: WebClient;
const ids: number[] = [];
let bobsId: number;

interface Row {
  favorite: number;
  archived_at: number | null;
  trashed_at: number | null;
  thumb_blob_id: string;
}
const row = (id: number) => v.ctx.db.$client.prepare('SELECT favorite, archived_at, trashed_at, thumb_blob_id FROM assets WHERE id = ?').get(id) as Row;
const orientation = (id: number) => (v.ctx.db.$client.prepare('SELECT orientation FROM asset_metadata WHERE asset_id = ?').get(id) as { orientation: number | null }).orientation;
const versions = (id: number) => v.ctx.db.$client.prepare('SELECT previous, next, edited_by FROM asset_versions WHERE asset_id = ? ORDER BY id').all(id) as { previous: string; next: string; edited_by: number }[];
const htmx = { 'hx-request': 'true' };

beforeAll(async () => {
  v = await openTestVault();
  await createUser(v.ctx.db, { username: 'bob', role: 'member', password: TEST_PASSWORD });
  await createUser(v.ctx.db, { username: 'oma', role: 'viewer', password: TEST_PASSWORD });
  const bobId = (v.ctx.db.$client.prepare("SELECT id FROM users WHERE username = 'bob'").get() as { id: number }).id;
  dir = await makeFixtureDir('heirloom-organise-');
  for (let seed = 1; seed <= 5; seed++) {
    const file = await makeJpeg(path.join(dir, `photo-${seed}.jpg`), { seed, exif: { DateTimeOriginal: `2020:0${seed}:10 12:00:00` } });
    ids.push(((await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: file, originalName: `photo-${seed}.jpg` })) as { assetId: number }).assetId);
  }
  const bobs = await makeJpeg(path.join(dir, 'bobs.jpg'), { seed: 9 });
  bobsId = ((await v.ctx.ingest.ingestFile({ ownerId: bobId, path: bobs, originalName: 'bobs.jpg' })) as { assetId: number }).assetId;
  server = await listen(v.ctx);
  anna = new WebClient(server.url);
  await anna.signIn('anna', TEST_PASSWORD);
  bob = new WebClient(server.url);
  await bob.signIn('bob', TEST_PASSWORD);
  oma = new WebClient(server.url);
  await oma.signIn('oma', TEST_PASSWORD);
  anon = new WebClient(server.url);
  await anon.get('/login');
});

afterAll(async () => {
  await server?.close();
  await closeMedia();
  await v?.cleanup();
  await removeFixtureDir(dir);
});

describe('favourite and archive', () => {
  it('marks a favourite, lists it under /favorites, and goes back to the page it came from', async () => {
    const id = ids[0]!;
    const res = await anna.post(`/items/${id}/favorite`, { value: '1', back: `/items/${id}` });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/items/${id}`);
    expect(row(id).favorite).toBe(1);
    const page = await (await anna.get('/favorites')).text();
    expect(page).toContain(`value="${id}"`);
    expect(page).toContain(`/media/${row(id).thumb_blob_id}`);
    await anna.post(`/items/${id}/favorite`, { value: '0' });
    expect(row(id).favorite).toBe(0);
    expect(await (await anna.get('/favorites')).text()).not.toContain(`value="${id}"`);
  });

  it('answers htmx with 204 and an event naming the change', async () => {
    const id = ids[0]!;
    const res = await anna.post(`/items/${id}/favorite`, { value: '1' }, htmx);
    expect(res.status).toBe(204);
    expect(JSON.parse(res.headers.get('hx-trigger')!)).toEqual({ 'heirloom:changed': { id, favorite: true } });
    await anna.post(`/items/${id}/favorite`, { value: '0' }, htmx);
  });

  it('only goes back to a path on this server', async () => {
    for (const back of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
      const res = await anna.post(`/items/${ids[0]}/favorite`, { value: '0', back });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/');
    }
  });

  it('archives: hidden from the library, listed under /archive, and back again', async () => {
    const id = ids[1]!;
    const thumb = row(id).thumb_blob_id;
    expect(await (await anna.get('/')).text()).toContain(thumb);
    expect((await anna.post(`/items/${id}/archive`, { value: '1' })).status).toBe(303);
    expect(row(id).archived_at).toBeTypeOf('number');
    expect(await (await anna.get('/')).text()).not.toContain(thumb);
    expect(await (await anna.get('/archive')).text()).toContain(thumb);
    await anna.post(`/items/${id}/archive`, { value: '0' });
    expect(row(id).archived_at).toBeNull();
    expect(await (await anna.get('/')).text()).toContain(thumb);
  });

  it('refuses a form without its value, after checking who asks', async () => {
    expect((await anna.post(`/items/${ids[0]}/favorite`, {})).status).toBe(422);
    expect((await anna.post(`/items/${ids[0]}/archive`, { value: 'yes' })).status).toBe(422);
    expect((await bob.post(`/items/${ids[0]}/favorite`, {})).status).toBe(404);
  });
});

describe('trash and restore', () => {
  it('hides a trashed item from the library and lists it in the trash with its days left; restore brings it back', async () => {
    const id = ids[2]!;
    const thumb = row(id).thumb_blob_id;
    expect((await anna.post(`/items/${id}/trash`, { back: '/' })).status).toBe(303);
    expect(row(id).trashed_at).toBeTypeOf('number');
    expect(await (await anna.get('/')).text()).not.toContain(thumb);
    const trash = await (await anna.get('/trash')).text();
    expect(trash).toContain(thumb);
    expect(trash).toContain('30 days left');
    expect(trash).toContain('Empty trash');
    expect((await anna.post(`/items/${id}/restore`, { back: '/trash' })).headers.get('location')).toBe('/trash');
    expect(row(id).trashed_at).toBeNull();
    expect(await (await anna.get('/')).text()).toContain(thumb);
    expect(await (await anna.get('/trash')).text()).toContain('The trash is empty.');
  });

  it('trashing twice keeps the first date; restoring an item not in the trash is a no-op', async () => {
    const id = ids[3]!;
    await anna.post(`/items/${id}/trash`);
    const first = row(id).trashed_at;
    await new Promise((r) => setTimeout(r, 5));
    expect((await anna.post(`/items/${id}/trash`)).status).toBe(303);
    expect(row(id).trashed_at).toBe(first);
    await anna.post(`/items/${id}/restore`);
    expect((await anna.post(`/items/${id}/restore`)).status).toBe(303);
    expect(row(id).trashed_at).toBeNull();
  });

  it('a stale page (the item was trashed on another device) gets 410 with a clear message, as a page or an htmx fragment', async () => {
    const id = ids[3]!;
    await anna.post(`/items/${id}/trash`);
    const page = await anna.post(`/items/${id}/favorite`, { value: '1' });
    expect(page.status).toBe(410);
    const html = await page.text();
    expect(html).toContain('This photo was moved to the trash (on another device?)');
    expect(html).toContain('<html');
    const fragment = await anna.post(`/items/${id}/archive`, { value: '1' }, htmx);
    expect(fragment.status).toBe(410);
    const text = await fragment.text();
    expect(text).toContain('This photo was moved to the trash (on another device?)');
    expect(text).not.toContain('<html');
    expect((await anna.post(`/items/${id}/rotate`, { direction: 'cw' })).status).toBe(410);
    expect(row(id).favorite).toBe(0);
    expect(row(id).archived_at).toBeNull();
    await anna.post(`/items/${id}/restore`);
  });
});

describe('who may organise', () => {
  const actions: [string, Record<string, string>][] = [
    ['favorite', { value: '1' }],
    ['archive', { value: '1' }],
    ['trash', {}],
    ['restore', {}],
    ['rotate', { direction: 'cw' }],
  ];

  it("answers another member's item like a missing one (404), for every action", async () => {
    for (const [action, form] of actions) {
      expect((await anna.post(`/items/${bobsId}/${action}`, form)).status, action).toBe(404);
      expect((await oma.post(`/items/${bobsId}/${action}`, form)).status, action).toBe(404);
      expect((await anna.post(`/items/999999/${action}`, form)).status, action).toBe(404);
      expect((await anon.post(`/items/${bobsId}/${action}`, form)).status, action).toBe(401);
    }
    expect(row(bobsId)).toMatchObject({ favorite: 0, archived_at: null, trashed_at: null });
    expect(versions(bobsId)).toEqual([]);
    expect((await anna.post('/items/abc/favorite', { value: '1' })).status).toBe(404);
  });

  it('refuses bulk actions to a viewer (403) and to nobody (401)', async () => {
    expect((await oma.post('/items/bulk', { action: 'trash', ids: String(ids[0]) })).status).toBe(403);
    expect((await anon.post('/items/bulk', { action: 'trash', ids: String(ids[0]) })).status).toBe(401);
    expect(row(ids[0]!).trashed_at).toBeNull();
  });

  it('needs the CSRF token', async () => {
    const res = await anna.request(`/items/${ids[0]}/favorite`, { form: { value: '1' } });
    expect(res.status).toBe(403);
    expect(row(ids[0]!).favorite).toBe(0);
  });
});

describe('rotate', () => {
  it('records the orientation as an edit with a version, and leaves the stored previews alone', async () => {
    const id = ids[4]!;
    const before = v.ctx.db.$client.prepare('SELECT thumb_blob_id, preview_blob_id FROM assets WHERE id = ?').get(id);
    const initial = orientation(id);
    expect([null, 1]).toContain(initial);
    const res = await anna.post(`/items/${id}/rotate`, { direction: 'cw' }, htmx);
    expect(res.status).toBe(204);
    expect(JSON.parse(res.headers.get('hx-trigger')!)['heirloom:changed']).toEqual({ id, orientation: 6 });
    expect(orientation(id)).toBe(6);
    await anna.post(`/items/${id}/rotate`, { direction: 'cw' });
    expect(orientation(id)).toBe(3);
    await anna.post(`/items/${id}/rotate`, { direction: 'ccw' });
    await anna.post(`/items/${id}/rotate`, { direction: 'ccw' });
    expect(orientation(id)).toBe(1);
    const vs = versions(id);
    expect(vs).toHaveLength(4);
    expect(JSON.parse(vs[0]!.previous)).toEqual({ orientation: initial });
    expect(JSON.parse(vs[0]!.next)).toEqual({ orientation: 6 });
    expect(vs[0]!.edited_by).toBe(v.ownerId);
    expect(v.ctx.db.$client.prepare('SELECT thumb_blob_id, preview_blob_id FROM assets WHERE id = ?').get(id)).toEqual(before);
    expect((await anna.post(`/items/${id}/rotate`, { direction: 'left' })).status).toBe(422);
  });
});

describe('bulk actions', () => {
  it('acts on ids given repeated or comma-separated, and reports the result on the page it returns to', async () => {
    const body = new URLSearchParams([
      ['_csrf', anna.csrf],
      ['action', 'favorite'],
      ['ids', String(ids[0])],
      ['ids', `${ids[1]},${ids[2]}`],
      ['back', '/favorites'],
    ]);
    const res = await anna.request('/items/bulk', { body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(303);
    const location = res.headers.get('location')!;
    expect(location).toBe('/favorites?done=favorite&n=3');
    for (const id of ids.slice(0, 3)) expect(row(id).favorite).toBe(1);
    expect(await (await anna.get(location)).text()).toContain('3 items marked as favourites.');
  });

  it('counts ids that are gone or not the actor’s, and items in the trash, without failing the rest', async () => {
    await anna.post(`/items/${ids[3]}/trash`);
    const res = await anna.post('/items/bulk', { action: 'archive', ids: `${ids[0]},${ids[3]},${bobsId},999999`, back: '/archive' });
    expect(res.status).toBe(303);
    const page = await (await anna.get(res.headers.get('location')!)).text();
    expect(page).toContain('1 item archived. 1 item was left as it is: it is in the trash (moved there on another device?). 2 items no longer exist (deleted on another device?).');
    expect(row(ids[0]!).archived_at).toBeTypeOf('number');
    expect(row(ids[3]!).archived_at).toBeNull();
    expect(row(bobsId).archived_at).toBeNull();
    await anna.post('/items/bulk', { action: 'unarchive', ids: String(ids[0]) });
    await anna.post(`/items/${ids[3]}/restore`);
  });

  it('moves many to the trash and restores them, with an htmx fragment naming what happened', async () => {
    const list = ids.slice(0, 3).join(',');
    const res = await anna.post('/items/bulk', { action: 'trash', ids: list }, htmx);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('3 items moved to the trash.');
    for (const id of ids.slice(0, 3)) expect(row(id).trashed_at).toBeTypeOf('number');
    await anna.post('/items/bulk', { action: 'restore', ids: list });
    for (const id of ids.slice(0, 3)) expect(row(id).trashed_at).toBeNull();
    await anna.post('/items/bulk', { action: 'unfavorite', ids: list });
  });

  it('refuses an unknown action, an empty or malformed selection (422), and one that names nothing of the actor’s (404)', async () => {
    expect((await anna.post('/items/bulk', { action: 'delete', ids: String(ids[0]) })).status).toBe(422);
    expect((await anna.post('/items/bulk', { action: 'trash', ids: '' })).status).toBe(422);
    expect((await anna.post('/items/bulk', { action: 'trash', ids: '1;DROP TABLE assets' })).status).toBe(422);
    expect((await anna.post('/items/bulk', { action: 'trash', ids: `${bobsId}` })).status).toBe(404);
    expect(row(bobsId).trashed_at).toBeNull();
  });
});
