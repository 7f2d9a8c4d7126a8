import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoriesOn, memoriesQuery } from '../server/search/memories.js';
import { ownCameras } from '../server/search/search.repo.js';
import { SearchService, parseSearchQuery } from '../server/search/search.service.js';
import { listCollection } from '../server/library/organise.repo.js';
import { createUser } from '../server/users/users.service.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';

/**
 * Memories and search on large libraries: 10 000 and 100 000 items (rows inserted directly, with their
 * metadata, so the FTS triggers index them as ingest would). Prints the measured times; asserts the
 * memories query walks the (owner_id, taken_at) index by range instead of scanning the library.
 */

let v: TestVault;
const owners = { small: 0, large: 0 };
const SIZES = { small: 10_000, large: 100_000 };
const WORDS = ['lake', 'birthday', 'garden', 'snow', 'beach', 'grandma', 'picnic', 'school', 'forest', 'harbour', 'wedding', 'market', 'bridge', 'castle', 'dog', 'cat'];
const CAMERAS: [string, string][] = [
  ['Canon', 'Canon EOS R6'],
  ['Apple', 'iPhone 13'],
  ['Google', 'Pixel 7'],
  ['NIKON CORPORATION', 'NIKON D750'],
  ['SONY', 'ILCE-7M3'],
];

function fill(ownerId: number, count: number): void {
  const db = v.ctx.db.$client;
  const blob = db.prepare("INSERT INTO blobs (id, kind, cipher_size, cipher_sha256, plain_size, plain_sha256, key_version, wrapped_dek) VALUES (?, 'original', 1, '', 1, '', 1, x'00')");
  const asset = db.prepare(
    `INSERT INTO assets (owner_id, original_blob_id, sha256, kind, mime, original_name, file_size, taken_at, tz_offset_minutes, taken_at_source, thumb_blob_id, favorite)
     VALUES (?, ?, ?, ?, 'image/jpeg', ?, 1000, ?, ?, 'test', ?, ?) RETURNING id`,
  );
  const meta = db.prepare('INSERT INTO asset_metadata (asset_id, make, model, description, keywords) VALUES (?, ?, ?, ?, ?)');
  const start = Date.UTC(2000, 0, 1);
  const span = Date.UTC(2024, 11, 31) - start;
  let x = ownerId * 7919;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const id = randomBytes(16).toString('hex');
      blob.run(id);
      const word = WORDS[Math.floor(rnd() * WORDS.length)]!;
      const [make, model] = CAMERAS[Math.floor(rnd() * CAMERAS.length)]!;
      const { id: assetId } = asset.get(ownerId, id, randomBytes(32).toString('hex'), rnd() < 0.1 ? 'video' : 'photo', `IMG_${i}_${word}.jpg`, start + Math.floor(rnd() * span), rnd() < 0.8 ? 60 : null, id, rnd() < 0.05 ? 1 : 0) as { id: number };
      meta.run(assetId, make, model, rnd() < 0.3 ? `A day at the ${WORDS[Math.floor(rnd() * WORDS.length)]} with ${word}` : null, JSON.stringify(rnd() < 0.2 ? [word, 'family'] : []));
    }
  })();
}

/** Median of `runs` timings in milliseconds (after one warm-up). */
function time(fn: () => unknown, runs = 15): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const fmt = (ms: number) => `${ms.toFixed(2)} ms`;

beforeAll(async () => {
  v = await openTestVault();
  owners.small = v.ownerId;
  owners.large = (await createUser(v.ctx.db, { username: 'bob', role: 'member', password: TEST_PASSWORD })).id;
  const t = Date.now();
  fill(owners.small, SIZES.small);
  fill(owners.large, SIZES.large);
  v.ctx.db.$client.exec('ANALYZE');
  console.log(`inserted ${SIZES.small + SIZES.large} items with metadata in ${Date.now() - t} ms`);
}, 300_000);

afterAll(async () => {
  await v?.cleanup();
});

const actor = (id: number) => ({ user: v.ctx.db.$client.prepare('SELECT * FROM users WHERE id = ?').get(id) as never, via: { kind: 'session' as const, sessionId: 0 } });

describe('memories at 10k and 100k items', () => {
  it('uses one index range per year, not a scan of the library', () => {
    const query = memoriesQuery(v.ctx.db, owners.large, new Date(2025, 6, 4))!;
    const { sql, params } = query.toSQL();
    const plan = (v.ctx.db.$client.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail);
    console.log(`memories plan:\n  ${plan.join('\n  ')}`);
    expect(plan.some((d) => /SEARCH (a|assets).*USING INDEX assets_(timeline|owner_taken) \(owner_id=\? AND taken_at>\? AND taken_at<\?\)/.test(d))).toBe(true);
    expect(plan.some((d) => /SCAN (a|assets)\b/.test(d))).toBe(false);
  });

  it('stays fast as the library grows (prints the numbers)', () => {
    const now = new Date(2025, 6, 4, 12);
    const small = time(() => memoriesOn(v.ctx.db, owners.small, now));
    const large = time(() => memoriesOn(v.ctx.db, owners.large, now));
    const found = memoriesOn(v.ctx.db, owners.large, now).reduce((n, y) => n + y.items.length + y.more, 0);
    // The obvious query, for comparison: the day of every item computed and compared.
    const naive = time(() =>
      v.ctx.db.$client
        .prepare("SELECT id FROM assets WHERE owner_id = ? AND trashed_at IS NULL AND archived_at IS NULL AND strftime('%m-%d', (taken_at + coalesce(tz_offset_minutes, 0) * 60000) / 1000, 'unixepoch') = '07-04'")
        .all(owners.large),
    );
    console.log(`memories: 10k items ${fmt(small)}, 100k items ${fmt(large)} (ratio ${(large / small).toFixed(2)}, ${found} matches); full-scan query at 100k: ${fmt(naive)}`);
    expect(large).toBeLessThan(50);
    expect(large).toBeLessThan(naive);
  });
});

describe('search at 10k and 100k items', () => {
  it('answers a word, a rare word, a prefix and filters quickly (prints the numbers)', () => {
    const search = new SearchService({ db: v.ctx.db });
    const cases: Record<string, string>[] = [
      { q: 'grandma' },
      { q: 'IMG_4242' },
      { q: 'gr' },
      { q: 'beach', camera: 'Canon EOS R6' },
      { q: 'lake', from: '2010-01-01', to: '2012-12-31', kind: 'photo' },
      { camera: 'Pixel', favorite: '1' },
      { from: '2015-06-01', to: '2015-06-30' },
      { q: '"foo* OR (bar' },
    ];
    const lines: string[] = [];
    let worst = 0;
    for (const params of cases) {
      const { query } = parseSearchQuery(params);
      const small = time(() => search.search(actor(owners.small), query), 7);
      const large = time(() => search.search(actor(owners.large), query), 7);
      const hits = search.search(actor(owners.large), query).hits.length;
      worst = Math.max(worst, large);
      lines.push(`  ${JSON.stringify(params)}: 10k ${fmt(small)}, 100k ${fmt(large)} (${hits} shown)`);
    }
    const uncached = time(() => ownCameras(v.ctx.db, owners.large), 5);
    const cached = time(() => search.cameras(actor(owners.large)), 5);
    lines.push(`  camera list at 100k: built ${fmt(uncached)}, cached (with its freshness check) ${fmt(cached)}`);
    console.log(`search:\n${lines.join('\n')}`);
    expect(worst).toBeLessThan(500);
  });
});

describe('collection pages at 10k and 100k items', () => {
  it('lists favourites, archive and trash quickly (prints the numbers)', () => {
    const db = v.ctx.db.$client;
    db.prepare('UPDATE assets SET archived_at = 1 WHERE id % 700 = 0').run();
    db.prepare('UPDATE assets SET trashed_at = ? WHERE id % 900 = 0').run(Date.now());
    const lines: string[] = [];
    let worst = 0;
    for (const kind of ['favorites', 'archive', 'trash'] as const) {
      const small = time(() => listCollection(v.ctx.db, owners.small, kind, 241), 7);
      const large = time(() => listCollection(v.ctx.db, owners.large, kind, 241), 7);
      worst = Math.max(worst, large);
      lines.push(`  ${kind}: 10k ${fmt(small)}, 100k ${fmt(large)} (${listCollection(v.ctx.db, owners.large, kind, 241).length} on the first page)`);
    }
    console.log(`collections:\n${lines.join('\n')}`);
    expect(worst).toBeLessThan(500);
  });
});
