import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultSchedules } from '../server/jobs/background.js';
import { TrashService, daysLeft } from '../server/library/trash.service.js';
import { closeMedia } from '../server/media/previews.js';
import { createUser } from '../server/users/users.service.js';
import { makeFixtureDir, makeJpeg, removeFixtureDir } from './fixtures/index.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

/** Deleting for good: the 30-day purge, "delete now" and "empty trash": rows, blob files and rows, tombstones. */

const DAY = 86_400_000;
const NOW = new Date('2024-06-15T12:00:00Z');

let v: TestVault;
let dir: string;
let server: Awaited<ReturnType<typeof listen>>;
let anna: WebClient;
let bob: WebClient;
let bobId: number;
let seed = 0;

interface Blobs {
  original_blob_id: string;
  thumb_blob_id: string;
  preview_blob_id: string;
}
const blobsOf = (id: number) => v.ctx.db.$client.prepare('SELECT original_blob_id, thumb_blob_id, preview_blob_id FROM assets WHERE id = ?').get(id) as Blobs;
const exists = (table: string, column: string, value: unknown) => v.ctx.db.$client.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${column} = ?`).get(value) as { n: number };
const tombstone = (blobId: string) => v.ctx.db.$client.prepare('SELECT deleted_at FROM replication_deletes WHERE blob_id = ?').get(blobId) as { deleted_at: number } | undefined;

async function photo(ownerId = v.ownerId): Promise<{ id: number; blobs: string[] }> {
  seed++;
  const file = await makeJpeg(path.join(dir, `p${seed}.jpg`), { seed, width: 320, height: 240 });
  const id = ((await v.ctx.ingest.ingestFile({ ownerId, path: file, originalName: `p${seed}.jpg` })) as { assetId: number }).assetId;
  // An edit, so its version rows must go too.
  v.ctx.db.$client.prepare("INSERT INTO asset_versions (asset_id, edited_by, previous, next) VALUES (?, ?, '{}', '{}')").run(id, ownerId);
  const b = blobsOf(id);
  return { id, blobs: [b.original_blob_id, b.thumb_blob_id, b.preview_blob_id] };
}

const trashAt = (id: number, at: Date) => v.ctx.db.$client.prepare('UPDATE assets SET trashed_at = ? WHERE id = ?').run(at.getTime(), id);

async function expectGone(p: { id: number; blobs: string[] }, deletedAt: number) {
  expect(exists('assets', 'id', p.id).n).toBe(0);
  expect(exists('asset_metadata', 'asset_id', p.id).n).toBe(0);
  expect(exists('asset_versions', 'asset_id', p.id).n).toBe(0);
  expect(exists('asset_search', 'rowid', p.id).n).toBe(0);
  for (const blobId of p.blobs) {
    expect(exists('blobs', 'id', blobId).n).toBe(0);
    expect(await v.ctx.store.exists(blobId)).toBe(false);
    expect(tombstone(blobId)).toEqual({ deleted_at: deletedAt });
  }
}

async function expectKept(p: { id: number; blobs: string[] }) {
  expect(exists('assets', 'id', p.id).n).toBe(1);
  expect(exists('asset_search', 'rowid', p.id).n).toBe(1);
  for (const blobId of p.blobs) {
    expect(exists('blobs', 'id', blobId).n).toBe(1);
    expect(await v.ctx.store.exists(blobId)).toBe(true);
    expect(tombstone(blobId)).toBeUndefined();
  }
}

beforeAll(async () => {
  v = await openTestVault();
  bobId = (await createUser(v.ctx.db, { username: 'bob', role: 'member', password: TEST_PASSWORD })).id;
  dir = await makeFixtureDir('heirloom-trash-');
  server = await listen(v.ctx);
  anna = new WebClient(server.url);
  await anna.signIn('anna', TEST_PASSWORD);
  bob = new WebClient(server.url);
  await bob.signIn('bob', TEST_PASSWORD);
});

beforeEach(() => {
  v.ctx.db.$client.prepare('UPDATE assets SET trashed_at = NULL').run();
});

afterAll(async () => {
  await server?.close();
  await closeMedia();
  await v?.cleanup();
  await removeFixtureDir(dir);
});

describe('the 30-day purge', () => {
  it('deletes items trashed more than 30 days ago, with their blob files and rows, and leaves tombstones', async () => {
    const old = await photo();
    const oldOfBob = await photo(bobId);
    const recent = await photo();
    const live = await photo();
    trashAt(old.id, new Date(NOW.getTime() - 31 * DAY));
    trashAt(oldOfBob.id, new Date(NOW.getTime() - 30 * DAY - 1));
    trashAt(recent.id, new Date(NOW.getTime() - 29 * DAY));
    const trash = new TrashService({ db: v.ctx.db, store: v.ctx.store, log: v.ctx.log });
    const result = await trash.purgeExpired(NOW);
    expect(result).toEqual({ items: 2, blobs: 6 });
    await expectGone(old, NOW.getTime());
    await expectGone(oldOfBob, NOW.getTime());
    await expectKept(recent);
    await expectKept(live);
    // Nothing left to do a second time.
    expect(await trash.purgeExpired(NOW)).toEqual({ items: 0, blobs: 0 });
  });

  it('counts the days left from when an item was trashed', () => {
    expect(daysLeft(NOW, NOW)).toBe(30);
    expect(daysLeft(new Date(NOW.getTime() - 29.5 * DAY), NOW)).toBe(1);
    expect(daysLeft(new Date(NOW.getTime() - 31 * DAY), NOW)).toBe(0);
  });

  it('runs as the daily trash-purge job', async () => {
    expect(defaultSchedules.find((s) => s.name === 'trash-purge')).toMatchObject({ defaultCron: '40 3 * * *', job: { kind: 'trash-purge' } });
    const old = await photo();
    trashAt(old.id, new Date(Date.now() - 40 * DAY));
    const job = v.ctx.background.queue.enqueue({ kind: 'trash-purge' });
    await v.ctx.background.runner.drain();
    const done = v.ctx.db.$client.prepare('SELECT state, progress FROM jobs WHERE id = ?').get(job.id) as { state: string; progress: string };
    expect(done.state).toBe('done');
    expect(exists('assets', 'id', old.id).n).toBe(0);
    for (const blobId of old.blobs) expect(await v.ctx.store.exists(blobId)).toBe(false);
  });
});

describe('delete now and empty trash', () => {
  it('deletes one trashed item at once, only with its confirmation', async () => {
    const p = await photo();
    await anna.post(`/items/${p.id}/trash`);
    const page = await (await anna.get(`/trash?confirm=${p.id}`)).text();
    expect(page).toContain('for good?');
    expect(page).toContain(`action="/trash/${p.id}/delete-now"`);
    expect((await anna.post(`/trash/${p.id}/delete-now`, {})).status).toBe(422);
    await expectKept(p);
    expect((await bob.post(`/trash/${p.id}/delete-now`, { confirm: 'delete' })).status).toBe(404);
    await expectKept(p);
    const before = Date.now();
    const res = await anna.post(`/trash/${p.id}/delete-now`, { confirm: 'delete' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/trash?deleted=1');
    expect(await (await anna.get('/trash?deleted=1')).text()).toContain('1 item was deleted for good.');
    expect(exists('assets', 'id', p.id).n).toBe(0);
    for (const blobId of p.blobs) {
      expect(await v.ctx.store.exists(blobId)).toBe(false);
      expect(tombstone(blobId)!.deleted_at).toBeGreaterThanOrEqual(before);
    }
    // A second device still showing it: the item is gone.
    expect((await anna.post(`/trash/${p.id}/delete-now`, { confirm: 'delete' })).status).toBe(404);
  });

  it('will not delete an item that is not in the trash (restored on another device meanwhile)', async () => {
    const p = await photo();
    const res = await anna.post(`/trash/${p.id}/delete-now`, { confirm: 'delete' });
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('not in the trash');
    await expectKept(p);
  });

  it("empties the actor's own trash once confirmed, leaving other people's", async () => {
    const a = await photo();
    const b = await photo();
    const ofBob = await photo(bobId);
    for (const p of [a, b]) await anna.post(`/items/${p.id}/trash`);
    await bob.post(`/items/${ofBob.id}/trash`);
    const unconfirmed = await anna.post('/trash/empty', {});
    expect(unconfirmed.status).toBe(422);
    expect(await unconfirmed.text()).toContain('Tick the box');
    const res = await anna.post('/trash/empty', { confirm: 'empty' });
    expect(res.headers.get('location')).toBe('/trash?deleted=2');
    expect(exists('assets', 'id', a.id).n + exists('assets', 'id', b.id).n).toBe(0);
    await expectKept(ofBob);
    expect(await (await bob.get('/trash')).text()).toContain(`value="${ofBob.id}"`);
  });
});
