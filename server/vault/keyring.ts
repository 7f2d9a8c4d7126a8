import { createCipheriv, createDecipheriv, createHash, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { IntegrityError, UserError } from '../errors.js';
import { blobIdBytes, WRAPPED_DEK_SIZE } from './format.js';

const KEY_SIZE = 32;
const WRAP_NONCE_SIZE = 12;
const DEK_AAD_LABEL = Buffer.from('heirloom-dek-v1', 'ascii');
const RECOVERY_LABEL = Buffer.from('heirloom-recovery-v1', 'ascii');
const SECRET_AAD_LABEL = 'heirloom-secret-v1:';
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** u32 BE version ‖ 32-byte key ‖ 4-byte checksum = 40 bytes = 64 base32 characters. */
const RECOVERY_BYTES = 40;
const RECOVERY_CHARS = 64;

interface MasterKey {
  /** A KeyObject, so that logging a Keyring can never print key bytes. */
  key: KeyObject;
  created: string;
}

interface KeyFile {
  heirloom: 'master-key';
  format: 1;
  keys: { version: number; key: string; created: string }[];
}

/** The master keys, by version. New blobs are sealed with the highest version; older ones stay readable. */
export class Keyring {
  private constructor(private readonly keys: ReadonlyMap<number, MasterKey>) {}

  static generate(): Keyring {
    return new Keyring(new Map([[1, { key: createSecretKey(randomBytes(KEY_SIZE)), created: new Date().toISOString() }]]));
  }

  static async load(file: string): Promise<Keyring> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new UserError(`The master key file ${file} does not exist`, 'key-missing', { cause: err });
      throw new UserError(`The master key file ${file} cannot be read (${code ?? 'unknown error'})`, 'key-unreadable', { cause: err });
    }
    const invalid = (why: string) => new UserError(`The master key file ${file} is not a valid Heirloom key file: ${why}`, 'key-invalid');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw invalid('it is not JSON');
    }
    const doc = json as Partial<KeyFile> | null;
    if (typeof doc !== 'object' || doc === null || doc.heirloom !== 'master-key') throw invalid('"heirloom" is not "master-key"');
    if (doc.format !== 1) throw invalid(`unsupported format ${JSON.stringify(doc.format)} (expected 1)`);
    if (!Array.isArray(doc.keys) || doc.keys.length === 0) throw invalid('"keys" is not a non-empty list');
    const keys = new Map<number, MasterKey>();
    for (const [i, entry] of doc.keys.entries()) {
      const { version, key, created } = (entry ?? {}) as Partial<KeyFile['keys'][number]>;
      if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version > 0xffffffff) {
        throw invalid(`keys[${i}].version is not a positive integer`);
      }
      if (keys.has(version)) throw invalid(`version ${version} appears twice`);
      const bytes = typeof key === 'string' ? Buffer.from(key, 'base64') : undefined;
      if (!bytes || bytes.length !== KEY_SIZE || bytes.toString('base64') !== key) throw invalid(`keys[${i}].key is not ${KEY_SIZE} bytes of base64`);
      if (typeof created !== 'string') throw invalid(`keys[${i}].created is missing`);
      keys.set(version, { key: createSecretKey(bytes), created });
    }
    return new Keyring(keys);
  }

  /** Writes a new key file readable only by its owner; never replaces an existing one. */
  async save(file: string): Promise<void> {
    const doc: KeyFile = {
      heirloom: 'master-key',
      format: 1,
      keys: [...this.keys.entries()]
        .sort(([a], [b]) => a - b)
        .map(([version, k]) => ({ version, key: k.key.export().toString('base64'), created: k.created })),
    };
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    let handle;
    try {
      handle = await open(file, 'wx', 0o400);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new UserError(`The master key file ${file} already exists; refusing to overwrite it`, 'key-exists', { cause: err });
      }
      throw err;
    }
    try {
      await handle.writeFile(JSON.stringify(doc, null, 2) + '\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  get currentVersion(): number {
    return Math.max(...this.keys.keys());
  }

  /** nonce(12) ‖ AES-256-GCM(master key, DEK) ‖ tag(16), bound to the blob id and key version. */
  wrapDek(dek: Buffer, blobId: string, version = this.currentVersion): Buffer {
    if (dek.length !== KEY_SIZE) throw new TypeError(`a data key is ${KEY_SIZE} bytes`);
    const nonce = randomBytes(WRAP_NONCE_SIZE);
    const cipher = createCipheriv('aes-256-gcm', this.masterKey(version), nonce).setAAD(dekAad(blobId, version));
    return Buffer.concat([nonce, cipher.update(dek), cipher.final(), cipher.getAuthTag()]);
  }

  unwrapDek(wrapped: Buffer, blobId: string, version: number): Buffer {
    if (wrapped.length !== WRAPPED_DEK_SIZE) throw new IntegrityError(`a wrapped data key is ${WRAPPED_DEK_SIZE} bytes, not ${wrapped.length}`);
    const key = this.keys.get(version)?.key;
    if (!key) {
      throw new IntegrityError(`cannot unwrap the data key of blob ${blobId}: it needs master key version ${version}, which the key file does not hold`);
    }
    const decipher = createDecipheriv('aes-256-gcm', key, wrapped.subarray(0, WRAP_NONCE_SIZE), { authTagLength: 16 })
      .setAAD(dekAad(blobId, version))
      .setAuthTag(wrapped.subarray(WRAP_NONCE_SIZE + KEY_SIZE));
    const dek = decipher.update(wrapped.subarray(WRAP_NONCE_SIZE, WRAP_NONCE_SIZE + KEY_SIZE));
    try {
      decipher.final();
    } catch (err) {
      throw new IntegrityError(`cannot unwrap the data key of blob ${blobId}: wrong master key or damaged blob header`, { cause: err });
    }
    return dek;
  }

  /**
   * Seals a small secret kept in the database (a TOTP secret, a replication password) as
   * 'v<version>.<base64url(nonce ‖ ciphertext ‖ tag)>', bound to `purpose` so it cannot be moved elsewhere.
   */
  sealSecret(plain: string, purpose: string): string {
    const version = this.currentVersion;
    const nonce = randomBytes(WRAP_NONCE_SIZE);
    const cipher = createCipheriv('aes-256-gcm', this.masterKey(version), nonce).setAAD(Buffer.from(SECRET_AAD_LABEL + purpose));
    const sealed = Buffer.concat([nonce, cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `v${version}.${sealed.toString('base64url')}`;
  }

  openSecret(sealed: string, purpose: string): string {
    const match = /^v(\d+)\.([A-Za-z0-9_-]+)$/.exec(sealed);
    const key = match ? this.keys.get(Number(match[1]))?.key : undefined;
    if (!match || !key) throw new IntegrityError(`a stored secret for ${purpose} cannot be opened with this key file`);
    const bytes = Buffer.from(match[2]!, 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, WRAP_NONCE_SIZE), { authTagLength: 16 })
        .setAAD(Buffer.from(SECRET_AAD_LABEL + purpose))
        .setAuthTag(bytes.subarray(-16));
      return Buffer.concat([decipher.update(bytes.subarray(WRAP_NONCE_SIZE, -16)), decipher.final()]).toString('utf8');
    } catch (err) {
      throw new IntegrityError(`a stored secret for ${purpose} is damaged or belongs to another key`, { cause: err });
    }
  }

  /** A key for one purpose (e.g. signing CSRF tokens), derived from the first master key with HKDF-SHA256. */
  deriveKey(purpose: string): Buffer {
    const first = Math.min(...this.keys.keys());
    return Buffer.from(hkdfSync('sha256', this.masterKey(first).export(), Buffer.alloc(0), `heirloom-derived-v1:${purpose}`, KEY_SIZE));
  }

  /** The current key as 16 dash-separated groups of Crockford base32: version ‖ key ‖ checksum. */
  recoveryCode(): string {
    const version = this.currentVersion;
    const key = this.masterKey(version).export();
    const payload = Buffer.concat([u32(version), key, recoveryChecksum(version, key)]);
    return base32Encode(payload).match(/.{4}/g)!.join('-');
  }

  static fromRecoveryCode(code: string): Keyring {
    const chars = code.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
    if (chars.length !== RECOVERY_CHARS || [...chars].some((c) => !CROCKFORD.includes(c))) {
      throw new UserError(`A recovery code is ${RECOVERY_CHARS} characters from 0-9 and A-Z (without U); this one is not`, 'key-invalid');
    }
    const payload = base32Decode(chars);
    const version = payload.readUInt32BE(0);
    const key = payload.subarray(4, 4 + KEY_SIZE);
    if (version === 0 || !recoveryChecksum(version, key).equals(payload.subarray(4 + KEY_SIZE, RECOVERY_BYTES))) {
      throw new UserError('The recovery code checksum does not match: a character is probably mistyped', 'key-invalid');
    }
    return new Keyring(new Map([[version, { key: createSecretKey(key), created: new Date().toISOString() }]]));
  }

  private masterKey(version: number): KeyObject {
    const entry = this.keys.get(version);
    if (!entry) throw new Error(`the keyring holds no master key version ${version}`);
    return entry.key;
  }
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n);
  return b;
}

function dekAad(blobId: string, version: number): Buffer {
  return Buffer.concat([DEK_AAD_LABEL, blobIdBytes(blobId), u32(version)]);
}

function recoveryChecksum(version: number, key: Buffer): Buffer {
  return createHash('sha256').update(RECOVERY_LABEL).update(u32(version)).update(key).digest().subarray(0, 4);
}

function base32Encode(bytes: Buffer): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const byte of bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += CROCKFORD[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

function base32Decode(chars: string): Buffer {
  const out = Buffer.alloc(Math.floor((chars.length * 5) / 8));
  let acc = 0;
  let bits = 0;
  let i = 0;
  for (const c of chars) {
    acc = (acc << 5) | CROCKFORD.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[i++] = (acc >> bits) & 255;
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}
