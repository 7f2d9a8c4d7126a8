import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { makeCamera12mp } from '../test/fixtures/index.js';
import type { ImportRequest, ImportRun } from './import-child.js';
import { median, pool, row, timed } from './measure.js';

const PHOTOS = Number(process.env.BENCH_PHOTOS ?? 24);
/** One photo per core on each side: the import's default and the baseline's natural choice. */
const CONCURRENCY = os.availableParallelism();
const ROUNDS = 9;
/**
 * Photos each side processes first, untimed. A fresh process is still compiling its hot code for the first
 * few photos (V8's optimising compiler showed as ~5 ms of CPU per photo over a 24-photo run warmed by 2);
 * an import of a family's library is thousands of photos long, so the bench measures the steady state.
 */
const WARMUP_PHOTOS = 8;
const childScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'import-child.js');
/** Registered before the child's static imports resolve, as the CLI registers it before its commands' dynamic imports. */
const drizzleResolve = new URL('../server/drizzle-resolve.js', import.meta.url).href;

/** What any photo app must do at least: one decode with shrink-on-load, then a preview and a thumbnail. */
async function bareSharp(file: string): Promise<void> {
  const input = await readFile(file);
  const { data, info } = await sharp(input, { sequentialRead: true, autoOrient: true }).resize(1440, 1440, { fit: 'inside', withoutEnlargement: true }).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };
  await Promise.all([sharp(data, raw).jpeg({ quality: 80 }).toBuffer(), sharp(data, raw).resize(250, 250, { fit: 'outside' }).webp({ quality: 70 }).toBuffer()]);
}

async function bareRun(files: string[]): Promise<ImportRun> {
  const cpu = process.cpuUsage();
  const seconds = await timed(() => pool(files, CONCURRENCY, bareSharp));
  const { user, system } = process.cpuUsage(cpu);
  return { seconds, cpuSeconds: (user + system) / 1e6 };
}

/**
 * The vault process of import-child.ts, its vault in `dir`. Requests go one at a time, so each is answered
 * by the child's next message.
 */
function startVault(dir: string): { ask<T>(request: ImportRequest): Promise<T>; stop(): Promise<void> } {
  // The allocator setting the Docker image ships with (see Dockerfile).
  const child = fork(childScript, [dir], { env: { ...process.env, MALLOC_ARENA_MAX: '2' }, execArgv: ['--import', drizzleResolve] });
  const exited = once(child, 'exit');
  let failed: Error | undefined;
  const waiters: { resolve(message: unknown): void; reject(err: Error): void }[] = [];
  const fail = (err: Error) => {
    failed ??= err;
    for (const w of waiters.splice(0)) w.reject(failed);
  };
  const ready = new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  // Seen by ask(); a child that dies while the fixtures are still being made must not end the bench unhandled.
  ready.catch(() => undefined);
  child.on('message', (message) => waiters.shift()?.resolve(message));
  child.on('error', fail);
  child.on('exit', (code) => fail(new Error(`the import process exited (${code ?? 'signal'})`)));
  return {
    async ask<T>(request: ImportRequest): Promise<T> {
      await ready;
      if (failed) throw failed;
      const answer = new Promise<T>((resolve, reject) => waiters.push({ resolve: (m) => resolve(m as T), reject }));
      child.send(request);
      return answer;
    },
    /** Waits for the process to end, ending it first when the bench failed before asking it to finish. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null && !failed) child.kill();
      await exited;
    },
  };
}

export async function benchIngest(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'heirloom-bench-ingest-'));
  const vault = startVault(path.join(dir, 'vault'));
  try {
    const photos = path.join(dir, 'photos');
    await mkdir(photos);
    const warmup = path.join(dir, 'warmup');
    await mkdir(warmup);
    const files: string[] = [];
    for (let i = 0; i < PHOTOS; i++) files.push(await makeCamera12mp(path.join(photos, `IMG_${1000 + i}.JPG`), i + 1));
    const warm: string[] = [];
    for (let i = 0; i < WARMUP_PHOTOS; i++) warm.push(await makeCamera12mp(path.join(warmup, `warm-${i}.jpg`), 9001 + i));
    await vault.ask<ImportRun>({ import: warmup });
    // sharp's default on glibc Linux, which any MALLOC_ARENA_MAX in the environment would turn into one per core; Heirloom sets the same.
    sharp.concurrency(1);
    await pool(warm, CONCURRENCY, bareSharp);
    const heirloomRun = () => vault.ask<ImportRun>({ import: photos });

    // Each round runs the two back to back and is judged on its own: the machine's speed drifts by 15% or more
    // over seconds to minutes, which the pair of a round shares. The median round's ratio is reported, with
    // the spread; the photos/s shown are each side's median.
    const rounds: { baseline: ImportRun; heirloom: ImportRun }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Which goes first alternates, so whatever running second does to a run falls on both sides alike.
      if (round % 2 === 0) {
        const baseline = await bareRun(files);
        rounds.push({ baseline, heirloom: await heirloomRun() });
      } else {
        const heirloom = await heirloomRun();
        rounds.push({ baseline: await bareRun(files), heirloom });
      }
    }
    const { maxRssKb } = await vault.ask<{ maxRssKb: number }>({ done: true });
    const wall = rounds.map((r) => r.baseline.seconds / r.heirloom.seconds);
    const cpu = rounds.map((r) => r.baseline.cpuSeconds / r.heirloom.cpuSeconds);
    const rate = (s: number) => `${(PHOTOS / s).toFixed(2)} photos/s`;
    const perPhoto = (s: number) => `${((s / PHOTOS) * 1000).toFixed(0)} ms/photo`;
    const spread = (ratios: number[]) => console.log(`${''.padEnd(34)} rounds ${[...ratios].sort((a, b) => a - b).map((x) => x.toFixed(2)).join(' ')}`);
    console.log(`Ingest, ${PHOTOS} generated 12 MP camera JPEGs, median of ${ROUNDS} paired rounds: both ${CONCURRENCY} photos at a time (the import's default)`);
    row('import vs bare sharp previews', rate(median(rounds.map((r) => r.heirloom.seconds))), rate(median(rounds.map((r) => r.baseline.seconds))), median(wall), '>= 0.90');
    spread(wall);
    row('CPU time, all threads', perPhoto(median(rounds.map((r) => r.heirloom.cpuSeconds))), perPhoto(median(rounds.map((r) => r.baseline.cpuSeconds))), median(cpu));
    spread(cpu);
    console.log(`${'peak RSS of the import process'.padEnd(34)} ${`${(maxRssKb / 1024).toFixed(0)} MB`.padStart(14)}`);
  } finally {
    await vault.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
