import type { Config } from '../config.js';
import { openContext } from '../context.js';
import { openProblems } from '../integrity/integrity.repo.js';
import type { Logger } from '../log.js';
import { formatBytes } from '../format-bytes.js';
import { say, warn } from './output.js';
import { onInterrupt } from './interrupt.js';
import { byteProgressBar } from './progress.js';

/** `heirloom verify [--full]`: checks every stored file (and the database) now; exit 1 when anything is wrong. */
export async function verifyCommand(config: Config, log: Logger, opts: { full?: boolean }): Promise<number> {
  const ctx = await openContext(config, log);
  const abort = new AbortController();
  const stopListening = onInterrupt(() => abort.abort());
  try {
    const level = opts.full ? 'full' : 'keyless';
    say(opts.full ? 'Decrypting and verifying every stored file …' : 'Checking the size and checksum of every stored file (add --full to decrypt and verify the contents too) …');
    const bar = byteProgressBar('{bar} {percentage}% | {blobs}/{totalBlobs} files | {done} of {size} | {rate}/s | ETA {eta_formatted}');
    const run = await ctx.background.scrub
      .run({
        level,
        scope: 'all',
        trigger: 'cli',
        signal: abort.signal,
        fullDbCheck: true,
        onProgress: (p) => bar.update(p.bytes, p.totalBytes, { blobs: p.blobs, totalBlobs: p.totalBlobs }),
      })
      .finally(() => bar.stop());
    const seconds = bar.seconds();
    say(`Checked ${run.blobsChecked} files (${formatBytes(run.bytesChecked)}) in ${seconds.toFixed(1)} s; database ${run.dbCheck === 'ok' ? 'ok' : 'DAMAGED'}.`);
    if (run.repairsMade > 0) say(`Repaired ${run.repairsMade}.`);
    const open = openProblems(ctx.db);
    for (const p of open) warn(`  ${p.kind}: ${p.itemName ?? p.blobId ?? 'database'}: ${p.detail}${p.quarantinedAs ? ` (moved to ${p.quarantinedAs})` : ''}`);
    if (open.length > 0) warn(`${open.length} ${open.length === 1 ? 'problem needs' : 'problems need'} attention.`);
    else say('Everything is intact.');
    return open.length > 0 ? 1 : 0;
  } catch (err) {
    if (abort.signal.aborted) {
      warn('Stopped. Run it again to check everything.');
      return 130;
    }
    throw err;
  } finally {
    stopListening();
    await ctx.close();
  }
}
