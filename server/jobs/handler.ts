import type { Job } from './jobs.table.js';

export interface JobProgress {
  done: number;
  total?: number;
  /** What is counted: 'blobs', 'bytes', 'frames'… */
  unit?: string;
  note?: string;
}

export interface JobContext<P = unknown> {
  job: Job;
  payload: P;
  /** Aborted when the job is cancelled or the server stops; a handler stops at the next safe point. */
  signal: AbortSignal;
  /** Reported often; written to the database at most once a second. */
  progress(p: JobProgress): void;
  /** Saved at once and handed back after a restart or retry, so long work resumes where it stopped. */
  saveCheckpoint(value: unknown): void;
  checkpoint<T>(): T | undefined;
}

/** One kind of background work: how many may run at once, and what it does. */
export interface JobHandler<P = unknown> {
  concurrency: number;
  run(ctx: JobContext<P>): Promise<void>;
}
