import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import path from 'node:path/posix';
import type { Readable } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';
import SftpClient from 'ssh2-sftp-client';
import { UserError } from '../errors.js';
import { type PutOptions, type Remote, type RemoteObject, fromSource, SourceError } from './remote.js';

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

/** Bytes per write request: OpenSSH's sftp-server takes 256 KiB packets, less ssh2's allowance for headers. */
const WRITE_SIZE = 252 * 1024;
/** Each read from the file is sent as this many write requests, in one socket write. */
const WRITES_PER_READ = 4;
/** Reads in flight per upload: 2 MiB, OpenSSH's channel window, so a slow link is kept full. */
const READS_IN_FLIGHT = 2;

/**
 * Uploads in flight spread over this many connections, as rclone's transfers are: the server runs one
 * sshd process per connection, so a single connection leaves its decryption and writes to one core.
 */
const UPLOAD_CONNECTIONS = 4;

/** An SFTP session and the TCP socket under it (ours, so that a burst of packets can go out in one write). */
interface Channel {
  wrapper: SFTPWrapper;
  socket: Socket;
}

/** Another NAS or a relative's server, over SFTP. Objects are uploaded beside their name and renamed in. */
export class SftpRemote implements Remote {
  private readonly sftp = new SftpClient('heirloom');
  /** The channel under `sftp`, for the calls made per object, without the client's extra checks. */
  private main!: Promise<Channel>;
  private hostKeyMismatch: string | undefined;
  /** The server's key as this connection accepted it; further connections must present the same one. */
  private acceptedHostKey: string | undefined;
  /** Directories made (or found) on this connection: uploads in parallel share one mkdir per directory. */
  private readonly dirs = new Map<string, Promise<void>>();
  /** Channels for uploads, on extra connections opened when first needed (index 0 is the main one). */
  private readonly lanes: (Promise<Channel> | undefined)[] = [];
  /** Uploads in flight on each lane. */
  private readonly busy: number[] = new Array<number>(UPLOAD_CONNECTIONS).fill(0);
  private readonly extraClients: SftpClient[] = [];
  /** Sets of read buffers, one per upload in flight, kept for the next upload. */
  private readonly readBuffers: Buffer[][] = [];

  constructor(private readonly opts: SftpOptions) {}

  private async openChannel(client: SftpClient, verify: (fingerprint: string) => boolean): Promise<Channel> {
    const { host, port, username, password, privateKey } = this.opts;
    const socket = netConnect({ host, port });
    try {
      const wrapper = await client.connect({
        sock: socket,
        username,
        password,
        privateKey,
        readyTimeout: this.opts.timeoutMs ?? 20_000,
        // A connection that died without closing (a NAS asleep, a network change) is found and dropped.
        keepaliveInterval: 15_000,
        keepaliveCountMax: 3,
        retries: 0,
        hostVerifier: (key: Buffer) => verify(createHash('sha256').update(key).digest('base64')),
      });
      // ssh2 fails the requests in flight when the channel ends, and never answers one made after that.
      wrapper.once('end', () => closedChannels.add(wrapper));
      wrapper.once('close', () => closedChannels.add(wrapper));
      return { wrapper, socket };
    } catch (err) {
      socket.destroy();
      throw err;
    }
  }

  async connect(): Promise<void> {
    const { host } = this.opts;
    try {
      this.main = this.openChannel(this.sftp, (fingerprint) => {
        if (!this.opts.hostKey) {
          this.opts.onNewHostKey?.(fingerprint);
        } else if (fingerprint !== this.opts.hostKey) {
          this.hostKeyMismatch = fingerprint;
          return false;
        }
        this.acceptedHostKey = fingerprint;
        return true;
      });
      this.lanes[0] = this.main;
      await this.main;
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

  /** One request on the main SFTP channel itself. */
  private async call<T>(send: (w: SFTPWrapper, cb: Callback<T>) => void): Promise<T> {
    const { wrapper } = await this.main;
    return request<T>(wrapper, (cb) => send(wrapper, cb));
  }

  /** Runs an upload on the lane with the fewest in flight; a connection that cannot be opened leaves its share to the main one. */
  private async onLane<T>(upload: (channel: Channel) => Promise<T>): Promise<T> {
    let i = 0;
    for (let j = 1; j < UPLOAD_CONNECTIONS; j++) if (this.busy[j]! < this.busy[i]!) i = j;
    let lane = this.lanes[i];
    if (!lane) {
      const extra = new SftpClient('heirloom-upload');
      lane = this.openChannel(extra, (fingerprint) => fingerprint === this.acceptedHostKey).then(
        (channel) => {
          this.extraClients.push(extra);
          return channel;
        },
        async () => {
          await extra.end().catch(() => undefined);
          return this.main;
        },
      );
      this.lanes[i] = lane;
    }
    this.busy[i]!++;
    try {
      return await upload(await lane);
    } finally {
      this.busy[i]!--;
    }
  }

  private file(key: string): string {
    return path.join(this.opts.root, key);
  }

  async put(key: string, file: string, _size: number, opts: PutOptions = {}): Promise<void> {
    const dest = this.file(key);
    const part = `${dest}.part-${process.pid}`;
    try {
      await this.onLane(async ({ wrapper, socket }) => {
        try {
          const sha256 = await this.send(wrapper, socket, file, part, opts.signal);
          if (opts.sha256 && sha256 !== opts.sha256) throw new SourceError(file);
          // posix-rename replaces an existing object atomically (plain SFTP rename refuses to).
          await request<void>(wrapper, (cb) => wrapper.ext_openssh_rename(part, dest, cb));
        } catch (err) {
          // Over the upload's own connection first: the main one may be the one that failed.
          await request<void>(wrapper, (cb) => wrapper.unlink(part, cb)).catch(() => this.sftp.delete(part, true).catch(() => undefined));
          throw err;
        }
      });
    } catch (err) {
      throw err instanceof SourceError ? err : friendly(err, this.opts);
    }
  }

  /**
   * Writes a file to `dest` with several large writes in flight, hashing the bytes as they are read,
   * so the file is read once for both. Returns their SHA-256 (hex).
   */
  private async send(wrapper: SFTPWrapper, socket: Socket, file: string, dest: string, signal?: AbortSignal): Promise<string> {
    const hash = createHash('sha256');
    const source = await fromSource(file, open(file, 'r'), signal);
    const readSize = WRITE_SIZE * WRITES_PER_READ;
    const buffers = this.readBuffers.pop() ?? Array.from({ length: READS_IN_FLIGHT }, () => Buffer.allocUnsafeSlow(readSize));
    const free = [...buffers];
    let failure: unknown;
    let wake: (() => void) | undefined;
    const settled = () => new Promise<void>((resolve) => (wake = resolve));
    const onAbort = () => wake?.();
    signal?.addEventListener('abort', onAbort);
    const allAnswered = () => free.length === buffers.length;
    let handle: Buffer | undefined;
    try {
      handle = await this.create(wrapper, dest);
      for (let position = 0; ; ) {
        while (free.length === 0 && failure === undefined && !signal?.aborted) await settled();
        if (failure !== undefined) throw failure;
        signal?.throwIfAborted();
        const buffer = free.pop()!;
        const { bytesRead } = await fromSource(file, source.read(buffer, 0, readSize, position), signal);
        if (bytesRead === 0) {
          free.push(buffer);
          break;
        }
        hash.update(buffer.subarray(0, bytesRead));
        if (closedChannels.has(wrapper)) throw new Error('No SFTP connection available');
        // The buffer goes back to the free list only once the server has answered each of its writes.
        let unanswered = Math.ceil(bytesRead / WRITE_SIZE);
        const answered = (err?: Error | null) => {
          if (err) failure ??= err;
          if (--unanswered === 0) free.push(buffer);
          wake?.();
        };
        socket.cork();
        for (let offset = 0; offset < bytesRead; offset += WRITE_SIZE) {
          wrapper.write(handle, buffer, offset, Math.min(WRITE_SIZE, bytesRead - offset), position + offset, answered);
        }
        socket.uncork();
        position += bytesRead;
      }
      while (!allAnswered() && failure === undefined && !signal?.aborted) await settled();
      if (failure !== undefined) throw failure;
      signal?.throwIfAborted();
      // Reused only after a clean finish: after a failure a write might still hold one.
      this.readBuffers.push(buffers);
      const written = handle;
      handle = undefined;
      // A server may report a failed write only when the file is closed.
      await request<void>(wrapper, (cb) => wrapper.close(written, cb));
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await source.close();
      if (handle) {
        // Writes still on their way must not outlive the handle: ssh2 sends the rest of a write longer than
        // the server takes only as the first part is answered, and a handle number can be given out again.
        while (!allAnswered() && !closedChannels.has(wrapper) && !signal?.aborted) await settled();
        const closing = request<void>(wrapper, (cb) => wrapper.close(handle!, cb)).catch(() => undefined);
        // A cancelled pass does not wait on a server that may not answer; its connection is closed next.
        if (!signal?.aborted) await closing;
      }
    }
    return hash.digest('hex');
  }

  /**
   * Opens a new file for writing, its missing directories made in the same round trip: OpenSSH's
   * sftp-server answers a channel's requests in order, so the open comes after the mkdirs. A server
   * that does not gets its directories made one by one and the open tried once more.
   */
  private async create(wrapper: SFTPWrapper, file: string): Promise<Buffer> {
    const dir = path.dirname(file);
    const missing: string[] = [];
    for (let d = dir; d.length > this.opts.root.length && !this.dirs.has(d); d = path.dirname(d)) missing.unshift(d);
    // Failures are left to the open: most are "it exists already".
    const making = missing.map((d) => request<void>(wrapper, (cb) => wrapper.mkdir(d, cb)).catch(() => undefined));
    const open = () => request<Buffer>(wrapper, (cb) => wrapper.open(file, 'w', cb));
    try {
      const handle = await open();
      for (const d of missing) this.dirs.set(d, Promise.resolve());
      return handle;
    } catch {
      await Promise.all(making);
      await this.ensureDir(dir);
      return open();
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
    await Promise.allSettled(this.lanes.splice(0));
    await Promise.all(this.extraClients.splice(0).map((c) => c.end().catch(() => undefined)));
    await this.sftp.end().catch(() => undefined);
  }
}

type Callback<T> = (err: Error | null | undefined, value?: T) => void;

/** Channels that have closed: ssh2 drops a request made on one without ever answering it, so none is made. */
const closedChannels = new WeakSet<SFTPWrapper>();

function request<T>(wrapper: SFTPWrapper, send: (cb: Callback<T>) => void): Promise<T> {
  if (closedChannels.has(wrapper)) return Promise.reject(new Error('No SFTP connection available'));
  return new Promise<T>((resolve, reject) => send((err, value) => (err ? reject(err) : resolve(value as T))));
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
