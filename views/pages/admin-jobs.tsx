import type { Job } from '../../server/jobs/jobs.table.js';
import { formatBytes } from '../../server/format-bytes.js';
import { CsrfField, Notice } from '../components/form.js';
import { formatDuration as videoClock } from '../components/timeline.js';
import { Layout } from '../layout.js';
import type { PageContext } from '../page-context.js';
import { AdminHeading, When } from './admin.js';

/** Person-readable names for the job kinds; an unknown kind shows as it is. */
const KIND_LABELS: Record<string, string> = {
  scrub: 'Integrity check',
  'db-snapshot': 'Database snapshot',
  'session-cleanup': 'Sign-in cleanup',
  transcode: 'Web copy of a video',
  'video-backfill': 'Reading videos stored before web copies',
  places: 'Naming where photos were taken',
};

export const jobLabel = (kind: string) => KIND_LABELS[kind] ?? kind;

const STATE_LABELS: Record<Job['state'], string> = {
  queued: 'Waiting',
  running: 'Running',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export const jobStateLabel = (state: Job['state']) => STATE_LABELS[state];


/** 45 s, 12 min 5 s, 3 h 20 min. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

interface Progress {
  done: number;
  total?: number;
  unit?: string;
  note?: string;
}

function parseJson<T>(text: string | null): T | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** What a job was asked to do, where the payload says something a person cares about. */
function jobDetail(job: Job): string | undefined {
  if (job.kind === 'transcode') {
    const p = parseJson<{ assetId?: number; part?: string }>(job.payload);
    return `item ${p?.assetId ?? '?'}${p?.part === 'motion' ? ' (its motion)' : ''}`;
  }
  if (job.kind !== 'scrub') return undefined;
  const p = parseJson<{ level?: string; scope?: string; trigger?: string }>(job.payload);
  if (!p) return undefined;
  const what = p.level === 'full' ? 'decrypt and verify' : 'checksums only';
  const scope = p.scope === 'all' ? 'everything' : 'tonight’s share';
  const by = p.trigger === 'admin' ? ', asked for by an admin' : p.trigger === 'schedule' ? ', on schedule' : '';
  return `${what}, ${scope}${by}`;
}

function ProgressCell(props: { job: Job; now: Date }) {
  const { job } = props;
  const p = parseJson<Progress>(job.progress);
  if (!p || typeof p.done !== 'number') return <span class="muted">—</span>;
  const count = (n: number) => (p.unit === 'bytes' ? formatBytes(n) : p.unit === 'seconds' ? videoClock(n * 1000) : `${n.toLocaleString('en-GB')}${p.unit ? ` ${p.unit}` : ''}`);
  const note = p.note ? <small class="muted">{p.note}</small> : null;
  if (!p.total || p.total <= 0) {
    return (
      <div class="progress">
        <span>{count(p.done)} so far</span>
        {note}
      </div>
    );
  }
  const done = Math.min(p.done, p.total);
  const percent = Math.floor((done / p.total) * 100);
  let eta: string | undefined;
  if (job.state === 'running' && job.startedAt && done > 0 && done < p.total) {
    const elapsed = props.now.getTime() - job.startedAt.getTime();
    if (elapsed > 0) eta = `about ${formatDuration((elapsed * (p.total - done)) / done)} left`;
  }
  return (
    <div class="progress">
      <progress max={p.total} value={done} aria-label={`${jobLabel(job.kind)} progress`}>{`${percent}%`}</progress>
      <span>
        {percent}% · {count(done)} of {count(p.total)}
        {eta ? ` · ${eta}` : ''}
      </span>
      {note}
    </div>
  );
}

function StateCell(props: { job: Job; now: Date }) {
  const { job } = props;
  const retryLater = job.state === 'queued' && job.attempts > 0 && job.runAfter > props.now;
  return (
    <td data-state={job.state}>
      <span class={`state state-${job.state}`}>{jobStateLabel(job.state)}</span>
      {retryLater ? (
        <small class="muted">
          {' '}
          retrying at <When at={job.runAfter} />
        </small>
      ) : null}
      {job.state === 'running' && job.cancelRequested ? <small class="muted"> stopping…</small> : null}
    </td>
  );
}

function JobName(props: { job: Job }) {
  const detail = jobDetail(props.job);
  return (
    <td>
      <span class="muted">#{props.job.id}</span> {jobLabel(props.job.kind)}
      {detail ? <small class="muted job-detail">{detail}</small> : null}
    </td>
  );
}

function ErrorCell(props: { error: string | null }) {
  return <td class="job-error">{props.error ?? <span class="muted">—</span>}</td>;
}

export function AdminJobsPage(props: { page: PageContext; active: Job[]; finished: Job[]; notice?: string; now?: Date }) {
  const { page } = props;
  const now = props.now ?? new Date();
  return (
    <Layout title="Background jobs" page={page} scripts={['/static/refresh.js']}>
      <AdminHeading title="Background jobs" />
      <p class="muted">
        Integrity checks, snapshots and other work the server does on its own. Schedules are set on the <a href="/admin/schedules">schedules page</a>.
      </p>
      <Notice ok={props.notice} />
      <div data-refresh="5">
        <h2>Running and waiting</h2>
        {props.active.length === 0 ? (
          <p class="muted" data-testid="no-active-jobs">Nothing is running or waiting.</p>
        ) : (
          <table class="list jobs" data-testid="active-jobs">
            <thead>
              <tr>
                <th>Job</th>
                <th>State</th>
                <th>Attempts</th>
                <th>Progress</th>
                <th>Last error</th>
                <th>Created</th>
                <th>Started</th>
                <th><span class="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {props.active.map((job) => (
                <tr data-job={job.id}>
                  <JobName job={job} />
                  <StateCell job={job} now={now} />
                  <td>{job.attempts} of {job.maxAttempts}</td>
                  <td><ProgressCell job={job} now={now} /></td>
                  <ErrorCell error={job.lastError} />
                  <td><When at={job.createdAt} /></td>
                  <td>{job.state === 'running' ? <When at={job.startedAt} /> : <span class="muted">—</span>}</td>
                  <td>
                    {job.cancelRequested ? null : (
                      <form method="post" action={`/admin/jobs/${job.id}/cancel`} class="inline">
                        <CsrfField csrf={page.csrf} />
                        <button type="submit" class="danger" aria-label={`Cancel job ${job.id}, ${jobLabel(job.kind)}`}>Cancel</button>
                      </form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <h2>Finished</h2>
        {props.finished.length === 0 ? (
          <p class="muted">No job has finished yet.</p>
        ) : (
          <>
            <p class="muted">The last {props.finished.length} to finish, newest first.</p>
            <table class="list jobs" data-testid="finished-jobs">
              <thead>
                <tr>
                  <th>Job</th>
                  <th>State</th>
                  <th>Attempts</th>
                  <th>Last error</th>
                  <th>Created</th>
                  <th>Started</th>
                  <th>Took</th>
                </tr>
              </thead>
              <tbody>
                {props.finished.map((job) => (
                  <tr data-job={job.id}>
                    <JobName job={job} />
                    <StateCell job={job} now={now} />
                    <td>{job.attempts} of {job.maxAttempts}</td>
                    <ErrorCell error={job.state === 'done' ? null : job.lastError} />
                    <td><When at={job.createdAt} /></td>
                    <td><When at={job.startedAt} /></td>
                    <td>
                      {job.startedAt && job.finishedAt && job.finishedAt >= job.startedAt ? (
                        formatDuration(job.finishedAt.getTime() - job.startedAt.getTime())
                      ) : (
                        <span class="muted">—</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </div>
    </Layout>
  );
}
