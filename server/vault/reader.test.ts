import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntegrityError } from '../errors.js';
import { encryptBuffer } from './encrypt.js';
import { CHUNK_SIZE, HEADER_SIZE, newBlobId, TAG_SIZE } from './format.js';
import { Keyring } from './keyring.js';
import { openBlob } from './reader.js';

const C = CHUNK_SIZE;
const STRIDE = C + TAG_SIZE;
const keyring = Keyring.generate();
const plain = randomBytes(16 * C + 12_345);
const { bytes: good } = encryptBuffer(keyring, plain);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'heirloom-reader-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fileWith(bytes: Buffer): Promise<string> {
  const file = path.join(dir, newBlobId());
  await writeFile(file, bytes);
  return file;
}

async function drain(stream: Readable): Promise<{ data: Buffer; error?: unknown }> {
  const parts: Buffer[] = [];
  try {
    for await (const part of stream) parts.push(part as Buffer);
    return { data: Buffer.concat(parts) };
  } catch (error) {
    return { data: Buffer.concat(parts), error };
  }
}

const chunkAt = (bytes: Buffer, i: number) => bytes.subarray(HEADER_SIZE + i * STRIDE, HEADER_SIZE + (i + 1) * STRIDE);

describe('range reads', () => {
  it('returns the plaintext slice for 200 random ranges and every chunk boundary', async () => {
    const blob = await openBlob(await fileWith(good), keyring);
    const ranges: [number, number][] = [];
    for (let k = 0; k < 200; k++) {
      const a = randomInt(plain.length);
      const b = randomInt(plain.length);
      ranges.push([Math.min(a, b), Math.max(a, b)]);
    }
    for (let i = 1; i <= 16; i++) ranges.push([i * C - 1, i * C], [i * C, i * C], [i * C - 1, i * C - 1], [(i - 1) * C, i * C - 1]);
    ranges.push([0, 0], [0, plain.length - 1], [plain.length - 1, plain.length - 1]);
    for (const [start, end] of ranges) {
      const { data, error } = await drain(blob.createReadStream({ start, end }));
      expect(error).toBeUndefined();
      expect(data.equals(plain.subarray(start, end + 1)), `range ${start}-${end}`).toBe(true);
    }
    await blob.close();
  });

  it('rejects ranges outside the blob', async () => {
    const blob = await openBlob(await fileWith(good), keyring);
    for (const [start, end] of [[-1, 5], [5, 4], [0, plain.length], [0.5, 9]] as const) expect(() => blob.createReadStream({ start, end })).toThrow(RangeError);
    await blob.close();
  });

  it('decrypts only the chunks a range touches', async () => {
    const bad = Buffer.from(good);
    chunkAt(bad, 10)[100]! ^= 0x01;
    const blob = await openBlob(await fileWith(bad), keyring);
    expect((await drain(blob.createReadStream({ start: 2 * C + 5, end: 4 * C }))).data.equals(plain.subarray(2 * C + 5, 4 * C + 1))).toBe(true);
    expect((await drain(blob.createReadStream({ start: 9 * C, end: 10 * C }))).error).toBeInstanceOf(IntegrityError);
    await blob.close();
  });

  it('reads a blob many reads long, whole and in a range that starts and ends mid-chunk', async () => {
    const long = randomBytes(50 * C + 777);
    const blob = await openBlob(await fileWith(encryptBuffer(keyring, long).bytes), keyring);
    expect((await blob.readAll()).equals(long)).toBe(true);
    expect((await drain(blob.createReadStream())).data.equals(long)).toBe(true);
    expect((await drain(blob.createReadStream({ start: 3 * C + 5, end: 45 * C + 9 }))).data.equals(long.subarray(3 * C + 5, 45 * C + 10))).toBe(true);
    await blob.close();
  });

  it('verifies the lone empty chunk of an empty blob', async () => {
    const { bytes } = encryptBuffer(keyring, Buffer.alloc(0));
    const blob = await openBlob(await fileWith(bytes), keyring);
    expect((await drain(blob.createReadStream())).data).toHaveLength(0);
    await blob.close();
    bytes[bytes.length - 1]! ^= 0x80;
    const damaged = await openBlob(await fileWith(bytes), keyring);
    await expect(damaged.readAll()).rejects.toThrow(/chunk 0 of 1 failed authentication/);
    await damaged.close();
  });
});

/**
 * Reads the damaged blob in full, both ways. It must fail with an IntegrityError whose message
 * matches, and whatever came out before the failure must be genuine plaintext from chunks
 * before `firstBadChunk`.
 */
async function expectDamage(bytes: Buffer, message: RegExp, firstBadChunk = 0, expected = plain): Promise<void> {
  const file = await fileWith(bytes);
  let blob;
  try {
    blob = await openBlob(file, keyring);
  } catch (err) {
    expect(err).toBeInstanceOf(IntegrityError);
    expect((err as Error).message).toMatch(message);
    return;
  }
  try {
    await expect(blob.readAll()).rejects.toThrow(IntegrityError);
    const { data, error } = await drain(blob.createReadStream());
    expect(error).toBeInstanceOf(IntegrityError);
    expect((error as Error).message).toMatch(message);
    expect(data.length).toBeLessThanOrEqual(firstBadChunk * C);
    expect(data.equals(expected.subarray(0, data.length))).toBe(true);
  } finally {
    await blob.close();
  }
}

describe('damage is detected', () => {
  const flipped = (at: number, bit = 0x01) => {
    const bad = Buffer.from(good);
    bad[at]! ^= bit;
    return bad;
  };

  it.each([
    ['magic', 1, /bad magic/],
    ['format version', 4, /format version/],
    ['algorithm', 5, /algorithm/],
    ['reserved', 6, /reserved/],
    ['chunk size', 10, /chunk size/],
    ['key version', 15, /master key version/],
    ['blob id', 20, /wrong master key or damaged blob header/],
    ['nonce prefix', 35, /chunk 0 of 17 failed authentication/],
    ['wrapped DEK nonce', 40, /wrong master key or damaged blob header/],
    ['wrapped DEK ciphertext', 60, /wrong master key or damaged blob header/],
    ['wrapped DEK tag', 98, /wrong master key or damaged blob header/],
  ])('a flipped bit in the header: %s', async (_name, at, message) => {
    await expectDamage(flipped(at), message);
  });

  it('a flipped bit in a chunk body or tag', async () => {
    await expectDamage(flipped(HEADER_SIZE + 3 * STRIDE + 1000, 0x40), /chunk 3 of 17 failed authentication/, 3);
    await expectDamage(flipped(HEADER_SIZE + 4 * STRIDE - 1), /chunk 3 of 17 failed authentication/, 3);
    await expectDamage(flipped(good.length - 1), /chunk 16 of 17 failed authentication/, 16);
  });

  it('a file truncated mid-chunk or at a chunk boundary', async () => {
    await expectDamage(good.subarray(0, HEADER_SIZE + 5 * STRIDE + 1000), /chunk 5 of 6 failed authentication/, 5);
    await expectDamage(good.subarray(0, HEADER_SIZE + 5 * STRIDE), /chunk 4 of 5 failed authentication/, 4);
    await expectDamage(good.subarray(0, good.length - 1), /chunk 16 of 17 failed authentication/, 16);
    await expectDamage(good.subarray(0, HEADER_SIZE + 5 * STRIDE + 7), /no plaintext encrypts to/);
    await expectDamage(good.subarray(0, HEADER_SIZE - 1), /shorter than the 99-byte header/);
  });

  it('two chunks swapped', async () => {
    const bad = Buffer.from(good);
    chunkAt(good, 3).copy(bad, HEADER_SIZE + 2 * STRIDE);
    chunkAt(good, 2).copy(bad, HEADER_SIZE + 3 * STRIDE);
    await expectDamage(bad, /chunk 2 of 17 failed authentication/, 2);
  });

  it('a chunk spliced from another blob, even one with the same data key and nonce prefix', async () => {
    const other = encryptBuffer(keyring, plain).bytes;
    const bad = Buffer.from(good);
    chunkAt(other, 7).copy(bad, HEADER_SIZE + 7 * STRIDE);
    await expectDamage(bad, /chunk 7 of 17 failed authentication/, 7);

    const dek = randomBytes(32);
    const noncePrefix = randomBytes(7);
    const [idA, idB] = [newBlobId(), newBlobId()];
    const a = encryptBuffer(keyring, plain, idA, { dek, noncePrefix, wrappedDek: keyring.wrapDek(dek, idA) }).bytes;
    const b = encryptBuffer(keyring, Buffer.from(plain.map((x) => x ^ 0xff)), idB, { dek, noncePrefix, wrappedDek: keyring.wrapDek(dek, idB) }).bytes;
    chunkAt(b, 7).copy(a, HEADER_SIZE + 7 * STRIDE);
    await expectDamage(a, /chunk 7 of 17 failed authentication/, 7);
  });

  it('the wrong master key', async () => {
    await expect(openBlob(await fileWith(good), Keyring.generate())).rejects.toThrow(/wrong master key or damaged blob header/);
  });
});
