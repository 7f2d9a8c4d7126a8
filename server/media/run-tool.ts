import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export interface RunToolOptions {
  /** The tool is killed (SIGKILL) when it runs longer than this. */
  timeoutMs: number;
  /** The tool is killed when it writes more than this to stdout. Default 256 MiB. */
  maxStdoutBytes?: number;
  /** Stdout is handed over as it arrives instead of collected (the result's stdout is then empty). */
  onStdout?(chunk: Buffer): void;
  /** The tool is killed when this aborts, and the promise rejects with the abort reason. */
  signal?: AbortSignal;
  /** Runs under `nice -n 19` where `nice` exists, so long work yields the CPU to the web server. */
  lowPriority?: boolean;
}

export interface RunToolResult {
  stdout: Buffer;
  stderr: string;
}

export type ToolFailure = 'missing' | 'timeout' | 'failed' | 'too-much-output';

/** An external tool did not do its job; `detail` is the tool's own explanation (its last stderr lines). */
export class ToolError extends Error {
  constructor(
    readonly tool: string,
    readonly failure: ToolFailure,
    readonly detail: string,
  ) {
    super(`${tool} ${describe(failure)}${detail ? `: ${detail}` : ''}`);
    this.name = 'ToolError';
  }
}

const STDERR_KEEP = 16 * 1024;

/** Runs `tool args…` without a shell, collecting stdout; rejects with a ToolError on a non-zero exit, a timeout or a missing binary. */
export function runTool(tool: string, args: readonly string[], opts: RunToolOptions): Promise<RunToolResult> {
  const maxStdout = opts.maxStdoutBytes ?? 256 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(opts.signal.reason);
    const [command, argv] = opts.lowPriority && hasNice() ? ['nice', ['-n', '19', tool, ...args]] : [tool, args];
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let killedFor: ToolFailure | undefined;
    const kill = (why: ToolFailure) => {
      killedFor ??= why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill('timeout'), opts.timeoutMs);
    const onAbort = () => child.kill('SIGKILL');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      if (opts.onStdout) return opts.onStdout(chunk);
      stdoutBytes += chunk.length;
      if (stdoutBytes > maxStdout) kill('too-much-output');
      else chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEEP);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      reject(err.code === 'ENOENT' ? new ToolError(tool, 'missing', 'not installed or not on PATH') : err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (opts.signal?.aborted) return reject(opts.signal.reason);
      if (killedFor) return reject(new ToolError(tool, killedFor, killedFor === 'timeout' ? `after ${opts.timeoutMs / 1000} s` : ''));
      if (code === 0) return resolve({ stdout: Buffer.concat(chunks), stderr });
      // nice's own way of saying the tool is not there.
      if (command === 'nice' && code === 127) return reject(new ToolError(tool, 'missing', 'not installed or not on PATH'));
      reject(new ToolError(tool, 'failed', lastLines(stderr) || (signal ? `killed by ${signal}` : `exit code ${code}`)));
    });
  });
}

let nice: boolean | undefined;

function hasNice(): boolean {
  nice ??= (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      accessSync(path.join(dir, 'nice'), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  return nice;
}

function describe(failure: ToolFailure): string {
  switch (failure) {
    case 'missing':
      return 'is missing';
    case 'timeout':
      return 'took too long';
    case 'failed':
      return 'failed';
    case 'too-much-output':
      return 'produced too much output';
  }
}

function lastLines(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.slice(-2).join(' / ');
}
