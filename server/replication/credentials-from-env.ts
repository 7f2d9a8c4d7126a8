import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import type { TargetCredentials } from './open-remote.js';

/** NAME, or the contents of the file NAME_FILE names (a Docker secret), trimmed. */
function fromEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const file = env[`${name}_FILE`];
  if (file) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      throw new UserError(`${name}_FILE points to ${file}, which cannot be read.`, 'config');
    }
  }
  return env[name] || undefined;
}

/**
 * Target credentials from command-line flags first, then the standard environment variables
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, HEIRLOOM_SFTP_PASSWORD) or their _FILE variants.
 */
export function credentialsFrom(flags: { accessKeyId?: string; secretAccessKey?: string; password?: string; identity?: string }, env: NodeJS.ProcessEnv = process.env): TargetCredentials {
  let privateKey: string | undefined;
  if (flags.identity) {
    try {
      privateKey = readFileSync(flags.identity, 'utf8');
    } catch {
      throw new UserError(`The key file ${flags.identity} cannot be read.`, 'config');
    }
  }
  const creds: TargetCredentials = {
    accessKeyId: flags.accessKeyId ?? fromEnv(env, 'AWS_ACCESS_KEY_ID'),
    secretAccessKey: flags.secretAccessKey ?? fromEnv(env, 'AWS_SECRET_ACCESS_KEY'),
    password: flags.password ?? fromEnv(env, 'HEIRLOOM_SFTP_PASSWORD'),
    privateKey,
  };
  return Object.fromEntries(Object.entries(creds).filter(([, v]) => v !== undefined)) as TargetCredentials;
}
