import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, unknownVariables } from './config.js';

describe('config', () => {
  it('uses the embedded defaults', () => {
    const c = loadConfig({});
    expect(c.dataDir).toBe(path.resolve('data'));
    expect(c.port).toBe(8080);
    expect(c.host).toBe('0.0.0.0');
    expect(c.keyFile).toBe(path.resolve('data/keys/master.key'));
    expect(c.keyFileIsDefault).toBe(true);
  });

  it('names the bad variable and value', () => {
    expect(() => loadConfig({ HEIRLOOM_PORT: 'eighty' })).toThrow("HEIRLOOM_PORT must be a port number from 1 to 65535 (got 'eighty')");
    expect(() => loadConfig({ HEIRLOOM_LOG_LEVEL: 'loud' })).toThrow(/HEIRLOOM_LOG_LEVEL must be one of/);
  });

  it('reads NAME_FILE, and refuses both forms at once', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'heirloom-config-'));
    const file = path.join(dir, 'port');
    await writeFile(file, '9123\n');
    expect(loadConfig({ HEIRLOOM_PORT_FILE: file }).port).toBe(9123);
    expect(() => loadConfig({ HEIRLOOM_PORT_FILE: file, HEIRLOOM_PORT: '1' })).toThrow('Set either HEIRLOOM_PORT or HEIRLOOM_PORT_FILE, not both.');
    expect(() => loadConfig({ HEIRLOOM_PORT_FILE: path.join(dir, 'nope') })).toThrow(/HEIRLOOM_PORT_FILE points to .* which cannot be read \(ENOENT\)/);
  });

  it('marks a configured key file as not the default', () => {
    expect(loadConfig({ HEIRLOOM_KEY_FILE: '/run/secrets/k' })).toMatchObject({ keyFile: '/run/secrets/k', keyFileIsDefault: false });
  });

  it('spots likely typos among HEIRLOOM_ variables', () => {
    expect(unknownVariables({ HEIRLOOM_DATADIR: 'x', HEIRLOOM_PORT: '1', HEIRLOOM_KEY_FILE_FILE: 'y', PATH: '/bin' })).toEqual(['HEIRLOOM_DATADIR']);
  });
});
