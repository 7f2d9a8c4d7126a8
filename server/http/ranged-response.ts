import type { Readable } from 'node:stream';
import { ReadableStream as WebStream } from 'node:stream/web';
import type { Context } from 'hono';
import { parseRange } from './byte-range.js';

/** Bytes that can be read whole or in part: a stored blob, decrypted as it is read. */
export interface RangedBody {
  size: number;
  /** All bytes, or an inclusive range; the stream closes the body when it closes. */
  read(range?: { start: number; end: number }): Readable;
  /** For a body that is not read (HEAD, 416). */
  close(): Promise<void>;
}

/**
 * Answers a GET or HEAD for one unchanging file with Range support (RFC 9110 §13–14): 304 for a matching
 * If-None-Match, 206 with Content-Range for one satisfiable range, 416 with the size in Content-Range for an
 * unsatisfiable one, and the whole file when an If-Range names another version. `etag` must name exactly
 * these bytes (a blob id does: a blob never changes); `open` is only called when bytes or a size are needed.
 */
export async function rangedResponse(c: Context, opts: { etag: string; headers: Record<string, string>; open: () => Promise<RangedBody> }): Promise<Response> {
  const { etag } = opts;
  const headers: Record<string, string> = { ...opts.headers, 'Accept-Ranges': 'bytes', ETag: etag };
  if ((c.req.header('if-none-match') ?? '').split(',').some((t) => t.trim() === etag)) return c.body(null, 304, headers);
  const body = await opts.open();
  const ifRange = c.req.header('if-range');
  const range = ifRange === undefined || ifRange === etag ? parseRange(c.req.header('range'), body.size) : undefined;
  if (range === 'unsatisfiable') {
    await body.close();
    return c.text(`The requested range is not within this ${body.size}-byte file.`, 416, { 'Content-Range': `bytes */${body.size}`, 'Accept-Ranges': 'bytes' });
  }
  const status = range ? 206 : 200;
  headers['Content-Length'] = String(range ? range.end - range.start + 1 : body.size);
  if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${body.size}`;
  if (c.req.method === 'HEAD') {
    await body.close();
    return c.body(null, status, headers);
  }
  // Pulled straight from the Node stream's iterator: lighter than Readable.toWeb, and a client that goes away
  // cancels it, which destroys the stream and closes the file.
  return c.body(WebStream.from<Uint8Array>(body.read(range)) as ReadableStream<Uint8Array>, status, headers);
}
