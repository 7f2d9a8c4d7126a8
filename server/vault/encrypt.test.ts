import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEncryptStream, encryptBuffer, type TestVectorSecrets } from './encrypt.js';
import { cipherSizeFor, decodeHeader, newBlobId } from './format.js';
import { Keyring } from './keyring.js';
import { decryptFile, openBlob } from './reader.js';

const keyring = Keyring.generate();
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'heirloom-encrypt-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Feeds `plain` in uneven pieces so chunk boundaries never line up with writes. */
function unevenly(plain: Buffer): Readable {
  const pieces: Buffer[] = [];
  for (let at = 0, step = 1; at < plain.length; at += step, step = ((step * 7 + 13) % 100_003) + 1) pieces.push(plain.subarray(at, at + step));
  return Readable.from(pieces);
}

async function encryptStreamed(plain: Buffer, blobId?: string, vector?: TestVectorSecrets) {
  const { stream, sealed } = createEncryptStream(keyring, blobId, vector);
  const parts: Buffer[] = [];
  await pipeline(unevenly(plain), stream, new Writable({ write: (c: Buffer, _e, done) => (parts.push(c), done()) }));
  return { bytes: Buffer.concat(parts), sealed: sealed() };
}

describe('encryption round trip', () => {
  it.each([0, 1, 65535, 65536, 65537, 10_000_000])('%i bytes', async (size) => {
    const plain = randomBytes(size);
    const { bytes, sealed } = encryptBuffer(keyring, plain);
    expect(bytes.length).toBe(cipherSizeFor(size));
    expect(sealed).toMatchObject({ keyVersion: 1, plainSize: size, plainSha256: sha256(plain), cipherSize: bytes.length, cipherSha256: sha256(bytes) });
    expect(decodeHeader(bytes)).toMatchObject({ blobId: sealed.blobId, keyVersion: 1, wrappedDek: sealed.wrappedDek });

    const file = path.join(dir, sealed.blobId);
    await writeFile(file, bytes);
    const blob = await openBlob(file, keyring);
    expect(blob.plainSize).toBe(size);
    expect((await blob.readAll()).equals(plain)).toBe(true);
    await blob.close();

    const out: Buffer[] = [];
    const info = await decryptFile(file, keyring, new Writable({ write: (c: Buffer, _e, done) => (out.push(c), done()) }));
    expect(Buffer.concat(out).equals(plain)).toBe(true);
    expect(info).toEqual({ blobId: sealed.blobId, keyVersion: 1, plainSize: size, plainSha256: sha256(plain) });
  });

  it('streams the same blob as encryptBuffer', async () => {
    const plain = randomBytes(3 * 65536 + 12345);
    const fromBuffer = encryptBuffer(keyring, plain);
    const streamed = await encryptStreamed(plain);
    expect(streamed.bytes.length).toBe(fromBuffer.bytes.length);
    for (const key of ['plainSize', 'plainSha256', 'cipherSize', 'keyVersion'] as const) expect(streamed.sealed[key]).toBe(fromBuffer.sealed[key]);
    expect(streamed.sealed.cipherSha256).toBe(sha256(streamed.bytes));

    const blobId = newBlobId();
    const dek = randomBytes(32);
    const vector = { dek, noncePrefix: randomBytes(7), wrappedDek: keyring.wrapDek(dek, blobId) };
    const fixed = encryptBuffer(keyring, plain, blobId, vector);
    const fixedStreamed = await encryptStreamed(plain, blobId, vector);
    expect(fixedStreamed.bytes.equals(fixed.bytes)).toBe(true);
    expect(fixedStreamed.sealed).toEqual(fixed.sealed);
  });

  it('gives every blob its own id, data key and nonce prefix', () => {
    const a = encryptBuffer(keyring, Buffer.from('same'));
    const b = encryptBuffer(keyring, Buffer.from('same'));
    expect(a.sealed.blobId).not.toBe(b.sealed.blobId);
    expect(a.sealed.cipherSha256).not.toBe(b.sealed.cipherSha256);
    expect(decodeHeader(a.bytes).noncePrefix.equals(decodeHeader(b.bytes).noncePrefix)).toBe(false);
  });

  it('refuses test vector secrets whose wrapped DEK does not match', () => {
    const blobId = newBlobId();
    const vector = { dek: randomBytes(32), noncePrefix: randomBytes(7), wrappedDek: keyring.wrapDek(randomBytes(32), blobId) };
    expect(() => encryptBuffer(keyring, Buffer.alloc(1), blobId, vector)).toThrow(/does not unwrap/);
  });
});
