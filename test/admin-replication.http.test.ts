import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECOVERY_KIT_SAVED } from '../server/auth/setup.routes.js';
import { putSetting } from '../server/db/settings.repo.js';
import { updateJob } from '../server/jobs/jobs.repo.js';
import { closeMedia } from '../server/media/previews.js';
import { createUser } from '../server/users/users.service.js';
import { makeFixtureDir, makeJpeg, removeFixtureDir } from './fixtures/index.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { freePort, listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

let v: TestVault;
let server: Awaited<ReturnType<typeof listen>>;
let dir: string;
let admin: WebClient;
let bert: WebClient;
let opa: WebClient;

const REMINDER = 'Off-site copies are useless without the master key. Keep the recovery code somewhere safe.';

const sql = <T = Record<string, unknown>>(q: string, ...args: unknown[]) => v.ctx.db.$client.prepare(q).all(...args) as T[];
const targetRows = () => sql<{ name: string; url: string; paused: number; credentials: string | null }>('SELECT name, url, paused, credentials FROM replication_targets ORDER BY name');
const replicateJobs = () => sql<{ id: number; state: string; dedupe_key: string | null }>("SELECT id, state, dedupe_key FROM jobs WHERE kind = 'replicate' ORDER BY id");
/** Visible text of a page: tags dropped and whitespace squeezed, so assertions read like the page does. */
const text = async (res: Response) => (await res.text()).replace(/<[^>]+>/g, ' ').replace(/&#39;|&#x27;/g, "'").replace(/&quot;/g, '"').replace(/\s+/g, ' ');
/** The part of the page about one target. */
const card = (html: string, name: string) => {
  const start = html.indexOf(`data-target="${name}"`);
  expect(start, `card of ${name}`).toBeGreaterThan(-1);
  return html.slice(start, html.indexOf('</section>', start));
};

async function signedIn(username: string): Promise<WebClient> {
  const web = new WebClient(server.url);
  await web.signIn(username, TEST_PASSWORD);
  return web;
}

/** A fresh, existing directory to replicate to. */
async function targetDir(name: string): Promise<string> {
  const d = path.join(dir, 'targets', name);
  await mkdir(d, { recursive: true });
  return d;
}

/** Adds a directory target through the service, as the CLI would. */
async function addDirTarget(name: string): Promise<string> {
  const d = await targetDir(name);
  await v.ctx.background.targets.add({ name, url: d });
  return d;
}

function clearQueue() {
  for (const job of sql<{ id: number }>("SELECT id FROM jobs WHERE state IN ('queued', 'running')")) updateJob(v.ctx.db, job.id, { state: 'cancelled', finishedAt: new Date() });
}

beforeAll(async () => {
  v = await openTestVault();
  await createUser(v.ctx.db, { username: 'olga', role: 'admin', password: TEST_PASSWORD });
  await createUser(v.ctx.db, { username: 'greta', role: 'admin', password: TEST_PASSWORD });
  await createUser(v.ctx.db, { username: 'bert', role: 'member', password: TEST_PASSWORD });
  await createUser(v.ctx.db, { username: 'opa', role: 'viewer', password: TEST_PASSWORD });
  dir = await makeFixtureDir('heirloom-admin-replication-');
  await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: await makeJpeg(path.join(dir, 'a.jpg')), originalName: 'Lake.jpg' });
  await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: await makeJpeg(path.join(dir, 'b.jpg'), { width: 320, height: 200, seed: 2 }), originalName: 'Garden.jpg' });
  server = await listen(v.ctx);
  admin = await signedIn('olga');
  bert = await signedIn('bert');
  opa = await signedIn('opa');
});

afterAll(async () => {
  await server?.close();
  await closeMedia();
  await v?.cleanup();
  if (dir) await removeFixtureDir(dir);
});

describe('who may use the off-site copies and recovery kit pages', () => {
  const pages = ['/admin/replication', '/admin/recovery-kit'];
  /** Every POST of this area, with a form that would change something if it were allowed. */
  const actions = (url: string): [string, Record<string, string>][] => [
    ['/admin/replication', { name: 'sneaky', url }],
    ['/admin/replication/run', {}],
    ['/admin/replication/guarded/test', {}],
    ['/admin/replication/guarded/pause', {}],
    ['/admin/replication/guarded/remove', { understood: 'yes' }],
    ['/admin/recovery-kit', { password: TEST_PASSWORD }],
    ['/admin/recovery-kit/acknowledge', { saved: 'yes' }],
  ];
  let url: string;

  beforeAll(async () => {
    await addDirTarget('guarded');
    url = await targetDir('sneaky');
  });
  afterAll(() => v.ctx.background.targets.remove('guarded'));

  /** Nothing the refused requests asked for happened. */
  function expectNothingChanged() {
    expect(targetRows().map((t) => [t.name, t.paused])).toEqual([['guarded', 0]]);
    expect(replicateJobs()).toEqual([]);
    expect(sql("SELECT * FROM audit_log WHERE event = 'recovery-kit-shown'")).toEqual([]);
    expect(sql('SELECT * FROM settings WHERE key = ?', RECOVERY_KIT_SAVED)).toEqual([]);
  }

  it('refuses members and viewers with 403 everywhere, and changes nothing', async () => {
    for (const [name, web] of [['bert', bert], ['opa', opa]] as const) {
      for (const p of pages) expect((await web.get(p)).status, `${name} GET ${p}`).toBe(403);
      await web.get('/');
      for (const [p, form] of actions(url)) {
        const res = await web.post(p, form);
        expect(res.status, `${name} POST ${p}`).toBe(403);
        expect(await res.text()).not.toContain(v.ctx.keyring.recoveryCode());
      }
    }
    expectNothingChanged();
  });

  it('sends anonymous visitors to the sign-in page, and refuses their posts', async () => {
    const web = new WebClient(server.url);
    for (const p of pages) {
      const res = await web.get(p);
      expect(res.status, p).toBe(303);
      expect(res.headers.get('location')).toBe(`/login?next=${encodeURIComponent(p)}`);
    }
    await web.get('/login');
    for (const [p, form] of actions(url)) expect((await web.post(p, form)).status, `POST ${p}`).toBe(401);
    expectNothingChanged();
  });

  it('refuses every post without the CSRF token, even from the admin', async () => {
    await admin.get('/admin/replication');
    for (const [p, form] of actions(url)) expect((await admin.post(p, { ...form, _csrf: '' })).status, `POST ${p}`).toBe(403);
    expectNothingChanged();
  });

  it('answers 404 for a target that does not exist', async () => {
    await admin.get('/admin/replication');
    for (const action of ['test', 'pause', 'resume', 'remove']) {
      expect((await admin.post(`/admin/replication/nowhere/${action}`, { understood: 'yes' })).status, action).toBe(404);
    }
  });
});

describe('adding a target', () => {
  afterAll(() => {
    for (const t of targetRows()) v.ctx.background.targets.remove(t.name);
  });

  it('adds a directory target from the form and lists it with its lag', async () => {
    const d = await targetDir('usb');
    const page = await admin.get('/admin/replication');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(await text(page)).toContain('There is no target yet.');

    const res = await admin.post('/admin/replication', { name: 'usb', url: d, includePreviews: 'yes', limit: '2.5' });
    expect(res.status, await res.clone().text()).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/replication?done=added');
    expect(targetRows()).toEqual([{ name: 'usb', url: d, paused: 0, credentials: null }]);
    const target = v.ctx.background.targets.get('usb');
    expect(v.ctx.background.targets.options(target)).toEqual({ includePreviews: true, bytesPerSecond: 2_500_000 });

    const lag = v.ctx.background.replication.lag(target);
    expect(lag.items).toBeGreaterThanOrEqual(2);
    const html = await (await admin.get('/admin/replication?done=added')).text();
    expect(html).toContain('The target was added.');
    const usb = card(html, 'usb');
    expect(usb).toContain(d);
    expect(usb).toContain('Directory');
    expect(usb).toContain('Active');
    expect(usb).toMatch(new RegExp(`data-testid="lag"><span>${lag.items} files, [0-9.]+ (KB|MB) not yet verified`));
    expect(usb).toContain('2.5 MB/s');
    expect(usb).toContain('data-testid="last-success"><span class="muted">Never');
    expect(usb).toContain('data-testid="last-error"><span class="muted">None');
    expect(html).toContain('action="/admin/replication/run"');
  });

  it('shows the last success, verification and error with their times, and the pinned host key of an SFTP target', async () => {
    const at = new Date('2025-03-01T10:00:00Z');
    v.ctx.db.$client
      .prepare('UPDATE replication_targets SET last_success_at = ?, last_verified_at = ?, last_error = ?, last_error_at = ? WHERE name = ?')
      .run(at.getTime(), at.getTime() + 60_000, 'The target disk at /mnt/usb is full.', at.getTime() + 120_000, 'usb');
    // An SFTP target as the CLI would have stored it after its first connection (no SSH server is needed to show one).
    v.ctx.db.$client
      .prepare("INSERT INTO replication_targets (name, kind, url, options, host_key) VALUES ('grandpa', 'sftp', 'sftp://heirloom@nas.example:2222/backups', '{}', 'AAAAC3NzaC1lZDI1NTE5AAAAIFakeHostKeyFingerprint')")
      .run();
    const html = await (await admin.get('/admin/replication')).text();
    const usb = card(html, 'usb');
    expect(usb).toContain(`data-testid="last-success"><time datetime="${at.toISOString()}"`);
    expect(usb).toContain(`data-testid="last-verified"><time datetime="${new Date(at.getTime() + 60_000).toISOString()}"`);
    expect(usb).toContain('The target disk at /mnt/usb is full.');
    expect(usb).toContain(`datetime="${new Date(at.getTime() + 120_000).toISOString()}"`);
    const sftp = card(html, 'grandpa');
    expect(sftp).toContain('sftp://heirloom@nas.example:2222/backups');
    expect(sftp).toContain('SFTP server');
    expect(sftp).toContain('SHA256:AAAAC3NzaC1lZDI1NTE5AAAAIFakeHostKeyFingerprint');
    v.ctx.background.targets.remove('grandpa');
  });

  it('refuses a bad address, a missing directory, a taken name and a bad limit with 422 and a clear message', async () => {
    await admin.get('/admin/replication');
    const before = targetRows();
    const cases: [Record<string, string>, string][] = [
      [{ name: 'bad', url: 'backups/heirloom' }, "'backups/heirloom' is not a target: use an absolute path, sftp://user@host/path or s3://bucket/prefix."],
      [{ name: 'bad', url: 'ftp://nas/backups' }, 'Targets are directories, sftp:// or s3:// URLs, not ftp://.'],
      [{ name: 'gone', url: path.join(dir, 'unplugged') }, `The target directory ${path.join(dir, 'unplugged')} is not there. Is the disk plugged in and mounted?`],
      [{ name: 'usb', url: await targetDir('usb2') }, 'There is already a target named usb.'],
      [{ name: 'no spaces', url: await targetDir('x') }, 'A target name is 1 to 64 letters, digits, dots, dashes or underscores.'],
      [{ name: 'slow', url: await targetDir('slow'), limit: 'fast' }, 'The upload limit is a number of MB per second'],
      [{ name: 'minio', url: 's3://photos', endpoint: 'minio:9000', accessKeyId: 'id', secretAccessKey: 'secret' }, 'The endpoint is an address such as https://'],
      [{ name: '', url: await targetDir('x') }, 'Please give the target a name.'],
      [{ name: 'nowhere', url: '' }, 'Please say where the copies go'],
    ];
    for (const [form, message] of cases) {
      const res = await admin.post('/admin/replication', form);
      expect(res.status, JSON.stringify(form)).toBe(422);
      const page = await text(res);
      expect(page).toContain(message);
      // The form comes back filled in, so nothing has to be typed again but the secrets.
      if (form.name) expect(await (await admin.post('/admin/replication', form)).text()).toContain(`value="${form.name}"`);
    }
    expect(targetRows()).toEqual(before);
  });

  it('never shows an S3 secret or an SFTP password again after a refusal, and stores nothing', async () => {
    await admin.get('/admin/replication');
    const before = targetRows();
    const secret = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';
    const closed = await freePort();
    // No access key id: refused before any connection.
    let res = await admin.post('/admin/replication', { name: 'b2', url: 's3://family-photos/heirloom', endpoint: `http://127.0.0.1:${closed}`, region: 'eu-central-003', pathStyle: 'yes', secretAccessKey: secret });
    expect(res.status).toBe(422);
    let html = await res.text();
    expect(html).toContain('An S3 target needs an access key id and secret');
    expect(html).not.toContain(secret);
    expect(html).toContain('value="s3://family-photos/heirloom"');
    expect(html).toContain('value="eu-central-003"');
    expect(html).toMatch(/name="pathStyle" value="yes" checked/);

    // With both, against an endpoint nobody listens on: the connection fails, the secret stays hidden.
    res = await admin.post('/admin/replication', { name: 'b2', url: 's3://family-photos/heirloom', endpoint: `http://127.0.0.1:${closed}`, region: 'eu-central-003', pathStyle: 'yes', accessKeyId: 'AKIAFAMILYEXAMPLE', secretAccessKey: secret });
    expect(res.status).toBe(422);
    html = await res.text();
    expect(html).toContain('role="alert"');
    expect(html).toMatch(/Cannot reach|Could not connect/);
    expect(html).not.toContain(secret);
    expect(html).not.toContain('AKIAFAMILYEXAMPLE');

    // A password inside an sftp:// URL and one in the password field: neither comes back.
    res = await admin.post('/admin/replication', { name: 'nas', url: `sftp://opa:Hunter2-in-url@127.0.0.1:${closed}/backups`, password: 'Hunter2-in-field' });
    expect(res.status).toBe(422);
    html = await res.text();
    expect(html).toContain(`opa@127.0.0.1:${closed} refused the connection. Is the server running?`);
    expect(html).not.toContain('Hunter2');
    expect(html).toContain(`value="sftp://opa@127.0.0.1:${closed}/backups"`);

    // A broken private key: said so, and the key is not shown.
    res = await admin.post('/admin/replication', { name: 'nas', url: `sftp://opa@127.0.0.1:${closed}/backups`, privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nsecretkeymaterial\n-----END OPENSSH PRIVATE KEY-----' });
    expect(res.status).toBe(422);
    html = await res.text();
    expect(html).toContain('privateKey');
    expect(html).not.toContain('secretkeymaterial');
    expect(targetRows()).toEqual(before);
  });
});

describe('testing, pausing, removing and sending now', () => {
  it('tests a target, and reports a directory that went offline clearly', async () => {
    const d = await addDirTarget('usb');
    await admin.get('/admin/replication');
    let res = await admin.post('/admin/replication/usb/test');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(card(await res.text(), 'usb')).toMatch(/role="status">The test passed: a probe file was written, read back and deleted in [0-9,]+ ms\./);
    // The probe is gone again.
    expect((await readdir(d, { recursive: true, withFileTypes: true })).filter((e) => e.isFile())).toEqual([]);

    await rm(d, { recursive: true });
    res = await admin.post('/admin/replication/usb/test');
    expect(res.status).toBe(422);
    expect(await text(res)).toContain(`The test failed: The target directory ${d} is not there. Is the disk plugged in and mounted?`);
    v.ctx.background.targets.remove('usb');
  });

  it('pauses and resumes a target', async () => {
    await addDirTarget('nas');
    await admin.get('/admin/replication');
    let res = await admin.post('/admin/replication/nas/pause');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/replication?done=paused');
    expect(v.ctx.background.targets.get('nas').paused).toBe(true);
    let nas = card(await (await admin.get('/admin/replication?done=paused')).text(), 'nas');
    expect(nas).toContain('Paused');
    expect(nas).toContain('action="/admin/replication/nas/resume"');

    res = await admin.post('/admin/replication/nas/resume');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/replication?done=resumed');
    expect(v.ctx.background.targets.get('nas').paused).toBe(false);
    nas = card(await (await admin.get('/admin/replication')).text(), 'nas');
    expect(nas).toContain('action="/admin/replication/nas/pause"');
  });

  it('removes a target only once the admin confirms the copies stay there, and leaves them there', async () => {
    const d = path.join(dir, 'targets', 'nas');
    await v.ctx.background.replication.sync('nas');
    const copies = await readdir(d, { recursive: true });
    expect(copies.length).toBeGreaterThan(0);
    await admin.get('/admin/replication');

    let res = await admin.post('/admin/replication/nas/remove');
    expect(res.status).toBe(422);
    const page = await res.text();
    expect(page).toContain('I understand the copies stay at the target');
    expect(card(page, 'nas')).toContain('role="alert"');
    expect(targetRows().map((t) => t.name)).toEqual(['nas']);

    res = await admin.post('/admin/replication/nas/remove', { understood: 'yes' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/replication?done=removed');
    expect(targetRows()).toEqual([]);
    expect(await readdir(d, { recursive: true })).toEqual(copies);
    expect(await text(await admin.get('/admin/replication?done=removed'))).toContain('The target was removed. The copies it holds are still there.');
  });

  it('queues one replication job with "Send now", however often it is pressed', async () => {
    clearQueue();
    await admin.get('/admin/replication');
    for (let i = 0; i < 2; i++) {
      const res = await admin.post('/admin/replication/run');
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/admin/jobs?done=queued');
    }
    expect(replicateJobs()).toEqual([{ id: expect.any(Number), state: 'queued', dedupe_key: 'replicate' }]);
    clearQueue();
  });
});

describe('key safety', () => {
  it('asks for the password again before showing the recovery code, and counts wrong ones', async () => {
    const page = await admin.get('/admin/recovery-kit');
    expect(page.status).toBe(200);
    let html = await page.text();
    expect(html).toContain('name="password"');
    expect(html).not.toContain(v.ctx.keyring.recoveryCode());

    let res = await admin.post('/admin/recovery-kit', { password: 'not my password' });
    expect(res.status).toBe(422);
    html = await res.text();
    expect(html).toContain('That password is not right.');
    expect(html).not.toContain(v.ctx.keyring.recoveryCode());
    expect(sql("SELECT failures FROM login_failures WHERE key = 'user:olga'")).toEqual([{ failures: 1 }]);
    expect(sql("SELECT actor_name, detail FROM audit_log WHERE event = 'login-failed'")).toEqual([{ actor_name: 'olga', detail: 'wrong password for the recovery kit' }]);

    res = await admin.post('/admin/recovery-kit', { password: '' });
    expect(res.status).toBe(422);
    expect(await text(res)).toContain('Please enter your password.');

    res = await admin.post('/admin/recovery-kit', { password: TEST_PASSWORD });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    html = await res.text();
    expect(/data-testid="recovery-code">([^<]+)</.exec(html)?.[1]).toBe(v.ctx.keyring.recoveryCode());
    expect(sql("SELECT actor_name, ip FROM audit_log WHERE event = 'recovery-kit-shown'")).toEqual([{ actor_name: 'olga', ip: '127.0.0.1' }]);
    // A right password clears the account's count, as a sign-in does.
    expect(sql("SELECT failures FROM login_failures WHERE key = 'user:olga'")).toEqual([]);
  });

  it('shares the sign-in backoff: after too many wrong passwords even the right one waits', async () => {
    const greta = await signedIn('greta');
    await greta.get('/admin/recovery-kit');
    for (let i = 0; i < 6; i++) expect((await greta.post('/admin/recovery-kit', { password: `guess ${i}` })).status).toBe(422);
    const res = await greta.post('/admin/recovery-kit', { password: TEST_PASSWORD });
    expect(res.status).toBe(429);
    const html = await res.text();
    expect(html).toContain('Too many wrong attempts.');
    expect(html).not.toContain(v.ctx.keyring.recoveryCode());
    // The same count holds the sign-in page back.
    const other = new WebClient(server.url);
    await other.get('/login');
    expect((await other.post('/login', { username: 'greta', password: TEST_PASSWORD })).status).toBe(429);
    v.ctx.db.$client.prepare("DELETE FROM login_failures WHERE key = 'user:greta'").run();
  });

  it('reminds the admin on every admin page until they confirm the code is saved', async () => {
    const adminPages = ['/admin', '/admin/replication', '/admin/jobs', '/admin/users', '/admin/settings'];
    for (const p of adminPages) {
      const html = await (await admin.get(p)).text();
      expect(html, p).toContain(REMINDER);
      expect(html, p).toContain('href="/admin/recovery-kit"');
    }
    // Not on pages for everyone.
    expect(await (await admin.get('/')).text()).not.toContain(REMINDER);

    await admin.get('/admin/recovery-kit');
    let res = await admin.post('/admin/recovery-kit/acknowledge', {});
    expect(res.status).toBe(422);
    expect(await text(res)).toContain('Please tick the box');
    expect(await (await admin.get('/admin')).text()).toContain(REMINDER);

    await admin.get('/admin/recovery-kit');
    res = await admin.post('/admin/recovery-kit/acknowledge', { saved: 'yes' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/recovery-kit?done=saved');
    expect(sql('SELECT value FROM settings WHERE key = ?', RECOVERY_KIT_SAVED)).toEqual([{ value: 'true' }]);
    for (const p of adminPages) expect(await (await admin.get(p)).text(), p).not.toContain(REMINDER);
    // The kit can still be shown again after the password.
    await admin.get('/admin/recovery-kit');
    expect((await admin.post('/admin/recovery-kit', { password: TEST_PASSWORD })).status).toBe(200);
    putSetting(v.ctx.db, RECOVERY_KIT_SAVED, 'false');
    expect(await (await admin.get('/admin/replication')).text()).toContain(REMINDER);
  });
});
