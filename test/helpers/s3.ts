import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../server/paths.js';
import { freePort } from './server.js';
import { diesWithUs } from './sshd.js';

/** s3rver ships no types: the little of it used here. */
interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  httpServer?: Server;
}
type S3rverClass = new (opts: Record<string, unknown>) => S3rverInstance;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;

export interface S3Server {
  endpoint: string;
  bucket: string;
  /** s3rver's file store: <dir>/<bucket>/<key>._S3rver_object holds each object's bytes. */
  dir: string;
  /** The credentials s3rver knows (it checks the access key id; SigV4 signatures themselves are not verified). */
  accessKeyId: string;
  secretAccessKey: string;
  /** Stops listening and drops open connections at once, as a server going offline would. */
  stop(): Promise<void>;
  /** Starts again on the same port with the same data. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Runs s3rver in a child process, whose clock is its own: a test may then move this process's clock. */
const CHILD = `
const S3rver = require('s3rver');
const { PORT, DIR, BUCKET } = process.env;
new S3rver({ port: Number(PORT), address: '127.0.0.1', silent: true, directory: DIR, configureBuckets: [{ name: BUCKET, configs: [] }] })
  .run()
  .then(() => process.stdout.write('ready\\n'), (err) => { console.error(err); process.exit(1); });
`;

/**
 * s3rver, a real S3 implementation written by others, on a free loopback port with one bucket: in this
 * process, or with `inChild` in a child process (for tests that change this process's clock).
 */
export async function startS3(bucket = 'heirloom-replica', opts: { inChild?: boolean } = {}): Promise<S3Server> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'heirloom-s3-'));
  const port = await freePort();
  let instance: S3rverInstance | undefined;
  let child: ChildProcess | undefined;
  const start = async () => {
    if (instance || child) throw new Error('s3rver is already running');
    if (opts.inChild) {
      const proc = spawn(...diesWithUs(process.execPath, ['-e', CHILD]), { cwd: packageRoot, env: { PATH: process.env.PATH ?? '', PORT: String(port), DIR: dir, BUCKET: bucket }, stdio: ['ignore', 'pipe', 'inherit'] });
      child = proc;
      const [chunk] = (await Promise.race([once(proc.stdout!, 'data'), once(proc, 'exit')])) as [Buffer | number | null];
      if (!Buffer.isBuffer(chunk)) throw new Error('s3rver did not start in its child process');
      return;
    }
    const s = new S3rver({ port, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: bucket, configs: [] }] });
    await s.run();
    instance = s;
  };
  const stop = async () => {
    const proc = child;
    if (proc) {
      child = undefined;
      const exited = once(proc, 'exit');
      proc.kill('SIGKILL');
      await exited;
    }
    const s = instance;
    if (!s) return;
    instance = undefined;
    const closed = s.close();
    s.httpServer?.closeAllConnections();
    await closed;
  };
  await start();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    dir,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    stop,
    start,
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
