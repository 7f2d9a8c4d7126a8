import { and, asc, desc, eq, inArray, lte, notInArray, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { preparedPerDb } from '../db/prepared.js';
import { jobs, type Job } from './jobs.table.js';

export interface NewJob {
  kind: string;
  payload?: unknown;
  dedupeKey?: string;
  maxAttempts?: number;
  runAfter?: Date;
}

const activeByKey = preparedPerDb((db: Db | Tx) =>
  db
    .select()
    .from(jobs)
    .where(and(eq(jobs.dedupeKey, sql.placeholder('dedupeKey')), inArray(jobs.state, ['queued', 'running'])))
    .prepare(),
);

/** Inserts a job, or returns the queued/running one holding the same dedupe key (asked after every upload). */
export function insertJob(db: Db, job: NewJob, now = new Date()): Job {
  return db.transaction((tx) => {
    if (job.dedupeKey) {
      const active = activeByKey(tx).get({ dedupeKey: job.dedupeKey });
      if (active) return active;
    }
    return tx
      .insert(jobs)
      .values({ kind: job.kind, payload: JSON.stringify(job.payload ?? {}), dedupeKey: job.dedupeKey, maxAttempts: job.maxAttempts, runAfter: job.runAfter ?? now })
      .returning()
      .get();
  });
}

/** Atomically takes the oldest ready job of one of `kinds` for this process. */
export function claimJob(db: Db, kinds: string[], pid: number, now = new Date()): Job | undefined {
  if (kinds.length === 0) return undefined;
  const next = db
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(eq(jobs.state, 'queued'), lte(jobs.runAfter, now), inArray(jobs.kind, kinds)))
    .orderBy(asc(jobs.runAfter), asc(jobs.id))
    .limit(1);
  return db
    .update(jobs)
    .set({ state: 'running', lockPid: pid, attempts: sql`${jobs.attempts} + 1`, startedAt: now, lastError: null })
    .where(and(eq(jobs.id, sql`(${next})`), eq(jobs.state, 'queued')))
    .returning()
    .get();
}

export function updateJob(db: Db, id: number, changes: Partial<typeof jobs.$inferInsert>): void {
  db.update(jobs).set(changes).where(eq(jobs.id, id)).run();
}

export function findJob(db: Db, id: number): Job | undefined {
  return db.select().from(jobs).where(eq(jobs.id, id)).get();
}

export function recentJobs(db: Db, limit: number): Job[] {
  return db.select().from(jobs).orderBy(desc(jobs.id)).limit(limit).all();
}

export function activeJobs(db: Db): Job[] {
  return db.select().from(jobs).where(inArray(jobs.state, ['queued', 'running'])).orderBy(asc(jobs.id)).all();
}

/** Jobs left 'running' by processes that are gone go back to the queue, keeping their checkpoint. */
export function requeueOrphans(db: Db, livePids: number[]): number {
  return db
    .update(jobs)
    .set({ state: 'queued', lockPid: null })
    .where(and(eq(jobs.state, 'running'), notInArray(jobs.lockPid, livePids)))
    .run().changes;
}

export function runningPids(db: Db): number[] {
  return db
    .selectDistinct({ pid: jobs.lockPid })
    .from(jobs)
    .where(eq(jobs.state, 'running'))
    .all()
    .map((r) => r.pid)
    .filter((p): p is number => p !== null);
}
