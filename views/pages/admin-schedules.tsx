import type { Job, Schedule } from '../../server/jobs/jobs.table.js';
import type { ScheduleSpec } from '../../server/jobs/scheduler.js';
import { CsrfField, Notice } from '../components/form.js';
import { Layout } from '../layout.js';
import type { PageContext } from '../page-context.js';
import { AdminHeading, When } from './admin.js';
import { jobLabel, jobStateLabel } from './admin-jobs.js';

export interface ScheduleView extends Schedule {
  spec: ScheduleSpec;
  nextRun: Date | null;
  /** The job the last run queued, when it is still on record. */
  lastJob?: Job;
}

export interface AdminSchedulesProps {
  page: PageContext;
  schedules: ScheduleView[];
  notice?: string;
  /** A refused edit: the schedule, what was typed, and why. */
  failed?: { name: string; cron: string; enabled: boolean; message: string };
}

/** The schedule's heading: what its job is called, or its name made readable ('trash-purge' → 'Trash purge'). */
function title(s: ScheduleView): string {
  const label = jobLabel(s.spec.job.kind);
  return label !== s.spec.job.kind ? label : (s.name.charAt(0).toUpperCase() + s.name.slice(1)).replaceAll('-', ' ');
}

export function AdminSchedulesPage(props: AdminSchedulesProps) {
  return (
    <Layout title="Schedules" page={props.page}>
      <AdminHeading title="Schedules" />
      <p class="muted">
        When the server does its regular work. Times are in the server’s time zone. What each run did is on the <a href="/admin/jobs">jobs page</a>.
      </p>
      <Notice ok={props.notice} />
      {props.schedules.map((s) => (
        <ScheduleCard schedule={s} page={props.page} failed={props.failed?.name === s.name ? props.failed : undefined} />
      ))}
    </Layout>
  );
}

function ScheduleCard(props: { schedule: ScheduleView; page: PageContext; failed?: AdminSchedulesProps['failed'] }) {
  const { schedule: s, page, failed } = props;
  const id = `cron-${s.name}`;
  const enabled = failed ? failed.enabled : s.enabled;
  return (
    <section class="card schedule" data-schedule={s.name} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title(s)}</h2>
      <p>{s.spec.description}</p>
      <dl class="facts">
        <dt>Next run</dt>
        <dd data-testid="next-run">
          {!s.enabled ? <span class="muted">Paused</span> : s.nextRun ? <When at={s.nextRun} /> : <span class="muted">When the server is running</span>}
        </dd>
        <dt>Last run</dt>
        <dd data-testid="last-run">
          {s.lastRunAt ? (
            <>
              <When at={s.lastRunAt} />
              {s.lastJob ? (
                <>
                  {' '}
                  · <a href="/admin/jobs">job #{s.lastJob.id}</a>: <span class={`state state-${s.lastJob.state}`}>{jobStateLabel(s.lastJob.state).toLowerCase()}</span>
                </>
              ) : null}
            </>
          ) : (
            <span class="muted">Never</span>
          )}
        </dd>
      </dl>
      {failed ? <Notice error={failed.message} /> : null}
      <form method="post" action={`/admin/schedules/${s.name}`} class="schedule-form">
        <CsrfField csrf={page.csrf} />
        <div class="field">
          <label for={id}>When (cron expression)</label>
          <input
            id={id}
            name="cron"
            type="text"
            value={failed ? failed.cron : s.cron}
            required
            maxlength={100}
            spellcheck={false}
            autocomplete="off"
            aria-invalid={failed ? 'true' : undefined}
            aria-describedby={`${id}-hint`}
          />
          <small id={`${id}-hint`}>
            Minute, hour, day of month, month, day of week. <code>30 2 * * *</code> is every night at 02:30; <code>0 * * * *</code> is every hour. The
            default is <code>{s.spec.defaultCron}</code>.
          </small>
        </div>
        <div class="field">
          <label>
            <input type="checkbox" name="enabled" value="yes" checked={enabled} /> Enabled
          </label>
        </div>
        <button type="submit" class="primary">Save</button>
      </form>
      <form method="post" action={`/admin/schedules/${s.name}/run`} class="inline run-now">
        <CsrfField csrf={page.csrf} />
        <button type="submit" class="secondary" aria-label={`Run ${title(s).toLowerCase()} now`}>Run now</button>
      </form>
    </section>
  );
}
