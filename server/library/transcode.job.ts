import type { JobHandler } from '../jobs/handler.js';
import type { TranscodePayload, TranscodeService } from './transcode.service.js';

/**
 * The 'transcode' job: one web copy at a time (ffmpeg takes every core it is given). Cancelling kills
 * ffmpeg and leaves the video or motion part waiting; after a restart the job starts over from the beginning.
 */
export function transcodeJob(transcodes: TranscodeService): JobHandler<TranscodePayload> {
  return {
    concurrency: 1,
    run: ({ payload, signal, progress }) => transcodes.transcode({ assetId: payload.assetId, part: payload.part ?? 'video' }, { signal, progress }),
  };
}

/** The 'video-backfill' job: probes videos stored before probing existed and queues every web copy still waiting. */
export function videoBackfillJob(transcodes: TranscodeService): JobHandler {
  return {
    concurrency: 1,
    async run({ signal, progress }) {
      await transcodes.backfill({ signal, progress });
    },
  };
}
