import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateOrientation } from '../server/library/edits.service.js';
import { closeMedia } from '../server/media/previews.js';
import { createUser } from '../server/users/users.service.js';
import { makeFixtureDir, makeJpeg, removeFixtureDir } from './fixtures/index.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

/** Editing date and zone, description and location: every edit keeps a version; revert is an edit too. */

let v: TestVault;
let dir: string;
let server: Awaited<ReturnType<typeof listen>>;
let anna: WebClient;
let bob: WebClient;
let id: number;
let originalSha: string;

interface Current {
  taken_at: number;
  tz_offset_minutes: number | null;
  taken_at_source: string;
  description: string | null;
  latitude: number | null;
  longitude: number | null;
}
const current = () =>
  v.ctx.db.$client
    .prepare('SELECT a.taken_at, a.tz_offset_minutes, a.taken_at_source, m.description, m.latitude, m.longitude FROM assets a JOIN asset_metadata m ON m.asset_id = a.id WHERE a.id = ?')
    .get(id) as Current;
const versionRows = () => v.ctx.db.$client.prepare('SELECT id, previous, next FROM asset_versions WHERE asset_id = ? ORDER BY id').all(id) as { id: number; previous: string; next: string }[];
const blobSha = () => (v.ctx.db.$client.prepare('SELECT b.plain_sha256 AS s FROM assets a JOIN blobs b ON b.id = a.original_blob_id WHERE a.id = ?').get(id) as { s: string }).s;

/** The edit form as the page renders it, so a test changes only what it means to. */
async function formOf(web: WebClient): Promise<Record<string, string>> {
  const html = await (await web.get(`/items/${id}/edit`)).text();
  const value = (name: string) => new RegExp(`name="${name}"[^>]*value="([^"]*)"`).exec(html)?.[1] ?? '';
  const tz = /<option value="(-?\d*)" selected/.exec(html)?.[1] ?? '';
  const description = /<textarea[^>]*name="description"[^>]*>([^<]*)<\/textarea>/.exec(html)?.[1] ?? '';
  return { date: value('date'), time: value('time'), tz, description, latitude: value('latitude'), longitude: value('longitude'), base: value('base') };
}

beforeAll(async () => {
  v = await openTestVault();
  await createUser(v.ctx.db, { username: 'bob', role: 'member', password: TEST_PASSWORD });
  dir = await makeFixtureDir('heirloom-edits-');
  const file = await makeJpeg(path.join(dir, 'beach.jpg'), { exif: { DateTimeOriginal: '2021:07:04 20:30:00', OffsetTimeOriginal: '+02:00', ImageDescription: 'At the beach' } });
  id = ((await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: file, originalName: 'beach.jpg' })) as { assetId: number }).assetId;
  originalSha = blobSha();
  server = await listen(v.ctx);
  anna = new WebClient(server.url);
  await anna.signIn('anna', TEST_PASSWORD);
  bob = new WebClient(server.url);
  await bob.signIn('bob', TEST_PASSWORD);
});

afterAll(async () => {
  await server?.close();
  await closeMedia();
  await v?.cleanup();
  await removeFixtureDir(dir);
});

describe('the edit form', () => {
  it('shows the wall-clock date and time where it was taken, with its zone', async () => {
    const form = await formOf(anna);
    expect(form).toMatchObject({ date: '2021-07-04', time: '20:30:00', tz: '120', base: '0', latitude: '', longitude: '' });
    expect(current().taken_at).toBe(Date.UTC(2021, 6, 4, 18, 30));
  });

  it('saves date, zone, description and location in one edit, keeping the previous values as a version', async () => {
    const before = current();
    const form = await formOf(anna);
    const res = await anna.post(`/items/${id}/edit`, { ...form, date: '2021-07-05', time: '09:15:00', tz: '-300', description: 'Sunrise at the lake', latitude: '46.5197', longitude: '6.6323' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/items/${id}/history?saved=1`);
    const after = current();
    expect(after).toEqual({
      taken_at: Date.UTC(2021, 6, 5, 14, 15),
      tz_offset_minutes: -300,
      taken_at_source: 'edit',
      description: 'Sunrise at the lake',
      latitude: 46.5197,
      longitude: 6.6323,
    });
    const [version] = versionRows();
    expect(JSON.parse(version!.previous)).toEqual({
      takenAt: before.taken_at,
      tzOffsetMinutes: 120,
      takenAtSource: before.taken_at_source,
      description: before.description,
      latitude: null,
      longitude: null,
    });
    expect(JSON.parse(version!.next)).toEqual({ takenAt: after.taken_at, tzOffsetMinutes: -300, takenAtSource: 'edit', description: 'Sunrise at the lake', latitude: 46.5197, longitude: 6.6323 });
    // The search index follows the description.
    const hit = v.ctx.db.$client.prepare("SELECT rowid FROM asset_search WHERE asset_search MATCH '\"sunrise\"*'").all();
    expect(hit).toEqual([{ rowid: id }]);
    expect(blobSha()).toBe(originalSha);
  });

  it('lists the versions with what changed, and records nothing when nothing changed', async () => {
    const page = await (await anna.get(`/items/${id}/history?saved=1`)).text();
    expect(page).toContain('Saved. The previous values are kept below.');
    expect(page).toContain('“At the beach”');
    expect(page).toContain('“Sunrise at the lake”');
    expect(page).toContain('46.5197, 6.6323');
    expect(page).toContain('Revert this change');
    const res = await anna.post(`/items/${id}/edit`, await formOf(anna));
    expect(res.headers.get('location')).toBe(`/items/${id}/history?saved=0`);
    expect(versionRows()).toHaveLength(1);
  });

  it('refuses bad values with 422, showing what was typed, and changes nothing', async () => {
    const before = current();
    const form = await formOf(anna);
    const bads: Record<string, string>[] = [{ latitude: '100', longitude: '1' }, { latitude: '45', longitude: '' }, { date: '2021-02-30' }, { time: '25:00' }, { tz: '61' }, { date: 'yesterday' }, { description: 'x'.repeat(2001) }];
    for (const bad of bads) {
      const res = await anna.post(`/items/${id}/edit`, { ...form, ...bad });
      expect(res.status, JSON.stringify(bad)).toBe(422);
      const html = await res.text();
      expect(html).toContain('role="alert"');
    }
    const res = await anna.post(`/items/${id}/edit`, { ...form, latitude: '100', longitude: '1' });
    expect(await res.text()).toContain('value="100"');
    expect(current()).toEqual(before);
    expect(versionRows()).toHaveLength(1);
  });

  it('notices an edit made on another device since the form was loaded (409) and shows the values now', async () => {
    const stale = await formOf(anna);
    await anna.post(`/items/${id}/edit`, { ...stale, description: 'Changed on the phone' });
    const res = await anna.post(`/items/${id}/edit`, { ...stale, description: 'Typed on the laptop' });
    expect(res.status).toBe(409);
    const html = await res.text();
    expect(html).toContain('changed on another device');
    expect(html).toContain('Changed on the phone');
    expect(current().description).toBe('Changed on the phone');
  });

  it('keeps the milliseconds of the time when only the description changes', async () => {
    v.ctx.db.$client.prepare('UPDATE assets SET taken_at = taken_at + 123 WHERE id = ?').run(id);
    const before = current().taken_at;
    await anna.post(`/items/${id}/edit`, { ...(await formOf(anna)), description: 'Milliseconds kept' });
    expect(current().taken_at).toBe(before);
    expect(JSON.parse(versionRows().at(-1)!.next)).toEqual({ description: 'Milliseconds kept' });
  });
});

describe('revert', () => {
  it('puts back the values a version replaced, as a new version that can itself be reverted', async () => {
    const first = versionRows()[0]!;
    const previous = JSON.parse(first.previous) as Record<string, unknown>;
    const countBefore = versionRows().length;
    const res = await anna.post(`/items/${id}/versions/${first.id}/revert`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/items/${id}/history?reverted=1`);
    const now = current();
    expect(now.tz_offset_minutes).toBe(previous.tzOffsetMinutes);
    expect(now.taken_at).toBe(previous.takenAt);
    expect(now.taken_at_source).toBe(previous.takenAtSource);
    expect(now.description).toBe(previous.description);
    expect(now.latitude).toBeNull();
    expect(now.longitude).toBeNull();
    const rows = versionRows();
    expect(rows).toHaveLength(countBefore + 1);
    // Revert the revert: the edit's values come back.
    const revert = rows.at(-1)!;
    await anna.post(`/items/${id}/versions/${revert.id}/revert`);
    expect(current()).toMatchObject({ tz_offset_minutes: -300, latitude: 46.5197, longitude: 6.6323, description: 'Milliseconds kept' });
    expect(blobSha()).toBe(originalSha);
  });

  it("is the owner's alone, and a version of another item is not found", async () => {
    const vid = versionRows()[0]!.id;
    expect((await bob.post(`/items/${id}/versions/${vid}/revert`)).status).toBe(404);
    expect((await bob.get(`/items/${id}/history`)).status).toBe(404);
    expect((await bob.get(`/items/${id}/edit`)).status).toBe(404);
    expect((await bob.post(`/items/${id}/edit`, { description: 'bob was here' })).status).toBe(404);
    expect((await anna.post(`/items/${id}/versions/999999/revert`)).status).toBe(404);
    expect(current().description).not.toBe('bob was here');
  });

  it('refuses to edit an item in the trash (410)', async () => {
    await anna.post(`/items/${id}/trash`);
    expect((await anna.get(`/items/${id}/edit`)).status).toBe(410);
    expect((await anna.post(`/items/${id}/edit`, { date: '2020-01-01', time: '10:00', tz: '', description: '', latitude: '', longitude: '' })).status).toBe(410);
    expect((await anna.post(`/items/${id}/versions/${versionRows()[0]!.id}/revert`)).status).toBe(410);
    const history = await anna.get(`/items/${id}/history`);
    expect(history.status).toBe(200);
    expect(await history.text()).not.toContain('Revert this change');
    await anna.post(`/items/${id}/restore`);
  });
});

describe('orientation arithmetic', () => {
  it('turns every EXIF orientation a quarter either way, and four quarters come back', () => {
    expect(rotateOrientation(null, 'cw')).toBe(6);
    expect(rotateOrientation(6, 'cw')).toBe(3);
    expect(rotateOrientation(3, 'cw')).toBe(8);
    expect(rotateOrientation(8, 'cw')).toBe(1);
    expect(rotateOrientation(2, 'cw')).toBe(7);
    for (let o = 1; o <= 8; o++) {
      let x = o;
      for (let i = 0; i < 4; i++) x = rotateOrientation(x, 'cw');
      expect(x).toBe(o);
      expect(rotateOrientation(rotateOrientation(o, 'cw'), 'ccw')).toBe(o);
    }
  });
});
