import type { Config } from '../config.js';
import { openContext } from '../context.js';
import type { Logger } from '../log.js';
import { formatBytes } from '../format-bytes.js';
import { say, warn } from './output.js';
import { onInterrupt } from './interrupt.js';
import { byteProgressBar } from './progress.js';

/** `heirloom replicate [--target <name>]`: one pass to completion for each active target; exit 1 if any failed. */
export async function replicateCommand(config: Config, log: Logger, opts: { target?: string }): Promise<number> {
  const ctx = await openContext(config, log);
  const abort = new AbortController();
  const stopListening = onInterrupt(() => abort.abort());
  try {
    const { targets, replication } = ctx.background;
    const chosen = opts.target ? [targets.get(opts.target)] : targets.list().filter((t) => !t.paused);
    if (chosen.length === 0) {
      warn('No active targets. Add one with: heirloom target add <name> <url>');
      return 1;
    }
    let failed = 0;
    for (const target of chosen) {
      say(`→ ${target.name} (${target.url})`);
      const bar = byteProgressBar('{bar} {percentage}% | {files}/{count} files | {done} of {size} | {rate}/s | ETA {eta_formatted}');
      try {
        const r = await replication.sync(target.name, { signal: abort.signal, onProgress: (p) => p.phase === 'blobs' && bar.update(p.bytes, p.totalBytes, { files: p.done, count: p.total }) });
        bar.stop();
        say(`  sent ${r.uploaded} files (${formatBytes(r.bytes)}), ${r.alreadyThere} already there${r.snapshot ? ', new database snapshot' : ''}${r.deleted ? `, removed ${r.deleted} deleted long ago` : ''} in ${bar.seconds().toFixed(1)} s.`);
        if (r.refused.length > 0) warn(`  ${r.refused.length} local files failed their own checksum and were not sent; run: heirloom verify`);
        const lag = replication.lag(targets.get(target.name));
        say(`  not yet verified there: ${lag.items} files (${formatBytes(lag.bytes)}); they are read back by the verification schedule.`);
      } catch (err) {
        bar.stop();
        if (abort.signal.aborted) {
          warn('  Stopped. Run it again to continue where it left off.');
          return 130;
        }
        failed++;
        warn(`  failed: ${(err as Error).message}`);
      }
    }
    return failed > 0 ? 1 : 0;
  } finally {
    stopListening();
    await ctx.close();
  }
}
