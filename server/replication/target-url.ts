import { UserError } from '../errors.js';

export type TargetLocation =
  | { kind: 'dir'; path: string }
  | { kind: 'sftp'; host: string; port: number; username: string; path: string; password?: string }
  | { kind: 's3'; bucket: string; prefix: string };

/**
 * Reads a target URL the way restic does: a plain (absolute) path, sftp://user@host[:port]/path, or
 * s3://bucket[/prefix]. A password inside an sftp URL is taken out, so the stored URL never holds it.
 */
export function parseTargetUrl(raw: string): TargetLocation {
  const url = raw.trim();
  if (url.startsWith('/')) return { kind: 'dir', path: url.replace(/\/+$/, '') || '/' };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`'${url}' is not a target: use an absolute path, sftp://user@host/path or s3://bucket/prefix.`, 'invalid-target');
  }
  if (parsed.protocol === 'sftp:') {
    if (!parsed.username) throw new UserError('An SFTP target needs a user name: sftp://user@host/path.', 'invalid-target');
    const path = decodeURIComponent(parsed.pathname).replace(/\/+$/, '');
    if (!path) throw new UserError('An SFTP target needs a directory: sftp://user@host/path.', 'invalid-target');
    return {
      kind: 'sftp',
      host: parsed.hostname,
      port: parsed.port ? Number(parsed.port) : 22,
      username: decodeURIComponent(parsed.username),
      path,
      password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    };
  }
  if (parsed.protocol === 's3:') {
    if (!parsed.hostname) throw new UserError('An S3 target needs a bucket: s3://bucket/prefix.', 'invalid-target');
    return { kind: 's3', bucket: parsed.hostname, prefix: decodeURIComponent(parsed.pathname).replace(/^\/+|\/+$/g, '') };
  }
  throw new UserError(`Targets are directories, sftp:// or s3:// URLs, not ${parsed.protocol}//.`, 'invalid-target');
}

/** The URL as stored and shown: never with a password. */
export function displayUrl(location: TargetLocation): string {
  switch (location.kind) {
    case 'dir':
      return location.path;
    case 'sftp':
      return `sftp://${encodeURIComponent(location.username)}@${location.host}${location.port === 22 ? '' : `:${location.port}`}${location.path}`;
    case 's3':
      return `s3://${location.bucket}${location.prefix ? `/${location.prefix}` : ''}`;
  }
}
