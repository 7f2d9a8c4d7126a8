import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUIRE_2FA_SETTING } from '../server/auth/auth.service.js';
import { currentTotp } from '../server/auth/totp.js';
import { putSetting } from '../server/db/settings.repo.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

let v: TestVault;
let server: Awaited<ReturnType<typeof listen>>;
let web: WebClient;
let secret: string;
let enableCode: string;
let codes: string[];

beforeAll(async () => {
  v = await openTestVault();
  server = await listen(v.ctx);
  web = new WebClient(server.url);
  await web.signIn('anna', TEST_PASSWORD);
});

afterAll(async () => {
  await server?.close();
  await v.cleanup();
});

function annaRow(): { totp_secret: string | null; totp_last_step: number | null } {
  return v.ctx.db.$client.prepare("SELECT totp_secret, totp_last_step FROM users WHERE username = 'anna'").get() as never;
}

function audited(event: string): number {
  return (v.ctx.db.$client.prepare('SELECT count(*) AS n FROM audit_log WHERE event = ?').get(event) as { n: number }).n;
}

function shownCodes(html: string): string[] {
  return [...html.matchAll(/<li>([0-9a-z]{5}-[0-9a-z]{5})<\/li>/g)].map((m) => m[1]!);
}

/** Password, then the second step with `code`; returns the answer to the second step. */
async function signInWithCode(code: string): Promise<Response> {
  const client = new WebClient(server.url);
  await client.get('/login');
  const first = await client.post('/login', { username: 'anna', password: TEST_PASSWORD });
  expect(first.headers.get('location')).toMatch(/^\/login\/2fa/);
  await client.get('/login/2fa');
  return client.post('/login/2fa', { code });
}

describe('two-step sign-in', () => {
  it('starts enrolment with a QR code and the key in text, keeping the secret out of the users row', async () => {
    const res = await web.get('/account/2fa');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.getSetCookie().find((c) => c.startsWith('heirloom_totp_pending='))).toMatch(/HttpOnly/);
    const html = await res.text();
    expect(html).toMatch(/<img class="qr" src="data:image\/png;base64,/);
    secret = /data-testid="totp-secret">([A-Z2-7 ]+)</.exec(html)![1]!.replace(/ /g, '');
    expect(secret).toHaveLength(32);
    expect(annaRow().totp_secret).toBeNull();
    const again = await (await web.get('/account/2fa')).text();
    expect(again).toContain(/data-testid="totp-secret">([A-Z2-7 ]+)</.exec(html)![1]);
  });

  it('refuses a wrong code and stays off', async () => {
    const wrong = currentTotp(secret, Date.now() + 10 * 60_000);
    const res = await web.post('/account/2fa/enable', { code: wrong });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('That code is not right.');
    expect(annaRow().totp_secret).toBeNull();
  });

  it('turns on with a current code and shows ten recovery codes once', async () => {
    enableCode = currentTotp(secret);
    const res = await web.post('/account/2fa/enable', { code: enableCode });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    codes = shownCodes(await res.text());
    expect(codes).toHaveLength(10);
    const row = annaRow();
    expect(row.totp_secret).toMatch(/^v\d+\./);
    expect(row.totp_secret).not.toContain(secret);
    expect(row.totp_last_step).toBeGreaterThan(0);
    expect(audited('totp-enabled')).toBe(1);
    const page = await (await web.get('/account/2fa')).text();
    expect(page).not.toContain('totp-secret');
    expect(shownCodes(page)).toEqual([]);
    expect(await (await web.get('/account')).text()).toContain('On, 10 unused recovery codes');
  });

  it('asks for the code at sign-in and refuses a code already used', async () => {
    const replayed = await signInWithCode(enableCode);
    expect(replayed.status).toBe(422);
    expect(await replayed.text()).toContain('already used');
    const next = currentTotp(secret, Date.now() + 30_000);
    expect((await signInWithCode(next)).status).toBe(303);
    expect((await signInWithCode(next)).status).toBe(422);
  });

  it('accepts a recovery code once', async () => {
    expect((await signInWithCode(codes[0]!)).status).toBe(303);
    const reused = await signInWithCode(codes[0]!);
    expect(reused.status).toBe(422);
    expect(await (await web.get('/account')).text()).toContain('On, 9 unused recovery codes');
  });

  it('makes new recovery codes only with a valid code, and the old ones stop working', async () => {
    await web.get('/account/2fa');
    const refused = await web.post('/account/2fa/recovery-codes', { code: codes[0]! });
    expect(refused.status).toBe(422);
    const res = await web.post('/account/2fa/recovery-codes', { code: codes[1]! });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const fresh = shownCodes(await res.text());
    expect(fresh).toHaveLength(10);
    expect(audited('recovery-codes-regenerated')).toBe(1);
    expect((await signInWithCode(codes[2]!)).status).toBe(422);
    codes = fresh;
  });

  it('will not turn off while the admin requires 2FA for everyone', async () => {
    putSetting(v.ctx.db, REQUIRE_2FA_SETTING, 'true');
    try {
      const page = await web.get('/account/2fa');
      expect(await page.text()).toContain('requires two-step sign-in for every account');
      const res = await web.post('/account/2fa/disable', { password: TEST_PASSWORD, code: codes[0]! });
      expect(res.status).toBe(422);
      expect(await res.text()).toContain('requires two-step sign-in for every account');
      expect(annaRow().totp_secret).not.toBeNull();
    } finally {
      putSetting(v.ctx.db, REQUIRE_2FA_SETTING, 'false');
    }
  });

  it('turns off only with both the password and a code', async () => {
    await web.get('/account/2fa');
    const noPassword = await web.post('/account/2fa/disable', { password: 'wrong password', code: codes[0]! });
    expect(noPassword.status).toBe(422);
    expect(await noPassword.text()).toContain('Your current password is not right.');
    const noCode = await web.post('/account/2fa/disable', { password: TEST_PASSWORD, code: '000000' });
    expect(noCode.status).toBe(422);
    expect(await noCode.text()).toContain('That code is not right');
    expect(annaRow().totp_secret).not.toBeNull();

    const res = await web.post('/account/2fa/disable', { password: TEST_PASSWORD, code: codes[0]! });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/account/2fa?done=disabled');
    expect(annaRow()).toEqual({ totp_secret: null, totp_last_step: null });
    expect(v.ctx.db.$client.prepare('SELECT count(*) AS n FROM recovery_codes').get()).toEqual({ n: 0 });
    expect(audited('totp-disabled')).toBe(1);
    await new WebClient(server.url).signIn('anna', TEST_PASSWORD);
  });

  it('sends a user without 2FA to enrolment when the admin requires it, and enrolment works there', async () => {
    putSetting(v.ctx.db, REQUIRE_2FA_SETTING, 'true');
    try {
      const home = await web.get('/');
      expect(home.status).toBe(303);
      expect(home.headers.get('location')).toBe('/account/2fa');
      const page = await web.get('/account/2fa');
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('Your administrator requires two-step sign-in');
      const key = /data-testid="totp-secret">([A-Z2-7 ]+)</.exec(html)![1]!.replace(/ /g, '');
      const res = await web.post('/account/2fa/enable', { code: currentTotp(key, Date.now() + 30_000) });
      expect(res.status).toBe(200);
      expect((await web.get('/')).status).toBe(200);
    } finally {
      putSetting(v.ctx.db, REQUIRE_2FA_SETTING, 'false');
    }
  });
});
