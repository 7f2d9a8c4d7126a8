import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UserError } from './errors.js';

const port = z.coerce.number().int().min(1).max(65535);
const days = z.coerce.number().int().min(1).max(3650);
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v));
const pem = (what: string) => z.string().refine((v) => v.includes(`-----BEGIN `) && v.includes(what), `PEM ${what}`);
const presets = z.enum(['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow']);
const level = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** Every variable Heirloom reads. Each may also be given as NAME_FILE (a Docker secret, say). */
const variables = {
  HEIRLOOM_DATA_DIR: { schema: z.string().min(1), hint: 'a directory path' },
  HEIRLOOM_PORT: { schema: port, hint: 'a port number from 1 to 65535' },
  HEIRLOOM_HOST: { schema: z.string().min(1), hint: 'an address to listen on, such as 0.0.0.0' },
  HEIRLOOM_KEY_FILE: { schema: z.string().min(1), hint: 'the path of the master key file' },
  HEIRLOOM_LOG_LEVEL: { schema: level, hint: `one of ${level.options.join(', ')}` },
  HEIRLOOM_TLS_CERT: { schema: pem('CERTIFICATE'), hint: 'a PEM certificate chain (usually given as HEIRLOOM_TLS_CERT_FILE)' },
  HEIRLOOM_TLS_KEY: { schema: pem('PRIVATE KEY'), hint: 'a PEM private key (usually given as HEIRLOOM_TLS_KEY_FILE)', secret: true },
  HEIRLOOM_TRUST_PROXY: { schema: bool, hint: 'true or false' },
  HEIRLOOM_SESSION_IDLE_DAYS: { schema: days, hint: 'a number of days from 1 to 3650' },
  HEIRLOOM_SESSION_MAX_DAYS: { schema: days, hint: 'a number of days from 1 to 3650' },
  HEIRLOOM_TRANSCODE_HEIGHT: { schema: z.coerce.number().int().min(144).max(4320), hint: 'a height in pixels from 144 to 4320, such as 1080' },
  HEIRLOOM_TRANSCODE_CRF: { schema: z.coerce.number().int().min(0).max(51), hint: 'an x264 quality (CRF) from 0 to 51, lower is better; 23 is the usual' },
  HEIRLOOM_TRANSCODE_PRESET: { schema: presets, hint: `one of ${presets.options.join(', ')}` },
  HEIRLOOM_TRANSCODE_MAX_HOURS: { schema: z.coerce.number().positive().max(1000), hint: 'a number of hours, such as 4 (fractions allowed)' },
  HEIRLOOM_TRANSCODE_STALL_SECONDS: { schema: z.coerce.number().int().min(1).max(86_400), hint: 'a number of seconds from 1 to 86400' },
} as const;

type VariableName = keyof typeof variables;

export interface Config {
  dataDir: string;
  port: number;
  host: string;
  keyFile: string;
  /** The key file was not configured and sits in the data dir: boot warns loudly. */
  keyFileIsDefault: boolean;
  logLevel: z.infer<typeof level>;
  /** Built-in HTTPS, for a LAN without a reverse proxy. */
  tls?: { cert: string; key: string };
  /** Take the client address and scheme from X-Forwarded-For / X-Forwarded-Proto (behind a reverse proxy). */
  trustProxy: boolean;
  /** A session ends after this many days unused, and after sessionMaxDays however busy. */
  sessionIdleDays: number;
  sessionMaxDays: number;
  /** Web copies of videos browsers cannot play as they are. */
  transcode: TranscodeConfig;
}

export interface TranscodeConfig {
  /** Displayed height the web copy is scaled down to (never up). */
  height: number;
  crf: number;
  preset: z.infer<typeof presets>;
  /** Longer videos get no web copy. */
  maxSeconds: number;
  /** ffmpeg is killed when its output time has not moved for this long. */
  stallSeconds: number;
}

/** Reads NAME, or the contents of the file NAME_FILE points to; both set is an error. */
function raw(env: NodeJS.ProcessEnv, name: VariableName): string | undefined {
  const direct = env[name];
  const fileVar = `${name}_FILE`;
  const file = env[fileVar];
  if (file === undefined || file === '') return direct === '' ? undefined : direct;
  if (direct !== undefined && direct !== '') {
    throw new UserError(`Set either ${name} or ${fileVar}, not both.`, 'config');
  }
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new UserError(`${fileVar} points to ${file}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}).`, 'config');
  }
}

function read<N extends VariableName>(env: NodeJS.ProcessEnv, name: N, fallback: string): z.infer<(typeof variables)[N]['schema']> {
  const value = raw(env, name) ?? fallback;
  const parsed = variables[name].schema.safeParse(value);
  if (!parsed.success) {
    const shown = 'secret' in variables[name] ? 'a value not shown here' : `'${value}'`;
    throw new UserError(`${name} must be ${variables[name].hint} (got ${shown}).`, 'config');
  }
  return parsed.data as z.infer<(typeof variables)[N]['schema']>;
}

/** Names that look like ours but are not: most likely a typo the admin would want to hear about. */
export function unknownVariables(env: NodeJS.ProcessEnv = process.env): string[] {
  const known = new Set(Object.keys(variables).flatMap((n) => [n, `${n}_FILE`]));
  known.add('HEIRLOOM_FAULT');
  // Read by the target commands, not at boot.
  known.add('HEIRLOOM_SFTP_PASSWORD');
  known.add('HEIRLOOM_SFTP_PASSWORD_FILE');
  return Object.keys(env).filter((n) => n.startsWith('HEIRLOOM_') && !known.has(n));
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = path.resolve(read(env, 'HEIRLOOM_DATA_DIR', './data'));
  const configuredKey = raw(env, 'HEIRLOOM_KEY_FILE');
  return {
    dataDir,
    port: read(env, 'HEIRLOOM_PORT', '8080'),
    host: read(env, 'HEIRLOOM_HOST', '0.0.0.0'),
    keyFile: path.resolve(configuredKey ?? path.join(dataDir, 'keys', 'master.key')),
    keyFileIsDefault: configuredKey === undefined,
    logLevel: read(env, 'HEIRLOOM_LOG_LEVEL', 'info'),
    tls: readTls(env),
    trustProxy: read(env, 'HEIRLOOM_TRUST_PROXY', 'false'),
    sessionIdleDays: read(env, 'HEIRLOOM_SESSION_IDLE_DAYS', '14'),
    sessionMaxDays: read(env, 'HEIRLOOM_SESSION_MAX_DAYS', '90'),
    transcode: {
      height: read(env, 'HEIRLOOM_TRANSCODE_HEIGHT', '1080'),
      crf: read(env, 'HEIRLOOM_TRANSCODE_CRF', '23'),
      preset: read(env, 'HEIRLOOM_TRANSCODE_PRESET', 'veryfast'),
      maxSeconds: read(env, 'HEIRLOOM_TRANSCODE_MAX_HOURS', '4') * 3600,
      stallSeconds: read(env, 'HEIRLOOM_TRANSCODE_STALL_SECONDS', '120'),
    },
  };
}

function readTls(env: NodeJS.ProcessEnv): Config['tls'] {
  const cert = raw(env, 'HEIRLOOM_TLS_CERT');
  const key = raw(env, 'HEIRLOOM_TLS_KEY');
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) {
    throw new UserError('HTTPS needs both HEIRLOOM_TLS_CERT_FILE and HEIRLOOM_TLS_KEY_FILE (or neither, behind a reverse proxy).', 'config');
  }
  return { cert: read(env, 'HEIRLOOM_TLS_CERT', cert), key: read(env, 'HEIRLOOM_TLS_KEY', key) };
}

export const configVariables = Object.keys(variables) as VariableName[];
