import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiTokenService } from '../server/auth/api-tokens.service.js';
import { totpPurpose } from '../server/auth/second-factor.js';
import { hashSecretToken } from '../server/auth/secret-token.js';
import { SessionService } from '../server/auth/sessions.service.js';
import { newTotpSecret } from '../server/auth/totp.js';
import { findUserById, updateUser } from '../server/users/users.repo.js';
import { createUser } from '../server/users/users.service.js';
import type { User } from '../server/users/users.table.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

let v: TestVault;
let server: Awaited<ReturnType<typeof listen>>;
let olga: User;
let bert: User;
let admin: WebClient;
const sql = (q: string, ...args: unknown[]) => v.ctx.db.$client.prepare(q).all(...args) as Record<string, unknown>[];
const disabledAt = (id: number) => sql('SELECT disabled_at AS d FROM users WHERE id = ?', id)[0]!.d;
const client = { ip: '127.0.0.1', userAgent: 'test' };

const pages = ['/admin', '/admin/users', '/admin/settings', '/admin/audit'];
/** Every admin POST, with a form that would change something if it were allowed. */
const actions = (): [string, Record<string, string>][] => [
  ['/admin/invites', { role: 'admin', note: 'intruder', days: '7' }],
  ['/admin/invites/1/revoke', {}],
  [`/admin/users/${v.ownerId}/disable`, {}],
  [`/admin/users/${bert.id}/enable`, {}],
  ['/admin/settings/require-2fa', { on: 'yes' }],
  ['/admin/settings/sign-out-everyone', {}],
];

async function signedIn(username: string): Promise<WebClient> {
  const web = new WebClient(server.url);
  await web.signIn(username, TEST_PASSWORD);
  return web;
}

beforeAll(async () => {
  v = await openTestVault();
  olga = await createUser(v.ctx.db, { username: 'olga', role: 'admin', password: TEST_PASSWORD });
  bert = await createUser(v.ctx.db, { username: 'bert', role: 'admin', password: TEST_PASSWORD });
  await createUser(v.ctx.db, { username: 'opa', role: 'viewer', password: TEST_PASSWORD });
  // Olga has 2FA, so she can still reach the admin pages once it is required for everyone.
  const secret = newTotpSecret();
  updateUser(v.ctx.db, olga.id, { totpSecret: v.ctx.keyring.sealSecret(secret, totpPurpose(olga.id)) });
  server = await listen(v.ctx);
  admin = new WebClient(server.url);
  await admin.signIn('olga', TEST_PASSWORD, secret);
  // An invite with id 1 and a disabled bert, so the refused requests below would change something.
  await admin.get('/admin/users');
  expect((await admin.post('/admin/invites', { role: 'member', note: 'first', days: '7' })).status).toBe(200);
  expect((await admin.post(`/admin/users/${bert.id}/disable`)).status).toBe(303);
});

afterAll(async () => {
  await server?.close();
  await v.cleanup();
});

describe('who may use the admin area', () => {
  const unchanged = () => {
    expect(sql('SELECT note FROM invites WHERE revoked_at IS NULL').map((r) => r.note)).toEqual(['first']);
    expect(disabledAt(v.ownerId)).toBeNull();
    expect(disabledAt(bert.id)).not.toBeNull();
    expect(sql("SELECT value FROM settings WHERE key = 'auth.require-2fa'")).toEqual([]);
  };

  it('serves every admin page to the admin', async () => {
    for (const path of pages) expect((await admin.get(path)).status, path).toBe(200);
  });

  it('refuses members and viewers with 403 on every admin route', async () => {
    for (const name of ['anna', 'opa']) {
      const web = await signedIn(name);
      for (const path of pages) expect((await web.get(path)).status, `${name} GET ${path}`).toBe(403);
      for (const [path, form] of actions()) expect((await web.post(path, form)).status, `${name} POST ${path}`).toBe(403);
      expect(await (await web.get('/admin')).text()).toContain('Your account may not do this.');
    }
    unchanged();
  });

  it('sends anonymous visitors to sign in, and refuses their POSTs with 401', async () => {
    const web = new WebClient(server.url);
    await web.get('/login');
    for (const path of pages) {
      const res = await web.get(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get('location')).toBe(`/login?next=${encodeURIComponent(path)}`);
    }
    for (const [path, form] of actions()) expect((await web.post(path, form)).status, path).toBe(401);
    unchanged();
  });

  it("refuses the admin's own API token: administering needs a signed-in browser", async () => {
    const { token } = new ApiTokenService(v.ctx.db).create(olga, { name: 'script', scope: 'full' }, client);
    const web = new WebClient(server.url, { authorization: `Bearer ${token}` });
    for (const path of pages) expect((await web.get(path)).status, path).toBe(403);
    for (const [path, form] of actions()) expect((await web.request(path, { form })).status, path).toBe(403);
    unchanged();
  });

  it('refuses every admin POST without its CSRF token', async () => {
    for (const [path, form] of actions()) expect((await admin.request(path, { form })).status, path).toBe(403);
    unchanged();
  });
});

describe('invites', () => {
  it('shows a new link once, stores only its hash, and lists the invite without it', async () => {
    await admin.get('/admin/users');
    const res = await admin.post('/admin/invites', { role: 'viewer', note: 'Grandma', days: '3' });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const link = /data-testid="invite-link">([^<]+)</.exec(await res.text())![1]!;
    expect(link).toMatch(new RegExp(`^${server.url}/invite/hinv_[A-Za-z0-9_-]{43}$`));
    const token = link.split('/').pop()!;
    const [row] = sql("SELECT * FROM invites WHERE note = 'Grandma'");
    expect(row!.token_hash).toBe(hashSecretToken(token));
    expect(row!.role).toBe('viewer');
    expect(Number(row!.expires_at) - Number(row!.created_at)).toBe(3 * 86_400_000);

    const list = await (await admin.get('/admin/users')).text();
    expect(list).toContain('Grandma');
    expect(list).not.toContain(token);
  });

  it('explains a bad role, note or expiry and keeps what was typed', async () => {
    for (const [form, message] of [
      [{ role: 'root', note: '', days: '7' }, 'The role must be one of'],
      [{ role: 'member', note: 'x'.repeat(129), days: '7' }, 'at most 128 characters'],
      [{ role: 'member', note: 'Tante Ilse', days: '31' }, 'valid for 1 to 30 days'],
      [{ role: 'member', note: 'Tante Ilse', days: 'soon' }, 'valid for 1 to 30 days'],
    ] as const) {
      const res = await admin.post('/admin/invites', form);
      expect(res.status, form.days).toBe(422);
      const html = await res.text();
      expect(html).toContain(message);
      expect(html).not.toContain('data-testid="invite-link"');
    }
    expect(sql("SELECT id FROM invites WHERE note = 'Tante Ilse'")).toEqual([]);
  });

  it('revokes an invite so its link stops working', async () => {
    await admin.get('/admin/users');
    const link = /data-testid="invite-link">([^<]+)</.exec(await (await admin.post('/admin/invites', { role: 'member', note: 'Cousin', days: '7' })).text())![1]!;
    const id = sql("SELECT id FROM invites WHERE note = 'Cousin'")[0]!.id;
    const res = await admin.post(`/admin/invites/${id}/revoke`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/users?done=revoked');
    expect(await (await admin.get('/admin/users')).text()).not.toContain('Cousin');
    expect((await new WebClient(server.url).get(new URL(link).pathname)).status).toBe(410);
    expect((await admin.post(`/admin/invites/${id}/revoke`)).status).toBe(404);
  });
});

describe('disabling accounts', () => {
  it('signs the user out everywhere, stops their API token and their sign-in, until enabled again', async () => {
    const anna = await signedIn('anna');
    const { token } = new ApiTokenService(v.ctx.db).create(findUserById(v.ctx.db, v.ownerId)!, { name: 'phone', scope: 'full' }, client);
    const device = new WebClient(server.url, { authorization: `Bearer ${token}`, accept: 'application/json' });
    expect((await anna.get('/')).status).toBe(200);
    expect((await device.get('/')).status).toBe(200);

    await admin.get('/admin/users');
    const res = await admin.post(`/admin/users/${v.ownerId}/disable`);
    expect(res.status).toBe(303);
    expect(await (await admin.get(res.headers.get('location')!)).text()).toContain('signed out everywhere');
    expect(disabledAt(v.ownerId)).not.toBeNull();

    const after = await anna.get('/');
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toBe('/login?next=%2F');
    expect((await device.get('/')).status).toBe(401);
    const again = new WebClient(server.url);
    await again.get('/login');
    expect((await again.post('/login', { username: 'anna', password: TEST_PASSWORD })).status).toBe(422);

    await admin.get('/admin/users');
    expect((await admin.post(`/admin/users/${v.ownerId}/enable`)).status).toBe(303);
    expect(disabledAt(v.ownerId)).toBeNull();
    await signedIn('anna');
  });

  it('refuses to let admins disable themselves', async () => {
    await admin.get('/admin/users');
    const res = await admin.post(`/admin/users/${olga.id}/disable`);
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('You cannot disable your own account.');
    expect(disabledAt(olga.id)).toBeNull();
    expect((await admin.get('/admin')).status).toBe(200);
  });

  it('answers 404 for an account that does not exist', async () => {
    await admin.get('/admin/users');
    expect((await admin.post('/admin/users/9999/disable')).status).toBe(404);
    expect((await admin.post('/admin/users/9999/enable')).status).toBe(404);
  });
});

describe('settings and the audit log', () => {
  it('requiring two-step sign-in sends a member without it to set it up', async () => {
    const anna = await signedIn('anna');
    await admin.get('/admin/settings');
    let res = await admin.post('/admin/settings/require-2fa', { on: 'yes' });
    expect(res.status).toBe(303);
    expect(await (await admin.get('/admin/settings')).text()).toMatch(/name="on" value="yes" checked/);
    res = await anna.get('/');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/account/2fa');

    res = await admin.post('/admin/settings/require-2fa', {});
    expect(res.status).toBe(303);
    expect((await anna.get('/')).status).toBe(200);
    expect(sql("SELECT detail FROM audit_log WHERE event = 'require-2fa-changed' ORDER BY id").map((r) => r.detail)).toEqual(['on', 'off']);
  });

  it('lists the security events with who did what to whom', async () => {
    const res = await admin.get('/admin/audit');
    expect(res.status).toBe(200);
    const html = await res.text();
    for (const event of ['invite-created', 'invite-revoked', 'user-disabled', 'user-enabled', 'require-2fa-changed', 'csrf-rejected', 'login']) {
      expect(html, event).toContain(`data-event="${event}"`);
    }
    expect(html).toContain('User disabled');
    expect(html).toMatch(/User disabled<\/td><td>olga<\/td><td>anna<\/td><td>127\.0\.0\.1<\/td>/);
  });

  it('keeps a year of events: the hourly clean-up removes older ones and nothing newer', async () => {
    const day = 86_400_000;
    const add = (detail: string, ageDays: number) => v.ctx.db.$client.prepare("INSERT INTO audit_log (event, detail, at) VALUES ('login', ?, ?)").run(detail, Date.now() - ageDays * day);
    add('older than a year', 366);
    add('almost a year old', 364);
    const before = sql('SELECT count(*) AS n FROM audit_log')[0]!.n as number;
    const { id } = v.ctx.background.queue.enqueue({ kind: 'session-cleanup' });
    await v.ctx.background.runner.drain();
    expect(sql('SELECT state FROM jobs WHERE id = ?', id)).toEqual([{ state: 'done' }]);
    expect(sql("SELECT detail FROM audit_log WHERE detail IN ('older than a year', 'almost a year old')")).toEqual([{ detail: 'almost a year old' }]);
    expect(sql('SELECT count(*) AS n FROM audit_log')[0]!.n).toBe(before - 1);
  });

  it('signs everyone else out, keeps the admin signed in, and leaves API tokens working', async () => {
    const anna = await signedIn('anna');
    const opa = await signedIn('opa');
    const { token } = new ApiTokenService(v.ctx.db).create(findUserById(v.ctx.db, v.ownerId)!, { name: 'backup', scope: 'full' }, client);
    const device = new WebClient(server.url, { authorization: `Bearer ${token}`, accept: 'application/json' });
    // Someone half way through signing in (password given, code still owed) is signed out too.
    const halfway = new SessionService(v.ctx.db, v.config).start(olga.id, 'mfa', client).session;
    const others = sql('SELECT count(*) AS n FROM sessions')[0]!.n as number;

    await admin.get('/admin/settings');
    const res = await admin.post('/admin/settings/sign-out-everyone');
    expect(res.status).toBe(303);
    expect(await (await admin.get(res.headers.get('location')!)).text()).toContain(`Signed out ${others - 1} other sessions.`);
    for (const web of [anna, opa]) expect((await web.get('/')).headers.get('location')).toBe('/login?next=%2F');
    expect((await admin.get('/admin/settings')).status).toBe(200);
    expect(sql('SELECT count(*) AS n FROM sessions')).toEqual([{ n: 1 }]);
    expect(sql('SELECT id FROM sessions WHERE id = ?', halfway.id)).toEqual([]);
    expect((await device.get('/api/v1/me')).status).toBe(200);
    expect(sql("SELECT actor_name AS who, detail FROM audit_log WHERE event = 'everyone-signed-out'")).toEqual([{ who: 'olga', detail: `${others - 1} sessions ended` }]);
  });
});
