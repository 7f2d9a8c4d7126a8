import { fork, type ChildProcess } from 'node:child_process';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rgbaToThumbHash } from 'thumbhash';
import { createApp } from '../server/app.js';
import { SessionService } from '../server/auth/sessions.service.js';
import { loadConfig, type Config } from '../server/config.js';
import { openContext, type Context } from '../server/context.js';
import type { Db } from '../server/db/client.js';
import { timelineMonths } from '../server/library/assets.repo.js';
import { createLogger } from '../server/log.js';
import { createUser } from '../server/users/users.service.js';
import { Keyring } from '../server/vault/keyring.js';
import { makeJpeg } from '../test/fixtures/index.js';
import { median, row } from './measure.js';

/** Shapes the synthetic items cycle through: landscape, portrait, 16:9, square, panorama. */
const SHAPES: [number, number][] = [
  [4000, 3000],
  [3000, 4000],
  [1920, 1080],
  [1080, 1080],
  [4000, 1500],
];
const HOUR = 3_600_000;

/** A real thumbhash (of a small gradient), so the placeholder path runs as it does for real photos. */
const THUMBHASH = (() => {
  const w = 32;
  const h = 24;
  const rgba = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) rgba.set([(i % w) * 8, Math.floor(i / w) * 10, 120, 255], i * 4);
  return Buffer.from(rgbaToThumbHash(w, h, rgba));
})();

export interface SeedOptions {
  ownerId: number;
  count: number;
  /** Index of the first item: a second call with `first` = the first call's count goes on further back in time. */
  first?: number;
  /** Time of item 0; items go back one `spacingMs` each. */
  newest?: number;
  spacingMs?: number;
  /**
   * Real thumbnails and previews (of ingested photos) for the synthetic items to share, in turn, so a
   * browser can load them; without, each item gets fake blob rows with no file behind them.
   */
  media?: SeedMedia[];
}

export interface SeedMedia {
  thumbBlobId: string;
  previewBlobId: string | null;
  thumbhash: Buffer | null;
  width: number | null;
  height: number | null;
}

/**
 * Inserts synthetic timeline rows directly (fake blob rows, no files, no metadata rows), in one
 * transaction: 100 000 take a second or two. Only for tests and benches that measure the timeline.
 */
export function seedTimeline(db: Db, opts: SeedOptions): void {
  const { ownerId, count, first = 0, newest = Date.UTC(2025, 5, 1, 12), spacingMs = 2 * HOUR, media } = opts;
  const sqlite = db.$client;
  const blob = sqlite.prepare(
    `INSERT INTO blobs (id, kind, cipher_size, cipher_sha256, plain_size, plain_sha256, key_version, wrapped_dek) VALUES (?, ?, 1000, ?, 900, ?, 1, ?)`,
  );
  const asset = sqlite.prepare(
    `INSERT INTO assets (owner_id, original_blob_id, sha256, kind, mime, original_name, file_size, taken_at, tz_offset_minutes, taken_at_source, width, height, thumb_blob_id, preview_blob_id, thumbhash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'exif:DateTimeOriginal', ?, ?, ?, ?, ?)`,
  );
  const hash = '0'.repeat(64);
  const dek = Buffer.alloc(60);
  const id = (role: number, i: number) => `${ownerId.toString(16).padStart(6, '0')}${role}${i.toString(16).padStart(25, '0')}`;
  sqlite.transaction(() => {
    for (let i = first; i < first + count; i++) {
      const original = id(1, i);
      blob.run(original, 'original', hash, hash, dek);
      const shared = media?.[i % media.length];
      const [thumb, preview] = shared ? [shared.thumbBlobId, shared.previewBlobId] : [id(2, i), id(3, i)];
      if (!shared) {
        blob.run(thumb, 'thumb', hash, hash, dek);
        blob.run(preview, 'preview', hash, hash, dek);
      }
      const [w, h] = shared ? [shared.width, shared.height] : SHAPES[i % SHAPES.length]!;
      const video = !shared && i % 17 === 0;
      asset.run(
        ownerId,
        original,
        `${ownerId.toString(16)}-${i}`.padStart(64, '0'),
        video ? 'video' : 'photo',
        video ? 'video/mp4' : 'image/jpeg',
        video ? `VID_${i}.mp4` : `IMG_${i}.jpg`,
        2_000_000 + (i % 1000) * 1000,
        newest - i * spacingMs,
        i % 3 === 0 ? null : 120,
        w,
        h,
        thumb,
        preview,
        shared ? shared.thumbhash : THUMBHASH,
      );
    }
  })();
}

async function openBenchVault(dir: string): Promise<{ ctx: Context; config: Config; ownerId: number }> {
  const keyFile = path.join(dir, 'master.key');
  await Keyring.generate().save(keyFile);
  const config = loadConfig({ HEIRLOOM_DATA_DIR: path.join(dir, 'data'), HEIRLOOM_KEY_FILE: keyFile });
  const ctx = await openContext(config, createLogger('silent'));
  const owner = await createUser(ctx.db, { username: 'bench', role: 'member', password: 'bench password 1' });
  return { ctx, config, ownerId: owner.id };
}

/** What @hono/node-server hands the app about the connection, for requests made in-process. */
const LOOPBACK = { incoming: { socket: { remoteAddress: '127.0.0.1', remotePort: 50000, remoteFamily: 'IPv4' } } };

interface Library {
  app: ReturnType<typeof createApp>;
  cookie: string;
  /** `<taken_at>.<id>` of the item in the middle of its timeline. */
  middle: string;
}

/** One request, in-process (middleware, session, queries, render), in milliseconds. */
async function requestTime(lib: Library, url: string, mustContain: string): Promise<number> {
  const start = process.hrtime.bigint();
  const res = await lib.app.request(url, { headers: { cookie: lib.cookie, accept: 'text/html' } }, LOOPBACK);
  const html = await res.text();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (res.status !== 200 || !html.includes(mustContain)) throw new Error(`${url} answered ${res.status} without ${mustContain}`);
  return ms;
}

/**
 * Server time of the same request against the small and the large library. The two are measured in
 * alternating rounds, so a change in what else the machine does hits both alike; each keeps the
 * median of its least disturbed round (as measure.ts's best() does for whole runs).
 */
async function pairTime(small: Library, large: Library, url: (lib: Library) => string, mustContain: string, rounds = 15, perRound = 25): Promise<[number, number]> {
  const round = async (lib: Library) => {
    const times: number[] = [];
    for (let i = 0; i < perRound; i++) times.push(await requestTime(lib, url(lib), mustContain));
    return median(times);
  };
  await round(small);
  await round(large);
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < rounds; r++) {
    a.push(await round(small));
    b.push(await round(large));
  }
  return [Math.min(...a), Math.min(...b)];
}

/** The position of the item in the middle of the owner's timeline (OFFSET is fine here: it is the bench's setup). */
function middleCursor(db: Db, ownerId: number): string {
  const { total } = db.$client.prepare('SELECT count(*) AS total FROM assets WHERE owner_id = ?').get(ownerId) as { total: number };
  const mid = db.$client
    .prepare('SELECT taken_at AS t, id FROM assets WHERE owner_id = ? AND trashed_at IS NULL AND archived_at IS NULL ORDER BY taken_at DESC, id DESC LIMIT 1 OFFSET ?')
    .get(ownerId, Math.floor(total / 2)) as { t: number; id: number };
  return `${mid.t}.${mid.id}`;
}

/** Requests per second for GET url with `concurrency` keep-alive connections, over `seconds`. */
async function load(url: string, headers: Record<string, string>, concurrency: number, seconds: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const get = () =>
    new Promise<void>((resolve, reject) => {
      http
        .get(url, { agent, headers }, (res) => {
          if (res.statusCode !== 200) reject(new Error(`${url} answered ${res.statusCode}`));
          res.on('data', () => {});
          res.on('end', resolve);
          res.on('error', reject);
        })
        .on('error', reject);
    });
  for (let i = 0; i < 50; i++) await get();
  let done = 0;
  const until = Date.now() + seconds * 1000;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) {
        await get();
        done++;
      }
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  agent.destroy();
  return done / elapsed;
}

/**
 * The servers for the thumbnail figure run in a process of their own, so the load generator does
 * not share their event loop: the app on the bench vault, and a bare node:http server answering
 * every request with a readFile of the same (decrypted) thumbnail bytes.
 */
async function serveThumbs(dataDir: string, keyFile: string, plainFile: string): Promise<void> {
  const { serve } = await import('@hono/node-server');
  const ctx = await openContext(loadConfig({ HEIRLOOM_DATA_DIR: dataDir, HEIRLOOM_KEY_FILE: keyFile }), createLogger('silent'));
  let app!: ReturnType<typeof serve>;
  await new Promise<void>((resolve) => {
    app = serve({ fetch: createApp(ctx).fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
  });
  const bare = http.createServer((_req, res) => {
    readFile(plainFile).then(
      (body) => res.writeHead(200, { 'Content-Type': 'image/webp', 'Content-Length': body.length }).end(body),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const port = (s: { address(): unknown }) => (s.address() as { port: number }).port;
  process.send!({ app: port(app), bare: port(bare) });
}

const CHILD_FLAG = '--timeline-thumb-server';
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === CHILD_FLAG) {
  await serveThumbs(process.argv[3]!, process.argv[4]!, process.argv[5]!);
}

async function thumbnailRate(dir: string, ctx: Context, config: Config, ownerId: number, cookie: string): Promise<void> {
  const source = path.join(dir, 'photo.jpg');
  await makeJpeg(source, { seed: 7, width: 1600, height: 1200 });
  const result = await ctx.ingest.ingestFile({ ownerId, path: source, originalName: 'photo.jpg' });
  const assetId = (result as { assetId: number }).assetId;
  const { t: thumbId } = ctx.db.$client.prepare('SELECT thumb_blob_id AS t FROM assets WHERE id = ?').get(assetId) as { t: string };
  const blob = await ctx.store.open(thumbId, ctx.keyring);
  const plain = path.join(dir, 'thumb.webp');
  try {
    await writeFile(plain, await blob.readAll());
  } finally {
    await blob.close();
  }
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [CHILD_FLAG, config.dataDir, config.keyFile, plain], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const ports = await new Promise<{ app: number; bare: number }>((resolve, reject) => {
      child.once('message', (m) => resolve(m as { app: number; bare: number }));
      child.once('exit', (code) => reject(new Error(`thumbnail server exited with ${code}`)));
    });
    const concurrency = 8;
    let heirloom = 0;
    let bare = 0;
    // Alternate, keep each one's best: drift in machine load hits both alike.
    for (let round = 0; round < 2; round++) {
      bare = Math.max(bare, await load(`http://127.0.0.1:${ports.bare}/thumb.webp`, {}, concurrency, 3));
      heirloom = Math.max(heirloom, await load(`http://127.0.0.1:${ports.app}/media/${thumbId}`, { cookie, accept: 'image/*' }, concurrency, 3));
    }
    const size = (await readFile(plain)).length;
    console.log(`Thumbnails over loopback HTTP, one ${(size / 1024).toFixed(1)} KiB thumbnail, ${concurrency} connections`);
    row('decrypting /media/:blobId vs file', `${heirloom.toFixed(0)} req/s`, `${bare.toFixed(0)} req/s`, heirloom / bare);
  } finally {
    child.kill('SIGTERM');
  }
}

/** Timeline page server time deep in a library of 10 000 and of 100 000 items, and thumbnail serving rate. */
export async function benchTimeline(): Promise<void> {
  const dirs = [await mkdtemp(path.join(os.tmpdir(), 'heirloom-bench-timeline-')), await mkdtemp(path.join(os.tmpdir(), 'heirloom-bench-timeline-'))];
  const opened: Awaited<ReturnType<typeof openBenchVault>>[] = [];
  try {
    // Two libraries in two data dirs, as two households would have them.
    const libraries: Library[] = [];
    for (const [i, count] of [10_000, 100_000].entries()) {
      const vault = await openBenchVault(dirs[i]!);
      opened.push(vault);
      seedTimeline(vault.ctx.db, { ownerId: vault.ownerId, count });
      vault.ctx.db.$client.pragma('optimize');
      const { token } = new SessionService(vault.ctx.db, vault.config).start(vault.ownerId, 'full', { ip: '127.0.0.1', userAgent: 'bench' });
      libraries.push({ app: createApp(vault.ctx), cookie: `heirloom_session=${token}`, middle: middleCursor(vault.ctx.db, vault.ownerId) });
    }
    const [small, large] = libraries as [Library, Library];
    const ms = (x: number) => `${x.toFixed(2)} ms`;
    const report = async (label: string, url: (lib: Library) => string, mustContain = 'tl-tile', budget: string | undefined = '<= 1.20') => {
      const [a, b] = await pairTime(small, large, url, mustContain);
      row(label, ms(b), ms(a), b / a, budget);
    };
    console.log('Timeline, a page of 150 items from the middle of the library: 100k items vs 10k (server time per request, in-process)');
    await report('next page (htmx, ?after=)', (l) => `/timeline?after=${l.middle}`);
    await report('newer page (htmx, ?before=)', (l) => `/timeline?before=${l.middle}`);
    await report('full page (?after=)', (l) => `/?after=${l.middle}`);
    await report('full page at an item (?at=)', (l) => `/?at=${l.middle}`);
    await report('viewer /items/:id', (l) => `/items/${l.middle.split('.')[1]}`, 'data-viewer');
    // The month list costs one index seek per month: it follows the years a library spans, not its size.
    const months = opened.map((o) => timelineMonths(o.ctx.db, o.ownerId, 1200).length);
    await report(`month list (${months[1]} vs ${months[0]} months)`, () => '/timeline/months', '?from=', '');
    console.log();
    const first = opened[0]!;
    await thumbnailRate(dirs[0]!, first.ctx, first.config, first.ownerId, small.cookie);
  } finally {
    for (const vault of opened) await vault.ctx.close();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }
}
