import { execFileSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptBuffer } from './encrypt.js';
import { encodeHeader } from './format.js';
import { Keyring } from './keyring.js';
import { openBlob } from './reader.js';

const doc = await readFile(new URL('../../docs/vault-format.md', import.meta.url), 'utf8');
const vectorBlock = doc.split('## Test vectors')[1]!.match(/```text\n([\s\S]*?)```/)![1]!;
const vector = Object.fromEntries(vectorBlock.trim().split('\n').map((line) => line.split(/\s+=\s+/).map((s) => s.trim()) as [string, string]));
const hex = (name: string) => Buffer.from(vector[name]!, 'hex');
const handDecrypt = doc.match(/```js\n([\s\S]*?)```/)![1]!;

const masterKey = hex('master key');
const blobId = vector['blob id']!;
const secrets = { dek: hex('DEK'), noncePrefix: hex('nonce prefix'), wrappedDek: hex('wrapped DEK') };
let dir: string;
let keyFile: string;
let keyring: Keyring;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'heirloom-vectors-'));
  keyFile = path.join(dir, 'master.key');
  const keys = [{ version: Number(vector['key version']), key: masterKey.toString('base64'), created: '2025-01-01T00:00:00.000Z' }];
  await writeFile(keyFile, JSON.stringify({ heirloom: 'master-key', format: 1, keys }));
  keyring = await Keyring.load(keyFile);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('docs/vault-format.md test vectors', () => {
  it('the wrapped DEK and header follow from the inputs', () => {
    const aad = Buffer.concat([Buffer.from('heirloom-dek-v1'), Buffer.from(blobId, 'hex'), Buffer.from([0, 0, 0, 1])]);
    const cipher = createCipheriv('aes-256-gcm', masterKey, hex('DEK wrap nonce')).setAAD(aad);
    const wrapped = Buffer.concat([hex('DEK wrap nonce'), cipher.update(secrets.dek), cipher.final(), cipher.getAuthTag()]);
    expect(wrapped.toString('hex')).toBe(vector['wrapped DEK']);
    expect(keyring.unwrapDek(wrapped, blobId, 1).equals(secrets.dek)).toBe(true);
    expect(encodeHeader({ keyVersion: 1, blobId, noncePrefix: secrets.noncePrefix, wrappedDek: wrapped }).toString('hex')).toBe(vector['header']);
  });

  it.each([
    ['blob of ""', ''],
    ['blob of "heirloom"', 'heirloom'],
  ])('%s', async (name, text) => {
    const { bytes } = encryptBuffer(keyring, Buffer.from(text), blobId, secrets);
    expect(bytes.toString('hex')).toBe(vector[name]);

    const file = path.join(dir, `${text || 'empty'}.blob`);
    await writeFile(file, bytes);
    const blob = await openBlob(file, keyring);
    expect((await blob.readAll()).toString()).toBe(text);
    await blob.close();
  });

  it('blob of 65537 × 0x61', () => {
    const { bytes } = encryptBuffer(keyring, Buffer.alloc(65537, 0x61), blobId, secrets);
    expect(bytes.length).toBe(65668);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(vector['sha256 of blob of 65537 × 0x61']);
  });

  it('recovery code', () => {
    expect(keyring.recoveryCode()).toBe(vector['recovery code']);
    expect(Keyring.fromRecoveryCode(vector['recovery code']!).unwrapDek(secrets.wrappedDek, blobId, 1).equals(secrets.dek)).toBe(true);
  });

  it('the by-hand decryption script in the doc decrypts the vector blobs', async () => {
    const script = path.join(dir, 'decrypt.mjs');
    await writeFile(script, handDecrypt);
    for (const plain of [Buffer.from('heirloom'), Buffer.alloc(65537, 0x61), Buffer.alloc(0)]) {
      const file = path.join(dir, 'by-hand.blob');
      await writeFile(file, encryptBuffer(keyring, plain, blobId, secrets).bytes);
      expect(execFileSync(process.execPath, [script, keyFile, file]).equals(plain)).toBe(true);
    }
  });
});
