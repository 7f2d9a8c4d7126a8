import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../server/users/users.service.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

let v: TestVault;
let server: Awaited<ReturnType<typeof listen>>;
let admin: WebClient;
const sql = (q: string, ...args: unknown[]) => v.ctx.db.$client.prepare(q).all(...args) as Record<string, unknown>[];

/** Creates an invite through the admin page and returns the path of its link. */
async function invite(role: string, note: string): Promise<string> {
  await admin.get('/admin/users');
  const res = await admin.post('/admin/invites', { role, note, days: '7' });
  expect(res.status).toBe(200);
  return new URL(/data-testid="invite-link">([^<]+)</.exec(await res.text())![1]!).pathname;
}

/** A fresh browser that opened the invite link (so it holds the form's CSRF token). */
async function visitor(path: string): Promise<{ web: WebClient; res: Response }> {
  const web = new WebClient(server.url);
  const res = await web.get(path);
  return { web, res };
}

const account = (username: string, extra: Record<string, string> = {}) => ({ username, displayName: '', password: TEST_PASSWORD, confirm: TEST_PASSWORD, ...extra });

beforeAll(async () => {
  v = await openTestVault();
  await createUser(v.ctx.db, { username: 'olga', role: 'admin', password: TEST_PASSWORD });
  server = await listen(v.ctx);
  admin = new WebClient(server.url);
  await admin.signIn('olga', TEST_PASSWORD);
});

afterAll(async () => {
  await server?.close();
  await v.cleanup();
});

describe('accepting an invite', () => {
  it('creates the account with the invite role and signs the new user in', async () => {
    const link = await invite('viewer', 'Grandma');
    const { web, res } = await visitor(link);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.text()).toContain('invited as a viewer');

    const done = await web.post(link, account('Grete', { displayName: 'Grete Olsen' }));
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/');
    expect((await web.get('/')).status).toBe(200);
    expect((await web.get('/admin')).status).toBe(403);
    expect(sql("SELECT username, display_name AS name, role FROM users WHERE username = 'grete'")).toEqual([{ username: 'grete', name: 'Grete Olsen', role: 'viewer' }]);
    const [used] = sql("SELECT used_at, used_by FROM invites WHERE note = 'Grandma'");
    expect(used!.used_at).not.toBeNull();
    expect(used!.used_by).toBe(sql("SELECT id FROM users WHERE username = 'grete'")[0]!.id);
    expect(sql("SELECT actor_name AS who, detail FROM audit_log WHERE event = 'invite-accepted'")).toEqual([{ who: 'grete', detail: expect.stringContaining('viewer (Grandma)') }]);
    expect(await (await admin.get('/admin/users')).text()).toContain('No open invites.');

    const uncle = await invite('member', 'Uncle');
    await (await visitor(uncle)).web.post(uncle, account('uwe'));
    expect(sql("SELECT role FROM users WHERE username = 'uwe'")).toEqual([{ role: 'member' }]);
  });

  it('works only once: the link then answers 410 without a form', async () => {
    const link = await invite('member', 'once');
    const { web } = await visitor(link);
    expect((await web.post(link, account('first'))).status).toBe(303);
    const second = await visitor(link);
    expect(second.res.status).toBe(410);
    const html = await second.res.text();
    expect(html).toContain('already used');
    expect(html).not.toContain('name="password"');
    expect((await second.web.post(link, account('second'))).status).toBe(410);
    expect(sql("SELECT username FROM users WHERE username = 'second'")).toEqual([]);
  });

  it('gives one account to two browsers racing with the same link', async () => {
    const link = await invite('member', 'race');
    const a = await visitor(link);
    const b = await visitor(link);
    const results = await Promise.all([a.web.post(link, account('racer-a')), b.web.post(link, account('racer-b'))]);
    expect(results.map((r) => r.status).sort()).toEqual([303, 410]);
    expect(sql("SELECT username FROM users WHERE username LIKE 'racer-%'")).toHaveLength(1);
  });

  it('answers 410 for an expired link and 404 for an unknown one, without a form', async () => {
    const link = await invite('member', 'late');
    v.ctx.db.$client.prepare("UPDATE invites SET expires_at = ? WHERE note = 'late'").run(Date.now() - 1000);
    const expired = await visitor(link);
    expect(expired.res.status).toBe(410);
    expect(await expired.res.text()).toContain('expired');
    expect((await expired.web.post(link, account('late'))).status).toBe(410);

    const unknown = await visitor(`/invite/hinv_${'A'.repeat(43)}`);
    expect(unknown.res.status).toBe(404);
    const html = await unknown.res.text();
    expect(html).toContain('not valid');
    expect(html).not.toContain('name="password"');
    expect(sql("SELECT username FROM users WHERE username = 'late'")).toEqual([]);
  });

  it('re-renders the form with 422 for bad names, over-long fields and password problems, keeping the link usable', async () => {
    const link = await invite('member', 'typos');
    const { web } = await visitor(link);
    for (const [form, message] of [
      [account('Bad Name!'), 'A user name is 1 to 64'],
      [account('x'.repeat(65)), 'A user name is 1 to 64'],
      [account('longname', { displayName: 'y'.repeat(129) }), 'at most 128 characters'],
      [account('olga'), 'There is already a user named olga.'],
      [account('shorty', { password: 'short', confirm: 'short' }), 'at least 10 characters'],
      [account('longpw', { password: 'p'.repeat(257), confirm: 'p'.repeat(257) }), 'at most 256 characters'],
      [account('differ', { confirm: `${TEST_PASSWORD}!` }), 'The two passwords differ.'],
    ] as const) {
      const res = await web.post(link, form);
      expect(res.status, message).toBe(422);
      const html = await res.text();
      expect(html).toContain(message);
      expect(html).toContain('name="password"');
    }
    expect(sql("SELECT used_at FROM invites WHERE note = 'typos'")).toEqual([{ used_at: null }]);
    expect((await web.post(link, account('typo-free'))).status).toBe(303);
  });

  it('refuses the form without its CSRF token', async () => {
    const link = await invite('member', 'csrf');
    const { web } = await visitor(link);
    expect((await web.request(link, { form: account('forged') })).status).toBe(403);
    expect(sql("SELECT used_at FROM invites WHERE note = 'csrf'")).toEqual([{ used_at: null }]);
  });
});
