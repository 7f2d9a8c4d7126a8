import path from 'node:path';
import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { jobs } from '../server/jobs/jobs.table.js';
import { closeMedia } from '../server/media/previews.js';
import { PLACES_JOB } from '../server/places/places.service.js';
import { makeFixtureDir, makeJpeg, removeFixtureDir, type FixtureExif } from './fixtures/index.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

/** Where photos were taken, named offline from their GPS: stored, searched, shown, edited and filled in for older items. */

let v: TestVault;
let dir: string;
let server: Awaited<ReturnType<typeof listen>>;
let anna: WebClient;
let seed = 0;

const EIFFEL_TOWER = { lat: 48.8584, lon: 2.2945 };
const MID_ATLANTIC = { lat: 30, lon: -40 };
const LISBON = { lat: 38.7107, lon: -9.1366 };

async function add(name: string, exif: FixtureExif = {}): Promise<number> {
  seed++;
  const file = await makeJpeg(path.join(dir, `${seed}-${name}`), { seed, width: 320, height: 240, exif: { DateTimeOriginal: '2023:06:01 12:00:00', ...exif } });
  const { assetId } = (await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: file, originalName: name })) as { assetId: number };
  // The places job queued as it was stored.
  await v.ctx.background.runner.drain();
  return assetId;
}

const placeOf = (id: number) => (v.ctx.db.$client.prepare('SELECT place FROM asset_metadata WHERE asset_id = ?').get(id) as { place: string | null }).place;

/** The item ids a search lists. */
async function found(q: string): Promise<number[]> {
  const res = await anna.get(`/search?q=${encodeURIComponent(q)}`);
  expect(res.status, q).toBe(200);
  return [...(await res.text()).matchAll(/<li class="org-tile" data-id="(\d+)"/g)].map((m) => Number(m[1]));
}

async function editLocation(id: number, latitude: string, longitude: string): Promise<void> {
  const html = await (await anna.get(`/items/${id}/edit`)).text();
  const value = (name: string) => new RegExp(`name="${name}"[^>]*value="([^"]*)"`).exec(html)?.[1] ?? '';
  const tz = /<option value="(-?\d*)" selected/.exec(html)?.[1] ?? '';
  const description = /<textarea[^>]*name="description"[^>]*>([^<]*)<\/textarea>/.exec(html)?.[1] ?? '';
  const res = await anna.post(`/items/${id}/edit`, { date: value('date'), time: value('time'), tz, description, latitude, longitude, base: value('base') });
  expect(res.status).toBe(303);
}

beforeAll(async () => {
  v = await openTestVault();
  dir = await makeFixtureDir('heirloom-places-');
  server = await listen(v.ctx);
  anna = new WebClient(server.url);
  await anna.signIn('anna', TEST_PASSWORD);
});

afterAll(async () => {
  await server?.close();
  await closeMedia();
  await v?.cleanup();
  await removeFixtureDir(dir);
});

describe('a new item’s place', () => {
  it('is named from its GPS once stored, and found by town and by country', async () => {
    const id = await add('tower.jpg', { GPS: EIFFEL_TOWER });
    expect(placeOf(id)).toBe('Paris, France');
    expect(await found('paris')).toEqual([id]);
    expect(await found('France')).toEqual([id]);
    expect(await found('par')).toEqual([id]);
  });

  it('is shown in the info panel beside the coordinates', async () => {
    const id = await add('tower-again.jpg', { GPS: EIFFEL_TOWER });
    const html = await (await anna.get(`/items/${id}`)).text();
    expect(html).toMatch(/Paris, France · 48\.8584\d*, 2\.2945/);
  });

  it('is nothing out at sea, and nothing without a location', async () => {
    const sea = await add('atlantic.jpg', { GPS: MID_ATLANTIC });
    const none = await add('indoors.jpg');
    expect(placeOf(sea)).toBe('');
    expect(placeOf(none)).toBeNull();
    const html = await (await anna.get(`/items/${sea}`)).text();
    expect(html).not.toContain(' · 30, -40');
  });

  it('keeps FTS syntax the user types as plain text', async () => {
    for (const q of ['place:paris', 'paris"', '"paris', 'paris*', 'NEAR(paris france)', 'paris OR', '(paris', '-paris', '^paris', 'paris AND NOT']) {
      await found(q);
    }
  });
});

describe('an edit of the location', () => {
  it('names the place anew and the search follows; removing the location removes the place', async () => {
    const id = await add('moved.jpg', { GPS: EIFFEL_TOWER });
    await editLocation(id, String(LISBON.lat), String(LISBON.lon));
    expect(placeOf(id)).toBe('Lisbon, Portugal');
    expect(await found('lisbon')).toEqual([id]);
    expect(await found('portugal')).toEqual([id]);
    expect(await found('paris')).not.toContain(id);
    // The version keeps the location, not the place, which follows it.
    const version = v.ctx.db.$client.prepare('SELECT previous, next FROM asset_versions WHERE asset_id = ?').get(id) as { previous: string; next: string };
    expect(JSON.parse(version.next)).toEqual({ latitude: LISBON.lat, longitude: LISBON.lon });

    await editLocation(id, '', '');
    expect(placeOf(id)).toBeNull();
    expect(await found('lisbon')).not.toContain(id);
  });
});

describe('items stored before places were named', () => {
  it('are named by the places job queued when the server starts', async () => {
    const old = await add('older.jpg', { GPS: LISBON });
    const oldAtSea = await add('older-at-sea.jpg', { GPS: MID_ATLANTIC });
    v.ctx.db.$client.prepare('UPDATE asset_metadata SET place = NULL').run();
    expect(await found('lisbon')).toEqual([]);

    v.ctx.background.start();
    // The newest: earlier ones ran as the items above were stored.
    const job = () => v.ctx.db.select().from(jobs).where(eq(jobs.kind, PLACES_JOB)).orderBy(desc(jobs.id)).get();
    await vi.waitFor(() => expect(job()?.state).toBe('done'), { timeout: 20_000 });
    expect(placeOf(old)).toBe('Lisbon, Portugal');
    expect(placeOf(oldAtSea)).toBe('');
    expect(await found('lisbon')).toEqual([old]);
    expect(await found('paris')).toHaveLength(2);
    expect(v.ctx.background.places.waiting()).toBe(false);
  });
});
