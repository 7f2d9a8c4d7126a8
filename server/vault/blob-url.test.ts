import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTool } from '../media/run-tool.js';
import { closeBlobUrls, serveBlob } from './blob-url.js';
import { encryptBuffer } from './encrypt.js';
import { CHUNK_SIZE } from './format.js';
import { Keyring } from './keyring.js';
import { openBlob } from './reader.js';

const keyring = Keyring.generate();
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'heirloom-blob-url-'));
});
afterAll(async () => {
  await closeBlobUrls();
  await rm(dir, { recursive: true, force: true });
});

async function sealed(plain: Buffer): Promise<string> {
  const file = path.join(dir, `${randomBytes(6).toString('hex')}.blob`);
  await writeFile(file, encryptBuffer(keyring, plain).bytes);
  return file;
}

describe('serveBlob', () => {
  it('answers whole and ranged reads with the plaintext slice', async () => {
    const plain = randomBytes(5 * CHUNK_SIZE + 777);
    const lent = await serveBlob(await openBlob(await sealed(plain), keyring));
    try {
      const whole = await fetch(lent.url);
      expect(whole.status).toBe(200);
      expect(whole.headers.get('accept-ranges')).toBe('bytes');
      expect(Buffer.from(await whole.arrayBuffer()).equals(plain)).toBe(true);
      for (const [range, start, end] of [
        ['bytes=100-199', 100, 199],
        [`bytes=${2 * CHUNK_SIZE - 5}-`, 2 * CHUNK_SIZE - 5, plain.length - 1],
        ['bytes=-10', plain.length - 10, plain.length - 1],
      ] as const) {
        const res = await fetch(lent.url, { headers: { range } });
        expect(res.status).toBe(206);
        expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${plain.length}`);
        expect(Buffer.from(await res.arrayBuffer()).equals(plain.subarray(start, end + 1))).toBe(true);
      }
      expect((await fetch(lent.url, { headers: { range: `bytes=${plain.length}-` } })).status).toBe(416);
    } finally {
      await lent.close();
    }
    // Closed: the URL reads nothing any more.
    expect((await fetch(lent.url)).status).toBe(404);
  });

  it('lends a window of a blob as a file of its own', async () => {
    const plain = randomBytes(3 * CHUNK_SIZE + 99);
    const [offset, length] = [CHUNK_SIZE - 7, CHUNK_SIZE + 500];
    const part = plain.subarray(offset, offset + length);
    const lent = await serveBlob(await openBlob(await sealed(plain), keyring), { offset, length });
    try {
      expect(Buffer.from(await (await fetch(lent.url)).arrayBuffer()).equals(part)).toBe(true);
      const tail = await fetch(lent.url, { headers: { range: 'bytes=-20' } });
      expect(tail.headers.get('content-range')).toBe(`bytes ${length - 20}-${length - 1}/${length}`);
      expect(Buffer.from(await tail.arrayBuffer()).equals(part.subarray(length - 20))).toBe(true);
      expect((await fetch(lent.url, { headers: { range: `bytes=${length}-` } })).status).toBe(416);
    } finally {
      await lent.close();
    }
    await expect(serveBlob(await openBlob(await sealed(plain), keyring), { offset: plain.length - 10, length: 11 })).rejects.toThrow(/outside/);
  });

  it('refuses a guessed token and any method but GET and HEAD', async () => {
    const lent = await serveBlob(await openBlob(await sealed(randomBytes(10)), keyring));
    try {
      expect((await fetch(lent.url.replace(/[0-9a-f]{32}$/, '0'.repeat(32)))).status).toBe(404);
      expect((await fetch(lent.url, { method: 'POST' })).status).toBe(404);
      expect((await fetch(lent.url, { method: 'HEAD' })).headers.get('content-length')).toBe('10');
    } finally {
      await lent.close();
    }
  });

  it('lets ffprobe read a video whose moov atom sits at the end, without a plaintext copy', async () => {
    const mp4 = path.join(dir, 'late-moov.mp4');
    await runTool('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-t', '3', '-c:v', 'libx264', '-preset', 'ultrafast', mp4], { timeoutMs: 30_000 });
    const lent = await serveBlob(await openBlob(await sealed(await readFile(mp4)), keyring));
    try {
      const { stdout } = await runTool('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', lent.url], { timeoutMs: 30_000 });
      expect(Number(stdout.toString())).toBeCloseTo(3, 1);
    } finally {
      await lent.close();
    }
  });
});
