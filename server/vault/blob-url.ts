import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { IntegrityError } from '../errors.js';
import { hangArmed } from '../faults.js';
import { parseRange } from '../http/byte-range.js';
import type { OpenBlob } from './reader.js';

/** A blob readable by a child process (ffmpeg, ffprobe) at `url` until `close()`. */
export interface BlobUrl {
  url: string;
  close(): Promise<void>;
}

/** Bytes offset … offset+length−1 of a blob, read as a file of their own (a motion photo's embedded video). */
export interface BlobWindow {
  offset: number;
  length: number;
}

const served = new Map<string, { blob: OpenBlob } & BlobWindow>();
let server: Promise<{ server: Server; port: number }> | undefined;

/**
 * Lends an open blob to a tool as an http://127.0.0.1 URL with Range support, so that ffmpeg can seek
 * through a large video while every byte it reads is decrypted (and its tag verified) on the way, and no
 * plaintext copy is written anywhere. The path holds 128 random bits, so only the tool it is given to can
 * read it. With a `window`, the URL holds only those bytes. The blob is closed with the URL.
 */
export async function serveBlob(blob: OpenBlob, window: BlobWindow = { offset: 0, length: blob.plainSize }): Promise<BlobUrl> {
  const { offset, length } = window;
  if (offset < 0 || length < 0 || offset + length > blob.plainSize) {
    await blob.close();
    throw new IntegrityError(`bytes ${offset}–${offset + length - 1} lie outside the ${blob.plainSize}-byte stored file`);
  }
  const { port } = await (server ??= listen());
  const token = randomBytes(16).toString('hex');
  served.set(token, { blob, offset, length });
  return {
    url: `http://127.0.0.1:${port}/blob/${token}`,
    close: async () => {
      if (served.delete(token)) await blob.close();
    },
  };
}

/** Stops the loopback server once nothing is lent any more (tests, shutdown). */
export async function closeBlobUrls(): Promise<void> {
  const s = server;
  server = undefined;
  if (!s) return;
  const { server: http } = await s;
  http.closeAllConnections();
  http.close();
}

async function listen(): Promise<{ server: Server; port: number }> {
  const http = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  // Connections a killed tool leaves open must not keep the process alive.
  http.unref();
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  return { server: http, port: (http.address() as AddressInfo).port };
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const lent = served.get(/^\/blob\/([0-9a-f]{32})$/.exec(req.url ?? '')?.[1] ?? '');
  if (!lent || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(404).end();
    return;
  }
  const { blob, offset, length: size } = lent;
  const range = parseRange(req.headers.range, size);
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Type', 'application/octet-stream');
  if (range === 'unsatisfiable') {
    res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
    return;
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  res.setHeader('Content-Length', String(end - start + 1));
  if (range) res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
  res.writeHead(range ? 206 : 200);
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  const stallAt = hangArmed('loopback-stall') ? Math.floor(size / 2) : undefined;
  if (stallAt !== undefined && start < stallAt && end >= stallAt) {
    // The bytes up to the middle, then nothing and no end: the reader waits as on a dead disk.
    await pipeline(blob.createReadStream({ start: offset + start, end: offset + stallAt - 1 }), res, { end: false }).catch(() => undefined);
    return;
  }
  // A tool that seeks closes its connection midway: that ends the pipeline early, and is not an error.
  await pipeline(blob.createReadStream({ start: offset + start, end: offset + end }), res).catch(() => undefined);
}
