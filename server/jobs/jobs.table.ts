import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const jobStates = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type JobState = (typeof jobStates)[number];

/** Work that must survive a restart: one row per job, claimed by a worker of the process named in lock_pid. */
export const jobs = sqliteTable(
  'jobs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    kind: text('kind').notNull(),
    payload: text('payload').notNull().default('{}'),
    state: text('state', { enum: jobStates }).notNull().default('queued'),
    /** While a job with this key is queued or running, enqueuing another with the same key returns the first. */
    dedupeKey: text('dedupe_key'),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(5),
    runAfter: integer('run_after', { mode: 'timestamp_ms' }).notNull(),
    lockPid: integer('lock_pid'),
    cancelRequested: integer('cancel_requested', { mode: 'boolean' }).notNull().default(false),
    /** JSON: { done, total, unit, note } as the handler last reported it. */
    progress: text('progress'),
    /** JSON the handler keeps across attempts and restarts, e.g. where a scrub stopped. */
    checkpoint: text('checkpoint'),
    lastError: text('last_error'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`),
    startedAt: integer('started_at', { mode: 'timestamp_ms' }),
    finishedAt: integer('finished_at', { mode: 'timestamp_ms' }),
  },
  (t) => [
    index('jobs_ready').on(t.state, t.runAfter),
    uniqueIndex('jobs_active_dedupe').on(t.dedupeKey).where(sql`state IN ('queued', 'running') AND dedupe_key IS NOT NULL`),
  ],
);

export type Job = typeof jobs.$inferSelect;

/** A cron schedule that enqueues a job kind; the admin can change the expression, pause it, or run it now. */
export const schedules = sqliteTable('schedules', {
  name: text('name').primaryKey(),
  cron: text('cron').notNull(),
  enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
  lastRunAt: integer('last_run_at', { mode: 'timestamp_ms' }),
  lastJobId: integer('last_job_id'),
});

export type Schedule = typeof schedules.$inferSelect;
