import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../server/users/users.service.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

const NEW_PASSWORD = 'a much longer passphrase';

let v: TestVault;
let server: Awaited<ReturnType<typeof listen>>;

beforeAll(async () => {
  v = await openTestVault();
  server = await listen(v.ctx);
});

afterAll(async () => {
  await server?.close();
  await v.cleanup();
});

async function signedIn(username: string, password: string): Promise<WebClient> {
  const web = new WebClient(server.url);
  await web.signIn(username, password);
  return web;
}

function audited(event: string): number {
  return (v.ctx.db.$client.prepare('SELECT count(*) AS n FROM audit_log WHERE event = ?').get(event) as { n: number }).n;
}

describe('account overview and password', () => {
  it('shows who is signed in, their role, 2FA status and the way to the other parts', async () => {
    const web = await signedIn('anna', TEST_PASSWORD);
    const res = await web.get('/account');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<dd>anna</dd>');
    expect(html).toContain('Member');
    expect(html).toMatch(/data-testid="2fa-status">\s*Off/);
    expect(html).toContain('href="/account/2fa"');
    expect(html).toContain('href="/account/devices"');
  });

  it('refuses a wrong current password, a short new one and two that differ, with a clear message', async () => {
    const web = await signedIn('anna', TEST_PASSWORD);
    await web.get('/account');
    const wrong = await web.post('/account/password', { current: 'not my password', next: NEW_PASSWORD, repeat: NEW_PASSWORD });
    expect(wrong.status).toBe(422);
    expect(await wrong.text()).toContain('Your current password is not right.');
    const short = await web.post('/account/password', { current: TEST_PASSWORD, next: 'short', repeat: 'short' });
    expect(short.status).toBe(422);
    expect(await short.text()).toContain('at least 10 characters');
    const differ = await web.post('/account/password', { current: TEST_PASSWORD, next: NEW_PASSWORD, repeat: `${NEW_PASSWORD}!` });
    expect(differ.status).toBe(422);
    expect(await differ.text()).toContain('The two new passwords differ.');
    expect(audited('password-changed')).toBe(0);
  });

  it('changes the password and signs out every other session, but not this one', async () => {
    const here = await signedIn('anna', TEST_PASSWORD);
    const elsewhere = await signedIn('anna', TEST_PASSWORD);
    await here.get('/account');
    const res = await here.post('/account/password', { current: TEST_PASSWORD, next: NEW_PASSWORD, repeat: NEW_PASSWORD });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/account?done=password');
    const after = await here.get('/account?done=password');
    expect(after.status).toBe(200);
    expect(await after.text()).toContain('Your password was changed');
    const kicked = await elsewhere.get('/');
    expect(kicked.status).toBe(303);
    expect(kicked.headers.get('location')).toMatch(/^\/login/);
    expect(audited('password-changed')).toBe(1);

    const fresh = new WebClient(server.url);
    await fresh.get('/login');
    expect((await fresh.post('/login', { username: 'anna', password: TEST_PASSWORD })).status).toBe(422);
    await fresh.signIn('anna', NEW_PASSWORD);
  });

  it('lets a viewer use their own account pages', async () => {
    await createUser(v.ctx.db, { username: 'grandpa', role: 'viewer', password: TEST_PASSWORD });
    const web = await signedIn('grandpa', TEST_PASSWORD);
    for (const path of ['/account', '/account/2fa', '/account/devices']) expect((await web.get(path)).status, path).toBe(200);
    const res = await web.post('/account/password', { current: TEST_PASSWORD, next: NEW_PASSWORD, repeat: NEW_PASSWORD });
    expect(res.status).toBe(303);
  });

  it('sends anonymous visitors to sign in', async () => {
    const res = await new WebClient(server.url).get('/account');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?next=%2Faccount');
  });

  it('refuses every account form posted without its CSRF token', async () => {
    await createUser(v.ctx.db, { username: 'carl', role: 'member', password: TEST_PASSWORD });
    const web = await signedIn('carl', TEST_PASSWORD);
    const posts = [
      '/account/password',
      '/account/2fa/enable',
      '/account/2fa/disable',
      '/account/2fa/recovery-codes',
      '/account/devices/sessions/1/revoke',
      '/account/devices/sessions/revoke-others',
      '/account/tokens',
      '/account/tokens/1/revoke',
    ];
    for (const path of posts) {
      const res = await web.request(path, { form: { current: TEST_PASSWORD, next: NEW_PASSWORD, repeat: NEW_PASSWORD, name: 'x', scope: 'full' } });
      expect(res.status, path).toBe(403);
      expect(await res.text(), path).toContain('This form has expired');
    }
    expect((await web.get('/account')).status).toBe(200);
  });
});
