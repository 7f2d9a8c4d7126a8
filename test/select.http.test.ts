import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeMedia } from '../server/media/previews.js';
import { createUser } from '../server/users/users.service.js';
import { makeFixtureDir, makeJpeg, removeFixtureDir } from './fixtures/index.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

/** The selection bar over HTTP: what the grids render for it, and the bulk and zip requests it sends. */

let v: TestVault;
let dir: string;
let server: Awaited<ReturnType<typeof listen>>;
let anna: WebClient;
let oma: WebClient;
const ids: number[] = [];
let bobsId: number;
let omasId: number;

const htmx = { 'hx-request': 'true' };
const state = (id: number) => v.ctx.db.$client.prepare('SELECT favorite, archived_at, trashed_at FROM assets WHERE id = ?').get(id);
const everything = () => v.ctx.db.$client.prepare('SELECT id, favorite, archived_at, trashed_at FROM assets ORDER BY id').all();

/** The form the bar posts: ids repeated, as the ticked checkboxes send them. */
function barForm(fields: [string, string][]): string {
  return new URLSearchParams([['back', '/'], ...fields]).toString();
}
const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };

async function photo(ownerId: number, name: string, seed: number): Promise<number> {
  const file = await makeJpeg(path.join(dir, name), { seed, exif: { DateTimeOriginal: `2021:0${seed}:10 12:00:00` } });
  return ((await v.ctx.ingest.ingestFile({ ownerId, path: file, originalName: name })) as { assetId: number }).assetId;
}

beforeAll(async () => {
  v = await openTestVault();
  const bob = await createUser(v.ctx.db, { username: 'bob', role: 'member', password: TEST_PASSWORD });
  const omaUser = await createUser(v.ctx.db, { username: 'oma', role: 'viewer', password: TEST_PASSWORD });
  dir = await makeFixtureDir('heirloom-select-http-');
  for (let seed = 1; seed <= 4; seed++) ids.push(await photo(v.ownerId, `photo-${seed}.jpg`, seed));
  bobsId = await photo(bob.id, 'bobs.jpg', 7);
  // A viewer cannot add items, but one imported for them is theirs to look at and download.
  omasId = await photo(omaUser.id, 'omas.jpg', 8);
  server = await listen(v.ctx);
  anna = new WebClient(server.url);
  await anna.signIn('anna', TEST_PASSWORD);
  oma = new WebClient(server.url);
  await oma.signIn('oma', TEST_PASSWORD);
});

afterAll(async () => {
  await server?.close();
  await closeMedia();
  await v?.cleanup();
  await removeFixtureDir(dir);
});

describe('the grids', () => {
  it('give every timeline tile a checkbox of the bar, on the first page and on the next ones', async () => {
    const page = await (await anna.get('/')).text();
    expect(page).toContain('<form id="bulk" method="post" action="/items/bulk"');
    expect(page).toContain('data-removes="archive trash"');
    for (const id of ids) expect(page).toContain(`name="ids" value="${id}" form="bulk"`);
    expect(page).toContain('hx-post="/items/bulk"');
    expect(page).toContain('formaction="/download.zip"');
    expect(page).toContain('<script type="module" src="/static/select.js">');
    const next = await (await anna.get(`/timeline?after=${Date.UTC(2021, 2, 1)}.1`)).text();
    expect(next).toContain(`name="ids" value="${ids[1]}" form="bulk"`);
    expect(next).toContain('data-select-day');
  });

  it('offer a viewer the selection for download only', async () => {
    const page = await (await oma.get('/')).text();
    expect(page).toContain(`name="ids" value="${omasId}" form="bulk"`);
    expect(page).toContain('formaction="/download.zip"');
    expect(page).not.toContain('hx-post="/items/bulk"');
  });

  it('say on each collection page which actions take an item off it', async () => {
    await anna.post(`/items/${ids[3]}/trash`);
    expect(await (await anna.get('/trash')).text()).toContain('data-removes="restore"');
    expect(await (await anna.get('/archive')).text()).not.toContain('data-removes'); // nothing archived: no bar
    await anna.post(`/items/${ids[3]}/restore`);
  });
});

describe('a bulk action from the bar', () => {
  it('does what it can, and names in its event the ids it left alone: trashed meanwhile, gone, or someone else’s', async () => {
    await anna.post(`/items/${ids[1]}/trash`);
    const bobsBefore = state(bobsId);
    const res = await anna.request('/items/bulk', {
      body: barForm([
        ['_csrf', anna.csrf],
        ['action', 'favorite'],
        ['ids', String(ids[0])],
        ['ids', String(ids[1])],
        ['ids', String(bobsId)],
        ['ids', '999999'],
      ]),
      headers: { ...formHeaders, ...htmx },
    });
    expect(res.status).toBe(200);
    const fragment = await res.text();
    expect(fragment).toContain('role="alert"');
    expect(fragment).toContain('1 item marked as favourites. 1 item was left as it is: it is in the trash (moved there on another device?). 2 items no longer exist (deleted on another device?).');
    expect(JSON.parse(res.headers.get('hx-trigger')!)).toEqual({
      'heirloom:changed': { action: 'favorite', done: 1, inTrash: 1, missing: 2, skipped: [ids[1], bobsId, 999999] },
    });
    expect(state(ids[0]!)).toMatchObject({ favorite: 1 });
    expect(state(ids[1]!)).toMatchObject({ favorite: 0 });
    expect(state(bobsId)).toEqual(bobsBefore);
    await anna.post(`/items/${ids[1]}/restore`);
  });

  it('answers a complete success with a status line and nothing skipped', async () => {
    const res = await anna.request('/items/bulk', { body: barForm([['_csrf', anna.csrf], ['action', 'archive'], ['ids', String(ids[2])]]), headers: { ...formHeaders, ...htmx } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<p class="notice ok org-done" role="status">1 item archived.</p>');
    expect(JSON.parse(res.headers.get('hx-trigger')!)['heirloom:changed']).toMatchObject({ action: 'archive', skipped: [] });
    await anna.post('/items/bulk', { action: 'unarchive', ids: String(ids[2]) });
  });

  it('is refused without the CSRF token or with a wrong one (403), touching nothing', async () => {
    const before = everything();
    const bare = await anna.request('/items/bulk', { body: barForm([['action', 'trash'], ['ids', String(ids[0])]]), headers: { ...formHeaders, ...htmx } });
    expect(bare.status).toBe(403);
    const wrongHeader = await anna.request('/items/bulk', { body: barForm([['action', 'trash'], ['ids', String(ids[0])]]), headers: { ...formHeaders, ...htmx, 'x-csrf-token': 'x'.repeat(43) } });
    expect(wrongHeader.status).toBe(403);
    const wrongField = await anna.request('/items/bulk', { body: barForm([['_csrf', 'nope'], ['action', 'trash'], ['ids', String(ids[0])]]), headers: formHeaders });
    expect(wrongField.status).toBe(403);
    expect(await wrongField.text()).toContain('This form has expired');
    expect(everything()).toEqual(before);
  });

  it('accepts the token as htmx sends it, in the header', async () => {
    const res = await anna.request('/items/bulk', { body: barForm([['action', 'favorite'], ['ids', String(ids[3])]]), headers: { ...formHeaders, ...htmx, 'x-csrf-token': anna.csrf } });
    expect(res.status).toBe(200);
    expect(state(ids[3]!)).toMatchObject({ favorite: 1 });
  });

  it('refuses a selection of someone else’s ids (404) without touching them', async () => {
    const before = everything();
    const res = await anna.request('/items/bulk', { body: barForm([['_csrf', anna.csrf], ['action', 'trash'], ['ids', String(bobsId)], ['ids', String(omasId)]]), headers: { ...formHeaders, ...htmx } });
    expect(res.status).toBe(404);
    expect(everything()).toEqual(before);
  });

  it('refuses a viewer’s changes (403), even to their own items', async () => {
    const before = everything();
    for (const action of ['favorite', 'archive', 'trash']) {
      const res = await oma.request('/items/bulk', { body: barForm([['_csrf', oma.csrf], ['action', action], ['ids', String(omasId)]]), headers: { ...formHeaders, ...htmx } });
      expect(res.status, action).toBe(403);
    }
    expect(everything()).toEqual(before);
  });
});

describe('Download from the bar', () => {
  it('posts the ticked ids (and the bar’s other fields) to /download.zip and gets the zip', async () => {
    const res = await anna.request('/download.zip', { body: barForm([['_csrf', anna.csrf], ['ids', String(ids[0])], ['ids', String(ids[2])]]), headers: formHeaders });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
  });

  it('lets a viewer download their own items, and nobody without the token', async () => {
    const res = await oma.request('/download.zip', { body: barForm([['_csrf', oma.csrf], ['ids', String(omasId)]]), headers: formHeaders });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect((await anna.request('/download.zip', { body: barForm([['ids', String(ids[0])]]), headers: formHeaders })).status).toBe(403);
    expect((await oma.request('/download.zip', { body: barForm([['_csrf', oma.csrf], ['ids', String(ids[0])]]), headers: formHeaders })).status).toBe(404);
  });
});
