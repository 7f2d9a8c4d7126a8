import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../server/config.js';
import { openContext, type Context } from '../../server/context.js';
import { createLogger } from '../../server/log.js';
import { createUser } from '../../server/users/users.service.js';

export interface TestVault {
  dir: string;
  config: Config;
  ctx: Context;
  ownerId: number;
  cleanup(): Promise<void>;
}

export const TEST_PASSWORD = 'correct horse battery';

/** A real data dir in a temp folder, opened the way the server opens it, with one member (unless withMember is false). */
export async function openTestVault(env: Record<string, string> = {}, opts: { withMember?: boolean } = {}): Promise<TestVault> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'heirloom-test-'));
  const config = loadConfig({ HEIRLOOM_DATA_DIR: path.join(dir, 'data'), HEIRLOOM_KEY_FILE: path.join(dir, 'master.key'), ...env });
  const { Keyring } = await import('../../server/vault/keyring.js');
  await Keyring.generate().save(config.keyFile);
  const ctx = await openContext(config, createLogger('silent'));
  const owner = opts.withMember === false ? undefined : await createUser(ctx.db, { username: 'anna', role: 'member', password: TEST_PASSWORD });
  return {
    dir,
    config,
    ctx,
    ownerId: owner?.id ?? 0,
    async cleanup() {
      await ctx.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
