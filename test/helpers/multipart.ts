import { randomBytes } from 'node:crypto';
import { request as httpRequest, type ClientRequest } from 'node:http';
import type { WebClient } from './web-client.js';

/** A multipart body carrying `content` in the field "file", as bytes, to send by hand. */
export function multipart(content: Buffer, name = 'big.jpg'): { body: Buffer; type: string } {
  const boundary = `----heirloom${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, content, tail]), type: `multipart/form-data; boundary=${boundary}` };
}

/**
 * POSTs a multipart body to /upload by hand as the signed-in `web` client: chunked (no length, so only
 * the stream itself can be refused) in `piece`-byte writes, or with `write` taking over the writing.
 */
export function postUpload(
  web: WebClient,
  serverUrl: string,
  { body, type }: { body: Buffer; type: string },
  opts: { piece?: number; write?: (req: ClientRequest) => void } = {},
): Promise<{ status: number; text: string }> {
  const cookie = [...web.cookies].map(([k, val]) => `${k}=${val}`).join('; ');
  const length: Record<string, string> = opts.write ? { 'content-length': String(body.length) } : { 'transfer-encoding': 'chunked' };
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL('/upload', serverUrl), { method: 'POST', headers: { 'content-type': type, 'x-csrf-token': web.csrf, cookie, ...length } });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    if (opts.write) return opts.write(req);
    const piece = opts.piece ?? 64 * 1024;
    for (let at = 0; at < body.length; at += piece) req.write(body.subarray(at, at + piece));
    req.end();
  });
}
