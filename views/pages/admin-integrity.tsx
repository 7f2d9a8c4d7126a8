import type { IntegrityProblem, ScrubRun } from '../../server/integrity/integrity.table.js';
import type { Job } from '../../server/jobs/jobs.table.js';
import { CsrfField, Notice } from '../components/form.js';
import { Layout } from '../layout.js';
import type { PageContext } from '../page-context.js';
import { AdminHeading, When } from './admin.js';
import { formatDuration } from './admin-jobs.js';
import { formatBytes } from '../../server/format-bytes.js';

export type OpenProblem = IntegrityProblem & { itemName: string | null };

const PROBLEM_LABELS: Record<IntegrityProblem['kind'], string> = {
  missing: 'Missing',
  size: 'Wrong size',
  checksum: 'Checksum mismatch',
  decrypt: 'Does not decrypt',
  untracked: 'Unknown file',
  database: 'Database',
};

const LEVEL_LABELS: Record<ScrubRun['level'], string> = { keyless: 'Checksums', full: 'Full decrypt' };
const SCOPE_LABELS: Record<ScrubRun['scope'], string> = { slice: 'Nightly share', all: 'Everything' };
const TRIGGER_LABELS: Record<ScrubRun['trigger'], string> = { schedule: 'Schedule', admin: 'Admin', cli: 'Command line' };
const RUN_STATE_LABELS: Record<ScrubRun['state'], string> = { running: 'Running', done: 'Done', interrupted: 'Interrupted', failed: 'Failed' };

/** How long a run took (or has taken so far). */
function runMs(run: ScrubRun, now: Date): number | undefined {
  const end = run.finishedAt ?? (run.state === 'running' ? now : undefined);
  if (!end) return undefined;
  return Math.max(0, end.getTime() - run.startedAt.getTime());
}

function Throughput(props: { bytes: number; ms: number | undefined }) {
  if (props.ms === undefined || props.ms <= 0 || props.bytes === 0) return <span class="muted">—</span>;
  return <>{(props.bytes / 1e6 / (props.ms / 1000)).toFixed(1)} MB/s</>;
}

/** Which stored thing a problem is about, in words. */
function ProblemItem(props: { problem: OpenProblem }) {
  const p = props.problem;
  if (p.kind === 'database') return <>The database</>;
  if (p.kind === 'untracked') return <span class="muted">Not part of the library</span>;
  const what = p.blobKind && p.blobKind !== 'original' ? <small class="muted"> ({p.blobKind})</small> : null;
  return (
    <>
      {p.itemName ?? <span class="muted">Unknown item</span>}
      {what}
    </>
  );
}

export function AdminIntegrityPage(props: { page: PageContext; runs: ScrubRun[]; problems: OpenProblem[]; activeScrub?: Job; notice?: string; now?: Date }) {
  const { page } = props;
  const now = props.now ?? new Date();
  return (
    <Layout title="Integrity" page={page}>
      <AdminHeading title="Integrity checks" />
      <p>
        Every night Heirloom decrypts and verifies a share of the stored files, so each one is read about once a month, and checks the
        database. A damaged file is moved aside (never deleted), and repaired from an off-site copy when there is one; a damaged preview is
        rebuilt from its original.
      </p>
      <Notice ok={props.notice} />
      <form method="post" action="/admin/integrity/check" class="card">
        <CsrfField csrf={page.csrf} />
        <p>
          Check everything now: decrypt and verify every stored file at full speed, then run SQLite’s full integrity check. It runs in the
          background and may take a while on a large library.
        </p>
        {props.activeScrub ? (
          <p class="muted" data-testid="active-scrub">
            An integrity check is already {props.activeScrub.state === 'running' ? 'running' : 'waiting to run'}:{' '}
            <a href="/admin/jobs">job #{props.activeScrub.id}</a>. Asking again does not start a second one.
          </p>
        ) : null}
        <button type="submit" class="primary">Check everything now</button>
      </form>

      <h2>Open problems</h2>
      {props.problems.length === 0 ? (
        <p class="muted" data-testid="no-problems">None. Everything checked so far is as it was stored.</p>
      ) : (
        <table class="list problems" data-testid="problems">
          <thead>
            <tr>
              <th>Item</th>
              <th>Problem</th>
              <th>Detail</th>
              <th>Damaged file moved to</th>
              <th>Found</th>
            </tr>
          </thead>
          <tbody>
            {props.problems.map((p) => (
              <tr data-problem={p.id}>
                <td><ProblemItem problem={p} /></td>
                <td>{PROBLEM_LABELS[p.kind]}</td>
                <td class="detail">{p.detail}</td>
                <td class="detail">{p.quarantinedAs ? <code>{p.quarantinedAs}</code> : <span class="muted">—</span>}</td>
                <td><When at={p.foundAt} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>History</h2>
      {props.runs.length === 0 ? (
        <p class="muted">No check has run yet.</p>
      ) : (
        <div class="table-scroll">
          <table class="list runs" data-testid="runs">
            <thead>
              <tr>
                <th>Started</th>
                <th>Level</th>
                <th>Scope</th>
                <th>Started by</th>
                <th>State</th>
                <th>Took</th>
                <th>Files checked</th>
                <th>Data checked</th>
                <th>Speed</th>
                <th>Problems found</th>
                <th>Repairs made</th>
                <th>Database check</th>
              </tr>
            </thead>
            <tbody>
              {props.runs.map((run) => {
                const ms = runMs(run, now);
                return (
                  <tr data-run={run.id}>
                    <td><When at={run.startedAt} /></td>
                    <td>{LEVEL_LABELS[run.level]}</td>
                    <td>{SCOPE_LABELS[run.scope]}</td>
                    <td>{TRIGGER_LABELS[run.trigger]}</td>
                    <td>
                      <span class={`state state-${run.state}`}>{RUN_STATE_LABELS[run.state]}</span>
                      {run.error ? <small class="detail"> {run.error}</small> : null}
                    </td>
                    <td>{ms === undefined ? <span class="muted">—</span> : formatDuration(ms)}</td>
                    <td>{run.blobsChecked.toLocaleString('en-GB')}</td>
                    <td>{formatBytes(run.bytesChecked)}</td>
                    <td><Throughput bytes={run.bytesChecked} ms={ms} /></td>
                    <td class={run.problemsFound > 0 ? 'bad' : undefined}>{run.problemsFound}</td>
                    <td>{run.repairsMade}</td>
                    <td class={run.dbCheck && run.dbCheck !== 'ok' ? 'bad detail' : undefined}>
                      {run.dbCheck === null ? <span class="muted">—</span> : run.dbCheck === 'ok' ? 'OK' : run.dbCheck}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
}
