import { spawn } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../../server/paths.js';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

// Root reads any file whatever its mode; without these capabilities it obeys permissions like a user.
const AS_PLAIN_USER = ['setpriv', '--inh-caps=-dac_override,-dac_read_search', '--bounding-set=-dac_override,-dac_read_search'];

/** Runs the built CLI (dist/, made by `npm test` before vitest starts) as a user would. */
export function runCli(args: string[], opts: { env?: Record<string, string>; input?: string; obeyFileModes?: boolean } = {}): Promise<CliResult> {
  const command = [process.execPath, path.join(packageRoot, 'dist/server/cli.js'), ...args];
  if (opts.obeyFileModes && process.getuid?.() === 0) command.unshift(...AS_PLAIN_USER);
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin!.end(opts.input ?? '');
  });
}
