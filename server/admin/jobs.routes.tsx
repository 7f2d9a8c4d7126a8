import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { pageContext } from '../../views/page-context.js';
import { AdminJobsPage } from '../../views/pages/admin-jobs.js';
import { AdminSchedulesPage, type AdminSchedulesProps, type ScheduleView } from '../../views/pages/admin-schedules.js';
import { authorize } from '../auth/access.js';
import type { Db } from '../db/client.js';
import { AccessError } from '../errors.js';
import type { AppEnv } from '../http/app-env.js';
import { attempt, field, formStatus } from '../http/form-errors.js';
import type { Background } from '../jobs/background.js';
import { activeJobs, findJob, recentJobs } from '../jobs/jobs.repo.js';

const FINISHED_SHOWN = 50;

/** Shown after a redirect; only these fixed texts, so nothing from the URL is echoed. */
const JOBS_DONE = new Map([
  ['queued', 'The job is queued; it starts as soon as a worker is free.'],
  ['scrub', 'The integrity check of everything is queued. Its progress shows below; its findings on the integrity page.'],
  ['scrub-busy', 'The nightly integrity check is already queued or running, so no second check was started. Ask again once it has finished.'],
  ['cancelled', 'The job was cancelled.'],
  ['stopping', 'The job was asked to stop; it stops at its next safe point.'],
  ['finished', 'That job had already finished.'],
]);
const SCHEDULES_DONE = new Map([['saved', 'Saved.']]);

/** Background jobs (running, waiting, recently finished) and the schedules that queue them. */
export function jobRoutes(deps: { db: Db; background: Background }) {
  const { db, background } = deps;
  const { queue, scheduler } = background;

  const schedules = (): ScheduleView[] =>
    scheduler.list().map((s) => ({ ...s, lastJob: s.lastJobId === null ? undefined : findJob(db, s.lastJobId) }));
  const scheduleName = (c: Context<AppEnv>) => {
    const name = c.req.param('name') ?? '';
    if (!scheduler.specs.some((s) => s.name === name)) throw new AccessError(404, 'There is no such schedule.');
    return name;
  };
  const renderSchedules = (c: Context<AppEnv>, props: Partial<AdminSchedulesProps> = {}, status: ContentfulStatusCode = 200) =>
    c.html(<AdminSchedulesPage page={pageContext(c)} schedules={schedules()} {...props} />, status);

  return new Hono<AppEnv>()
    .get('/admin/jobs', (c) => {
      authorize(c.var.actor, { do: 'administer' });
      const active = activeJobs(db);
      // The newest rows include at most active.length unfinished ones, so this holds the newest finished ones.
      const finished = recentJobs(db, FINISHED_SHOWN + active.length)
        .filter((j) => j.state !== 'queued' && j.state !== 'running')
        .slice(0, FINISHED_SHOWN);
      c.header('Cache-Control', 'no-store');
      return c.html(<AdminJobsPage page={pageContext(c)} active={active} finished={finished} notice={JOBS_DONE.get(c.req.query('done') ?? '')} />);
    })
    .post('/admin/jobs/:id{[0-9]{1,12}}/cancel', (c) => {
      authorize(c.var.actor, { do: 'administer' });
      const id = Number(c.req.param('id'));
      const before = findJob(db, id);
      if (!before) throw new AccessError(404, 'There is no such job.');
      if (before.state !== 'queued' && before.state !== 'running') return c.redirect('/admin/jobs?done=finished', 303);
      const after = queue.cancel(id);
      return c.redirect(`/admin/jobs?done=${after.state === 'cancelled' ? 'cancelled' : 'stopping'}`, 303);
    })
    .get('/admin/schedules', (c) => {
      authorize(c.var.actor, { do: 'administer' });
      return renderSchedules(c, { notice: SCHEDULES_DONE.get(c.req.query('done') ?? '') });
    })
    .post('/admin/schedules/:name', async (c) => {
      authorize(c.var.actor, { do: 'administer' });
      const name = scheduleName(c);
      const body = await c.req.parseBody();
      const cron = field(body, 'cron', 100);
      const enabled = field(body, 'enabled') === 'yes';
      const result = await attempt(() => scheduler.update(name, { cron, enabled }));
      if ('error' in result) return renderSchedules(c, { failed: { name, cron, enabled, message: result.error.message } }, formStatus(result.error));
      return c.redirect('/admin/schedules?done=saved', 303);
    })
    .post('/admin/schedules/:name/run', (c) => {
      authorize(c.var.actor, { do: 'administer' });
      scheduler.runNow(scheduleName(c));
      return c.redirect('/admin/jobs?done=queued', 303);
    });
}
