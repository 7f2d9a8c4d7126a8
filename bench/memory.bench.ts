import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Keyring } from '../server/vault/keyring.js';
import { freePort } from '../test/helpers/server.js';

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '../server/cli.js');
/** Long enough for start-up's garbage to be collected; a server then stays at this size while nobody uses it. */
const SETTLE_MS = 15_000;

async function residentMb(child: ChildProcess): Promise<number> {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) / 1024;
}

async function answered(url: string, server: ChildProcess): Promise<void> {
  for (let tries = 0; tries < 300; tries++) {
    if (server.exitCode !== null) throw new Error(`heirloom serve exited (${server.exitCode}) before it answered; its errors are above`);
    if ((await fetch(url).catch(() => undefined))?.ok) return;
    await sleep(100);
  }
  throw new Error(`${url} did not answer within 30 s`);
}

/** Ends a child, forcefully if it has not gone within 10 s. */
async function end(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill();
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Resident memory of `heirloom serve` on a fresh data dir once idle, beside a Node process doing nothing. */
export async function benchMemory(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'heirloom-bench-memory-'));
  const port = await freePort();
  const keyFile = path.join(dir, 'master.key');
  await Keyring.generate().save(keyFile);
  // The image's settings (see Dockerfile), on loopback only.
  const env = { PATH: process.env.PATH ?? '', HOME: dir, NODE_ENV: 'production', MALLOC_ARENA_MAX: '2', HEIRLOOM_DATA_DIR: path.join(dir, 'data'), HEIRLOOM_KEY_FILE: keyFile, HEIRLOOM_HOST: '127.0.0.1', HEIRLOOM_PORT: String(port) };
  // stderr is shown: a server that cannot start says why.
  const server = spawn(process.execPath, [cli, 'serve'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const idle = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    const url = `http://127.0.0.1:${port}`;
    await answered(`${url}/healthz`, server);
    // The page a first visit gets, so its rendering is loaded too.
    const page = await fetch(`${url}/setup`);
    await page.text();
    if (!page.ok) throw new Error(`/setup answered ${page.status}`);
    await sleep(SETTLE_MS);
    const [heirloom, node] = [await residentMb(server), await residentMb(idle)];
    console.log('Memory, RSS read from /proc');
    console.log(`${'server idle, after start and a page'.padEnd(34)} ${`${heirloom.toFixed(0)} MB`.padStart(14)}   baseline ${`${node.toFixed(0)} MB`.padStart(14)} (node doing nothing)   (budget <= 150 MB)`);
  } finally {
    await Promise.all([end(server), end(idle)]);
    await rm(dir, { recursive: true, force: true });
  }
}
