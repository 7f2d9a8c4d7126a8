import type { Db } from '../db/client.js';
import { UserError } from '../errors.js';
import { findJob, insertJob, updateJob, type NewJob } from './jobs.repo.js';
import type { Job } from './jobs.table.js';
import type { JobRunner } from './runner.js';

/** What services use to ask for background work and to cancel it; the runner does it. */
export class JobQueue {
  constructor(
    private readonly db: Db,
    private readonly runner?: JobRunner,
  ) {}

  enqueue(job: NewJob): Job {
    const row = insertJob(this.db, job);
    this.runner?.wake();
    return row;
  }

  /** A queued job is cancelled at once; a running one is asked to stop at its next safe point. */
  cancel(jobId: number): Job {
    const job = findJob(this.db, jobId);
    if (!job) throw new UserError(`There is no job ${jobId}.`, 'no-such-job');
    if (job.state === 'queued') updateJob(this.db, jobId, { state: 'cancelled', finishedAt: new Date(), lastError: 'Cancelled before it started.' });
    else if (job.state === 'running') {
      updateJob(this.db, jobId, { cancelRequested: true });
      this.runner?.abort(jobId);
    }
    return findJob(this.db, jobId)!;
  }
}
