import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createZipStream, EntryNames, zipEntryName, type ZipSource } from '../server/library/zip-stream.js';
import { makeFixtureDir, removeFixtureDir } from './fixtures/index.js';

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await makeFixtureDir('heirloom-zip-');
});

afterAll(async () => {
  await removeFixtureDir(dir);
});

const source = (name: string, body: Buffer): ZipSource => ({ name, size: body.length, mtime: new Date(Date.UTC(2020, 0, 2, 3, 4, 5)), open: async () => Readable.from([body]) });

/** The signature of the ZIP64 end of central directory record. */
const ZIP64_EOCD = Buffer.from([0x50, 0x4b, 0x06, 0x06]);

describe('createZipStream', () => {
  it('writes a stored zip of exactly the announced size that unzip reads back', async () => {
    const bodies = [Buffer.from('first'), Buffer.alloc(200_000, 7), Buffer.from('🌅 third')];
    const { stream, size } = createZipStream(bodies.map((b, i) => source(`f${i}.bin`, b)));
    const file = path.join(dir, 'small.zip');
    await pipeline(stream, createWriteStream(file));
    expect((await stat(file)).size).toBe(await size);
    await run('unzip', ['-tqq', file]);
    for (const [i, body] of bodies.entries()) {
      const { stdout } = await run('unzip', ['-p', file, `f${i}.bin`], { encoding: 'buffer' });
      expect(stdout.equals(body)).toBe(true);
    }
    expect((await readFile(file)).includes(ZIP64_EOCD)).toBe(false);
  });

  it('writes ZIP64 records (as it does by itself past 4 GiB or 65 534 entries) that unzip reads', async () => {
    // Crossing the real thresholds takes gigabytes or minutes; forcing the format exercises the same records.
    const bodies = Array.from({ length: 50 }, (_, i) => Buffer.alloc(1000 + i, i));
    const { stream, size } = createZipStream(
      bodies.map((b, i) => source(`p${i}.bin`, b)),
      { forceZip64: true },
    );
    const file = path.join(dir, 'zip64.zip');
    await pipeline(stream, createWriteStream(file));
    expect((await stat(file)).size).toBe(await size);
    expect((await readFile(file)).subarray(-200).includes(ZIP64_EOCD)).toBe(true);
    await run('unzip', ['-tqq', file]);
    expect((await run('unzip', ['-Z1', file])).stdout.trim().split('\n')).toHaveLength(50);
    expect((await run('unzip', ['-p', file, 'p49.bin'], { encoding: 'buffer' })).stdout.equals(bodies[49]!)).toBe(true);
  });

  it('ends with an error, not a complete-looking archive, when a source fails mid-way', async () => {
    const broken: ZipSource = {
      name: 'broken.bin',
      size: 10,
      mtime: new Date(),
      open: async () =>
        new Readable({
          read() {
            this.destroy(new Error('chunk 3 failed authentication'));
          },
        }),
    };
    const { stream } = createZipStream([source('ok.txt', Buffer.from('fine')), broken, source('never.txt', Buffer.from('x'))]);
    await expect(pipeline(stream, createWriteStream(path.join(dir, 'broken.zip')))).rejects.toThrow('chunk 3 failed authentication');
  });
});

describe('zip entry names', () => {
  it('keeps only a safe bare file name', () => {
    expect(zipEntryName('../../etc/passwd', 'x')).toBe('passwd');
    expect(zipEntryName('C:\\Users\\anna\\IMG_1.JPG', 'x')).toBe('IMG_1.JPG');
    expect(zipEntryName('what?.jpg', 'x')).toBe('what_.jpg');
    expect(zipEntryName('tab\there.jpg', 'x')).toBe('tabhere.jpg');
    expect(zipEntryName('..', 'item-7')).toBe('item-7');
    expect(zipEntryName('trailing. ', 'x')).toBe('trailing');
    expect(zipEntryName('CON.jpg', 'x')).toBe('_CON.jpg');
    expect(zipEntryName('Grüße 🌅.jpg', 'x')).toBe('Grüße 🌅.jpg');
    const long = zipEntryName(`${'ü'.repeat(300)}.jpeg`, 'x');
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(200);
    expect(long.endsWith('ü.jpeg')).toBe(true);
  });

  it('makes names unique, case-insensitively, without colliding with real names', () => {
    const names = new EntryNames();
    expect(['IMG_1.JPG', 'img_1.jpg', 'IMG_1 (2).JPG', 'IMG_1.JPG', 'README', 'readme'].map((n) => names.take(n))).toEqual([
      'IMG_1.JPG',
      'img_1 (2).jpg',
      'IMG_1 (2) (2).JPG',
      'IMG_1 (3).JPG',
      'README',
      'readme (2)',
    ]);
  });
});
