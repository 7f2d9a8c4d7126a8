import type { TargetKind } from '../../server/replication/replication.table.js';
import { CsrfField, Field, Notice } from '../components/form.js';
import { Layout } from '../layout.js';
import type { PageContext } from '../page-context.js';
import { AdminHeading, When } from './admin.js';
import { formatBytes } from '../../server/format-bytes.js';

/** What the page shows of a target: never its credentials. */
export interface TargetView {
  name: string;
  kind: TargetKind;
  /** As stored: a path, sftp://user@host/path or s3://bucket/prefix, without any password. */
  url: string;
  paused: boolean;
  /** SFTP: the server's host key (SHA-256, base64), pinned at the first connection. */
  hostKey: string | null;
  includePreviews: boolean;
  bytesPerSecond: number;
  /** Files and bytes the target does not hold a verified copy of yet. */
  lag: { items: number; bytes: number };
  lastSuccessAt: Date | null;
  lastVerifiedAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
}

/** What the add form is re-filled with after a refusal: secrets are never part of it. */
export interface AddTargetValues {
  name: string;
  url: string;
  endpoint: string;
  region: string;
  pathStyle: boolean;
  includePreviews: boolean;
  /** Upload limit as typed, in MB/s; empty for none. */
  limit: string;
}

export const emptyTargetForm: AddTargetValues = { name: '', url: '', endpoint: '', region: '', pathStyle: false, includePreviews: true, limit: '' };

export interface AdminReplicationProps {
  page: PageContext;
  targets: TargetView[];
  notice?: string;
  form?: AddTargetValues;
  /** Why the add form was refused. */
  addError?: string;
  /** The outcome of the Test button for one target. */
  tested?: { name: string; ok?: string; error?: string };
  /** A removal refused (the confirmation was not ticked). */
  removeRefused?: { name: string; message: string };
}

const KIND_LABELS: Record<TargetKind, string> = {
  dir: 'Directory (USB disk or network mount)',
  sftp: 'SFTP server',
  s3: 'S3-compatible bucket',
};

const count = (n: number, one: string, many: string) => `${n.toLocaleString('en-GB')} ${n === 1 ? one : many}`;

function Lag(props: { lag: TargetView['lag'] }) {
  if (props.lag.items === 0) return <span class="state-done">Everything is verified</span>;
  return (
    <span>
      {count(props.lag.items, 'file', 'files')}, {formatBytes(props.lag.bytes)} not yet verified
    </span>
  );
}

function TargetCard(props: { target: TargetView; page: PageContext; tested?: AdminReplicationProps['tested']; removeRefused?: AdminReplicationProps['removeRefused'] }) {
  const { target: t, page } = props;
  const id = `target-${t.name.replace(/[^a-z0-9_-]/gi, '-')}`;
  const base = `/admin/replication/${encodeURIComponent(t.name)}`;
  return (
    <section class="card target" data-target={t.name} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>
        {t.name} {t.paused ? <span class="state state-paused">Paused</span> : <span class="state state-active">Active</span>}
      </h2>
      <dl class="facts">
        <dt>Where</dt>
        <dd class="target-url" data-testid="target-url">{t.url}</dd>
        <dt>Kind</dt>
        <dd>{KIND_LABELS[t.kind]}</dd>
        <dt>Behind</dt>
        <dd data-testid="lag">
          <Lag lag={t.lag} />
        </dd>
        <dt>Last success</dt>
        <dd data-testid="last-success">{t.lastSuccessAt ? <When at={t.lastSuccessAt} /> : <span class="muted">Never</span>}</dd>
        <dt>Last verification</dt>
        <dd data-testid="last-verified">{t.lastVerifiedAt ? <When at={t.lastVerifiedAt} /> : <span class="muted">Never</span>}</dd>
        <dt>Last error</dt>
        <dd data-testid="last-error" class={t.lastError ? 'bad' : undefined}>
          {t.lastError ? (
            <>
              {t.lastError} <small class="muted">(<When at={t.lastErrorAt} />)</small>
            </>
          ) : (
            <span class="muted">None</span>
          )}
        </dd>
        {t.kind === 'sftp' ? (
          <>
            <dt>Host key</dt>
            <dd data-testid="host-key" class="target-url">
              {t.hostKey ? `SHA256:${t.hostKey}` : <span class="muted">Pinned at the next connection</span>}
            </dd>
          </>
        ) : null}
        <dt>Thumbnails and previews</dt>
        <dd>{t.includePreviews ? 'Copied too' : 'Left out (they can be made again from the originals)'}</dd>
        <dt>Upload limit</dt>
        <dd>{t.bytesPerSecond > 0 ? `${formatBytes(t.bytesPerSecond)}/s` : 'None'}</dd>
      </dl>
      {props.tested ? <Notice ok={props.tested.ok} error={props.tested.error} /> : null}
      <div class="target-actions">
        <form method="post" action={`${base}/test`} class="inline">
          <CsrfField csrf={page.csrf} />
          <button type="submit" class="secondary" aria-label={`Test ${t.name}`}>Test</button>
        </form>{' '}
        <form method="post" action={`${base}/${t.paused ? 'resume' : 'pause'}`} class="inline">
          <CsrfField csrf={page.csrf} />
          <button type="submit" class="secondary" aria-label={`${t.paused ? 'Resume' : 'Pause'} ${t.name}`}>{t.paused ? 'Resume' : 'Pause'}</button>
        </form>
      </div>
      <form method="post" action={`${base}/remove`} class="target-remove">
        <CsrfField csrf={page.csrf} />
        {props.removeRefused ? <Notice error={props.removeRefused.message} /> : null}
        <div class="field">
          <label>
            <input type="checkbox" name="understood" value="yes" required /> I understand the copies stay at the target
          </label>
          <small>Heirloom forgets this target and stops sending to it. Nothing there is deleted.</small>
        </div>
        <button type="submit" class="danger" aria-label={`Remove ${t.name}`}>Remove</button>
      </form>
    </section>
  );
}

function AddTargetForm(props: { page: PageContext; values: AddTargetValues; error?: string }) {
  const v = props.values;
  return (
    <form method="post" action="/admin/replication" class="card add-target" aria-labelledby="add-target-title">
      <h2 id="add-target-title">Add a target</h2>
      <CsrfField csrf={props.page.csrf} />
      <Notice error={props.error} />
      <Field label="Name" name="name" value={v.name} maxlength={64} pattern="[A-Za-z0-9][A-Za-z0-9._\-]{0,63}" hint="A short name for scripts and logs, such as usb-disk or grandpa-nas." />
      <Field
        label="Where"
        name="url"
        value={v.url}
        maxlength={1024}
        hint={
          <>
            A directory on this server (<code>/mnt/usb/heirloom</code>), an SFTP server (<code>sftp://user@host:22/backups/heirloom</code>) or an S3
            bucket (<code>s3://bucket/prefix</code>). The directory must exist already.
          </>
        }
      />
      <fieldset>
        <legend>S3-compatible bucket</legend>
        <Field label="Endpoint" name="endpoint" type="url" value={v.endpoint} required={false} maxlength={1024} hint="Leave empty for AWS; for Backblaze B2, Wasabi, MinIO or Garage, their https:// address." />
        <Field label="Region" name="region" value={v.region} required={false} maxlength={64} hint="Such as eu-central-1; leave empty for us-east-1." />
        <div class="field">
          <label>
            <input type="checkbox" name="pathStyle" value="yes" checked={v.pathStyle} /> Path-style addresses
          </label>
          <small>Needed by MinIO and Garage, and most servers of your own.</small>
        </div>
        <Field label="Access key id" name="accessKeyId" value="" required={false} maxlength={256} autocomplete="off" />
        <Field label="Secret access key" name="secretAccessKey" type="password" value="" required={false} maxlength={256} autocomplete="new-password" />
      </fieldset>
      <fieldset>
        <legend>SFTP server</legend>
        <Field label="Password" name="password" type="password" value="" required={false} maxlength={1024} autocomplete="new-password" hint="Or a private key below." />
        <div class="field">
          <label for="f-privateKey">Private key</label>
          <textarea id="f-privateKey" name="privateKey" rows={4} autocomplete="off" aria-describedby="f-privateKey-hint"></textarea>
          <small id="f-privateKey-hint">The whole key file, from -----BEGIN to END-----. The server’s host key is pinned at the first connection.</small>
        </div>
      </fieldset>
      <p class="muted">Passwords, keys and secrets are stored encrypted with the master key and never shown again, not even after a mistake in this form.</p>
      <div class="field">
        <label>
          <input type="checkbox" name="includePreviews" value="yes" checked={v.includePreviews} /> Include thumbnails and previews
        </label>
        <small>They can be made again from the originals; leaving them out saves space at the target.</small>
      </div>
      <Field label="Upload limit (MB/s)" name="limit" value={v.limit} required={false} maxlength={12} pattern="[0-9]*([.,][0-9]+)?" hint="Such as 2.5; empty or 0 for no limit." />
      <button type="submit" class="primary">Add the target</button>
    </form>
  );
}

/** Where encrypted copies go, how far behind each target is, and adding, testing, pausing or removing one. */
export function AdminReplicationPage(props: AdminReplicationProps) {
  const { page, targets } = props;
  return (
    <Layout title="Off-site copies" page={page}>
      <AdminHeading title="Off-site copies" />
      <p class="muted">
        Encrypted copies of every file and of the database, sent to places you choose. A target never sees a photo, a file name or a key. Runs
        show on the <a href="/admin/jobs">jobs page</a>; when they happen on the <a href="/admin/schedules">schedules page</a>.
      </p>
      <Notice ok={props.notice} />
      {targets.length === 0 ? (
        <p class="muted" data-testid="no-targets">There is no target yet. Add one below: a USB disk, another NAS over SFTP, or an S3 bucket.</p>
      ) : (
        <>
          <form method="post" action="/admin/replication/run" class="send-now">
            <CsrfField csrf={page.csrf} />
            <button type="submit" class="primary">Send now</button>{' '}
            <small class="muted">Sends new files and a database snapshot to every active target.</small>
          </form>
          {targets.map((t) => (
            <TargetCard
              target={t}
              page={page}
              tested={props.tested?.name === t.name ? props.tested : undefined}
              removeRefused={props.removeRefused?.name === t.name ? props.removeRefused : undefined}
            />
          ))}
        </>
      )}
      <AddTargetForm page={page} values={props.form ?? emptyTargetForm} error={props.addError} />
    </Layout>
  );
}
