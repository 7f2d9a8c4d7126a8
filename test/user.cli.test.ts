import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../server/config.js';
import { openContext, type Context } from '../server/context.js';
import { ApiTokenService } from '../server/auth/api-tokens.service.js';
import { createLogger } from '../server/log.js';
import { findUserByName } from '../server/users/users.repo.js';
import { makeFixtureDir, removeFixtureDir } from './fixtures/index.js';
import { runCli } from './helpers/cli.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

const OLD = 'the old long password';
const NEW = 'a brand new long password';

let root: string;
let env: Record<string, string>;
let ctx: Context;
let server: Awaited<ReturnType<typeof listen>>;
const sql = (q: string, ...args: unknown[]) => ctx.db.$client.prepare(q).all(...args) as Record<string, unknown>[];

/** Signs in through the real form; returns the client when it worked, else the status. */
async function signIn(username: string, password: string): Promise<WebClient | number> {
  const web = new WebClient(server.url);
  await web.get('/login');
  const res = await web.post('/login', { username, password });
  return res.status === 303 ? web : res.status;
}

beforeAll(async () => {
  root = await makeFixtureDir('heirloom-user-cli-');
  env = { HEIRLOOM_DATA_DIR: path.join(root, 'data'), HEIRLOOM_KEY_FILE: path.join(root, 'master.key') };
  expect((await runCli(['key', 'generate', '--out', env.HEIRLOOM_KEY_FILE!], { env })).code).toBe(0);
  expect((await runCli(['user', 'create', 'olga', '--role', 'admin'], { env, input: `${OLD}\n` })).code).toBe(0);
  expect((await runCli(['user', 'create', 'anna'], { env, input: `${OLD}\n` })).code).toBe(0);
  // The server runs while the commands change the same database, as on a real NAS.
  ctx = await openContext(loadConfig(env), createLogger('silent'));
  server = await listen(ctx);
});

afterAll(async () => {
  await server?.close();
  await ctx?.close();
  await removeFixtureDir(root);
});

describe('heirloom user', () => {
  it('reset-password sets the new password from stdin and signs the user out everywhere', async () => {
    const browser = await signIn('anna', OLD);
    expect(browser).toBeInstanceOf(WebClient);
    const run = await runCli(['user', 'reset-password', 'Anna'], { env, input: `${NEW}\n` });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Set a new password for anna and signed out 1 session.');

    expect((await (browser as WebClient).get('/')).headers.get('location')).toBe('/login?next=%2F');
    expect(await signIn('anna', OLD)).toBe(422);
    expect(await signIn('anna', NEW)).toBeInstanceOf(WebClient);
    expect(sql("SELECT actor_name AS who, subject_name AS whom, detail FROM audit_log WHERE event = 'password-reset'")).toEqual([{ who: null, whom: 'anna', detail: 'on the command line' }]);
  });

  it("reset-password keeps the account's API tokens unless told to revoke them, and says which it did", async () => {
    const anna = findUserByName(ctx.db, 'anna')!;
    const { token } = new ApiTokenService(ctx.db).create(anna, { name: "Anna's phone", scope: 'full' }, { ip: '127.0.0.1', userAgent: 'test' });
    const me = () => fetch(new URL('/api/v1/me', server.url), { headers: { authorization: `Bearer ${token}` } });

    const kept = await runCli(['user', 'reset-password', 'anna'], { env, input: `${NEW}\n` });
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain('Its API token (phone backup, scripts) still works. If the account may have been misused, run this again with --revoke-tokens.');
    expect((await me()).status).toBe(200);

    const revoked = await runCli(['user', 'reset-password', 'anna', '--revoke-tokens'], { env, input: `${NEW}\n` });
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain('Set a new password for anna, signed out 0 sessions and revoked 1 API token: set those devices up again with new tokens.');
    expect(revoked.stdout).not.toContain('still work');
    expect((await me()).status).toBe(401);
    expect(sql("SELECT detail FROM audit_log WHERE event = 'password-reset' ORDER BY id DESC LIMIT 1")).toEqual([{ detail: 'on the command line; 1 API token revoked' }]);
    expect(await signIn('anna', NEW)).toBeInstanceOf(WebClient);
  });

  it('reset-password refuses a short password and changes nothing', async () => {
    const run = await runCli(['user', 'reset-password', 'anna'], { env, input: 'short\n' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('at least 10 characters');
    expect(await signIn('anna', NEW)).toBeInstanceOf(WebClient);
  });

  it('disable makes sign-in fail and ends sessions; enable lets the user back in', async () => {
    const browser = (await signIn('anna', NEW)) as WebClient;
    const run = await runCli(['user', 'disable', 'anna'], { env });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Disabled anna');
    expect((await browser.get('/')).status).toBe(303);
    expect(await signIn('anna', NEW)).toBe(422);

    expect((await runCli(['user', 'enable', 'anna'], { env })).code).toBe(0);
    expect(await signIn('anna', NEW)).toBeInstanceOf(WebClient);
    expect(sql("SELECT event FROM audit_log WHERE subject_name = 'anna' AND event LIKE 'user-%' ORDER BY id").map((r) => r.event)).toEqual(['user-disabled', 'user-enabled']);
  });

  it('never disables the last active admin', async () => {
    const run = await runCli(['user', 'disable', 'olga'], { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('olga is the last active administrator');
    expect(await signIn('olga', OLD)).toBeInstanceOf(WebClient);
  });

  it('names an unknown user', async () => {
    for (const command of ['reset-password', 'disable', 'enable']) {
      const run = await runCli(['user', command, 'zoe'], { env, input: `${NEW}\n` });
      expect(run.code, command).toBe(2);
      expect(run.stderr).toContain('There is no user named zoe.');
    }
  });
});
