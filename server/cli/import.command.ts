import type { Config } from '../config.js';
import { openContext } from '../context.js';
import { importFolder, scanFolder, type ImportSummary } from '../library/folder-import.js';
import type { Logger } from '../log.js';
import { requireUser } from '../users/users.service.js';
import { formatBytes } from '../format-bytes.js';
import { onInterrupt } from './interrupt.js';
import { say, warn } from './output.js';
import { byteProgressBar } from './progress.js';

export async function importCommand(config: Config, log: Logger, dir: string, opts: { user: string; jobs?: number }): Promise<number> {
  const ctx = await openContext(config, log);
  try {
    const owner = requireUser(ctx.db, opts.user);
    say(`Scanning ${dir} …`);
    const scan = await scanFolder(dir);
    say(`Found ${scan.files.length} files (${formatBytes(scan.totalBytes)}). Importing for ${owner.username}.`);

    let interrupted: string | undefined;
    const stopListening = onInterrupt(() => {
      interrupted = 'interrupted';
      warn('\nStopping after the files in progress. Run the same command again to continue.');
    });

    const bar = byteProgressBar('{bar} {percentage}% | {files}/{count} files | {done} of {size} | {rate}/s | ETA {eta_formatted}');
    const count = scan.files.length;
    bar.update(0, scan.totalBytes, { files: 0, count });
    const summary = await importFolder(ctx.ingest, scan, {
      ownerId: owner.id,
      concurrency: opts.jobs,
      onProgress: (p) => bar.update(p.bytes, scan.totalBytes, { files: p.files, count }),
      shouldStop: () => interrupted,
    });
    bar.stop();
    stopListening();
    printSummary(summary, bar.seconds());
    return summary.failed.length > 0 || summary.stoppedBy ? 1 : 0;
  } finally {
    await ctx.close();
  }
}

function printSummary(s: ImportSummary, seconds: number): void {
  say('');
  say(`Imported ${s.imported}, already there ${s.duplicates}, flagged ${s.flagged.length}, failed ${s.failed.length} in ${seconds.toFixed(1)} s.`);
  const list = (title: string, rows: { relative: string; reason: string }[]) => {
    if (rows.length === 0) return;
    say(`${title}:`);
    for (const r of rows) say(`  ${r.relative}: ${r.reason}`);
  };
  list('Kept but flagged (stored byte-exact, no preview)', s.flagged);
  list('Not imported', s.failed);
  list('Skipped', s.skipped);
  if (s.stoppedBy) warn(`Stopped early (${s.stoppedBy}); ${s.notReached} files not reached. Run the same command again to continue.`);
}
