import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecretToken } from '../server/auth/secret-token.js';
import { createUser } from '../server/users/users.service.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';
const SAFARI_IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

let v: TestVault;
let server: Awaited<ReturnType<typeof listen>>;

beforeAll(async () => {
  v = await openTestVault();
  await createUser(v.ctx.db, { username: 'ben', role: 'member', password: TEST_PASSWORD });
  server = await listen(v.ctx);
});

afterAll(async () => {
  await server?.close();
  await v.cleanup();
});

async function signedIn(username: string, userAgent = FIREFOX_WINDOWS): Promise<WebClient> {
  const web = new WebClient(server.url, { 'user-agent': userAgent });
  await web.signIn(username, TEST_PASSWORD);
  return web;
}

function latestSessionId(username: string): number {
  const row = v.ctx.db.$client.prepare('SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = ? ORDER BY s.id DESC LIMIT 1').get(username) as { id: number };
  return row.id;
}

/** Creates a token through the page and returns it as shown, once. */
async function createToken(web: WebClient, name: string, scope: string): Promise<string> {
  await web.get('/account/devices');
  const res = await web.post('/account/tokens', { name, scope });
  expect(res.status).toBe(201);
  expect(res.headers.get('cache-control')).toBe('no-store');
  return /data-testid="new-token">(hlt_[A-Za-z0-9_-]+)</.exec(await res.text())![1]!;
}

function api(path: string, token?: string): Promise<Response> {
  return fetch(new URL(path, server.url), { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

function audited(event: string): number {
  return (v.ctx.db.$client.prepare('SELECT count(*) AS n FROM audit_log WHERE event = ?').get(event) as { n: number }).n;
}

describe('devices: signed-in browsers', () => {
  it('lists every session by browser and system, with this one marked', async () => {
    const here = await signedIn('anna');
    await signedIn('anna', SAFARI_IPHONE);
    const res = await here.get('/account/devices');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Firefox on Windows<strong> (this device)</strong>');
    expect(html).toContain('Safari on iOS');
    expect(html).toContain('127.0.0.1');
  });

  it('revokes another session: that browser is signed out at its next request', async () => {
    const here = await signedIn('anna');
    const phone = await signedIn('anna', SAFARI_IPHONE);
    await here.get('/account/devices');
    const res = await here.post(`/account/devices/sessions/${latestSessionId('anna')}/revoke`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/account/devices?done=session');
    const next = await phone.get('/');
    expect(next.status).toBe(303);
    expect(next.headers.get('location')).toMatch(/^\/login/);
    expect((await here.get('/')).status).toBe(200);
    expect(audited('session-revoked')).toBe(1);
  });

  it('signs out everywhere else at once', async () => {
    const here = await signedIn('anna');
    const others = [await signedIn('anna', SAFARI_IPHONE), await signedIn('anna')];
    await here.get('/account/devices');
    expect((await here.post('/account/devices/sessions/revoke-others')).status).toBe(303);
    for (const other of others) expect((await other.get('/')).status).toBe(303);
    const html = await (await here.get('/account/devices')).text();
    expect(html.match(/data-session=/g)).toHaveLength(1);
  });

  it('revoking this session signs this browser out', async () => {
    const here = await signedIn('anna');
    await here.get('/account/devices');
    const res = await here.post(`/account/devices/sessions/${latestSessionId('anna')}/revoke`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login');
    expect((await here.get('/')).headers.get('location')).toMatch(/^\/login/);
  });

  it("answers 404 for another user's session", async () => {
    await signedIn('ben');
    const bensSession = latestSessionId('ben');
    const anna = await signedIn('anna');
    await anna.get('/account/devices');
    expect((await anna.post(`/account/devices/sessions/${bensSession}/revoke`)).status).toBe(404);
    expect((await anna.post('/account/devices/sessions/999999/revoke')).status).toBe(404);
  });
});

describe('devices: API tokens', () => {
  it('shows a new token once, stores only its hash, and it works with /api/v1/me', async () => {
    const web = await signedIn('anna');
    const token = await createToken(web, 'Laptop sync', 'full');
    const rows = v.ctx.db.$client.prepare('SELECT * FROM api_tokens').all() as Record<string, unknown>[];
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(rows.map((r) => r.token_hash)).toContain(hashSecretToken(token));
    const page = await (await web.get('/account/devices')).text();
    expect(page).toContain('Laptop sync');
    expect(page).not.toContain(token);

    const me = await api('/api/v1/me', token);
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ username: 'anna', role: 'member', scope: 'full' });
    const listed = await (await web.get('/account/devices')).text();
    expect(listed).toMatch(/from 127\.0\.0\.1/);
  });

  it('answers /api/v1/me for a session, and 401 JSON without credentials', async () => {
    const web = await signedIn('anna');
    const me = await web.get('/api/v1/me', { accept: 'application/json' });
    expect(await me.json()).toEqual({ username: 'anna', role: 'member', scope: 'session' });
    const anonymous = await api('/api/v1/me');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toContain('application/json');
    expect(await anonymous.json()).toHaveProperty('error');
  });

  it('refuses /api/v1/me to an upload-only token', async () => {
    const web = await signedIn('anna');
    const token = await createToken(web, 'Phone uploads', 'upload');
    const res = await api('/api/v1/me', token);
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toContain('application/json');
  });

  it('keeps API tokens out of the account pages, even a full one', async () => {
    const web = await signedIn('anna');
    const token = await createToken(web, 'Script', 'full');
    const headers = { authorization: `Bearer ${token}` };
    expect((await fetch(new URL('/account', server.url), { headers })).status).toBe(403);
    expect((await fetch(new URL('/account/devices', server.url), { headers })).status).toBe(403);
    const mint = await fetch(new URL('/account/tokens', server.url), {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=more&scope=full',
    });
    expect(mint.status).toBe(403);
  });

  it('a revoked token gets 401', async () => {
    const web = await signedIn('anna');
    const token = await createToken(web, 'Old tablet', 'full');
    const id = (v.ctx.db.$client.prepare('SELECT id FROM api_tokens WHERE token_hash = ?').get(hashSecretToken(token)) as { id: number }).id;
    const res = await web.post(`/account/tokens/${id}/revoke`);
    expect(res.status).toBe(303);
    expect((await api('/api/v1/me', token)).status).toBe(401);
    expect(audited('token-revoked')).toBe(1);
  });

  it('offers a viewer full access only, and refuses an upload-only token a viewer could not use', async () => {
    await createUser(v.ctx.db, { username: 'grandpa', role: 'viewer', password: TEST_PASSWORD });
    const web = await signedIn('grandpa');
    const page = await (await web.get('/account/devices')).text();
    expect(page).not.toContain('value="upload"');
    expect(page).toContain('<option value="full">Full access: can see what is shared with you</option>');
    const refused = await web.post('/account/tokens', { name: 'Tablet', scope: 'upload' });
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain('A viewer cannot add photos, so an upload-only token would do nothing.');
    expect(v.ctx.db.$client.prepare("SELECT count(*) AS n FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE u.username = 'grandpa'").get()).toEqual({ n: 0 });
    const token = await createToken(web, 'Tablet', 'full');
    expect((await api('/api/v1/me', token)).status).toBe(200);
  });

  it('refuses a nameless token with a clear message', async () => {
    const web = await signedIn('anna');
    await web.get('/account/devices');
    const res = await web.post('/account/tokens', { name: '  ', scope: 'full' });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('Give the device a name');
  });

  it("answers 404 for another user's token and leaves it working", async () => {
    const ben = await signedIn('ben');
    const token = await createToken(ben, "Ben's phone", 'full');
    const id = (v.ctx.db.$client.prepare('SELECT id FROM api_tokens WHERE token_hash = ?').get(hashSecretToken(token)) as { id: number }).id;
    const anna = await signedIn('anna');
    await anna.get('/account/devices');
    expect((await anna.post(`/account/tokens/${id}/revoke`)).status).toBe(404);
    expect((await api('/api/v1/me', token)).status).toBe(200);
  });
});
