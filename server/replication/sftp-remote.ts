import { createHash } from 'node:crypto';
import path from 'node:path/posix';
import type { Readable } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';
import SftpClient from 'ssh2-sftp-client';
import { UserError } from '../errors.js';
import type { Remote, RemoteObject } from './remote.js';

export interface SftpOptions {
  host: string;
  port: number;
  username: string;
  root: string;
  password?: string;
  privateKey?: string;
  /** The pinned host key (SHA-256, base64); undefined on the first connection. */
  hostKey?: string;
  /** Called with the server's key the first time, so it can be pinned. */
  onNewHostKey?(fingerprint: string): void;
  timeoutMs?: number;
}

/**
 * Uploads in flight spread over this many connections, as rclone's transfers are: the server runs one
 * sshd process per connection, so a single connection leaves its decryption and writes to one core.
 */
const UPLOAD_CONNECTIONS = 4;

/** Another NAS or a relative's server, over SFTP. Objects are uploaded beside their name and renamed in. */
export class SftpRemote implements Remote {
  private readonly sftp = new SftpClient('heirloom');
  /** The ssh2 SFTP channel under `sftp`, for the calls made per object, without the client's extra checks. */
  private wrapper!: Promise<SFTPWrapper>;
  private channelClosed = false;
  private hostKeyMismatch: string | undefined;
  /** The server's key as this connection accepted it; further connections must present the same one. */
  private acceptedHostKey: string | undefined;
  /** Directories made (or found) on this connection: uploads in parallel share one mkdir per directory. */
  private readonly dirs = new Map<string, Promise<void>>();
  /** Extra connections for uploads, opened when first needed (index 0 is the main connection). */
  private readonly uploaders: (Promise<SftpClient> | undefined)[] = [];
  private nextUploader = 0;

  constructor(private readonly opts: SftpOptions) {}

  private connectClient(client: SftpClient, verify: (fingerprint: string) => boolean): Promise<SFTPWrapper> {
    const { host, port, username, password, privateKey } = this.opts;
    return client.connect({
      host,
      port,
      username,
      password,
      privateKey,
      readyTimeout: this.opts.timeoutMs ?? 20_000,
      retries: 0,
      hostVerifier: (key: Buffer) => verify(createHash('sha256').update(key).digest('base64')),
    });
  }

  async connect(): Promise<void> {
    const { host } = this.opts;
    try {
      this.wrapper = this.connectClient(this.sftp, (fingerprint) => {
        if (!this.opts.hostKey) {
          this.opts.onNewHostKey?.(fingerprint);
        } else if (fingerprint !== this.opts.hostKey) {
          this.hostKeyMismatch = fingerprint;
          return false;
        }
        this.acceptedHostKey = fingerprint;
        return true;
      });
      (await this.wrapper).once('close', () => (this.channelClosed = true));
    } catch (err) {
      if (this.hostKeyMismatch) {
        throw new UserError(
          `The host key of ${host} changed (now SHA256:${this.hostKeyMismatch}, pinned SHA256:${this.opts.hostKey}). If the server was really reinstalled, remove and add the target again; otherwise someone may be intercepting the connection.`,
          'target-host-key',
        );
      }
      throw friendly(err, this.opts);
    }
    if (!(await this.sftp.exists(this.opts.root))) {
      throw new UserError(`The directory ${this.opts.root} does not exist on ${host}. Create it first.`, 'target-missing');
    }
  }

  /**
   * One request on the main SFTP channel itself. Once the channel has closed, ssh2 would drop a new
   * request without ever answering it, so that is refused here instead.
   */
  private async call<T>(request: (w: SFTPWrapper, cb: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
    const wrapper = await this.wrapper;
    if (this.channelClosed) throw new Error('No SFTP connection available');
    return new Promise<T>((resolve, reject) => request(wrapper, (err, value) => (err ? reject(err) : resolve(value as T))));
  }

  /** A connection for the next upload, round robin; one that cannot be opened leaves its share to the main one. */
  private uploader(): Promise<SftpClient> {
    const i = this.nextUploader++ % UPLOAD_CONNECTIONS;
    if (i === 0) return Promise.resolve(this.sftp);
    let client = this.uploaders[i];
    if (!client) {
      const extra = new SftpClient('heirloom-upload');
      client = this.connectClient(extra, (fingerprint) => fingerprint === this.acceptedHostKey).then(
        () => extra,
        async () => {
          await extra.end().catch(() => undefined);
          return this.sftp;
        },
      );
      this.uploaders[i] = client;
    }
    return client;
  }

  private file(key: string): string {
    return path.join(this.opts.root, key);
  }

  async put(key: string, file: string, _size: number, _signal?: AbortSignal): Promise<void> {
    const dest = this.file(key);
    const part = `${dest}.part-${process.pid}`;
    try {
      await this.ensureDir(path.dirname(dest));
      const client = await this.uploader();
      await client.fastPut(file, part);
      // posix-rename replaces an existing object atomically (plain SFTP rename refuses to).
      await client.posixRename(part, dest);
    } catch (err) {
      await this.sftp.delete(part, true).catch(() => undefined);
      throw friendly(err, this.opts);
    }
  }

  /**
   * Makes a directory and its parents below the root. The client's own recursive mkdir races with
   * itself when two uploads need the same new directory (the loser fails with a bare 'Failure').
   */
  private ensureDir(dir: string): Promise<void> {
    if (dir === this.opts.root || dir.length <= this.opts.root.length) return Promise.resolve();
    let made = this.dirs.get(dir);
    if (!made) {
      made = this.ensureDir(path.dirname(dir)).then(async () => {
        // One round trip when the directory is new (the client's own mkdir checks first, then makes it).
        const failed = await this.call<void>((w, cb) => w.mkdir(dir, cb)).then(() => undefined, (err: Error) => err);
        // It may be there already (from an earlier pass, or another writer just now).
        if (failed && (await this.sftp.exists(dir)) !== 'd') throw failed;
      });
      this.dirs.set(dir, made);
      made.catch(() => this.dirs.delete(dir));
    }
    return made;
  }

  async head(key: string): Promise<RemoteObject | undefined> {
    try {
      const st = await this.call<{ size: number }>((w, cb) => w.stat(this.file(key), cb));
      return { key, size: st.size };
    } catch (err) {
      if ((err as { code?: number | string }).code === 2 || (err as { code?: string }).code === 'ENOENT' || /No such file/i.test(String((err as Error).message))) return undefined;
      throw friendly(err, this.opts);
    }
  }

  async get(key: string, _signal?: AbortSignal): Promise<Readable> {
    if (!(await this.head(key))) throw new UserError(`The target has no ${key}.`, 'target-missing-object');
    return this.sftp.createReadStream(this.file(key), { highWaterMark: 1 << 20 }) as unknown as Readable;
  }

  /** Many reads in flight at once: a stream reads one chunk at a time and waits out each round trip. */
  async download(key: string, file: string, _signal?: AbortSignal): Promise<void> {
    if (!(await this.head(key))) throw new UserError(`The target has no ${key}.`, 'target-missing-object');
    try {
      await this.sftp.fastGet(this.file(key), file, { concurrency: 64, chunkSize: 64 * 1024 });
    } catch (err) {
      throw friendly(err, this.opts);
    }
  }

  async delete(key: string): Promise<void> {
    await this.sftp.delete(this.file(key), true).catch((err: unknown) => {
      throw friendly(err, this.opts);
    });
  }

  async *list(prefix: string): AsyncIterable<RemoteObject> {
    const sftp = this.sftp;
    const root = this.opts.root;
    const walk = async function* (dir: string): AsyncGenerator<RemoteObject> {
      if (!(await sftp.exists(dir))) return;
      for (const e of await sftp.list(dir)) {
        const full = path.join(dir, e.name);
        if (e.type === 'd') yield* walk(full);
        else if (!e.name.includes('.part-')) yield { key: path.relative(root, full), size: e.size };
      }
    };
    yield* walk(this.file(prefix.replace(/\/$/, '')));
  }

  async close(): Promise<void> {
    const extras = await Promise.all(this.uploaders.splice(0).filter((c) => c !== undefined));
    await Promise.all(extras.filter((c) => c !== this.sftp).map((c) => c.end().catch(() => undefined)));
    await this.sftp.end().catch(() => undefined);
  }
}

function friendly(err: unknown, opts: SftpOptions): Error {
  const where = `${opts.username}@${opts.host}:${opts.port}`;
  const message = String((err as Error).message ?? err);
  const code = (err as { code?: string }).code;
  if (/All configured authentication methods failed|authentication/i.test(message)) {
    return new UserError(`${where} refused the login. Check the user name, password or key.`, 'target-credentials', { cause: err });
  }
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(message)) return new Error(`${where} refused the connection. Is the server running?`, { cause: err });
  if (/Unexpected (end|close) event|No SFTP connection available|No response from server|ECONNRESET|EPIPE/.test(message)) {
    return new Error(`${where} dropped the connection (${message}). The next pass picks up where this one stopped.`, { cause: err });
  }
  if (/Timed out|ETIMEDOUT/i.test(message)) return new Error(`${where} did not answer in time.`, { cause: err });
  if (code === 'ENOTFOUND' || /ENOTFOUND|EAI_AGAIN/.test(message)) return new Error(`${opts.host} cannot be found on the network.`, { cause: err });
  if (/No space left|quota/i.test(message)) return new UserError(`The SFTP server ${where} reports its disk is full (${message}).`, 'target-full', { cause: err });
  // OpenSSH's sftp-server answers a write to a full disk with a bare 'Failure'.
  if (/Failure/.test(message)) return new Error(`The SFTP server ${where} refused a write (${message}); its disk may be full.`, { cause: err });
  return new Error(`${where}: ${message}`, { cause: err });
}
