import { UserError } from '../errors.js';
import type { Db } from '../db/client.js';
import type { Logger } from '../log.js';
import { isProcessAlive } from '../pids.js';
import type { JobHandler, JobProgress } from './handler.js';
import { claimJob, findJob, requeueOrphans, runningPids, updateJob } from './jobs.repo.js';
import type { Job } from './jobs.table.js';

const POLL_MS = 1000;
const PROGRESS_EVERY_MS = 1000;
/** 30 s, 1 min, 2 min … capped at an hour. */
const backoffMs = (attempt: number) => Math.min(3_600_000, 30_000 * 2 ** (attempt - 1));

class Stopped extends Error {}
class Cancelled extends Error {}

/**
 * Runs queued jobs with a fixed number per kind at once. A job that throws is retried with backoff
 * until its attempts run out (a UserError is final at once: retrying will not change the answer).
 */
export class JobRunner {
  private readonly running = new Map<number, { kind: string; abort: AbortController; done: Promise<void> }>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private ticking = false;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly handlers: Record<string, JobHandler<never>>,
  ) {}

  /** Re-queues what crashed processes left running, then starts polling. */
  start(): void {
    const alive = runningPids(this.db).filter((pid) => pid !== process.pid && isProcessAlive(pid));
    const requeued = requeueOrphans(this.db, alive);
    if (requeued > 0) this.log.warn({ requeued }, 're-queued jobs left running by a stopped process');
    this.stopped = false;
    this.wake();
  }

  /** Looks for work now rather than at the next poll (after an enqueue, say). */
  wake(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), 0);
  }

  /** Aborts a job running in this process; the caller has already flagged it in the database. */
  abort(jobId: number): void {
    this.running.get(jobId)?.abort.abort(new Cancelled());
  }

  /** Stops claiming, asks running jobs to stop, and waits for them; they return to the queue. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const r of this.running.values()) r.abort.abort(new Stopped());
    await Promise.all([...this.running.values()].map((r) => r.done));
  }

  /** For the CLI and tests: runs until nothing is ready or running. */
  async drain(): Promise<void> {
    for (;;) {
      this.claimAll();
      if (this.running.size === 0) return;
      await Promise.race([...this.running.values()].map((r) => r.done));
    }
  }

  private tick(): void {
    if (this.stopped || this.ticking) return;
    this.ticking = true;
    try {
      this.abortCancelled();
      this.claimAll();
    } catch (err) {
      this.log.error({ err }, 'job queue poll failed');
    } finally {
      this.ticking = false;
      if (!this.stopped) this.timer = setTimeout(() => this.tick(), POLL_MS);
    }
  }

  /** Another process (the admin page in the server, a CLI) may have asked for a cancel through the database. */
  private abortCancelled(): void {
    for (const id of this.running.keys()) if (findJob(this.db, id)?.cancelRequested) this.abort(id);
  }

  private claimAll(): void {
    for (;;) {
      const free = Object.entries(this.handlers)
        .filter(([kind, h]) => [...this.running.values()].filter((r) => r.kind === kind).length < h.concurrency)
        .map(([kind]) => kind);
      const job = claimJob(this.db, free, process.pid);
      if (!job) return;
      this.launch(job);
    }
  }

  private launch(job: Job): void {
    const handler = this.handlers[job.kind]!;
    const abort = new AbortController();
    let lastProgress = 0;
    let checkpoint = job.checkpoint;
    const run = async () => {
      try {
        await handler.run({
          job,
          payload: JSON.parse(job.payload) as never,
          signal: abort.signal,
          progress: (p: JobProgress) => {
            const now = Date.now();
            if (now - lastProgress < PROGRESS_EVERY_MS && p.done !== p.total) return;
            lastProgress = now;
            updateJob(this.db, job.id, { progress: JSON.stringify(p) });
          },
          saveCheckpoint: (value: unknown) => {
            checkpoint = JSON.stringify(value);
            updateJob(this.db, job.id, { checkpoint });
          },
          checkpoint: <T>() => (checkpoint ? (JSON.parse(checkpoint) as T) : undefined),
        });
        abort.signal.throwIfAborted();
        updateJob(this.db, job.id, { state: 'done', finishedAt: new Date(), lockPid: null });
      } catch (err) {
        this.settleFailure(job, abort.signal.aborted ? abort.signal.reason : err);
      }
    };
    const done = run().finally(() => {
      this.running.delete(job.id);
      this.wake();
    });
    this.running.set(job.id, { kind: job.kind, abort, done });
  }

  private settleFailure(job: Job, err: unknown): void {
    const now = new Date();
    if (err instanceof Stopped) {
      // Not the job's fault: the attempt does not count.
      updateJob(this.db, job.id, { state: 'queued', lockPid: null, attempts: job.attempts - 1 });
    } else if (err instanceof Cancelled) {
      updateJob(this.db, job.id, { state: 'cancelled', finishedAt: now, lockPid: null, lastError: 'Cancelled.' });
    } else {
      const message = err instanceof Error ? err.message : String(err);
      // `attempts` already counts this one (it is incremented when claimed).
      const final = err instanceof UserError || job.attempts >= job.maxAttempts;
      this.log.warn({ jobId: job.id, kind: job.kind, attempt: job.attempts, final, err: message }, 'job failed');
      updateJob(this.db, job.id, final
        ? { state: 'failed', finishedAt: now, lockPid: null, lastError: message }
        : { state: 'queued', lockPid: null, lastError: message, runAfter: new Date(now.getTime() + backoffMs(job.attempts)) });
    }
  }
}
