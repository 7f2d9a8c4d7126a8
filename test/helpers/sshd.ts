import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from './server.js';

const run = promisify(execFile);
const SSHD = process.env.SSHD_PATH ?? '/usr/sbin/sshd';

export interface Sshd {
  port: number;
  /** The account that logs in: the user running the tests. */
  user: string;
  /** An ed25519 key the server accepts (OpenSSH format, no passphrase). */
  privateKeyPath: string;
  /** A second key the server does not accept. */
  wrongKeyPath: string;
  /** An empty directory to use as a target's path. */
  root: string;
  /** The temp directory holding everything (keys, config, root). */
  dir: string;
  /** sftp://user@127.0.0.1:port<path> (path defaults to root). */
  url(dirPath?: string): string;
  /** Stops the server and drops its open sessions; a later start() brings it back on the same port. */
  stop(): Promise<void>;
  /** Starts it again; with otherHostKey, with a second host key, as a reinstalled (or impostor) server would come back. */
  start(opts?: { otherHostKey?: boolean }): Promise<void>;
  /** SHA-256 of the host key (the first one, or the other), base64 with padding as Node prints it. */
  hostKeyFingerprint(other?: boolean): Promise<string>;
  /** Stops it and removes the temp directory. */
  close(): Promise<void>;
}

async function keygen(file: string): Promise<void> {
  await rm(file, { force: true });
  await rm(`${file}.pub`, { force: true });
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'heirloom-test', '-f', file]);
}

/** The command, run so that it gets SIGTERM if this process dies first (a crashed test worker leaves no server behind). */
export function diesWithUs(command: string, args: string[]): [string, string[]] {
  return existsSync('/usr/bin/setpriv') ? ['/usr/bin/setpriv', ['--pdeathsig', 'TERM', command, ...args]] : [command, args];
}

/** Every process under `pid` (sshd forks one per connection, and that one forks the session). */
async function descendants(pid: number): Promise<number[]> {
  const parents = new Map<number, number[]>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid …: comm may hold spaces, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!parents.has(ppid)) parents.set(ppid, []);
    parents.get(ppid)!.push(Number(name));
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of parents.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** True once something accepts TCP connections on the port. */
async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Debian's OpenSSH server on a loopback port, run as the current user with a generated host key and
 * a generated user key (key authentication only), serving SFTP with internal-sftp.
 */
export async function startSshd(): Promise<Sshd> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'heirloom-sshd-'));
  const root = path.join(dir, 'root');
  await mkdir(root);
  const hostKey = path.join(dir, 'host_ed25519');
  const otherHostKey = path.join(dir, 'host2_ed25519');
  const privateKeyPath = path.join(dir, 'user_ed25519');
  const wrongKeyPath = path.join(dir, 'other_ed25519');
  await Promise.all([keygen(hostKey), keygen(otherHostKey), keygen(privateKeyPath), keygen(wrongKeyPath)]);
  const port = await freePort();
  const user = os.userInfo().username;
  const asRoot = process.getuid?.() === 0;
  // sshd insists on its privilege-separation directory when started by root.
  if (asRoot) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const config = path.join(dir, 'sshd_config');
  const writeConfig = (key: string) => writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${key}`,
      `AuthorizedKeysFile ${privateKeyPath}.pub`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      asRoot ? 'PermitRootLogin prohibit-password' : '',
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      'Subsystem sftp internal-sftp',
      'MaxStartups 64',
      'MaxSessions 64',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );

  let child: ChildProcess | undefined;
  let log = '';
  const start = async (opts: { otherHostKey?: boolean } = {}) => {
    if (child) throw new Error('sshd is already running');
    await writeConfig(opts.otherHostKey ? otherHostKey : hostKey);
    log = '';
    const proc = spawn(...diesWithUs(SSHD, ['-D', '-e', '-f', config]), { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    child = proc;
    proc.once('exit', () => {
      if (child === proc) child = undefined;
    });
    for (let i = 0; i < 200; i++) {
      if (await accepts(port)) return;
      if (proc.exitCode !== null) break;
      await sleep(25);
    }
    throw new Error(`sshd did not start on port ${port}: ${log}`);
  };
  const stop = async () => {
    const proc = child;
    if (!proc) return;
    child = undefined;
    const exited = once(proc, 'exit');
    // Open sessions are dropped too, as when the machine goes away: the listener alone would leave them running.
    const sessions = await descendants(proc.pid!);
    proc.kill('SIGTERM');
    for (const pid of sessions) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await exited;
    for (let i = 0; i < 100 && (await accepts(port)); i++) await sleep(20);
  };
  await start();
  return {
    port,
    user,
    privateKeyPath,
    wrongKeyPath,
    root,
    dir,
    url: (dirPath = root) => `sftp://${user}@127.0.0.1:${port}${dirPath}`,
    stop,
    start,
    async hostKeyFingerprint(other = false) {
      const pub = await readFile(`${other ? otherHostKey : hostKey}.pub`, 'utf8');
      return createHash('sha256').update(Buffer.from(pub.split(' ')[1]!, 'base64')).digest('base64');
    },
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
