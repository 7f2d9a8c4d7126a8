import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentTotp } from '../server/auth/totp.js';
import { artifactPath, launchBrowser, watchErrors } from './helpers/browser.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';

let v: TestVault;
let server: Awaited<ReturnType<typeof listen>>;
let browser: Browser;

beforeAll(async () => {
  v = await openTestVault({}, { withMember: false });
  server = await listen(v.ctx);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await v.cleanup();
});

async function signIn(page: Page, password: string, code: string): Promise<void> {
  await page.goto(`${server.url}/login`);
  await page.getByLabel('User name').fill('grete');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/login\/2fa/);
  await page.getByLabel('Code from your authenticator app').fill(code);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.getByRole('button', { name: 'Verify' }).click()]);
}

describe('accounts in Chromium', () => {
  it('walks through setup, the recovery kit, 2FA, sign-in with a code, and revoking another browser', async () => {
    const laptop = await browser.newContext({ viewport: { width: 1024, height: 800 } });
    const a = await laptop.newPage();
    const errors = watchErrors(a);

    // First visit: setup.
    await a.goto(server.url);
    await a.waitForURL(/\/setup$/);
    await a.getByLabel('User name').fill('grete');
    await a.getByLabel('Your name').fill('Grete Olsen');
    await a.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await a.getByLabel('Repeat the password').fill(TEST_PASSWORD);
    await a.screenshot({ path: await artifactPath('setup.png') });
    await a.getByRole('button', { name: 'Create the administrator' }).click();

    // The recovery kit, once.
    await a.waitForURL(/\/setup\/recovery-kit$/);
    expect(await a.getByTestId('recovery-code').textContent()).toBe(v.ctx.keyring.recoveryCode());
    await a.screenshot({ path: await artifactPath('recovery-kit.png') });
    await a.getByLabel('I have saved the recovery code somewhere safe.').check();
    await a.getByRole('button', { name: 'Continue' }).click();
    await a.waitForURL(`${server.url}/`);

    // Two-step sign-in, enrolled with the key an app would read from the QR code.
    await a.goto(`${server.url}/account/2fa`);
    expect(await a.locator('img.qr').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    const secret = (await a.getByTestId('totp-secret').textContent())!.replace(/\s/g, '');
    await a.getByLabel('Code shown by the app').fill(currentTotp(secret));
    await a.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
    const codes = (await a.getByTestId('recovery-codes').locator('li').allTextContents()).map((c) => c.trim());
    expect(codes).toHaveLength(10);
    await a.screenshot({ path: await artifactPath('recovery-codes.png'), fullPage: true });

    // Sign out, and back in with the password and the next code (the one just used is spent).
    await a.getByRole('button', { name: 'Sign out' }).first().click();
    await a.waitForURL(/\/login$/);
    await signIn(a, TEST_PASSWORD, currentTotp(secret, Date.now() + 30_000));

    // A second browser signs in with a recovery code.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1' });
    const b = await phone.newPage();
    await signIn(b, TEST_PASSWORD, codes[0]!);
    await b.goto(`${server.url}/account`);
    expect(b.url()).toBe(`${server.url}/account`);

    // The laptop sees both browsers and signs the phone out.
    await a.goto(`${server.url}/account/devices`);
    const rows = a.locator('tr[data-session]');
    await expect.poll(() => rows.count()).toBe(2);
    const other = rows.filter({ hasNotText: '(this device)' });
    expect(await other.textContent()).toMatch(/Safari/);
    await a.screenshot({ path: await artifactPath('devices.png'), fullPage: true });
    await other.getByRole('button', { name: 'Sign out this device' }).click();
    await expect.poll(() => a.locator('tr[data-session]').count()).toBe(1);

    // The phone's next request finds itself signed out.
    await b.reload();
    expect(new URL(b.url()).pathname).toBe('/login');
    expect(errors).toEqual([]);
    await laptop.close();
    await phone.close();
  });
});
