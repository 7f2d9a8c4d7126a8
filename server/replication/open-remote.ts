import type { Remote } from './remote.js';
import type { TargetLocation } from './target-url.js';

export interface TargetCredentials {
  accessKeyId?: string;
  secretAccessKey?: string;
  password?: string;
  privateKey?: string;
}

export interface RemoteSettings {
  endpoint?: string;
  region?: string;
  pathStyle?: boolean;
}

/**
 * Connects to a target location. An SFTP server's key is checked against `hostKey.pinned`, or handed
 * to `hostKey.onNew`. Each kind's client library is loaded only when used, so CLI commands start fast.
 */
export async function openRemote(
  location: TargetLocation,
  creds: TargetCredentials,
  settings: RemoteSettings,
  hostKey?: { pinned?: string; onNew(fingerprint: string): void },
): Promise<Remote> {
  switch (location.kind) {
    case 'dir': {
      const { DirRemote } = await import('./dir-remote.js');
      const remote = new DirRemote(location.path);
      await remote.connect();
      return remote;
    }
    case 's3': {
      if (!creds.accessKeyId || !creds.secretAccessKey) throw new Error('S3 credentials are missing');
      const { S3Remote } = await import('./s3-remote.js');
      const remote = new S3Remote({ bucket: location.bucket, prefix: location.prefix, ...settings, accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey });
      await remote.connect().catch(async (err: unknown) => {
        await remote.close();
        throw err;
      });
      return remote;
    }
    case 'sftp': {
      const { SftpRemote } = await import('./sftp-remote.js');
      const remote = new SftpRemote({
        host: location.host,
        port: location.port,
        username: location.username,
        root: location.path,
        password: creds.password ?? location.password,
        privateKey: creds.privateKey,
        hostKey: hostKey?.pinned,
        onNewHostKey: (fingerprint) => hostKey?.onNew(fingerprint),
      });
      await remote.connect().catch(async (err: unknown) => {
        await remote.close();
        throw err;
      });
      return remote;
    }
  }
}
