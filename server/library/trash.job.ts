import type { JobHandler } from '../jobs/handler.js';
import type { TrashService } from './trash.service.js';

/** The daily 'trash-purge' job: deletes for good what has been in the trash longer than 30 days. */
export function trashPurgeJob(trash: TrashService): JobHandler {
  return {
    concurrency: 1,
    async run({ signal, progress }) {
      const { items, blobs } = await trash.purgeExpired(new Date(), signal);
      progress({ done: items, unit: 'items deleted', note: `${blobs} stored files removed` });
    },
  };
}
