import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/app.js';
import { InviteService } from '../server/admin/invites.service.js';
import { ApiTokenService } from '../server/auth/api-tokens.service.js';
import { SessionService } from '../server/auth/sessions.service.js';
import { closeMedia } from '../server/media/previews.js';
import { EditsService } from '../server/library/edits.service.js';
import { OrganiseService } from '../server/library/organise.service.js';
import { createUser } from '../server/users/users.service.js';
import { users } from '../server/users/users.table.js';
import { makeFixtureDir, makeJpeg, makeMotionPhoto, makeVideo, removeFixtureDir } from './fixtures/index.js';
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
  /** The owner's own session and API token (other roles must get 404 for them). */
  ownerSessionId: number;
  ownerTokenId: number;
  inviteId: number;
  inviteToken: string;
  victimId: number;
  /** A queued job the admin may cancel. */
  jobId: number;
  /** A directory replication target (in a temp folder) the admin may test, pause and resume. */
  targetName: string;
  /** Organise rows: an item of the owner's with one edit (organiseVersionId), and one of theirs in the trash. */
  organiseId: number;
  organiseVersionId: number;
  trashedId: number;
}

const everyone = (e: Expect): Record<Role, Expect> => ({ anonymous: e, viewer: e, owner: e, other: e, admin: e });
const signedIn = (e: Expect): Record<Role, Expect> => ({ anonymous: 303, viewer: e, owner: e, other: e, admin: e });
const signedInPost = (e: Expect): Record<Role, Expect> => ({ anonymous: 401, viewer: e, owner: e, other: e, admin: e });
const adminPage: Record<Role, Expect> = { anonymous: 303, viewer: 403, owner: 403, other: 403, admin: 200 };
const adminPost = (e: Expect): Record<Role, Expect> => ({ anonymous: 401, viewer: 403, owner: 403, other: 403, admin: e });
const ownerOnly = (e: Expect): Record<Role, Expect> => ({ anonymous: 401, viewer: 404, owner: e, other: 404, admin: 404 });

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
  // The timeline's next pages and month list hold only one's own items, so every role may ask (a viewer's are empty).
  { method: 'GET', route: '/timeline', path: () => '/timeline?after=4102444800000.1', expect: signedIn(200) },
  { method: 'GET', route: '/timeline/months', expect: signedIn(200) },
  // The viewer: only one's own item; anyone else gets the same 404 page as for an id that does not exist.
  { method: 'GET', route: '/items/:id{[0-9]{1,12}}', path: () => `/items/${viewerPhotoId}`, expect: { anonymous: 303, viewer: 404, owner: 200, other: 404, admin: 404 } },
  // Damaged items: everyone sees only their own.
  { method: 'GET', route: '/problems', expect: signedIn(200) },
  {
    method: 'GET',
    route: '/media/:blobId',
    path: (f) => `/media/${f.thumbId}`,
    expect: { anonymous: 303, viewer: 404, owner: 200, other: 404, admin: 404 },
  },
  // One's own account: every role, only through a signed-in browser. Empty forms are refused with 422.
  { method: 'GET', route: '/account', expect: signedIn(200) },
  { method: 'POST', route: '/account/password', expect: signedInPost(422) },
  { method: 'GET', route: '/account/2fa', expect: signedIn(200) },
  { method: 'POST', route: '/account/2fa/enable', expect: signedInPost(422) },
  { method: 'POST', route: '/account/2fa/disable', expect: signedInPost(422) },
  { method: 'POST', route: '/account/2fa/recovery-codes', expect: signedInPost(422) },
  { method: 'GET', route: '/account/devices', expect: signedIn(200) },
  { method: 'POST', route: '/account/devices/sessions/:id{[0-9]{1,12}}/revoke', path: (f) => `/account/devices/sessions/${f.ownerSessionId}/revoke`, expect: ownerOnly(303) },
  // After the row above: it would end the owner's fixture session too.
  { method: 'POST', route: '/account/devices/sessions/revoke-others', expect: signedInPost(303) },
  { method: 'POST', route: '/account/tokens', expect: signedInPost(422) },
  { method: 'POST', route: '/account/tokens/:id{[0-9]{1,12}}/revoke', path: (f) => `/account/tokens/${f.ownerTokenId}/revoke`, expect: ownerOnly(303) },
  { method: 'GET', route: '/api/v1/me', expect: { anonymous: 401, viewer: 200, owner: 200, other: 200, admin: 200 } },
  // Running the server: the admin alone.
  { method: 'GET', route: '/admin', expect: adminPage },
  { method: 'GET', route: '/admin/users', expect: adminPage },
  { method: 'POST', route: '/admin/invites', expect: adminPost(422) },
  { method: 'POST', route: '/admin/invites/:id{[0-9]+}/revoke', path: (f) => `/admin/invites/${f.inviteId}/revoke`, expect: adminPost(303) },
  { method: 'POST', route: '/admin/users/:id{[0-9]+}/disable', path: (f) => `/admin/users/${f.victimId}/disable`, expect: adminPost(303) },
  { method: 'POST', route: '/admin/users/:id{[0-9]+}/enable', path: (f) => `/admin/users/${f.victimId}/enable`, expect: adminPost(303) },
  { method: 'GET', route: '/admin/settings', expect: adminPage },
  { method: 'POST', route: '/admin/settings/require-2fa', expect: adminPost(303) },
  { method: 'POST', route: '/admin/settings/sign-out-everyone', expect: adminPost(303) },
  { method: 'GET', route: '/admin/audit', expect: adminPage },
  { method: 'GET', route: '/admin/jobs', expect: adminPage },
  { method: 'POST', route: '/admin/jobs/:id{[0-9]{1,12}}/cancel', path: (f) => `/admin/jobs/${f.jobId}/cancel`, expect: adminPost(303) },
  { method: 'GET', route: '/admin/schedules', expect: adminPage },
  { method: 'POST', route: '/admin/schedules/:name', path: () => '/admin/schedules/session-cleanup', expect: adminPost(422) },
  { method: 'POST', route: '/admin/schedules/:name/run', path: () => '/admin/schedules/session-cleanup/run', expect: adminPost(303) },
  { method: 'GET', route: '/admin/integrity', expect: adminPage },
  { method: 'POST', route: '/admin/integrity/check', expect: adminPost(303) },
  // Off-site copies. An empty add form and a removal without its confirmation are refused with 422.
  { method: 'GET', route: '/admin/replication', expect: adminPage },
  { method: 'POST', route: '/admin/replication', expect: adminPost(422) },
  { method: 'POST', route: '/admin/replication/run', expect: adminPost(303) },
  { method: 'POST', route: '/admin/replication/:name/test', path: (f) => `/admin/replication/${f.targetName}/test`, expect: adminPost(200) },
  { method: 'POST', route: '/admin/replication/:name/pause', path: (f) => `/admin/replication/${f.targetName}/pause`, expect: adminPost(303) },
  { method: 'POST', route: '/admin/replication/:name/resume', path: (f) => `/admin/replication/${f.targetName}/resume`, expect: adminPost(303) },
  { method: 'POST', route: '/admin/replication/:name/remove', path: (f) => `/admin/replication/${f.targetName}/remove`, expect: adminPost(422) },
  // The middleware that puts the key reminder on every admin page; then the recovery kit after the password
  // (an empty one is refused with 422, without counting as a wrong guess) and its acknowledgement (422 unticked).
  { method: 'GET', route: '/admin/*', path: () => '/admin', expect: adminPage },
  { method: 'GET', route: '/admin/recovery-kit', expect: adminPage },
  { method: 'POST', route: '/admin/recovery-kit', expect: adminPost(422) },
  { method: 'POST', route: '/admin/recovery-kit/acknowledge', expect: adminPost(422) },
  // Organising: only the owner may change an item (others get 404, as if it did not exist); empty forms are
  // refused with 422, so trash and restore (which need no field) run, in that order. Bulk: a viewer has nothing to change.
  { method: 'POST', route: '/items/:id{[0-9]{1,12}}/favorite', path: (f) => `/items/${f.organiseId}/favorite`, expect: ownerOnly(422) },
  { method: 'POST', route: '/items/:id{[0-9]{1,12}}/archive', path: (f) => `/items/${f.organiseId}/archive`, expect: ownerOnly(422) },
  { method: 'POST', route: '/items/:id{[0-9]{1,12}}/rotate', path: (f) => `/items/${f.organiseId}/rotate`, expect: ownerOnly(422) },
  { method: 'POST', route: '/items/:id{[0-9]{1,12}}/trash', path: (f) => `/items/${f.organiseId}/trash`, expect: ownerOnly(303) },
  { method: 'POST', route: '/items/:id{[0-9]{1,12}}/restore', path: (f) => `/items/${f.organiseId}/restore`, expect: ownerOnly(303) },
  { method: 'POST', route: '/items/bulk', expect: { anonymous: 401, viewer: 403, owner: 422, other: 422, admin: 422 } },
  { method: 'GET', route: '/items/:id{[0-9]{1,12}}/edit', path: (f) => `/items/${f.organiseId}/edit`, expect: { anonymous: 303, viewer: 404, owner: 200, other: 404, admin: 404 } },
  { method: 'POST', route: '/items/:id{[0-9]{1,12}}/edit', path: (f) => `/items/${f.organiseId}/edit`, expect: ownerOnly(422) },
  { method: 'GET', route: '/items/:id{[0-9]{1,12}}/history', path: (f) => `/items/${f.organiseId}/history`, expect: { anonymous: 303, viewer: 404, owner: 200, other: 404, admin: 404 } },
  {
    method: 'POST',
    route: '/items/:id{[0-9]{1,12}}/versions/:vid{[0-9]{1,12}}/revert',
    path: (f) => `/items/${f.organiseId}/versions/${f.organiseVersionId}/revert`,
    expect: ownerOnly(303),
  },
  // Collections and search list only one's own items, so every role may look (a viewer's are empty).
  { method: 'GET', route: '/trash', expect: signedIn(200) },
  { method: 'GET', route: '/archive', expect: signedIn(200) },
  { method: 'GET', route: '/favorites', expect: signedIn(200) },
  { method: 'GET', route: '/search', path: () => '/search?q=a', expect: signedIn(200) },
  { method: 'GET', route: '/memories', expect: signedIn(200) },
  // Deleting for good needs its confirmation field: without it, 422 for the owner.
  { method: 'POST', route: '/trash/:id{[0-9]{1,12}}/delete-now', path: (f) => `/trash/${f.trashedId}/delete-now`, expect: ownerOnly(422) },
  { method: 'POST', route: '/trash/empty', expect: { anonymous: 401, viewer: 403, owner: 422, other: 422, admin: 422 } },
  // Upload: whoever may add items (not a viewer); a POST that is not multipart is refused with 415.
  { method: 'GET', route: '/upload', expect: { anonymous: 303, viewer: 403, owner: 200, other: 200, admin: 200 } },
  { method: 'POST', route: '/upload', expect: { anonymous: 401, viewer: 403, owner: 415, other: 415, admin: 415 } },
  // Downloads: only one's own items (anyone else gets 404, as if they did not exist); an empty selection is refused with 422.
  {
    method: 'GET',
    route: '/items/:id{[0-9]{1,12}}/original',
    path: () => `/items/${downloads.photoId}/original`,
    expect: { anonymous: 303, viewer: 404, owner: 200, other: 404, admin: 404 },
  },
  {
    method: 'GET',
    route: '/items/:id{[0-9]{1,12}}/video',
    path: () => `/items/${downloads.videoId}/video`,
    expect: { anonymous: 303, viewer: 404, owner: 200, other: 404, admin: 404 },
  },
  // The moving part of a Live Photo or motion photo: as the original.
  {
    method: 'GET',
    route: '/items/:id{[0-9]{1,12}}/motion',
    path: () => `/items/${downloads.motionId}/motion`,
    expect: { anonymous: 303, viewer: 404, owner: 200, other: 404, admin: 404 },
  },
  { method: 'POST', route: '/download.zip', expect: signedInPost(422) },
  {
    method: 'GET',
    route: '/download/day/:file{[0-9]{4}-[0-9]{2}-[0-9]{2}\\.zip}',
    path: () => `/download/day/${downloads.photoDay}.zip`,
    expect: { anonymous: 303, viewer: 404, owner: 200, other: 404, admin: 404 },
  },
  // An invite link works for whoever holds it (the token is the credential); an empty form is refused.
  { method: 'GET', route: '/invite/:token', path: (f) => `/invite/${f.inviteToken}`, expect: everyone(200) },
  { method: 'POST', route: '/invite/:token', path: (f) => `/invite/${f.inviteToken}`, expect: everyone(422) },
];

let v: TestVault;
let server: Awaited<ReturnType<typeof listen>>;
let dir: string;
let fixture: Fixture;
/** The owner's photo and the day it was taken, and a video of theirs, for the download rows. */
let downloads: { photoId: number; photoDay: string; videoId: number; motionId: number };
/** The owner's photo the viewer row opens (never trashed by another row). */
let viewerPhotoId: number;
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
  viewerPhotoId = (photo as { assetId: number }).assetId;
  const client = { ip: '127.0.0.1', userAgent: 'matrix' };
  const ownerSession = new SessionService(v.ctx.db, v.config).start(v.ownerId, 'full', client).session;
  const owner = v.ctx.db.select().from(users).where(eq(users.id, v.ownerId)).get()!;
  const admin = v.ctx.db.select().from(users).where(eq(users.id, userIds.admin)).get()!;
  const ownerToken = new ApiTokenService(v.ctx.db).create(owner, { name: 'phone', scope: 'full' }, client).row;
  const invites = new InviteService(v.ctx.db);
  const revocable = invites.create(admin, { role: 'member', note: '', days: '7' }, client).invite;
  const open = invites.create(admin, { role: 'viewer', note: 'Grandpa', days: '7' }, client);
  const victimId = (await createUser(v.ctx.db, { username: 'victim', role: 'member', password: TEST_PASSWORD })).id;
  const jobId = v.ctx.background.queue.enqueue({ kind: 'session-cleanup' }).id;
  const targetDir = path.join(dir, 'target');
  await mkdir(targetDir);
  const target = await v.ctx.background.targets.add({ name: 'usb-disk', url: targetDir });
  const organise = await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: await makeJpeg(path.join(dir, 'organise.jpg'), { seed: 2 }), originalName: 'organise.jpg' });
  const organiseId = (organise as { assetId: number }).assetId;
  const ownerActor = { user: owner, via: { kind: 'session' as const, sessionId: ownerSession.id } };
  const organiseVersionId = new EditsService({ db: v.ctx.db }).rotate(ownerActor, organiseId, 'cw').versionId!;
  const trashed = await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: await makeJpeg(path.join(dir, 'trashed.jpg'), { seed: 3 }), originalName: 'trashed.jpg' });
  const trashedId = (trashed as { assetId: number }).assetId;
  new OrganiseService({ db: v.ctx.db }).trash(ownerActor, trashedId);
  fixture = { thumbId: row.t, ownerSessionId: ownerSession.id, ownerTokenId: ownerToken.id, inviteId: revocable.id, inviteToken: open.token, victimId, jobId, targetName: target.name, organiseId, organiseVersionId, trashedId };
  const taken = v.ctx.db.$client.prepare('SELECT taken_at AS t, tz_offset_minutes AS z FROM assets WHERE id = ?').get((photo as { assetId: number }).assetId) as { t: number; z: number | null };
  const video = await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: await makeVideo(path.join(dir, 'clip.mp4'), { seconds: 1 }), originalName: 'clip.mp4' });
  downloads = {
    photoId: (photo as { assetId: number }).assetId,
    photoDay: new Date(taken.t + (taken.z ?? 0) * 60_000).toISOString().slice(0, 10),
    videoId: (video as { assetId: number }).assetId,
    motionId: (await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: (await makeMotionPhoto(path.join(dir, 'motion.jpg'), { style: 'microvideo', seed: 4 })).file, originalName: 'motion.jpg' })).assetId,
  };
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
