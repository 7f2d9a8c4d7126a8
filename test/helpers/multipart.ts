import { randomBytes } from 'node:crypto';

/** A multipart body carrying `content` in the field "file", as bytes, to send by hand. */
export function multipart(content: Buffer, name = 'big.jpg'): { body: Buffer; type: string } {
  const boundary = `----heirloom${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, content, tail]), type: `multipart/form-data; boundary=${boundary}` };
}
