import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../server/config.js';
import { openContext } from '../server/context.js';
import { importFolder, scanFolder } from '../server/library/folder-import.js';
import { createLogger } from '../server/log.js';
import { createUser } from '../server/users/users.service.js';
import { Keyring } from '../server/vault/keyring.js';
import { timed } from './measure.js';

/** What the bench asks, over the IPC channel of child_process.fork(). */
export type ImportRequest = { import: string } | { done: true };
/** One timed import: wall seconds and the CPU time of every thread of the process. */
export interface ImportRun {
  seconds: number;
  cpuSeconds: number;
}

/**
 * One vault in its own process that imports folders on request, each for a new account (dedupe is per
 * account, so the same photos import afresh every round). The process lives for the whole bench: its
 * import runs sit right beside the baseline's runs in time, and its peak RSS, sent last, is the imports' alone.
 * Usage: fork('import-child.js', [<an empty dir for the vault, which the bench removes>]).
 */
const dir = process.argv[2]!;
await mkdir(dir, { recursive: true });
const keyFile = path.join(dir, 'master.key');
await Keyring.generate().save(keyFile);
const ctx = await openContext(loadConfig({ HEIRLOOM_DATA_DIR: path.join(dir, 'data'), HEIRLOOM_KEY_FILE: keyFile }), createLogger('silent'));
let round = 0;

/** As `heirloom import` runs: its default number of files at once (one per core). */
async function importOnce(folder: string): Promise<ImportRun> {
  const owner = await createUser(ctx.db, { username: `bench${round++}`, role: 'member', password: 'bench password 1' });
  const scan = await scanFolder(folder);
  let imported = 0;
  const cpu = process.cpuUsage();
  const seconds = await timed(async () => {
    imported = (await importFolder(ctx.ingest, scan, { ownerId: owner.id })).imported;
  });
  const { user, system } = process.cpuUsage(cpu);
  if (imported !== scan.files.length) throw new Error(`imported ${imported} of ${scan.files.length}`);
  return { seconds, cpuSeconds: (user + system) / 1e6 };
}

process.on('message', (request: ImportRequest) => {
  void (async () => {
    if ('done' in request) {
      const maxRssKb = process.resourceUsage().maxRSS;
      await ctx.close();
      process.send!({ maxRssKb }, () => process.disconnect());
      return;
    }
    process.send!(await importOnce(request.import));
  })().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
});
process.send!('ready');
