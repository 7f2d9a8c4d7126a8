import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { memoriesOn } from '../server/search/memories.js';
import { createUser } from '../server/users/users.service.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

/** "On this day": the same wall-clock day in earlier years, grouped by year; the /memories fragment. */

let v: TestVault;
let bobId: number;
let server: Awaited<ReturnType<typeof listen>>;

/** Inserts an asset row (and its blob row) directly: the memories query reads only these columns. */
function insert(ownerId: number, wall: { y: number; m: number; d: number; h?: number; min?: number }, tz: number | null, extra: { trashed?: boolean; archived?: boolean; noThumb?: boolean; name?: string } = {}): number {
  const blobId = randomBytes(16).toString('hex');
  const db = v.ctx.db.$client;
  db.prepare("INSERT INTO blobs (id, kind, cipher_size, cipher_sha256, plain_size, plain_sha256, key_version, wrapped_dek) VALUES (?, 'original', 1, ?, 1, ?, 1, x'00')").run(blobId, '0'.repeat(64), '0'.repeat(64));
  const takenAt = Date.UTC(wall.y, wall.m - 1, wall.d, wall.h ?? 12, wall.min ?? 0) - (tz ?? 0) * 60_000;
  const { id } = db
    .prepare(
      `INSERT INTO assets (owner_id, original_blob_id, sha256, kind, mime, original_name, file_size, taken_at, tz_offset_minutes, taken_at_source, thumb_blob_id, trashed_at, archived_at)
       VALUES (?, ?, ?, 'photo', 'image/jpeg', ?, 1, ?, ?, 'test', ?, ?, ?) RETURNING id`,
    )
    .get(ownerId, blobId, randomBytes(32).toString('hex'), extra.name ?? `${blobId}.jpg`, takenAt, tz, extra.noThumb ? null : blobId, extra.trashed ? Date.now() : null, extra.archived ? Date.now() : null) as { id: number };
  return id;
}

beforeAll(async () => {
  v = await openTestVault();
  bobId = (await createUser(v.ctx.db, { username: 'bob', role: 'member', password: TEST_PASSWORD })).id;
  await createUser(v.ctx.db, { username: 'oma', role: 'viewer', password: TEST_PASSWORD });
  server = await listen(v.ctx);
});

beforeEach(() => {
  v.ctx.db.$client.exec('DELETE FROM assets; DELETE FROM blobs;');
});

afterAll(async () => {
  await server?.close();
  await v?.cleanup();
});

describe('memories', () => {
  it("returns earlier years' photos of today's day, on the wall clock where each was taken, newest year first", () => {
    const anna = v.ownerId;
    const now = new Date(2024, 5, 15, 9, 0);
    const lastYear = insert(anna, { y: 2023, m: 6, d: 15 }, null);
    const lateEvening = insert(anna, { y: 2020, m: 6, d: 15, h: 23, min: 30 }, 120);
    const farWest = insert(anna, { y: 2018, m: 6, d: 15, h: 0, min: 30 }, -600);
    const old = insert(anna, { y: 1999, m: 6, d: 15 }, 60);
    // Not that day where they were taken, though the same UTC day (or the other way round).
    insert(anna, { y: 2019, m: 6, d: 16, h: 1 }, 300);
    insert(anna, { y: 2018, m: 6, d: 14, h: 22 }, -300);
    // This year, trashed, archived, no preview, someone else's: none of them.
    insert(anna, { y: 2024, m: 6, d: 15 }, null);
    insert(anna, { y: 2022, m: 6, d: 15 }, null, { trashed: true });
    insert(anna, { y: 2022, m: 6, d: 15 }, null, { archived: true });
    insert(anna, { y: 2017, m: 6, d: 15 }, null, { noThumb: true });
    insert(bobId, { y: 2021, m: 6, d: 15 }, null);

    const years = memoriesOn(v.ctx.db, anna, now);
    expect(years.map((y) => [y.year, y.yearsAgo, y.items.map((i) => i.id)])).toEqual([
      [2023, 1, [lastYear]],
      [2020, 4, [lateEvening]],
      [2018, 6, [farWest]],
      [1999, 25, [old]],
    ]);
    expect(memoriesOn(v.ctx.db, bobId, now).map((y) => y.year)).toEqual([2021]);
    expect(memoriesOn(v.ctx.db, anna, new Date(2024, 5, 17))).toEqual([]);
  });

  it('counts 29 February on 28 February of a year without it', () => {
    const leap = insert(v.ownerId, { y: 2020, m: 2, d: 29 }, null);
    const plain = insert(v.ownerId, { y: 2021, m: 2, d: 28 }, null);
    expect(memoriesOn(v.ctx.db, v.ownerId, new Date(2023, 1, 28, 12)).map((y) => y.items[0]!.id)).toEqual([plain, leap]);
    // In a leap year 28 February is just that day.
    expect(memoriesOn(v.ctx.db, v.ownerId, new Date(2024, 1, 28, 12)).map((y) => y.items[0]!.id)).toEqual([plain]);
    expect(memoriesOn(v.ctx.db, v.ownerId, new Date(2024, 1, 29, 12)).map((y) => y.items[0]!.id)).toEqual([leap]);
  });

  it('shows a dozen per year and counts the rest', () => {
    for (let i = 0; i < 15; i++) insert(v.ownerId, { y: 2010, m: 3, d: 3, h: 8, min: i }, 0);
    const [year] = memoriesOn(v.ctx.db, v.ownerId, new Date(2024, 2, 3, 12));
    expect(year!.items).toHaveLength(12);
    expect(year!.more).toBe(3);
    expect(year!.items.map((i) => i.takenAt.getTime())).toEqual([...year!.items.map((i) => i.takenAt.getTime())].sort((a, b) => a - b));
  });

  it('is an empty list for an empty library', () => {
    expect(memoriesOn(v.ctx.db, v.ownerId, new Date())).toEqual([]);
  });
});

describe('GET /memories', () => {
  it('returns the section as a fragment for the home page to load, and nothing when there is nothing', async () => {
    const today = new Date();
    // Four years back, so 29 February has one too.
    const y = today.getFullYear() - 4;
    insert(v.ownerId, { y, m: today.getMonth() + 1, d: today.getDate() }, null, { name: 'memory.jpg' });
    const anna = new WebClient(server.url);
    await anna.signIn('anna', TEST_PASSWORD);
    const res = await anna.get('/memories', { 'hx-request': 'true' });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toContain('<html');
    expect(html).toContain('On this day');
    expect(html).toContain('4 years ago');
    expect(html).toContain('memory.jpg');
    const oma = new WebClient(server.url);
    await oma.signIn('oma', TEST_PASSWORD);
    const empty = await oma.get('/memories');
    expect(empty.status).toBe(200);
    expect(await empty.text()).toBe('');
  });
});
