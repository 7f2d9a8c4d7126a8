import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IntegrityError } from '../errors.js';
import { CHUNK_SIZE, cipherSizeFor, decodeHeader, encodeHeader, HEADER_SIZE, newBlobId, plainSizeFor } from './format.js';

const fields = { keyVersion: 7, blobId: newBlobId(), noncePrefix: randomBytes(7), wrappedDek: randomBytes(60) };

describe('blob header', () => {
  it('round-trips every field at a fixed size', () => {
    const raw = encodeHeader(fields);
    expect(raw.length).toBe(HEADER_SIZE);
    expect(raw.subarray(0, 4).toString('ascii')).toBe('HLMB');
    expect(decodeHeader(raw)).toEqual({ ...fields, version: 1, algorithm: 1, chunkSize: CHUNK_SIZE, raw });
  });

  it('makes 32-character lowercase hex blob ids', () => {
    expect(newBlobId()).toMatch(/^[0-9a-f]{32}$/);
    expect(newBlobId()).not.toBe(newBlobId());
  });

  it.each([
    ['bad magic', 0, 0x48 ^ 1, /bad magic/],
    ['unknown version', 4, 2, /format version 2/],
    ['unknown algorithm', 5, 9, /algorithm 9/],
    ['reserved bytes', 7, 1, /reserved/],
    ['chunk size', 9, 0x02, /chunk size 131072/],
  ])('rejects %s with an IntegrityError', (_name, offset, value, message) => {
    const raw = encodeHeader(fields);
    raw[offset] = value;
    expect(() => decodeHeader(raw)).toThrow(IntegrityError);
    expect(() => decodeHeader(raw)).toThrow(message);
  });

  it('rejects a file shorter than the header', () => {
    expect(() => decodeHeader(encodeHeader(fields).subarray(0, 50))).toThrow(/shorter than the 99-byte header/);
  });
});

describe('sizes', () => {
  it.each([0, 1, 65535, 65536, 65537, 2 * 65536, 10_000_000])('plainSizeFor inverts cipherSizeFor for %i bytes', (plain) => {
    expect(plainSizeFor(cipherSizeFor(plain))).toBe(plain);
  });

  it('counts one tag per chunk and one empty chunk for nothing', () => {
    expect(cipherSizeFor(0)).toBe(HEADER_SIZE + 16);
    expect(cipherSizeFor(65536)).toBe(HEADER_SIZE + 65536 + 16);
    expect(cipherSizeFor(65537)).toBe(HEADER_SIZE + 65537 + 32);
  });

  it.each([
    ['no room for a tag', HEADER_SIZE + 15],
    ['a header alone', HEADER_SIZE],
    ['an empty chunk after a full one', HEADER_SIZE + 65552 + 16],
    ['a torn last tag', HEADER_SIZE + 65552 + 10],
  ])('rejects impossible sizes: %s', (_name, size) => {
    expect(() => plainSizeFor(size)).toThrow(IntegrityError);
  });
});
