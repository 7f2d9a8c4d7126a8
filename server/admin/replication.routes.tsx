import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AdminReplicationPage, emptyTargetForm, type AddTargetValues, type AdminReplicationProps, type TargetView } from '../../views/pages/admin-replication.js';
import { pageContext } from '../../views/page-context.js';
import { authorize } from '../auth/access.js';
import { AccessError, UserError } from '../errors.js';
import type { AppEnv } from '../http/app-env.js';
import { attempt, field, formStatus } from '../http/form-errors.js';
import type { Background } from '../jobs/background.js';
import type { Logger } from '../log.js';
import type { TargetCredentials } from '../replication/open-remote.js';
import type { ReplicationTarget } from '../replication/replication.table.js';
import { parseTargetUrl } from '../replication/target-url.js';

/** Shown after a redirect; only these fixed texts, so nothing from the URL is echoed. */
const DONE = new Map([
  ['added', 'The target was added. It gets its first copy with the next run; “Send now” starts one at once.'],
  ['paused', 'The target is paused: nothing is sent to it until it is resumed.'],
  ['resumed', 'The target is active again; it catches up at the next run.'],
  ['removed', 'The target was removed. The copies it holds are still there.'],
]);

/** The upload limit as typed in MB/s ('' or 0: none), in bytes per second. */
function bytesPerSecond(limit: string): number {
  const text = limit.trim().replace(',', '.');
  if (text === '') return 0;
  const mb = Number(text);
  if (!/^\d*\.?\d+$/.test(text) || !Number.isFinite(mb) || mb > 100_000) {
    throw new UserError('The upload limit is a number of MB per second, such as 2.5; leave it empty for no limit.', 'invalid-limit');
  }
  return Math.round(mb * 1e6);
}

/** The URL as it may be shown again: a password inside an sftp:// URL is dropped. */
function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** An error from connecting, as the admin may read it: any secret they typed is blanked out, in case a server echoed it. */
function safeMessage(err: Error, secrets: (string | undefined)[]): string {
  let message = err.message || 'The target could not be reached.';
  for (const secret of secrets) if (secret && secret.length >= 4) message = message.split(secret).join('••••');
  return message;
}

/** Off-site targets: what each holds and lacks, and adding, testing, pausing, removing one, or sending now. */
export function replicationRoutes(deps: { background: Background; log: Logger }) {
  const { targets, replication, queue } = deps.background;
  const { log } = deps;

  const view = (t: ReplicationTarget): TargetView => {
    const options = targets.options(t);
    return {
      name: t.name,
      kind: t.kind,
      url: t.url,
      paused: t.paused,
      hostKey: t.hostKey,
      includePreviews: options.includePreviews,
      bytesPerSecond: options.bytesPerSecond,
      lag: replication.lag(t),
      lastSuccessAt: t.lastSuccessAt,
      lastVerifiedAt: t.lastVerifiedAt,
      lastError: t.lastError,
      lastErrorAt: t.lastErrorAt,
    };
  };
  const render = (c: Context<AppEnv>, props: Partial<AdminReplicationProps> = {}, status: ContentfulStatusCode = 200) => {
    c.header('Cache-Control', 'no-store');
    return c.html(<AdminReplicationPage page={pageContext(c)} targets={targets.list().map(view)} {...props} />, status);
  };
  /** The target the path names; 404 when there is none. */
  const named = (c: Context<AppEnv>): ReplicationTarget => {
    const name = c.req.param('name') ?? '';
    const target = targets.list().find((t) => t.name === name);
    if (!target) throw new AccessError(404, 'There is no such target.');
    return target;
  };

  return new Hono<AppEnv>()
    .get('/admin/replication', (c) => {
      authorize(c.var.actor, { do: 'administer' });
      return render(c, { notice: DONE.get(c.req.query('done') ?? '') });
    })
    .post('/admin/replication', async (c) => {
      authorize(c.var.actor, { do: 'administer' });
      const body = await c.req.parseBody();
      const url = field(body, 'url').trim();
      const values: AddTargetValues = {
        ...emptyTargetForm,
        name: field(body, 'name', 64).trim(),
        url: withoutPassword(url),
        endpoint: field(body, 'endpoint').trim(),
        region: field(body, 'region', 64).trim(),
        pathStyle: field(body, 'pathStyle') === 'yes',
        includePreviews: field(body, 'includePreviews') === 'yes',
        limit: field(body, 'limit', 12).trim(),
      };
      const secret = { accessKeyId: field(body, 'accessKeyId', 256).trim(), secretAccessKey: field(body, 'secretAccessKey', 256), password: field(body, 'password'), privateKey: field(body, 'privateKey', 16_384) };
      const result = await attempt(async () => {
        if (!values.name) throw new UserError('Please give the target a name.', 'invalid-name');
        if (!url) throw new UserError('Please say where the copies go: a directory, an sftp:// or an s3:// address.', 'invalid-target');
        const { kind } = parseTargetUrl(url);
        // Only what the kind of target uses is kept, so nothing typed in the other section is stored.
        const credentials: TargetCredentials =
          kind === 's3'
            ? { accessKeyId: secret.accessKeyId || undefined, secretAccessKey: secret.secretAccessKey || undefined }
            : kind === 'sftp'
              ? { password: secret.password || undefined, privateKey: secret.privateKey.trim() ? secret.privateKey : undefined }
              : {};
        for (const key of Object.keys(credentials) as (keyof TargetCredentials)[]) if (credentials[key] === undefined) delete credentials[key];
        if (kind === 's3' && values.endpoint && !/^https?:\/\/[^/\s]+/i.test(values.endpoint)) {
          throw new UserError('The endpoint is an address such as https://s3.eu-central-003.backblazeb2.com or http://nas.local:9000.', 'invalid-options');
        }
        const s3 = kind === 's3' ? { endpoint: values.endpoint || undefined, region: values.region || undefined, pathStyle: values.pathStyle } : {};
        try {
          return await targets.add({ name: values.name, url, options: { ...s3, includePreviews: values.includePreviews, bytesPerSecond: bytesPerSecond(values.limit) }, credentials });
        } catch (err) {
          if (err instanceof UserError || !(err instanceof Error)) throw err;
          // Offline, refused, timed out: worth telling the admin, not a server fault.
          log.warn({ err, target: values.name }, 'adding a target failed');
          throw new UserError(`Could not connect to the target: ${safeMessage(err, Object.values(secret))}`, 'target-offline');
        }
      });
      if ('error' in result) {
        return render(c, { form: values, addError: safeMessage(result.error, Object.values(secret)) }, formStatus(result.error));
      }
      log.info({ target: result.ok.name, kind: result.ok.kind }, 'replication target added');
      return c.redirect('/admin/replication?done=added', 303);
    })
    .post('/admin/replication/run', (c) => {
      authorize(c.var.actor, { do: 'administer' });
      queue.enqueue({ kind: 'replicate', dedupeKey: 'replicate', maxAttempts: 4 });
      return c.redirect('/admin/jobs?done=queued', 303);
    })
    .post('/admin/replication/:name/test', async (c) => {
      authorize(c.var.actor, { do: 'administer' });
      const { name } = named(c);
      try {
        const { roundTripMs } = await targets.test(name);
        return render(c, { tested: { name, ok: `The test passed: a probe file was written, read back and deleted in ${roundTripMs.toLocaleString('en-GB')} ms.` } });
      } catch (err) {
        if (!(err instanceof Error)) throw err;
        if (!(err instanceof UserError)) log.warn({ err, target: name }, 'target test failed');
        return render(c, { tested: { name, error: `The test failed: ${err.message}` } }, 422);
      }
    })
    .post('/admin/replication/:name/pause', (c) => {
      authorize(c.var.actor, { do: 'administer' });
      targets.setPaused(named(c).name, true);
      return c.redirect('/admin/replication?done=paused', 303);
    })
    .post('/admin/replication/:name/resume', (c) => {
      authorize(c.var.actor, { do: 'administer' });
      targets.setPaused(named(c).name, false);
      return c.redirect('/admin/replication?done=resumed', 303);
    })
    .post('/admin/replication/:name/remove', async (c) => {
      authorize(c.var.actor, { do: 'administer' });
      const { name } = named(c);
      if (field(await c.req.parseBody(), 'understood') !== 'yes') {
        return render(c, { removeRefused: { name, message: 'Please tick “I understand the copies stay at the target” to remove it.' } }, 422);
      }
      targets.remove(name);
      log.info({ target: name }, 'replication target removed');
      return c.redirect('/admin/replication?done=removed', 303);
    });
}
