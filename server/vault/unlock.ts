import { access } from 'node:fs/promises';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { getSetting, putSetting } from '../db/settings.repo.js';
import { IntegrityError, UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { blobs } from './blobs.table.js';
import { Keyring } from './keyring.js';

const KEY_CHECK = 'vault.key-check';
// A fixed id: the check is a wrapped all-zero key that only the right master key unwraps.
const CHECK_BLOB_ID = '00000000000000000000000000000000';

async function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}

/**
 * Loads the master key (creating it on a brand-new install that uses the default path) and
 * proves it is the key this vault was written with before anything is stored.
 */
export async function unlockVault(config: Config, db: Db, log: Logger): Promise<Keyring> {
  const check = getSetting(db, KEY_CHECK);
  let keyring: Keyring;
  if (await exists(config.keyFile)) {
    keyring = await Keyring.load(config.keyFile);
  } else if (config.keyFileIsDefault && !check && !db.select({ id: blobs.id }).from(blobs).limit(1).get()) {
    keyring = Keyring.generate();
    await keyring.save(config.keyFile);
    log.warn({ keyFile: config.keyFile }, 'generated a new master key');
  } else {
    throw new UserError(
      `The master key file ${config.keyFile} is missing. Without it the stored photos cannot be read: restore it from your backup or recovery kit, or set HEIRLOOM_KEY_FILE to where it is.`,
      'key-missing',
    );
  }
  if (config.keyFileIsDefault) warnKeyBesideData(config, log);

  if (check) {
    const [version, wrapped] = check.split(':') as [string, string];
    try {
      keyring.unwrapDek(Buffer.from(wrapped, 'base64'), CHECK_BLOB_ID, Number(version));
    } catch (err) {
      if (!(err instanceof IntegrityError)) throw err;
      throw new UserError(`The master key in ${config.keyFile} does not open this vault: it belongs to another installation. Use the key this vault was created with.`, 'key-mismatch');
    }
  } else {
    const version = keyring.currentVersion;
    const wrapped = keyring.wrapDek(Buffer.alloc(32), CHECK_BLOB_ID, version).toString('base64');
    putSetting(db, KEY_CHECK, `${version}:${wrapped}`);
  }
  return keyring;
}

function warnKeyBesideData(config: Config, log: Logger): void {
  const line = '!'.repeat(78);
  process.stderr.write(
    [
      line,
      `!! The master key is stored beside your photos, in ${config.keyFile}.`,
      '!! Anyone who takes the disk can read everything, and if the disk dies the',
      '!! off-site copies cannot be opened without this key. Copy the key somewhere',
      '!! safe (see docs/operations.md), then set HEIRLOOM_KEY_FILE to a file on',
      '!! another device (in Docker: a secret).',
      line,
      '',
    ].join('\n'),
  );
  log.warn({ keyFile: config.keyFile }, 'master key sits beside the data (HEIRLOOM_KEY_FILE not set)');
}
