import { eq } from 'drizzle-orm';
import cron, { type ScheduledTask } from 'node-cron';
import type { Db } from '../db/client.js';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import type { NewJob } from './jobs.repo.js';
import { schedules, type Schedule } from './jobs.table.js';
import type { JobQueue } from './queue.js';

export interface ScheduleSpec {
  name: string;
  /** A person-readable line for the admin page. */
  description: string;
  defaultCron: string;
  job: NewJob;
}

/**
 * node-cron only triggers: each tick enqueues a durable job (deduplicated, so a slow run is not stacked).
 * Expressions and on/off live in the schedules table, so the admin's changes survive restarts.
 */
export class Scheduler {
  private readonly tasks = new Map<string, ScheduledTask>();
  private started = false;

  constructor(
    private readonly db: Db,
    private readonly queue: JobQueue,
    private readonly log: Logger,
    readonly specs: ScheduleSpec[],
  ) {
    for (const spec of specs) this.db.insert(schedules).values({ name: spec.name, cron: spec.defaultCron }).onConflictDoNothing().run();
  }

  start(): void {
    this.started = true;
    for (const spec of this.specs) this.arm(spec.name);
  }

  stop(): void {
    this.started = false;
    for (const task of this.tasks.values()) void task.destroy();
    this.tasks.clear();
  }

  list(): (Schedule & { spec: ScheduleSpec; nextRun: Date | null })[] {
    return this.specs.map((spec) => {
      const row = this.row(spec.name);
      return { ...row, spec, nextRun: row.enabled ? (this.tasks.get(spec.name)?.getNextRun() ?? null) : null };
    });
  }

  update(name: string, changes: { cron?: string; enabled?: boolean }): void {
    this.spec(name);
    if (changes.cron !== undefined && !cron.validate(changes.cron.trim())) {
      throw new UserError(`'${changes.cron}' is not a cron expression. Example: '30 2 * * *' is every night at 02:30.`, 'invalid-cron');
    }
    this.db
      .update(schedules)
      .set({ ...(changes.cron !== undefined ? { cron: changes.cron.trim() } : {}), ...(changes.enabled !== undefined ? { enabled: changes.enabled } : {}) })
      .where(eq(schedules.name, name))
      .run();
    if (this.started) this.arm(name);
  }

  /** Enqueues the schedule's job now (deduplicated against one already waiting or running). */
  runNow(name: string): number {
    const spec = this.spec(name);
    const job = this.queue.enqueue(spec.job);
    this.db.update(schedules).set({ lastRunAt: new Date(), lastJobId: job.id }).where(eq(schedules.name, name)).run();
    return job.id;
  }

  private arm(name: string): void {
    void this.tasks.get(name)?.destroy();
    this.tasks.delete(name);
    const row = this.row(name);
    if (!row.enabled) return;
    const task = cron.createTask(row.cron, () => {
      try {
        this.runNow(name);
      } catch (err) {
        this.log.error({ err, schedule: name }, 'schedule could not enqueue its job');
      }
    }, { name: `heirloom-${name}`, noOverlap: true });
    void task.start();
    this.tasks.set(name, task);
  }

  private spec(name: string): ScheduleSpec {
    const spec = this.specs.find((s) => s.name === name);
    if (!spec) throw new UserError(`There is no schedule named ${name}.`, 'no-such-schedule');
    return spec;
  }

  private row(name: string): Schedule {
    return this.db.select().from(schedules).where(eq(schedules.name, name)).get()!;
  }
}
