import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/helpers/server.js';

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '../server/cli.js');
/** Long enough for start-up's garbage to be collected; a server then stays at this size while nobody uses it. */
const SETTLE_MS = 15_000;

async function residentMb(child: ChildProcess): Promise<number> {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) / 1024;
}

async function answered(url: string): Promise<void> {
  for (let tries = 0; tries < 300; tries++) {
    if ((await fetch(url).catch(() => undefined))?.ok) return;
    await sleep(100);
  }
  throw new Error(`${url} did not answer within 30 s`);
}

/** Resident memory of `heirloom serve` on a fresh data dir once idle, beside a Node process doing nothing. */
export async function benchMemory(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'heirloom-bench-memory-'));
  const port = await freePort();
  // As the image runs it (see Dockerfile); the key is generated beside the data, as on a first start.
  const env = { PATH: process.env.PATH ?? '', HOME: dir, MALLOC_ARENA_MAX: '2', HEIRLOOM_DATA_DIR: path.join(dir, 'data'), HEIRLOOM_PORT: String(port) };
  const server = spawn(process.execPath, [cli, 'serve'], { env, stdio: 'ignore' });
  const idle = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    const url = `http://127.0.0.1:${port}`;
    await answered(`${url}/healthz`);
    // The page a first visit gets, so its rendering is loaded too.
    await fetch(`${url}/setup`);
    await sleep(SETTLE_MS);
    const [heirloom, node] = [await residentMb(server), await residentMb(idle)];
    console.log('Memory, RSS read from /proc');
    console.log(`${'server idle, after start and a page'.padEnd(34)} ${`${heirloom.toFixed(0)} MB`.padStart(14)}   baseline ${`${node.toFixed(0)} MB`.padStart(14)} (node doing nothing)   (budget <= 150 MB)`);
  } finally {
    const exited = [server, idle].filter((c) => c.exitCode === null && c.signalCode === null).map((c) => once(c, 'exit'));
    server.kill();
    idle.kill();
    await Promise.all(exited);
    await rm(dir, { recursive: true, force: true });
  }
}
