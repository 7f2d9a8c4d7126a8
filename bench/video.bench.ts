import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createApp } from '../server/app.js';
import { SessionService } from '../server/auth/sessions.service.js';
import { loadConfig } from '../server/config.js';
import { openContext } from '../server/context.js';
import { SESSION_COOKIE } from '../server/http/cookies.js';
import { parseRange } from '../server/http/byte-range.js';
import { createLogger } from '../server/log.js';
import { createUser } from '../server/users/users.service.js';
import type { BlobStore } from '../server/vault/blob-store.js';
import { blobRow, insertBlobs } from '../server/vault/blobs.repo.js';
import type { SealedBlob } from '../server/vault/encrypt.js';
import { Keyring } from '../server/vault/keyring.js';
import { row } from './measure.js';

const MiB = 1024 * 1024;
const SIZE = 1024 * MiB;
/** What a player asks for at a time while it streams. */
const RANGE = 8 * MiB;
const READS = 32;
const SEEKS = 25;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mbps = (bytes: number, s: number) => `${(bytes / 1e6 / s).toFixed(0)} MB/s`;

interface Target {
  url: string;
  headers: Record<string, string>;
}

/**
 * /items/:id/video of a 1 GiB item (random bytes sealed through the BlobStore) against the same plaintext
 * served by a bare node:http static server with Range. Both servers run in a child process, so the client
 * here does not share their event loop.
 */
export async function benchVideo(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'heirloom-bench-video-'));
  const child = fork(fileURLToPath(import.meta.url), [CHILD_FLAG, dir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const ready = await new Promise<{ app: Target; plain: Target }>((resolve, reject) => {
      child.once('message', (m) => resolve(m as { app: Target; plain: Target }));
      child.once('exit', (code) => reject(new Error(`video server exited with ${code}`)));
    });
    const rnd = seeded(7);
    const ranges = Array.from({ length: READS }, () => Math.floor(rnd() * (SIZE - RANGE)));
    let app = Infinity;
    let plain = Infinity;
    // Alternate, keep each one's best: drift in machine load hits both alike.
    for (let round = 0; round < 3; round++) {
      plain = Math.min(plain, await readRanges(ready.plain, ranges));
      app = Math.min(app, await readRanges(ready.app, ranges));
    }
    const seeks = Array.from({ length: SEEKS }, () => SIZE / 2 + Math.floor((rnd() - 0.5) * 64 * MiB));
    const appFirst: number[] = [];
    const plainFirst: number[] = [];
    for (const at of seeks) {
      plainFirst.push(await firstByte(ready.plain, at));
      appFirst.push(await firstByte(ready.app, at));
    }
    const ms = (x: number) => `${x.toFixed(2)} ms`;
    console.log(`Video streaming over loopback HTTP, ${SIZE / MiB} MiB item (page-cached), ${READS} Range reads of ${RANGE / MiB} MiB`);
    row('Range reads, /items/:id/video', mbps(READS * RANGE, app), mbps(READS * RANGE, plain), plain / app, '≥ 0.80');
    row('first byte of a seek to the middle', ms(median(appFirst)), ms(median(plainFirst)), median(plainFirst) / median(appFirst));
  } finally {
    child.kill();
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)));
    await rm(dir, { recursive: true, force: true });
  }
}

/** Seconds to read every range one after another on one keep-alive connection. */
async function readRanges(target: Target, starts: number[]): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const begin = process.hrtime.bigint();
    for (const start of starts) {
      await new Promise<void>((resolve, reject) => {
        http
          .get(target.url, { agent, headers: { ...target.headers, range: `bytes=${start}-${start + RANGE - 1}` } }, (res) => {
            if (res.statusCode !== 206) reject(new Error(`${target.url} answered ${res.statusCode}`));
            let got = 0;
            res.on('data', (chunk: Buffer) => (got += chunk.length));
            res.on('end', () => (got === RANGE ? resolve() : reject(new Error(`${target.url} sent ${got} of ${RANGE} bytes`))));
            res.on('error', reject);
          })
          .on('error', reject);
      });
    }
    return Number(process.hrtime.bigint() - begin) / 1e9;
  } finally {
    agent.destroy();
  }
}

/** Milliseconds from asking for `bytes=at-` on a new connection (as a player's seek does) to its first body byte. */
function firstByte(target: Target, at: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const begin = process.hrtime.bigint();
    const req = http.get(target.url, { agent: false, headers: { ...target.headers, range: `bytes=${at}-` } }, (res) => {
      if (res.statusCode !== 206) reject(new Error(`${target.url} answered ${res.statusCode}`));
      res.once('data', () => {
        resolve(Number(process.hrtime.bigint() - begin) / 1e6);
        req.destroy();
      });
      res.on('error', () => undefined);
    });
    req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
  });
}

/** Writes 1 GiB of random bytes to `plainPath` and through the BlobStore at once. */
async function sealRandom(store: BlobStore, keyring: Keyring, plainPath: string): Promise<SealedBlob> {
  const plain: FileHandle = await open(plainPath, 'w');
  try {
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let i = 0; i < SIZE / MiB; i++) {
        const bytes = randomBytes(MiB);
        await plain.write(bytes);
        yield bytes;
      }
    }
    const { tmpPath, sealed } = await store.writeTemp(keyring, Readable.from(chunks()));
    await store.commit(tmpPath, sealed.blobId);
    return sealed;
  } finally {
    await plain.close();
  }
}

/** The child: a data dir with one 1 GiB playable video, served by the app and, as plaintext, by a bare static server. */
async function serveVideo(dir: string): Promise<void> {
  const { serve } = await import('@hono/node-server');
  const keyFile = path.join(dir, 'master.key');
  await Keyring.generate().save(keyFile);
  const ctx = await openContext(loadConfig({ HEIRLOOM_DATA_DIR: path.join(dir, 'data'), HEIRLOOM_KEY_FILE: keyFile }), createLogger('silent'));
  const owner = await createUser(ctx.db, { username: 'bench', role: 'member', password: 'bench password 1' });
  const plainPath = path.join(dir, 'plain.bin');
  const sealed = await sealRandom(ctx.store, ctx.keyring, plainPath);
  insertBlobs(ctx.db, [blobRow(sealed, 'original')]);
  const sqlite = ctx.db.$client;
  const { lastInsertRowid } = sqlite
    .prepare(
      `INSERT INTO assets (owner_id, original_blob_id, sha256, kind, mime, original_name, file_size, taken_at, taken_at_source)
       VALUES (?, ?, ?, 'video', 'video/mp4', 'big.mp4', ?, ?, 'file:mtime')`,
    )
    .run(owner.id, sealed.blobId, sealed.plainSha256, SIZE, Date.now());
  sqlite.prepare(`INSERT INTO asset_video (asset_id, container, video_codec, playable) VALUES (?, 'mp4', 'h264', 1)`).run(lastInsertRowid);
  const { token } = new SessionService(ctx.db, ctx.config).start(owner.id, 'full', { ip: '127.0.0.1', userAgent: 'bench' });

  let app!: ReturnType<typeof serve>;
  await new Promise<void>((resolve) => {
    app = serve({ fetch: createApp(ctx).fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
  });
  const bare = http.createServer((req, res) => {
    const range = parseRange(req.headers.range, SIZE);
    if (range === 'unsatisfiable') return void res.writeHead(416, { 'Content-Range': `bytes */${SIZE}` }).end();
    const { start, end } = range ?? { start: 0, end: SIZE - 1 };
    res.writeHead(range ? 206 : 200, { 'Content-Type': 'video/mp4', 'Content-Length': end - start + 1, 'Accept-Ranges': 'bytes', 'Content-Range': `bytes ${start}-${end}/${SIZE}` });
    createReadStream(plainPath, { start, end, highWaterMark: MiB }).pipe(res);
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const port = (s: { address(): unknown }) => (s.address() as { port: number }).port;
  process.send!({
    app: { url: `http://127.0.0.1:${port(app)}/items/${lastInsertRowid}/video`, headers: { cookie: `${SESSION_COOKIE}=${token}` } },
    plain: { url: `http://127.0.0.1:${port(bare)}/big.mp4`, headers: {} },
  });
}

/** A fixed-seed generator: every run reads the same ranges. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CHILD_FLAG = '--video-server';
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === CHILD_FLAG) {
  await serveVideo(process.argv[3]!);
}
