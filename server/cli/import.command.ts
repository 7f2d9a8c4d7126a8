import cliProgress from 'cli-progress';
import type { Config } from '../config.js';
import { openContext } from '../context.js';
import { importFolder, scanFolder, type ImportSummary } from '../library/folder-import.js';
import type { Logger } from '../log.js';
import { requireUser } from '../users/users.service.js';
import { say, warn } from './output.js';
import { formatBytes } from '../format-bytes.js';

export async function importCommand(config: Config, log: Logger, dir: string, opts: { user: string; jobs?: number }): Promise<number> {
  const ctx = await openContext(config, log);
  try {
    const owner = requireUser(ctx.db, opts.user);
    say(`Scanning ${dir} …`);
    const scan = await scanFolder(dir);
    say(`Found ${scan.files.length} files (${formatBytes(scan.totalBytes)}). Importing for ${owner.username}.`);

    let interrupted: string | undefined;
    const onSignal = () => {
      interrupted = 'interrupted';
      warn('\nStopping after the files in progress. Run the same command again to continue.');
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);

    const started = Date.now();
    const bar = new cliProgress.SingleBar(
      {
        format: '{bar} {percentage}% | {value}/{total} files | {done} of {size} | {rate}/s | ETA {eta_formatted}',
        hideCursor: true,
        etaBuffer: 50,
        noTTYOutput: !process.stderr.isTTY,
        notTTYSchedule: 5000,
      },
      cliProgress.Presets.shades_classic,
    );
    const fields = (bytes: number) => ({
      done: formatBytes(bytes),
      size: formatBytes(scan.totalBytes),
      rate: formatBytes(bytes / Math.max(0.001, (Date.now() - started) / 1000)),
    });
    bar.start(scan.files.length, 0, fields(0));
    const summary = await importFolder(ctx.ingest, scan, {
      ownerId: owner.id,
      concurrency: opts.jobs,
      onProgress: (p) => bar.update(p.files, fields(p.bytes)),
      shouldStop: () => interrupted,
    });
    bar.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    printSummary(summary, (Date.now() - started) / 1000);
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
