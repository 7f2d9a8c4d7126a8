import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../server/config.js';
import { openContext } from '../server/context.js';
import { importFolder, scanFolder } from '../server/library/folder-import.js';
import { createLogger } from '../server/log.js';
import { createUser } from '../server/users/users.service.js';
import { Keyring } from '../server/vault/keyring.js';
import { timed } from './measure.js';

/**
 * Imports a folder into a fresh vault in its own process and prints {seconds, cpuSeconds, maxRssKb} as JSON,
 * so the bench sees this import's memory alone. The warm-up folder is imported first, untimed, as
 * the baseline warms up too: first-use module loading is start-up cost, not ingest cost.
 * Usage: node import-child.js <folder> <warm-up folder> <concurrency>
 */
const [folder, warmup, concurrency] = process.argv.slice(2) as [string, string, string];
const dir = await mkdtemp(path.join(os.tmpdir(), 'heirloom-bench-import-'));
try {
  const keyFile = path.join(dir, 'master.key');
  await Keyring.generate().save(keyFile);
  const ctx = await openContext(loadConfig({ HEIRLOOM_DATA_DIR: path.join(dir, 'data'), HEIRLOOM_KEY_FILE: keyFile }), createLogger('silent'));
  try {
    const owner = await createUser(ctx.db, { username: 'bench', role: 'member', password: 'bench password 1' });
    await importFolder(ctx.ingest, await scanFolder(warmup), { ownerId: owner.id, concurrency: Number(concurrency) });
    const scan = await scanFolder(folder);
    let imported = 0;
    const cpu = process.cpuUsage();
    const seconds = await timed(async () => {
      imported = (await importFolder(ctx.ingest, scan, { ownerId: owner.id, concurrency: Number(concurrency) })).imported;
    });
    if (imported !== scan.files.length) throw new Error(`imported ${imported} of ${scan.files.length}`);
    const { user, system } = process.cpuUsage(cpu);
    process.stdout.write(JSON.stringify({ seconds, cpuSeconds: (user + system) / 1e6, maxRssKb: process.resourceUsage().maxRSS }));
  } finally {
    await ctx.close();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
