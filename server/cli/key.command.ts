import { open, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { UserError } from '../errors.js';
import { Keyring } from '../vault/keyring.js';
import { decryptFile } from '../vault/reader.js';
import { say, warn } from './output.js';

export async function keyGenerateCommand(out: string): Promise<number> {
  const keyring = Keyring.generate();
  await keyring.save(out);
  say(`Wrote a new master key to ${out} (readable by its owner only).`);
  say('Recovery code (print it and keep it apart from the NAS; it rebuilds the key file):');
  say(`  ${keyring.recoveryCode()}`);
  return 0;
}

/** Decrypts one blob file with nothing but the key file: the way out that needs no database. */
export async function decryptCommand(blob: string, opts: { key: string; out?: string }): Promise<number> {
  const keyring = await Keyring.load(opts.key);
  if (opts.out) {
    const handle = await open(opts.out, 'wx').catch((err: NodeJS.ErrnoException) => {
      throw new UserError(err.code === 'EEXIST' ? `${opts.out} already exists; choose another name.` : `${opts.out} cannot be created (${err.code}).`, 'output-unwritable');
    });
    const out = handle.createWriteStream();
    try {
      await decryptFile(blob, keyring, out);
      await finished(out);
    } catch (err) {
      // Never leave a half-decrypted file that looks like the real thing.
      out.destroy();
      await rm(opts.out, { force: true });
      throw err;
    }
    warn(`Decrypted ${blob} to ${opts.out}.`);
  } else {
    await decryptFile(blob, keyring, process.stdout);
  }
  return 0;
}
