import path from 'node:path';
import { loadConfig } from '../config.js';
import { openContext } from '../context.js';
import { regenerateDerived } from '../integrity/regenerate.js';
import { findAssetByBlob } from '../library/assets.repo.js';
import type { Logger } from '../log.js';
import { credentialsFrom } from '../replication/credentials-from-env.js';
import { openRemote } from '../replication/open-remote.js';
import { restoreFromRemote } from '../replication/restore.js';
import { parseTargetUrl } from '../replication/target-url.js';
import { Keyring } from '../vault/keyring.js';
import { formatBytes } from '../format-bytes.js';
import { say, warn } from './output.js';
import { onInterrupt } from './interrupt.js';
import { byteProgressBar } from './progress.js';
import type { TargetAddFlags } from './target.command.js';

/** `heirloom restore --from <url> --key <file> --data-dir <dir>`: rebuilds a data directory from one target. */
export async function restoreCommand(log: Logger, opts: { from: string; key: string; dataDir: string } & Omit<TargetAddFlags, 'previews' | 'bwlimit'>): Promise<number> {
  const keyring = await Keyring.load(opts.key);
  const dataDir = path.resolve(opts.dataDir);
  const remote = await openRemote(parseTargetUrl(opts.from), credentialsFrom(opts), { endpoint: opts.endpoint, region: opts.region, pathStyle: opts.pathStyle }, {
    onNew: (fingerprint) => say(`Connected to a server with host key SHA256:${fingerprint}.`),
  });
  const abort = new AbortController();
  const stopListening = onInterrupt(() => abort.abort());
  const bar = byteProgressBar('{bar} {percentage}% | {files}/{count} files | {done} of {size} | {rate}/s | ETA {eta_formatted}');
  try {
    say(`Restoring ${opts.from} into ${dataDir} …`);
    const result = await restoreFromRemote(remote, keyring, dataDir, { signal: abort.signal, onProgress: (p) => p.phase === 'blobs' && bar.update(p.bytes, p.totalBytes, { files: p.done, count: p.total }) });
    bar.stop();
    say(`Database from ${result.snapshot}; fetched ${result.fetched} files (${formatBytes(result.bytes)}), ${result.alreadyThere} already in place, each checked against its SHA-256.`);
    if (result.toRegenerate.length > 0) {
      say(`Making ${result.toRegenerate.length} thumbnails and previews the target did not hold …`);
      const ctx = await openContext(loadConfig({ ...process.env, HEIRLOOM_DATA_DIR: dataDir, HEIRLOOM_KEY_FILE: path.resolve(opts.key) }), log);
      try {
        for (const id of result.toRegenerate) {
          const asset = findAssetByBlob(ctx.db, id);
          if (asset) await regenerateDerived(ctx, asset, id);
        }
      } finally {
        await ctx.close();
      }
    }
    if (result.missingOriginals.length > 0) {
      warn(`${result.missingOriginals.length} originals are missing or damaged at the target (first: ${result.missingOriginals[0]}). Try another target into the same directory.`);
      return 1;
    }
    say(`Done. Start Heirloom on it with HEIRLOOM_DATA_DIR=${dataDir} and HEIRLOOM_KEY_FILE=${path.resolve(opts.key)}.`);
    return 0;
  } catch (err) {
    bar.stop();
    if (abort.signal.aborted) {
      warn('Stopped. Run the same command again to continue.');
      return 130;
    }
    throw err;
  } finally {
    stopListening();
    await remote.close();
  }
}
