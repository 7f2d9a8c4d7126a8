import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Actor } from '../server/auth/actor.js';
import { loadConfig } from '../server/config.js';
import { openContext, type Context } from '../server/context.js';
import type { Db } from '../server/db/client.js';
import { listCollection, type CollectionKind } from '../server/library/organise.repo.js';
import { createLogger } from '../server/log.js';
import { memoriesOn } from '../server/search/memories.js';
import { ownCameras } from '../server/search/search.repo.js';
import { SearchService, parseSearchQuery } from '../server/search/search.service.js';
import { createUser } from '../server/users/users.service.js';
import type { User } from '../server/users/users.table.js';
import { Keyring } from '../server/vault/keyring.js';
import { median, row } from './measure.js';

const WORDS = ['lake', 'birthday', 'garden', 'snow', 'beach', 'grandma', 'picnic', 'school', 'forest', 'harbour', 'wedding', 'market', 'bridge', 'castle', 'dog', 'cat'];
const CAMERAS: [string, string][] = [
  ['Canon', 'Canon EOS R6'],
  ['Apple', 'iPhone 13'],
  ['Google', 'Pixel 7'],
  ['NIKON CORPORATION', 'NIKON D750'],
  ['SONY', 'ILCE-7M3'],
];

/**
 * Inserts `count` items with their metadata rows directly (fake blob rows, no files), in one transaction,
 * so the FTS triggers index them as ingest would: names, descriptions and keywords drawn from a few
 * words, five cameras, 2000–2024, about 10 % videos and 5 % favourites; one item in 700 archived and
 * one in 900 trashed. Deterministic per owner id apart from the blob ids. Run ANALYZE afterwards, as
 * the plans measured here assume. Only for tests and benches that measure search.
 */
export function seedSearchLibrary(db: Db, ownerId: number, count: number): void {
  const sqlite = db.$client;
  const blob = sqlite.prepare("INSERT INTO blobs (id, kind, cipher_size, cipher_sha256, plain_size, plain_sha256, key_version, wrapped_dek) VALUES (?, 'original', 1, '', 1, '', 1, x'00')");
  const asset = sqlite.prepare(
    `INSERT INTO assets (owner_id, original_blob_id, sha256, kind, mime, original_name, file_size, taken_at, tz_offset_minutes, taken_at_source, thumb_blob_id, favorite, archived_at, trashed_at)
     VALUES (?, ?, ?, ?, 'image/jpeg', ?, 1000, ?, ?, 'test', ?, ?, ?, ?) RETURNING id`,
  );
  const meta = sqlite.prepare('INSERT INTO asset_metadata (asset_id, make, model, description, keywords) VALUES (?, ?, ?, ?, ?)');
  const start = Date.UTC(2000, 0, 1);
  const span = Date.UTC(2024, 11, 31) - start;
  const now = Date.UTC(2025, 5, 1);
  let x = ownerId * 7919;
  const rnd = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  sqlite.transaction(() => {
    for (let i = 0; i < count; i++) {
      const id = randomBytes(16).toString('hex');
      blob.run(id);
      const word = WORDS[Math.floor(rnd() * WORDS.length)]!;
      const [make, model] = CAMERAS[Math.floor(rnd() * CAMERAS.length)]!;
      const kind = rnd() < 0.1 ? 'video' : 'photo';
      const takenAt = start + Math.floor(rnd() * span);
      const tz = rnd() < 0.8 ? 60 : null;
      const favorite = rnd() < 0.05 ? 1 : 0;
      const archivedAt = i % 700 === 699 ? now : null;
      const trashedAt = i % 900 === 899 ? now : null;
      const { id: assetId } = asset.get(ownerId, id, randomBytes(32).toString('hex'), kind, `IMG_${i}_${word}.jpg`, takenAt, tz, id, favorite, archivedAt, trashedAt) as { id: number };
      meta.run(assetId, make, model, rnd() < 0.3 ? `A day at the ${WORDS[Math.floor(rnd() * WORDS.length)]} with ${word}` : null, JSON.stringify(rnd() < 0.2 ? [word, 'family'] : []));
    }
  })();
}

async function openBenchVault(dir: string): Promise<{ ctx: Context; owner: User }> {
  const keyFile = path.join(dir, 'master.key');
  await Keyring.generate().save(keyFile);
  const ctx = await openContext(loadConfig({ HEIRLOOM_DATA_DIR: path.join(dir, 'data'), HEIRLOOM_KEY_FILE: keyFile }), createLogger('silent'));
  const owner = await createUser(ctx.db, { username: 'bench', role: 'member', password: 'bench password 1' });
  return { ctx, owner };
}

/** One call, in milliseconds. */
function callTime(fn: () => unknown): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Time of the same call against the small and the large library. The two are measured in alternating
 * rounds, so a change in what else the machine does hits both alike; each keeps the median of its least
 * disturbed round (as timeline.bench.ts does for requests). A round holds as many calls as fit in about
 * a quarter of a second of the slower side (3 to 25), so slow queries do not stretch the run.
 */
function pairTime(small: () => unknown, large: () => unknown, rounds = 7): [number, number] {
  const slowest = Math.max(callTime(small), callTime(large));
  const perRound = Math.min(25, Math.max(3, Math.ceil(250 / slowest)));
  const round = (fn: () => unknown) => median(Array.from({ length: perRound }, () => callTime(fn)));
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < rounds; r++) {
    a.push(round(small));
    b.push(round(large));
  }
  return [Math.min(...a), Math.min(...b)];
}

interface Library {
  ctx: Context;
  ownerId: number;
  actor: Actor;
  search: SearchService;
}

/** Memories, search, collection pages and the camera list in a library of 10 000 and of 100 000 items (with metadata). */
export async function benchSearch(): Promise<void> {
  const dirs = [await mkdtemp(path.join(os.tmpdir(), 'heirloom-bench-search-')), await mkdtemp(path.join(os.tmpdir(), 'heirloom-bench-search-'))];
  const opened: Context[] = [];
  try {
    // Two libraries in two data dirs, as two households would have them.
    const libraries: Library[] = [];
    for (const [i, count] of [10_000, 100_000].entries()) {
      const { ctx, owner } = await openBenchVault(dirs[i]!);
      opened.push(ctx);
      seedSearchLibrary(ctx.db, owner.id, count);
      ctx.db.$client.exec('ANALYZE');
      libraries.push({ ctx, ownerId: owner.id, actor: { user: owner, via: { kind: 'session', sessionId: 0 } }, search: new SearchService({ db: ctx.db }) });
    }
    const [small, large] = libraries as [Library, Library];
    const ms = (x: number) => `${x.toFixed(2)} ms`;
    const report = (label: string, fn: (lib: Library) => unknown) => {
      const [a, b] = pairTime(() => fn(small), () => fn(large));
      row(label, ms(b), ms(a), b / a);
    };

    const now = new Date(2025, 6, 4, 12);
    const found = (lib: Library) => memoriesOn(lib.ctx.db, lib.ownerId, now).reduce((n, y) => n + y.items.length + y.more, 0);
    console.log('Memories, search and collection pages: 100k items vs 10k (time per call, in-process; (n/m) = results at 100k/10k)');
    report(`memories (${found(large)}/${found(small)})`, (l) => memoriesOn(l.ctx.db, l.ownerId, now));
    // The obvious query, for comparison: the day of every item computed and compared.
    const naive = large.ctx.db.$client.prepare(
      "SELECT id FROM assets WHERE owner_id = ? AND trashed_at IS NULL AND archived_at IS NULL AND strftime('%m-%d', (taken_at + coalesce(tz_offset_minutes, 0) * 60000) / 1000, 'unixepoch') = '07-04'",
    );
    const [memories, scan] = pairTime(() => memoriesOn(large.ctx.db, large.ownerId, now), () => naive.all(large.ownerId), 3);
    row('full-scan query vs memories, 100k', ms(scan), ms(memories), scan / memories, '> 1.00');

    const cases: [string, Record<string, string>][] = [
      ['search word', { q: 'grandma' }],
      ['search prefix', { q: 'gr' }],
      ['search rare word', { q: 'IMG_4242' }],
      ['search word + camera', { q: 'beach', camera: 'Canon EOS R6' }],
      ['search word, dates, kind', { q: 'lake', from: '2010-01-01', to: '2012-12-31', kind: 'photo' }],
      ['search camera, favourite', { camera: 'Google Pixel 7', favorite: '1' }],
      ['search one month', { from: '2015-06-01', to: '2015-06-30' }],
    ];
    for (const [label, params] of cases) {
      const { query } = parseSearchQuery(params);
      const shown = (lib: Library) => lib.search.search(lib.actor, query).hits.length;
      report(`${label} (${shown(large)}/${shown(small)})`, (l) => l.search.search(l.actor, query));
    }
    report('camera list, built', (l) => ownCameras(l.ctx.db, l.ownerId));
    report('camera list, cached + fresh check', (l) => l.search.cameras(l.actor));

    const kinds: [string, CollectionKind][] = [
      ['favourites', 'favorites'],
      ['archive', 'archive'],
      ['trash', 'trash'],
    ];
    for (const [label, kind] of kinds) {
      const first = (lib: Library) => listCollection(lib.ctx.db, lib.ownerId, kind, 241).length;
      report(`${label}, first page (${first(large)}/${first(small)})`, (l) => listCollection(l.ctx.db, l.ownerId, kind, 241));
    }
  } finally {
    for (const ctx of opened) await ctx.close();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }
}
