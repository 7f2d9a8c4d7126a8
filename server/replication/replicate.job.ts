import { UserError } from '../errors.js';
import type { JobHandler } from '../jobs/handler.js';
import type { ReplicationService } from './replicate.service.js';
import type { TargetService } from './targets.service.js';

/** Failures worth retrying later (offline, timeouts) are plain errors; wrong credentials or a changed host key are not. */
const FINAL = new Set(['target-credentials', 'target-host-key', 'target-missing', 'target-paused']);

async function eachTarget(targets: TargetService, signal: AbortSignal, fn: (name: string) => Promise<unknown>): Promise<void> {
  const errors: string[] = [];
  let final = true;
  for (const t of targets.list().filter((t) => !t.paused)) {
    signal.throwIfAborted();
    try {
      await fn(t.name);
    } catch (err) {
      if (signal.aborted) throw err;
      errors.push(`${t.name}: ${(err as Error).message}`);
      if (!(err instanceof UserError && FINAL.has(err.code))) final = false;
    }
  }
  if (errors.length === 0) return;
  const message = errors.join('; ');
  throw final ? new UserError(message, 'replication-failed') : new Error(message);
}

/** One pass over every active target; a target that fails does not hold up the others. */
export function replicateJob(targets: TargetService, replication: ReplicationService): JobHandler {
  return {
    concurrency: 1,
    async run({ signal, progress }) {
      await eachTarget(targets, signal, (name) => replication.sync(name, { signal, onProgress: (p) => progress({ done: p.bytes, total: p.totalBytes, unit: 'bytes', note: `${name}: ${p.phase}` }) }));
    },
  };
}

export function replicaVerifyJob(targets: TargetService, replication: ReplicationService): JobHandler {
  return {
    concurrency: 1,
    async run({ signal, progress }) {
      // About 2 GB read back per target per night: every copy is proven within weeks, without a big bill.
      await eachTarget(targets, signal, (name) => replication.verify(name, { signal, byteBudget: 2e9, onProgress: (p) => progress({ done: p.done, total: p.total, unit: 'files', note: name }) }));
    },
  };
}
