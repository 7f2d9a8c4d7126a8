import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { openContext } from '../context.js';
import { createLogger } from '../log.js';
import { Keyring } from './keyring.js';

const log = createLogger('silent');

describe('vault unlock at boot', () => {
  it('generates a key at the default path on a new install, and reuses it after', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'heirloom-unlock-'));
    const config = loadConfig({ HEIRLOOM_DATA_DIR: dir });
    const first = await openContext(config, log);
    await first.close();
    const again = await openContext(config, log);
    expect(again.keyring.currentVersion).toBe(1);
    await again.close();
    await rm(dir, { recursive: true });
  });

  it('refuses a key from another installation', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'heirloom-unlock-'));
    const keyFile = path.join(dir, 'k1');
    await Keyring.generate().save(keyFile);
    const config = loadConfig({ HEIRLOOM_DATA_DIR: path.join(dir, 'data'), HEIRLOOM_KEY_FILE: keyFile });
    await (await openContext(config, log)).close();
    const other = path.join(dir, 'k2');
    await Keyring.generate().save(other);
    await expect(openContext({ ...config, keyFile: other }, log)).rejects.toThrow(/does not open this vault/);
    await rm(dir, { recursive: true });
  });

  it('refuses to start when the configured key file is missing, and never invents one', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'heirloom-unlock-'));
    const config = loadConfig({ HEIRLOOM_DATA_DIR: path.join(dir, 'data'), HEIRLOOM_KEY_FILE: path.join(dir, 'gone.key') });
    await expect(openContext(config, log)).rejects.toThrow(/gone\.key is missing/);
    await rm(dir, { recursive: true });
  });

  it('refuses to replace a lost default key once the vault holds data', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'heirloom-unlock-'));
    const config = loadConfig({ HEIRLOOM_DATA_DIR: dir });
    await (await openContext(config, log)).close();
    await rm(config.keyFile);
    await expect(openContext(config, log)).rejects.toThrow(/master\.key is missing/);
    await rm(dir, { recursive: true, force: true });
  });
});
