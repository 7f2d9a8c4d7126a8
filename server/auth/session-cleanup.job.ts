import { pruneAudit } from '../audit/audit.repo.js';
import type { Db } from '../db/client.js';
import type { JobHandler } from '../jobs/handler.js';
import type { SessionService } from './sessions.service.js';

/** Hourly housekeeping of sign-in records: expired sessions, and audit entries past their keeping time. */
export function sessionCleanupJob(sessions: SessionService, db: Db): JobHandler {
  return {
    concurrency: 1,
    async run({ progress }) {
      const expired = sessions.sweep();
      const old = pruneAudit(db);
      progress({ done: expired + old, unit: 'expired sessions and old audit entries removed' });
    },
  };
}
