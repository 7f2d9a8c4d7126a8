import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecretToken } from '../server/auth/secret-token.js';
import { createUser } from '../server/users/users.service.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

let v: TestVault;
let server: Awaited<ReturnType<typeof listen>>;
const sql = (q: string, ...args: unknown[]) => v.ctx.db.$client.prepare(q).all(...args) as Record<string, unknown>[];
const audit = (event: string) => sql('SELECT * FROM audit_log WHERE event = ? ORDER BY id', event);

beforeAll(async () => {
  v = await openTestVault({}, { withMember: false });
  server = await listen(v.ctx);
});

afterAll(async () => {
  await server?.close();
  await v.cleanup();
});

describe('first-run setup', () => {
  it('sends every page of a fresh server to /setup', async () => {
    const web = new WebClient(server.url);
    for (const path of ['/', '/login', '/admin', '/media/0123456789abcdef0123456789abcdef']) {
      const res = await web.get(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get('location')).toBe('/setup');
    }
    expect((await web.get('/healthz')).status).toBe(200);
  });

  it('refuses a setup form without its CSRF token', async () => {
    const web = new WebClient(server.url);
    await web.get('/setup');
    const res = await web.request('/setup', { form: { username: 'mallory', password: TEST_PASSWORD, confirm: TEST_PASSWORD } });
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/expired or came from another site/);
  });

  it('explains a short password and differing passwords, keeping what was typed', async () => {
    const web = new WebClient(server.url);
    await web.get('/setup');
    let res = await web.post('/setup', { username: 'Grete', password: 'short', confirm: 'short' });
    expect(res.status).toBe(422);
    let html = await res.text();
    expect(html).toContain('at least 10 characters');
    expect(html).toContain('value="Grete"');
    res = await web.post('/setup', { username: 'grete', password: TEST_PASSWORD, confirm: `${TEST_PASSWORD}!` });
    expect(res.status).toBe(422);
    html = await res.text();
    expect(html).toContain('The two passwords differ.');
  });

  it('creates the admin, signs them in, shows the recovery kit once, then closes setup', async () => {
    const web = new WebClient(server.url);
    await web.get('/setup');
    let res = await web.post('/setup', { username: 'Grete', displayName: 'Grete Olsen', password: TEST_PASSWORD, confirm: TEST_PASSWORD });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/setup/recovery-kit');
    const kit = await web.get('/setup/recovery-kit');
    expect(kit.status).toBe(200);
    expect(kit.headers.get('cache-control')).toBe('no-store');
    const code = /data-testid="recovery-code">([^<]+)</.exec(await kit.text())![1]!;
    expect(code).toBe(v.ctx.keyring.recoveryCode());
    expect((await web.post('/setup/recovery-kit', {})).status).toBe(422);
    res = await web.post('/setup/recovery-kit', { saved: 'yes' });
    expect(res.headers.get('location')).toBe('/');
    expect((await web.get('/setup/recovery-kit')).headers.get('location')).toBe('/');
    expect(sql("SELECT username, role FROM users")).toEqual([{ username: 'grete', role: 'admin' }]);
    expect(audit('setup')).toHaveLength(1);

    // Setup is over for everyone, including a second browser racing the first.
    const late = new WebClient(server.url);
    expect((await late.get('/setup')).headers.get('location')).toBe('/login');
    await late.get('/login');
    res = await late.post('/setup', { username: 'mallory', password: TEST_PASSWORD, confirm: TEST_PASSWORD });
    expect(res.headers.get('location')).toBe('/login');
    expect(sql("SELECT username FROM users WHERE username = 'mallory'")).toEqual([]);
  });
});

describe('signing in', () => {
  beforeAll(async () => {
    await createUser(v.ctx.db, { username: 'bob', role: 'member', password: TEST_PASSWORD });
    await createUser(v.ctx.db, { username: 'carl', role: 'member', password: TEST_PASSWORD });
  });

  it('asks an anonymous visitor to sign in and returns them where they were going', async () => {
    const web = new WebClient(server.url);
    const res = await web.get('/?view=all');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?next=%2F%3Fview%3Dall');
    await web.get('/login?next=%2F%3Fview%3Dall');
    const signIn = await web.request('/login?next=%2F%3Fview%3Dall', { form: { _csrf: web.csrf, username: 'bob', password: TEST_PASSWORD } });
    expect(signIn.headers.get('location')).toBe('/?view=all');
    expect((await web.get('/')).status).toBe(200);
  });

  it('answers API-style requests without a session with 401, not a redirect', async () => {
    const res = await fetch(`${server.url}/media/0123456789abcdef0123456789abcdef`, { headers: { accept: 'image/*' } });
    expect(res.status).toBe(401);
  });

  it('never redirects off-site after sign-in', async () => {
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)', '/%2F%2Fevil.example']) {
      const web = new WebClient(server.url);
      await web.get('/login');
      const res = await web.request(`/login?next=${encodeURIComponent(next)}`, { form: { _csrf: web.csrf, username: 'bob', password: TEST_PASSWORD } });
      const location = res.headers.get('location')!;
      expect(location.startsWith('/') && !location.startsWith('//') && !location.startsWith('/\\'), `${next} → ${location}`).toBe(true);
      expect(new URL(location, server.url).origin).toBe(server.url);
    }
  });

  it('gives the same answer for a wrong password and an unknown user, and audits both', async () => {
    const web = new WebClient(server.url);
    await web.get('/login');
    const wrong = await web.post('/login', { username: 'carl', password: 'not the password' });
    const unknown = await web.post('/login', { username: 'nobody', password: 'not the password' });
    expect(wrong.status).toBe(422);
    expect(unknown.status).toBe(422);
    const [a, b] = [await wrong.text(), await unknown.text()];
    expect(a).toContain('The user name or password is wrong.');
    expect(b).toContain('The user name or password is wrong.');
    const failed = audit('login-failed').map((e) => [e.subject_name, e.detail]);
    expect(failed).toContainEqual(['carl', 'wrong password']);
    expect(failed).toContainEqual(['nobody', 'unknown user']);
    // Neither the password nor anything like it reaches the audit log.
    expect(JSON.stringify(sql('SELECT * FROM audit_log'))).not.toContain('not the password');
  });

  it('backs off after repeated failures on one account, with a clear wait, even for the right password', async () => {
    const web = new WebClient(server.url);
    await web.get('/login');
    for (let i = 0; i < 5; i++) expect((await web.post('/login', { username: 'carl', password: `wrong ${i}` })).status).toBe(422);
    const locked = await web.post('/login', { username: 'carl', password: TEST_PASSWORD });
    expect(locked.status).toBe(429);
    expect(await locked.text()).toMatch(/Too many failed attempts\. Try again in \d+ seconds\./);
    expect(audit('login-throttled').length).toBeGreaterThan(0);
    // Another account from elsewhere is not affected.
    const other = new WebClient(server.url, { 'user-agent': 'another browser' });
    await other.signIn('bob', TEST_PASSWORD);
    // Once the lock has passed, the right password works and clears the count.
    v.ctx.db.$client.prepare("UPDATE login_failures SET locked_until = 0 WHERE key = 'user:carl'").run();
    await web.get('/login');
    expect((await web.post('/login', { username: 'carl', password: TEST_PASSWORD })).status).toBe(303);
    expect(sql("SELECT * FROM login_failures WHERE key = 'user:carl'")).toEqual([]);
  });

  it('refuses over-long fields with a clear message and no crash', async () => {
    const web = new WebClient(server.url);
    await web.get('/login');
    const res = await web.post('/login', { username: 'b'.repeat(10_000), password: 'p'.repeat(100_000) });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('The user name or password is wrong.');
  });

  it('sets an HttpOnly, SameSite session cookie holding a token whose hash alone is stored, rotated at each sign-in', async () => {
    const web = new WebClient(server.url);
    await web.get('/login');
    const res = await web.post('/login', { username: 'bob', password: TEST_PASSWORD });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('heirloom_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    const token = web.cookies.get('heirloom_session')!;
    expect(token).toMatch(/^hs_[A-Za-z0-9_-]{43}$/);
    expect(sql('SELECT id FROM sessions WHERE token_hash = ?', hashSecretToken(token))).toHaveLength(1);
    expect(sql('SELECT id FROM sessions WHERE token_hash = ?', token)).toEqual([]);
    // Signing in again from a signed-in browser replaces its session rather than adding one.
    await web.get('/');
    await web.post('/login', { username: 'bob', password: TEST_PASSWORD });
    expect(web.cookies.get('heirloom_session')).not.toBe(token);
    expect(sql('SELECT id FROM sessions WHERE token_hash = ?', hashSecretToken(token))).toEqual([]);
  });

  it('treats a tampered, expired or idle session cookie as signed out', async () => {
    const web = new WebClient(server.url);
    await web.signIn('bob', TEST_PASSWORD);
    const token = web.cookies.get('heirloom_session')!;
    web.cookies.set('heirloom_session', `${token.slice(0, -2)}xx`);
    expect((await web.get('/')).headers.get('location')).toMatch(/^\/login/);

    web.cookies.set('heirloom_session', token);
    expect((await web.get('/')).status).toBe(200);
    v.ctx.db.$client.prepare('UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?').run(Date.now() - 15 * 86_400_000, hashSecretToken(token));
    expect((await web.get('/')).headers.get('location')).toMatch(/^\/login/);
    expect(sql('SELECT id FROM sessions WHERE token_hash = ?', hashSecretToken(token))).toEqual([]);

    await web.signIn('bob', TEST_PASSWORD);
    const next = web.cookies.get('heirloom_session')!;
    v.ctx.db.$client.prepare('UPDATE sessions SET expires_at = ? WHERE token_hash = ?').run(Date.now() - 1, hashSecretToken(next));
    expect((await web.get('/')).headers.get('location')).toMatch(/^\/login/);
  });

  it('signs out with a POST that needs the CSRF token; GET changes nothing', async () => {
    const web = new WebClient(server.url);
    await web.signIn('bob', TEST_PASSWORD);
    expect((await web.get('/logout')).status).toBe(404);
    expect((await web.request('/logout', { form: {} })).status).toBe(403);
    expect((await web.get('/')).status).toBe(200);
    const res = await web.post('/logout');
    expect(res.headers.get('location')).toBe('/login');
    expect((await web.get('/')).headers.get('location')).toMatch(/^\/login/);
  });

  it('refuses a state change the browser marks as cross-site, even with a valid token', async () => {
    const web = new WebClient(server.url);
    await web.signIn('bob', TEST_PASSWORD);
    const res = await web.post('/logout', {}, { 'sec-fetch-site': 'cross-site' });
    expect(res.status).toBe(403);
    expect((await web.get('/')).status).toBe(200);
    expect(audit('csrf-rejected').some((e) => String(e.detail).includes('cross-site'))).toBe(true);
  });

  it('does not accept one session\'s CSRF token for another session', async () => {
    const a = new WebClient(server.url);
    const b = new WebClient(server.url);
    await a.signIn('bob', TEST_PASSWORD);
    await b.signIn('bob', TEST_PASSWORD);
    expect(a.csrf).not.toBe(b.csrf);
    expect((await a.request('/logout', { form: { _csrf: b.csrf } })).status).toBe(403);
  });
});

describe('security headers', () => {
  it('sends a strict CSP and the other headers on pages', async () => {
    const res = await fetch(`${server.url}/login`);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
    expect(res.headers.get('permissions-policy')).toContain('camera=()');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });
});

describe('password hashes', () => {
  it('are upgraded at sign-in when they were made with weaker parameters', async () => {
    const { hash } = await import('@node-rs/argon2');
    const weak = await hash(TEST_PASSWORD, { algorithm: 2, memoryCost: 4096, timeCost: 1, parallelism: 1 });
    v.ctx.db.$client.prepare("UPDATE users SET password_hash = ? WHERE username = 'bob'").run(weak);
    await new WebClient(server.url).signIn('bob', TEST_PASSWORD);
    const [{ password_hash }] = sql("SELECT password_hash FROM users WHERE username = 'bob'") as [{ password_hash: string }];
    expect(password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    await new WebClient(server.url).signIn('bob', TEST_PASSWORD);
  });
});
