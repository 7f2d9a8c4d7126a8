import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeMedia } from '../server/media/previews.js';
import { toMatchExpression } from '../server/search/search.service.js';
import { createUser } from '../server/users/users.service.js';
import { makeFixtureDir, makeJpeg, removeFixtureDir, type FixtureExif } from './fixtures/index.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

/** Search over FTS5: ranking, safety against FTS syntax, the owner's items only, and the filters. */

let v: TestVault;
let dir: string;
let server: Awaited<ReturnType<typeof listen>>;
let anna: WebClient;
let bob: WebClient;
let oma: WebClient;
const id: Record<string, number> = {};
let seed = 0;

async function add(name: string, ownerId: number, exif: FixtureExif): Promise<number> {
  seed++;
  const file = await makeJpeg(path.join(dir, `${seed}-${name}`), { seed, width: 320, height: 240, exif });
  const assetId = ((await v.ctx.ingest.ingestFile({ ownerId, path: file, originalName: name })) as { assetId: number }).assetId;
  id[name] = assetId;
  return assetId;
}

const sql = (statement: string, ...params: unknown[]) => v.ctx.db.$client.prepare(statement).run(...params);

/** The item ids a results page lists, in order. */
async function found(web: WebClient, query: string, headers?: Record<string, string>): Promise<number[]> {
  const res = await web.get(`/search?${query}`, headers);
  expect(res.status, query).toBe(200);
  const html = await res.text();
  return [...html.matchAll(/<li class="org-tile" data-id="(\d+)"/g)].map((m) => Number(m[1]));
}

beforeAll(async () => {
  v = await openTestVault();
  const bobId = (await createUser(v.ctx.db, { username: 'bob', role: 'member', password: TEST_PASSWORD })).id;
  await createUser(v.ctx.db, { username: 'oma', role: 'viewer', password: TEST_PASSWORD });
  dir = await makeFixtureDir('heirloom-search-');
  const owner = v.ownerId;
  await add('sunset.jpg', owner, { DateTimeOriginal: '2019:08:01 20:00:00', Make: 'Canon', Model: 'Canon EOS R6' });
  await add('beach.jpg', owner, { DateTimeOriginal: '2020:05:05 10:00:00', Make: 'Google', Model: 'Pixel 7', ImageDescription: 'A sunset over the sea' });
  await add('family.jpg', owner, { DateTimeOriginal: '2020:12:24 18:00:00', Make: 'Google', Model: 'Pixel 7' });
  await add('clip.jpg', owner, { DateTimeOriginal: '2021:03:03 09:00:00' });
  await add('newyear.jpg', owner, { DateTimeOriginal: '2021:01:01 01:00:00', OffsetTimeOriginal: '+05:00' });
  await add('sunset-trashed.jpg', owner, { DateTimeOriginal: '2019:08:02 20:00:00' });
  await add('sunset-archived.jpg', owner, { DateTimeOriginal: '2019:08:03 20:00:00' });
  await add('sunset-bob.jpg', bobId, { DateTimeOriginal: '2019:08:01 20:00:00', Make: 'Nikon', Model: 'D750' });
  sql(`UPDATE asset_metadata SET keywords = '["Holiday", "Grandma"]' WHERE asset_id = ?`, id['family.jpg']);
  sql(`UPDATE assets SET kind = 'video' WHERE id = ?`, id['clip.jpg']);
  sql('UPDATE assets SET favorite = 1 WHERE id = ?', id['family.jpg']);
  sql('UPDATE assets SET trashed_at = ? WHERE id = ?', Date.now(), id['sunset-trashed.jpg']);
  sql('UPDATE assets SET archived_at = ? WHERE id = ?', Date.now(), id['sunset-archived.jpg']);
  server = await listen(v.ctx);
  anna = new WebClient(server.url);
  await anna.signIn('anna', TEST_PASSWORD);
  bob = new WebClient(server.url);
  await bob.signIn('bob', TEST_PASSWORD);
  oma = new WebClient(server.url);
  await oma.signIn('oma', TEST_PASSWORD);
});

afterAll(async () => {
  await server?.close();
  await closeMedia();
  await v?.cleanup();
  await removeFixtureDir(dir);
});

describe('search text', () => {
  it('ranks a file-name match above a description match, and finds archived items but not trashed ones or other people’s', async () => {
    const ids = await found(anna, 'q=sunset');
    expect(new Set(ids)).toEqual(new Set([id['sunset.jpg'], id['sunset-archived.jpg'], id['beach.jpg']]));
    // Both file-name matches come before the one whose description matches.
    expect(ids.at(-1)).toBe(id['beach.jpg']);
    expect(ids).not.toContain(id['sunset-trashed.jpg']);
    expect(ids).not.toContain(id['sunset-bob.jpg']);
    expect(await found(bob, 'q=sunset')).toEqual([id['sunset-bob.jpg']]);
    expect(await found(oma, 'q=sunset')).toEqual([]);
  });

  it('matches word prefixes, keywords and cameras, any case and accents', async () => {
    expect(await found(anna, 'q=SUNS')).toContain(id['sunset.jpg']);
    expect(await found(anna, 'q=grandma')).toEqual([id['family.jpg']]);
    expect(await found(anna, 'q=holi')).toEqual([id['family.jpg']]);
    expect(new Set(await found(anna, 'q=pixel'))).toEqual(new Set([id['beach.jpg'], id['family.jpg']]));
    expect(await found(anna, 'q=eos+r6')).toEqual([id['sunset.jpg']]);
    expect(await found(anna, `q=${encodeURIComponent('Grändma')}`)).toEqual([id['family.jpg']]);
  });

  it('takes FTS syntax characters as plain text: no error, ever', async () => {
    const nasty = ['"foo* OR (bar', '"', '""', '*', '(', ')', 'NEAR(a b', 'a:b', 'name:sunset', '-sunset', '^sunset', 'sun* AND', 'OR', 'NOT', '{name}: x', "'; DROP TABLE assets; --", '\\', '%', '_', 'sunset"', '   ', 'a'.repeat(300)];
    for (const q of nasty) {
      const res = await anna.get(`/search?q=${encodeURIComponent(q)}`);
      expect(res.status, q).toBe(200);
      expect(await res.text(), q).toContain('id="search-results"');
    }
    expect(await (await anna.get(`/search?q=${encodeURIComponent('"foo* OR (bar')}`)).text()).toContain('Nothing found');
    expect(await found(anna, `q=${encodeURIComponent('name:sunset')}`)).toEqual([]);
    expect(await found(anna, `q=${encodeURIComponent('"sunset')}`)).toContain(id['sunset.jpg']);
  });

  it('turns each word into a quoted prefix term', () => {
    expect(toMatchExpression('"foo* OR (bar')).toBe('"""foo*"* "OR"* "(bar"*');
    expect(toMatchExpression('  ( ) * ')).toBeUndefined();
    expect(toMatchExpression('sun beach')).toBe('"sun"* "beach"*');
  });
});

describe('filters', () => {
  it('shows only the form for an empty query', async () => {
    const html = await (await anna.get('/search')).text();
    expect(html).toContain('name="q"');
    expect(html).toContain('Type a word');
    expect(html).not.toContain('org-tile');
  });

  it('filters by date range on the wall clock where the photo was taken', async () => {
    expect(new Set(await found(anna, 'from=2020-01-01&to=2020-12-31'))).toEqual(new Set([id['beach.jpg'], id['family.jpg']]));
    // 1 January 2021, 01:00 at UTC+05:00 is still 2020 in UTC, but its day is 1 January.
    expect(await found(anna, 'from=2021-01-01&to=2021-01-01')).toEqual([id['newyear.jpg']]);
    expect(await found(anna, 'to=2020-12-31')).not.toContain(id['newyear.jpg']);
    const bad = await (await anna.get('/search?from=31.12.2020&q=sunset')).text();
    expect(bad).toContain('The from date was left out');
  });

  it('filters by kind, favourite and camera, and the filters combine', async () => {
    expect(await found(anna, 'kind=video')).toEqual([id['clip.jpg']]);
    expect(await found(anna, 'kind=photo&q=clip')).toEqual([]);
    expect(await found(anna, 'favorite=1')).toEqual([id['family.jpg']]);
    expect(await found(anna, `camera=${encodeURIComponent('Canon EOS R6')}`)).toEqual([id['sunset.jpg']]);
    expect(await found(anna, `camera=${encodeURIComponent('Google Pixel 7')}&q=sunset`)).toEqual([id['beach.jpg']]);
    expect(await found(anna, `camera=${encodeURIComponent('Google Pixel 7')}&favorite=1&from=2020-06-01`)).toEqual([id['family.jpg']]);
    expect(await found(anna, `camera=${encodeURIComponent('Nikon D750')}`)).toEqual([]);
  });

  it("lists the cameras of the user's own library", async () => {
    const html = await (await anna.get('/search')).text();
    const cameras = [...html.matchAll(/<option value="([^"]+)"(?: selected="")?>/g)].map((m) => m[1]).filter((c) => !['photo', 'video'].includes(c!));
    expect(cameras).toEqual(['Canon EOS R6', 'Google Pixel 7']);
  });
});

describe('search as you type', () => {
  it('answers htmx with the results part only', async () => {
    const res = await anna.get('/search?q=beach', { 'hx-request': 'true', 'hx-target': 'div#search-results' });
    const html = await res.text();
    expect(html.startsWith('<div id="search-results"')).toBe(true);
    expect(html).not.toContain('<html');
    expect(html).toContain(`data-id="${id['beach.jpg']}"`);
    expect(html).toContain('value="/search?q=beach"');
    expect(res.headers.get('vary')).toContain('HX-Request');
  });

  it('puts the whole page back for a history restore', async () => {
    const html = await (await anna.get('/search?q=beach', { 'hx-request': 'true', 'hx-history-restore-request': 'true' })).text();
    expect(html).toContain('<html');
  });
});

describe('signed out while typing', () => {
  it('sends htmx to the sign-in page instead of swapping it into the results', async () => {
    const anon = new WebClient(server.url);
    const res = await anon.get('/search?q=beach&from=', { 'hx-request': 'true' });
    expect(res.status).toBe(200);
    expect(res.headers.get('hx-redirect')).toBe(`/login?next=${encodeURIComponent('/search?q=beach')}`);
    expect(await res.text()).toBe('');
    expect((await anon.get('/search?q=beach')).status).toBe(303);
  });
});
