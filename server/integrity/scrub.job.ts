import type { JobHandler } from '../jobs/handler.js';
import type { ScrubLevel } from './integrity.table.js';
import type { ScrubService } from './scrub.service.js';

export interface ScrubPayload {
  level: ScrubLevel;
  scope: 'slice' | 'all';
  trigger: 'schedule' | 'admin';
}

/** Nightly slices read politely; a scrub of everything the admin asks for runs at full speed. */
const SLICE_BYTES_PER_SECOND = 60 * 1024 * 1024;

export function scrubJob(scrub: ScrubService): JobHandler<ScrubPayload> {
  return {
    concurrency: 1,
    async run({ payload, signal, progress }) {
      await scrub.run({
        ...payload,
        signal,
        bytesPerSecond: payload.scope === 'slice' ? SLICE_BYTES_PER_SECOND : 0,
        // integrity_check reads the whole database: weekly, on Sundays, and on a full run.
        fullDbCheck: payload.scope === 'all' || new Date().getDay() === 0,
        onProgress: (p) => progress({ done: p.bytes, total: payload.scope === 'all' ? p.totalBytes : undefined, unit: 'bytes', note: `${p.blobs} files checked` }),
      });
    },
  };
}
