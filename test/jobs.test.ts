import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../server/db/client.js';
import { migrateDb } from '../server/db/migrate.js';
import { UserError } from '../server/errors.js';
import type { JobContext, JobHandler } from '../server/jobs/handler.js';
import { findJob, insertJob, updateJob } from '../server/jobs/jobs.repo.js';
import { schedules, type Job } from '../server/jobs/jobs.table.js';
import { JobQueue } from '../server/jobs/queue.js';
import { JobRunner } from '../server/jobs/runner.js';
import { Scheduler, type ScheduleSpec } from '../server/jobs/scheduler.js';
import { createLogger } from '../server/log.js';

const log = createLogger('silent');

let dir: string;
let db: Db;
/** Runners and schedulers a test started, stopped after it whatever happened. */
let toStop: { stop(): unknown }[];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'heirloom-jobs-'));
  db = openDb(path.join(dir, 'heirloom.db'));
  migrateDb(db);
  toStop = [];
});

afterEach(async () => {
  for (const s of toStop) await s.stop();
  db.$client.close();
  await rm(dir, { recursive: true, force: true });
});

function runnerWith(handlers: Record<string, JobHandler<never>>): { runner: JobRunner; queue: JobQueue } {
  const runner = new JobRunner(db, log, handlers);
  toStop.push(runner);
  return { runner, queue: new JobQueue(db, runner) };
}

const job = (id: number): Job => findJob(db, id)!;

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Resolves once the signal aborts: a handler that works until it is told to stop. */
const untilAborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));

async function waitFor(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** The pid of a process that has exited: what a crashed server leaves in lock_pid. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

/** Lets a job whose backoff has not expired be claimed now, as if the wait had passed. */
const expireBackoff = (id: number) => updateJob(db, id, { runAfter: new Date(Date.now() - 1) });

describe('job runner', () => {
  it('runs a queued job with its payload and marks it done', async () => {
    const seen: unknown[] = [];
    const { runner, queue } = runnerWith({ echo: { concurrency: 1, run: async ({ payload }) => void seen.push(payload) } });
    const { id } = queue.enqueue({ kind: 'echo', payload: { word: 'hello' } });
    await runner.drain();
    expect(seen).toEqual([{ word: 'hello' }]);
    expect(job(id)).toMatchObject({ state: 'done', attempts: 1, lockPid: null, lastError: null });
    expect(job(id).finishedAt).toBeInstanceOf(Date);
  });

  it('never runs more jobs of a kind at once than its concurrency', async () => {
    const inFlight: Record<string, number> = { wide: 0, narrow: 0 };
    const maxInFlight: Record<string, number> = { wide: 0, narrow: 0 };
    let maxTotal = 0;
    const counting = (kind: string, concurrency: number): JobHandler => ({
      concurrency,
      async run() {
        inFlight[kind]!++;
        maxInFlight[kind] = Math.max(maxInFlight[kind]!, inFlight[kind]!);
        maxTotal = Math.max(maxTotal, inFlight.wide! + inFlight.narrow!);
        await sleep(15);
        inFlight[kind]!--;
      },
    });
    const { runner, queue } = runnerWith({ wide: counting('wide', 3), narrow: counting('narrow', 1) });
    const ids = [...Array.from({ length: 8 }, () => queue.enqueue({ kind: 'wide' }).id), ...Array.from({ length: 4 }, () => queue.enqueue({ kind: 'narrow' }).id)];
    await runner.drain();
    expect(maxInFlight).toEqual({ wide: 3, narrow: 1 });
    // The kinds do not wait for each other.
    expect(maxTotal).toBe(4);
    expect(ids.map((id) => job(id).state)).toEqual(ids.map(() => 'done'));
  });

  it('retries a failing job with growing backoff, then fails it with the last error', async () => {
    let calls = 0;
    const { runner, queue } = runnerWith({
      flaky: {
        concurrency: 1,
        run: async () => {
          calls++;
          throw new Error(`disk busy (try ${calls})`);
        },
      },
    });
    const { id } = queue.enqueue({ kind: 'flaky', maxAttempts: 3 });

    const before1 = Date.now();
    await runner.drain();
    const first = job(id);
    expect(first).toMatchObject({ state: 'queued', attempts: 1, lastError: 'disk busy (try 1)', lockPid: null });
    const delay1 = first.runAfter.getTime() - before1;
    expect(delay1).toBeGreaterThanOrEqual(25_000);

    // Not due yet: draining again does not run it.
    await runner.drain();
    expect(calls).toBe(1);

    expireBackoff(id);
    const before2 = Date.now();
    await runner.drain();
    const second = job(id);
    expect(second).toMatchObject({ state: 'queued', attempts: 2, lastError: 'disk busy (try 2)' });
    const delay2 = second.runAfter.getTime() - before2;
    expect(delay2).toBeGreaterThan(delay1 * 1.5);

    expireBackoff(id);
    await runner.drain();
    expect(job(id)).toMatchObject({ state: 'failed', attempts: 3, lastError: 'disk busy (try 3)', lockPid: null });
    expect(job(id).finishedAt).toBeInstanceOf(Date);
    expect(calls).toBe(3);
  });

  it('fails a job at once when it throws a UserError', async () => {
    let calls = 0;
    const { runner, queue } = runnerWith({
      picky: {
        concurrency: 1,
        run: async () => {
          calls++;
          throw new UserError('That folder does not exist.', 'no-folder');
        },
      },
    });
    const { id } = queue.enqueue({ kind: 'picky', maxAttempts: 5 });
    await runner.drain();
    expect(calls).toBe(1);
    expect(job(id)).toMatchObject({ state: 'failed', attempts: 1, lastError: 'That folder does not exist.' });
  });

  it('cancels a queued job before it starts', async () => {
    let calls = 0;
    const { runner, queue } = runnerWith({ work: { concurrency: 1, run: async () => void calls++ } });
    const { id } = queue.enqueue({ kind: 'work' });
    expect(queue.cancel(id).state).toBe('cancelled');
    await runner.drain();
    expect(calls).toBe(0);
    expect(job(id)).toMatchObject({ state: 'cancelled', attempts: 0 });
  });

  it('aborts the signal of a running job that is cancelled, and ends it cancelled', async () => {
    const started = deferred<AbortSignal>();
    const { runner, queue } = runnerWith({
      long: {
        concurrency: 1,
        async run({ signal }) {
          started.resolve(signal);
          await untilAborted(signal);
        },
      },
    });
    const { id } = queue.enqueue({ kind: 'long' });
    const drained = runner.drain();
    const signal = await started.promise;
    expect(job(id).state).toBe('running');

    queue.cancel(id);
    expect(signal.aborted).toBe(true);
    await drained;
    expect(job(id)).toMatchObject({ state: 'cancelled', cancelRequested: true, lockPid: null });
  });

  it('aborts a running job cancelled from another process through the database', async () => {
    const started = deferred<AbortSignal>();
    const { runner, queue } = runnerWith({
      long: {
        concurrency: 1,
        async run({ signal }) {
          started.resolve(signal);
          await untilAborted(signal);
        },
      },
    });
    runner.start();
    const { id } = queue.enqueue({ kind: 'long' });
    const signal = await started.promise;
    // What the admin page in another process does: a queue without this runner.
    new JobQueue(db).cancel(id);
    expect(signal.aborted).toBe(false);
    await waitFor('the poll to abort the job', () => job(id).state === 'cancelled');
    expect(signal.aborted).toBe(true);
  });

  it('puts a running job back in the queue on stop() without counting the attempt', async () => {
    const started = deferred();
    const { runner, queue } = runnerWith({
      long: {
        concurrency: 1,
        async run({ signal }) {
          started.resolve();
          await untilAborted(signal);
        },
      },
    });
    runner.start();
    const { id } = queue.enqueue({ kind: 'long', maxAttempts: 1 });
    await started.promise;
    expect(job(id)).toMatchObject({ state: 'running', attempts: 1, lockPid: process.pid });

    await runner.stop();
    expect(job(id)).toMatchObject({ state: 'queued', attempts: 0, lockPid: null, lastError: null });
  });

  it('re-queues at start() a job a dead process left running, and runs it from its checkpoint', async () => {
    const orphan = insertJob(db, { kind: 'resumable' });
    updateJob(db, orphan.id, { state: 'running', lockPid: await deadPid(), attempts: 1, checkpoint: JSON.stringify({ next: 41 }) });
    const handedBack: unknown[] = [];
    const { runner } = runnerWith({ resumable: { concurrency: 1, run: async ({ checkpoint }) => void handedBack.push(checkpoint()) } });

    runner.start();
    expect(job(orphan.id)).toMatchObject({ state: 'queued', lockPid: null });
    await waitFor('the orphan to run', () => job(orphan.id).state === 'done');
    expect(handedBack).toEqual([{ next: 41 }]);
    expect(job(orphan.id).attempts).toBe(2);
  });

  it('leaves alone a job that a live process is running', async () => {
    const other = insertJob(db, { kind: 'resumable' });
    // Our parent (the test runner) is alive: think of a CLI import sharing the data dir.
    updateJob(db, other.id, { state: 'running', lockPid: process.ppid, attempts: 1 });
    const { runner } = runnerWith({ resumable: { concurrency: 1, run: async () => {} } });
    runner.start();
    await runner.drain();
    expect(job(other.id)).toMatchObject({ state: 'running', lockPid: process.ppid, attempts: 1 });
  });

  it('hands a saved checkpoint back to the next attempt after a failure', async () => {
    const seen: (number | undefined)[] = [];
    const { runner, queue } = runnerWith({
      steps: {
        concurrency: 1,
        async run({ checkpoint, saveCheckpoint }: JobContext) {
          const from = checkpoint<{ step: number }>()?.step;
          seen.push(from);
          if (from === undefined) {
            saveCheckpoint({ step: 7 });
            throw new Error('power blip');
          }
        },
      },
    });
    const { id } = queue.enqueue({ kind: 'steps' });
    await runner.drain();
    expect(JSON.parse(job(id).checkpoint!)).toEqual({ step: 7 });
    expireBackoff(id);
    await runner.drain();
    expect(seen).toEqual([undefined, 7]);
    expect(job(id).state).toBe('done');
  });

  it('returns the active job for a dedupe key, and a new one once it has finished', async () => {
    const { runner, queue } = runnerWith({ sweep: { concurrency: 1, run: async () => {} } });
    const first = queue.enqueue({ kind: 'sweep', dedupeKey: 'sweep' });
    const again = queue.enqueue({ kind: 'sweep', dedupeKey: 'sweep' });
    expect(again.id).toBe(first.id);
    const otherKey = queue.enqueue({ kind: 'sweep', dedupeKey: 'sweep-2' });
    expect(otherKey.id).not.toBe(first.id);

    await runner.drain();
    const later = queue.enqueue({ kind: 'sweep', dedupeKey: 'sweep' });
    expect(later.id).not.toBe(first.id);
    expect(later.state).toBe('queued');
  });

  it('writes progress to the database, at most once a second until the last step', async () => {
    const written: (string | null)[] = [];
    const { runner, queue } = runnerWith({
      counted: {
        concurrency: 1,
        async run({ job: self, progress }) {
          for (let done = 1; done <= 3; done++) {
            progress({ done, total: 3, unit: 'files', note: `file ${done}` });
            written.push(findJob(db, self.id)!.progress);
          }
        },
      },
    });
    const { id } = queue.enqueue({ kind: 'counted' });
    await runner.drain();
    const parsed = written.map((p) => (p ? (JSON.parse(p) as { done: number }).done : null));
    // The first report is written, the second falls within the second, the final one always lands.
    expect(parsed).toEqual([1, 1, 3]);
    expect(JSON.parse(job(id).progress!)).toEqual({ done: 3, total: 3, unit: 'files', note: 'file 3' });
  });
});

describe('scheduler', () => {
  const specs: ScheduleSpec[] = [
    { name: 'sweep', description: 'Sweeps', defaultCron: '5 * * * *', job: { kind: 'sweep', payload: { deep: false }, dedupeKey: 'sweep' } },
    { name: 'tick', description: 'Every second (tests)', defaultCron: '* * * * * *', job: { kind: 'tick', dedupeKey: 'tick' } },
  ];

  function schedulerWith(queue = new JobQueue(db)): Scheduler {
    const scheduler = new Scheduler(db, queue, log, specs);
    toStop.push(scheduler);
    return scheduler;
  }
  const row = (name: string) => db.select().from(schedules).where(eq(schedules.name, name)).get()!;

  it('creates each schedule with its default expression, enabled', () => {
    schedulerWith();
    expect(row('sweep')).toMatchObject({ cron: '5 * * * *', enabled: true, lastRunAt: null });
  });

  it('rejects an invalid cron expression with a message that shows a valid one', () => {
    const scheduler = schedulerWith();
    let error: unknown;
    try {
      scheduler.update('sweep', { cron: 'every night' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UserError);
    expect(error).toMatchObject({ code: 'invalid-cron', message: "'every night' is not a cron expression. Example: '30 2 * * *' is every night at 02:30." });
    expect(row('sweep').cron).toBe('5 * * * *');
  });

  it('rejects an unknown schedule name', () => {
    expect(() => schedulerWith().update('nope', { enabled: false })).toThrow(/no schedule named nope/);
  });

  it('keeps a changed expression and a pause across a restart', () => {
    schedulerWith().update('sweep', { cron: ' 0 4 * * 0 ', enabled: false });
    // A new process: the constructor must not reset what the admin chose.
    const restarted = schedulerWith();
    restarted.start();
    const sweep = restarted.list().find((s) => s.name === 'sweep')!;
    expect(sweep).toMatchObject({ cron: '0 4 * * 0', enabled: false, nextRun: null });

    restarted.update('sweep', { enabled: true });
    const resumed = restarted.list().find((s) => s.name === 'sweep')!;
    expect(resumed.enabled).toBe(true);
    expect(resumed.nextRun).toBeInstanceOf(Date);
    expect(resumed.nextRun!.getDay()).toBe(0);
    expect(resumed.nextRun!.getHours()).toBe(4);
  });

  it('runNow enqueues the job once while it waits, and records when it ran', () => {
    const scheduler = schedulerWith();
    const before = Date.now();
    const id = scheduler.runNow('sweep');
    expect(scheduler.runNow('sweep')).toBe(id);
    expect(job(id)).toMatchObject({ kind: 'sweep', state: 'queued', payload: JSON.stringify({ deep: false }) });
    const sweep = row('sweep');
    expect(sweep.lastJobId).toBe(id);
    expect(sweep.lastRunAt!.getTime()).toBeGreaterThanOrEqual(before);
  });

  it('enqueues the job when the cron expression fires', async () => {
    const scheduler = schedulerWith();
    scheduler.start();
    await waitFor('the every-second schedule to fire', () => row('tick').lastJobId !== null, 3000);
    expect(job(row('tick').lastJobId!)).toMatchObject({ kind: 'tick', state: 'queued' });
  });

  it('does not fire a paused schedule', async () => {
    const scheduler = schedulerWith();
    scheduler.update('tick', { enabled: false });
    scheduler.start();
    await sleep(1300);
    expect(row('tick').lastJobId).toBeNull();
  });
});
