import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IntegrityError, UserError } from '../errors.js';
import { newBlobId } from './format.js';
import { Keyring } from './keyring.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'heirloom-keyring-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<UserError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(UserError);
  return err as UserError;
}

describe('Keyring key file', () => {
  it('saves and loads the same keys, owner-read-only, in a 0700 directory', async () => {
    const file = path.join(dir, 'keys', 'master.key');
    const keyring = Keyring.generate();
    await keyring.save(file);
    expect((await stat(file)).mode & 0o777).toBe(0o400);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    const doc = JSON.parse(await readFile(file, 'utf8'));
    expect(doc).toMatchObject({ heirloom: 'master-key', format: 1, keys: [{ version: 1 }] });
    expect(Buffer.from(doc.keys[0].key, 'base64')).toHaveLength(32);

    const loaded = await Keyring.load(file);
    expect(loaded.currentVersion).toBe(1);
    const blobId = newBlobId();
    const dek = randomBytes(32);
    expect(loaded.unwrapDek(keyring.wrapDek(dek, blobId), blobId, 1)).toEqual(dek);
  });

  it('refuses to overwrite an existing key file', async () => {
    const file = path.join(dir, 'master.key');
    await writeFile(file, 'precious');
    const err = await rejection(Keyring.generate().save(file));
    expect(err.code).toBe('key-exists');
    expect(await readFile(file, 'utf8')).toBe('precious');
  });

  it('names the path when the file is missing, unreadable or malformed', async () => {
    const file = path.join(dir, 'master.key');
    const missing = await rejection(Keyring.load(file));
    expect(missing.code).toBe('key-missing');
    expect(missing.message).toContain(file);

    const unreadable = await rejection(Keyring.load(dir));
    expect(unreadable.code).toBe('key-unreadable');
    expect(unreadable.message).toContain(dir);

    for (const text of ['{not json', '{"heirloom":"master-key","format":1,"keys":[]}', '{"heirloom":"master-key","format":1,"keys":[{"version":1,"key":"c2hvcnQ=","created":"x"}]}']) {
      await rm(file, { force: true });
      await writeFile(file, text);
      const invalid = await rejection(Keyring.load(file));
      expect(invalid.code).toBe('key-invalid');
      expect(invalid.message).toContain(file);
    }
  });

  it('seals with the highest version and still opens the older ones', async () => {
    const file = path.join(dir, 'master.key');
    const [k1, k2] = [randomBytes(32), randomBytes(32)];
    const keys = [{ version: 2, key: k2.toString('base64'), created: 'b' }, { version: 1, key: k1.toString('base64'), created: 'a' }];
    await writeFile(file, JSON.stringify({ heirloom: 'master-key', format: 1, keys }));
    await chmod(file, 0o400);
    const keyring = await Keyring.load(file);
    expect(keyring.currentVersion).toBe(2);
    const blobId = newBlobId();
    const dek = randomBytes(32);
    expect(keyring.unwrapDek(keyring.wrapDek(dek, blobId, 1), blobId, 1)).toEqual(dek);
    expect(() => keyring.unwrapDek(keyring.wrapDek(dek, blobId, 1), blobId, 2)).toThrow(IntegrityError);
    expect(() => keyring.unwrapDek(keyring.wrapDek(dek, blobId), blobId, 3)).toThrow(/needs master key version 3/);
  });

  it('never shows key bytes when inspected or logged', async () => {
    const file = path.join(dir, 'master.key');
    const keyring = Keyring.generate();
    await keyring.save(file);
    const key = Buffer.from(JSON.parse(await readFile(file, 'utf8')).keys[0].key, 'base64');
    const shown = inspect(keyring, { depth: Infinity, showHidden: true }) + JSON.stringify(keyring);
    expect(shown).not.toContain(key.toString('hex'));
    expect(shown).not.toContain(key.toString('base64'));
  });
});

describe('Keyring data keys', () => {
  const keyring = Keyring.generate();
  const blobId = newBlobId();
  const dek = randomBytes(32);

  it('binds the wrapped DEK to its blob id and key version', () => {
    const wrapped = keyring.wrapDek(dek, blobId);
    expect(wrapped).toHaveLength(60);
    expect(() => keyring.unwrapDek(wrapped, newBlobId(), 1)).toThrow(/wrong master key or damaged blob header/);
  });

  it('fails with an IntegrityError under another master key or when damaged', () => {
    const wrapped = keyring.wrapDek(dek, blobId);
    expect(() => Keyring.generate().unwrapDek(wrapped, blobId, 1)).toThrow(IntegrityError);
    for (const at of [0, 20, 59]) {
      const bad = Buffer.from(wrapped);
      bad[at]! ^= 0x01;
      expect(() => keyring.unwrapDek(bad, blobId, 1)).toThrow(/wrong master key or damaged blob header/);
    }
  });
});

describe('recovery code', () => {
  it('round-trips the current key, tolerant of case, spaces and dashes', () => {
    const keyring = Keyring.generate();
    const code = keyring.recoveryCode();
    expect(code).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){15}[0-9A-HJKMNP-TV-Z]{4}$/);
    const sloppy = ` ${code.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'o').replace(/1/g, 'l')} `;
    const restored = Keyring.fromRecoveryCode(sloppy);
    expect(restored.currentVersion).toBe(1);
    const blobId = newBlobId();
    const dek = randomBytes(32);
    expect(restored.unwrapDek(keyring.wrapDek(dek, blobId), blobId, 1)).toEqual(dek);
  });

  it('rejects a mistyped code by its checksum', () => {
    const code = Keyring.generate().recoveryCode();
    const typo = (code[0] === 'A' ? 'B' : 'A') + code.slice(1);
    const swapped = code.slice(0, 5) + (code[5] === 'A' ? 'B' : 'A') + code.slice(6);
    for (const bad of [typo, swapped, code.slice(0, -1), code + 'A', code.replace(/.$/, 'U')]) {
      expect(() => Keyring.fromRecoveryCode(bad)).toThrow(UserError);
      try {
        Keyring.fromRecoveryCode(bad);
      } catch (err) {
        expect((err as UserError).code).toBe('key-invalid');
      }
    }
  });
});

describe('sealed secrets', () => {
  it('round-trip, and are bound to their purpose and key', () => {
    const keyring = Keyring.generate();
    const sealed = keyring.sealSecret('JBSWY3DPEHPK3PXP', 'totp:1');
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('JBSWY3DP');
    expect(keyring.openSecret(sealed, 'totp:1')).toBe('JBSWY3DPEHPK3PXP');
    expect(() => keyring.openSecret(sealed, 'totp:2')).toThrow(IntegrityError);
    expect(() => Keyring.generate().openSecret(sealed, 'totp:1')).toThrow(IntegrityError);
    expect(() => keyring.openSecret(sealed.slice(0, -2), 'totp:1')).toThrow(IntegrityError);
  });

  it('derives stable, purpose-specific keys', () => {
    const keyring = Keyring.generate();
    expect(keyring.deriveKey('csrf')).toEqual(keyring.deriveKey('csrf'));
    expect(keyring.deriveKey('csrf')).not.toEqual(keyring.deriveKey('other'));
    expect(keyring.deriveKey('csrf')).toHaveLength(32);
  });
});
