import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/app.js';
import { SessionService } from '../server/auth/sessions.service.js';
import { closeMedia } from '../server/media/previews.js';
import { createUser } from '../server/users/users.service.js';
import { makeFixtureDir, makeJpeg, removeFixtureDir } from './fixtures/index.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

/**
 * Every route × every role. A new route without a row here fails the first test, so none can be added
 * without deciding who may use it. 'ok' means the request got past the access check (2xx, 3xx or 422 for
 * an empty form); a number is the exact status. Anonymous page requests are sent to /login (303).
 */
type Role = 'anonymous' | 'viewer' | 'owner' | 'other' | 'admin';
type Expect = 'ok' | number;
interface Row {
  method: 'GET' | 'POST';
  route: string;
  /** The concrete path to request; defaults to the route. */
  path?: (f: Fixture) => string;
  expect: Record<Role, Expect>;
}

interface Fixture {
  thumbId: string;
}

const everyone = (e: Expect): Record<Role, Expect> => ({ anonymous: e, viewer: e, owner: e, other: e, admin: e });
const signedIn = (e: Expect): Record<Role, Expect> => ({ anonymous: 303, viewer: e, owner: e, other: e, admin: e });
const signedInPost = (e: Expect): Record<Role, Expect> => ({ anonymous: 401, viewer: e, owner: e, other: e, admin: e });

const matrix: Row[] = [
  { method: 'GET', route: '/healthz', expect: everyone(200) },
  { method: 'GET', route: '/static/*', path: () => '/static/app.css', expect: everyone(200) },
  { method: 'GET', route: '/static/vendor/:file', path: () => '/static/vendor/thumbhash.js', expect: everyone(200) },
  // Setup is over: everyone is sent on.
  { method: 'GET', route: '/setup', expect: everyone(303) },
  { method: 'POST', route: '/setup', expect: everyone(303) },
  { method: 'GET', route: '/setup/recovery-kit', expect: { anonymous: 303, viewer: 403, owner: 403, other: 403, admin: 200 } },
  { method: 'POST', route: '/setup/recovery-kit', expect: { anonymous: 401, viewer: 403, owner: 403, other: 403, admin: 422 } },
  { method: 'GET', route: '/login', expect: { anonymous: 200, viewer: 303, owner: 303, other: 303, admin: 303 } },
  { method: 'POST', route: '/login', expect: everyone(422) },
  { method: 'GET', route: '/login/2fa', expect: everyone(303) },
  { method: 'POST', route: '/login/2fa', expect: everyone(401) },
  { method: 'POST', route: '/logout', expect: everyone(303) },
  { method: 'GET', route: '/', expect: signedIn(200) },
  {
    method: 'GET',
    route: '/media/:blobId',
    path: (f) => `/media/${f.thumbId}`,
    expect: { anonymous: 303, viewer: 404, owner: 200, other: 404, admin: 404 },
  },
];

let v: TestVault;
let server: Awaited<ReturnType<typeof listen>>;
let dir: string;
let fixture: Fixture;
const userIds = {} as Record<Exclude<Role, 'anonymous'>, number>;

beforeAll(async () => {
  v = await openTestVault();
  userIds.owner = v.ownerId;
  userIds.admin = (await createUser(v.ctx.db, { username: 'grete', role: 'admin', password: TEST_PASSWORD })).id;
  userIds.other = (await createUser(v.ctx.db, { username: 'bob', role: 'member', password: TEST_PASSWORD })).id;
  userIds.viewer = (await createUser(v.ctx.db, { username: 'oma', role: 'viewer', password: TEST_PASSWORD })).id;
  dir = await makeFixtureDir('heirloom-matrix-');
  const photo = await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: await makeJpeg(path.join(dir, 'a.jpg')), originalName: 'a.jpg' });
  const row = v.ctx.db.$client.prepare('SELECT thumb_blob_id AS t FROM assets WHERE id = ?').get((photo as { assetId: number }).assetId) as { t: string };
  fixture = { thumbId: row.t };
  server = await listen(v.ctx);
});

afterAll(async () => {
  await server?.close();
  await closeMedia();
  await v.cleanup();
  await removeFixtureDir(dir);
});

/** A client for the role, with a fresh session (made directly: hashing a password per cell would be slow) and its CSRF token. */
async function clientFor(role: Role): Promise<WebClient> {
  const web = new WebClient(server.url);
  if (role !== 'anonymous') {
    const { token } = new SessionService(v.ctx.db, v.config).start(userIds[role], 'full', { ip: '127.0.0.1', userAgent: 'matrix' });
    web.cookies.set('heirloom_session', token);
  }
  await web.get('/login');
  if (!web.csrf) await web.get('/');
  return web;
}

describe('access matrix', () => {
  it('has a row for every route the app serves, and no row for a route it does not', () => {
    const served = createApp(v.ctx)
      .routes.filter((r) => !(r.method === 'ALL' && r.path === '/*'))
      .map((r) => `${r.method === 'ALL' ? 'GET' : r.method} ${r.path}`);
    const rows = matrix.map((r) => `${r.method} ${r.route}`);
    expect([...new Set(served)].sort()).toEqual([...rows].sort());
  });

  for (const row of matrix) {
    for (const role of ['anonymous', 'viewer', 'owner', 'other', 'admin'] as const) {
      it(`${row.method} ${row.route} as ${role} → ${row.expect[role]}`, async () => {
        const web = await clientFor(role);
        const target = row.path?.(fixture) ?? row.route;
        const res = row.method === 'GET' ? await web.get(target) : await web.post(target, {});
        const want = row.expect[role];
        if (want === 'ok') expect([200, 201, 204, 303, 422], `${res.status}`).toContain(res.status);
        else expect(res.status).toBe(want);
      });
    }
  }
});
