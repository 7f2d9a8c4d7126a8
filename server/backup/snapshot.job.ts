import type { JobHandler } from '../jobs/handler.js';
import { takeSnapshot } from './snapshots.js';

type Deps = Parameters<typeof takeSnapshot>[0];

export function snapshotJob(deps: Deps): JobHandler<{ reason?: 'daily' | 'manual' }> {
  return {
    concurrency: 1,
    async run({ payload, progress }) {
      const snap = await takeSnapshot(deps, payload.reason ?? 'daily');
      progress({ done: 1, total: 1, note: `${(snap.bytes / 1e6).toFixed(1)} MB` });
    },
  };
}
