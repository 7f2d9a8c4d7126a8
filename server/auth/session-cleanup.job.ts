import type { JobHandler } from '../jobs/handler.js';
import type { SessionService } from './sessions.service.js';

export function sessionCleanupJob(sessions: SessionService): JobHandler {
  return {
    concurrency: 1,
    async run({ progress }) {
      progress({ done: sessions.sweep(), unit: 'sessions removed' });
    },
  };
}
