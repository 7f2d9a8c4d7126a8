import { createHash } from 'node:crypto';
import { open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { integrityProblems } from '../server/integrity/integrity.table.js';
import { jobs, type Job } from '../server/jobs/jobs.table.js';
import { assets } from '../server/library/assets.table.js';
import { findMotion } from '../server/library/motion.repo.js';
import { findVideo, videoWorkWaiting } from '../server/library/transcode.repo.js';
import { TrashService } from '../server/library/trash.service.js';
import { closeExiftool } from '../server/media/exiftool.js';
import { closeMedia } from '../server/media/previews.js';
import { probeVideo } from '../server/media/video-probe.js';
import { replicationDeletes } from '../server/replication/replication.table.js';
import { closeBlobUrls } from '../server/vault/blob-url.js';
import { findBlob } from '../server/vault/blobs.repo.js';
import { HEADER_SIZE } from '../server/vault/format.js';
import { makeFixtureDir, makeLivePhoto, makeMotionPhoto, makeVideo, removeFixtureDir } from './fixtures/index.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { expectWebCopyOffsite } from './helpers/offsite.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

const TARGET_HEIGHT = 160;
// Long enough that a busy machine starting ffmpeg is not taken for a hang.
const STALL_SECONDS = 10;

let v: TestVault;
let dir: string;
let server: Awaited<ReturnType<typeof listen>>;
let web: WebClient;

beforeAll(async () => {
  v = await openTestVault({
    HEIRLOOM_TRANSCODE_HEIGHT: String(TARGET_HEIGHT),
    HEIRLOOM_TRANSCODE_PRESET: 'ultrafast',
    HEIRLOOM_TRANSCODE_STALL_SECONDS: String(STALL_SECONDS),
  });
  dir = await makeFixtureDir('heirloom-motion-transcode-');
  server = await listen(v.ctx);
  web = new WebClient(server.url);
  await web.signIn('anna', TEST_PASSWORD);
});

afterEach(() => {
  delete process.env.HEIRLOOM_FAULT;
});

afterAll(async () => {
  await server?.close();
  await closeBlobUrls();
  await closeMedia();
  await closeExiftool();
  await v?.cleanup();
  await removeFixtureDir(dir);
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function ingest(file: string): Promise<number> {
  const outcome = await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: file, originalName: path.basename(file) });
  if (outcome.status !== 'imported') throw new Error(`${file} was not imported`);
  return outcome.assetId;
}

const motionOf = (id: number) => findMotion(v.ctx.db, id)!;
const assetOf = (id: number) => v.ctx.db.select().from(assets).where(eq(assets.id, id)).get();

function jobOf(dedupeKey: string): Job | undefined {
  return v.ctx.db.select().from(jobs).where(and(eq(jobs.kind, 'transcode'), eq(jobs.dedupeKey, dedupeKey))).orderBy(jobs.id).all().at(-1);
}

async function get(url: string, headers?: Record<string, string>): Promise<{ res: Response; bytes: Buffer }> {
  const res = await web.get(url, headers);
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** What ffprobe makes of the bytes the browser is sent. */
async function probeBytes(bytes: Buffer, name: string) {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return probeVideo(file);
}

/** The motion the viewer plays is the H.264 web copy (sent under its own ETag); the download is the part as taken. */
async function expectWebCopyPlayed(id: number, taken: Buffer): Promise<string> {
  const motion = motionOf(id);
  expect(motion).toMatchObject({ playable: false, transcodeState: 'done', transcodeError: null });
  const copy = motion.transcodeBlobId!;
  expect(findBlob(v.ctx.db, copy)?.kind).toBe('transcode');
  const played = await get(`/items/${id}/motion`);
  expect(played.res.status).toBe(200);
  expect(played.res.headers.get('etag')).toBe(`"${copy}"`);
  expect(played.res.headers.get('content-type')).toBe('video/mp4');
  const probe = await probeBytes(played.bytes, `played-${id}.mp4`);
  expect(probe).toMatchObject({ videoCodec: 'h264', pixelFormat: 'yuv420p', height: TARGET_HEIGHT });
  const part = await get(`/items/${id}/motion`, { range: 'bytes=0-99' });
  expect(part.res.status).toBe(206);
  expect(part.bytes.equals(played.bytes.subarray(0, 100))).toBe(true);
  const download = await get(`/items/${id}/motion?download=1`);
  expect(download.res.status).toBe(200);
  expect(download.res.headers.get('content-disposition')).toMatch(/^attachment/);
  expect(sha256(download.bytes)).toBe(sha256(taken));
  expect((await probeBytes(download.bytes, `taken-${id}.mov`)).videoCodec).toBe('hevc');
  return copy;
}

describe('motion a browser cannot play', () => {
  it('an HEVC Live Photo paired by ContentIdentifier plays through an H.264 web copy', async () => {
    const live = await makeLivePhoto(dir, 'IMG_1001', { seed: 1001, codec: 'hevc', contentId: '0F1E2D3C-1001-4000-8000-000000001001' });
    const id = await ingest(live.still);
    expect(await ingest(live.mov)).toBe(id);
    expect(motionOf(id)).toMatchObject({ playable: null, transcodeState: 'pending' });
    expect(jobOf(`transcode:${id}:motion`)?.state).toBe('queued');
    // Until the copy is made, the MOV itself is sent.
    const before = await get(`/items/${id}/motion`);
    expect(before.res.headers.get('etag')).toBe(`"${motionOf(id).blobId}"`);

    await v.ctx.background.runner.drain();
    expect(jobOf(`transcode:${id}:motion`)).toMatchObject({ state: 'done', lastError: null });
    await expectWebCopyPlayed(id, await readFile(live.mov));
    expect(assetOf(id)?.flag).toBeNull();
  });

  it('an embedded HEVC motion photo is copied from its bytes inside the photo', async () => {
    const made = await makeMotionPhoto(path.join(dir, 'PXL_1002.MP.jpg'), { style: 'container', seed: 1002, codec: 'hevc' });
    const id = await ingest(made.file);
    expect(motionOf(id)).toMatchObject({ source: 'embedded', transcodeState: 'pending' });
    await v.ctx.background.runner.drain();
    await expectWebCopyPlayed(id, made.video);
    const original = await get(`/items/${id}/original`);
    expect(sha256(original.bytes)).toBe(sha256(await readFile(made.file)));
  });

  it('an H.264 Live Photo needs no copy: probed playable, its MOV sent as it is', async () => {
    const live = await makeLivePhoto(dir, 'IMG_1003', { seed: 1003, contentId: '0F1E2D3C-1003-4000-8000-000000001003' });
    const id = await ingest(live.still);
    await ingest(live.mov);
    await v.ctx.background.runner.drain();
    const motion = motionOf(id);
    expect(motion).toMatchObject({ playable: true, transcodeState: null, transcodeBlobId: null });
    const played = await get(`/items/${id}/motion`);
    expect(played.res.headers.get('etag')).toBe(`"${motion.blobId}"`);
    expect(sha256(played.bytes)).toBe(sha256(await readFile(live.mov)));
  });
});

describe('a MOV stored before its still', () => {
  it('paired by base name with its web copy still queued: the folded video’s job ends quietly, the motion gets its own copy', async () => {
    const live = await makeLivePhoto(dir, 'IMG_1004', { seed: 1004, codec: 'hevc' });
    const videoId = await ingest(live.mov);
    expect(findVideo(v.ctx.db, videoId)?.transcodeState).toBe('pending');
    expect(jobOf(`transcode:${videoId}`)?.state).toBe('queued');
    const id = await ingest(live.still);
    expect(assetOf(videoId)).toBeUndefined();

    await v.ctx.background.runner.drain();
    expect(jobOf(`transcode:${videoId}`)).toMatchObject({ state: 'done', lastError: null });
    await expectWebCopyPlayed(id, await readFile(live.mov));
    expect(assetOf(id)?.flag).toBeNull();
    expect(orphanedWebCopies()).toEqual([]);
  });

  it('folded while its web copy is being made: the job ends quietly and keeps nothing', async () => {
    const taken = { local: '2021:09:01 12:00:00', offset: '+02:00', utc: '2021-09-01T09:59:59Z' };
    const live = await makeLivePhoto(dir, 'IMG_1005', { seed: 1005, codec: 'hevc', taken });
    // Big enough that ffprobe reads its index without passing the middle, where the stall begins.
    await makeVideo(live.mov, { container: 'mov', codec: 'hevc', seconds: 4, width: 640, height: 480, creationTime: taken.utc });
    const videoId = await ingest(live.mov);
    // ffmpeg hangs halfway through the MOV until the stall limit stops it, with the video gone by then.
    process.env.HEIRLOOM_FAULT = 'loopback-stall';
    const draining = v.ctx.background.runner.drain();
    await vi.waitFor(() => expect(jobOf(`transcode:${videoId}`)?.state).toBe('running'), { timeout: 10_000 });
    const id = await ingest(live.still);
    expect(assetOf(videoId)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 1000));
    delete process.env.HEIRLOOM_FAULT;
    await draining;
    // Once, not failed and retried.
    expect(jobOf(`transcode:${videoId}`)).toMatchObject({ state: 'done', attempts: 1, lastError: null });
    expect(assetOf(id)?.flag).toBeNull();
    await expectWebCopyPlayed(id, await readFile(live.mov));
    expect(orphanedWebCopies()).toEqual([]);
  });
});

/** Web copies no video or motion part refers to. */
function orphanedWebCopies(): string[] {
  return (
    v.ctx.db.$client
      .prepare(
        "SELECT id FROM blobs WHERE kind = 'transcode' AND id NOT IN (SELECT transcode_blob_id FROM asset_video WHERE transcode_blob_id IS NOT NULL UNION SELECT transcode_blob_id FROM asset_motion WHERE transcode_blob_id IS NOT NULL)",
      )
      .all() as { id: string }[]
  ).map((r) => r.id);
}

describe('the motion web copy in the vault', () => {
  async function hevcLivePhoto(name: string, seed: number): Promise<number> {
    const live = await makeLivePhoto(dir, name, { seed, codec: 'hevc', contentId: `0F1E2D3C-${seed}-4000-8000-00000000${seed}` });
    const id = await ingest(live.still);
    await ingest(live.mov);
    await v.ctx.background.runner.drain();
    expect(motionOf(id).transcodeState).toBe('done');
    return id;
  }

  it('is dropped by the scrub when damaged, and made again', async () => {
    const id = await hevcLivePhoto('IMG_1006', 1006);
    const damaged = motionOf(id).transcodeBlobId!;
    const handle = await open(v.ctx.store.pathFor(damaged), 'r+');
    await handle.write(Buffer.from([0xff]), 0, 1, HEADER_SIZE + 100);
    await handle.close();
    await v.ctx.background.scrub.run({ level: 'full', scope: 'all', trigger: 'admin' });
    const problem = v.ctx.db.select().from(integrityProblems).where(eq(integrityProblems.blobId, damaged)).get()!;
    expect(problem).toMatchObject({ blobKind: 'transcode', state: 'regenerated' });
    expect(findBlob(v.ctx.db, damaged)).toBeUndefined();
    expect(motionOf(id)).toMatchObject({ transcodeState: 'pending', transcodeBlobId: null });
    expect(v.ctx.db.select().from(replicationDeletes).where(eq(replicationDeletes.blobId, damaged)).get()).toBeTruthy();
    expect(jobOf(`transcode:${id}:motion`)?.state).toBe('queued');
    await v.ctx.background.runner.drain();
    expect(motionOf(id).transcodeBlobId).not.toBe(damaged);
    expect((await probeBytes((await get(`/items/${id}/motion`)).bytes, 'remade.mp4')).videoCodec).toBe('h264');
  });

  it('is deleted with its item when the trash is purged', async () => {
    const id = await hevcLivePhoto('IMG_1007', 1007);
    const copy = motionOf(id).transcodeBlobId!;
    v.ctx.db.$client.prepare('UPDATE assets SET trashed_at = ? WHERE id = ?').run(Date.now() - 40 * 86_400_000, id);
    await new TrashService({ db: v.ctx.db, store: v.ctx.store, log: v.ctx.log }).purgeExpired();
    expect(findBlob(v.ctx.db, copy)).toBeUndefined();
    expect(await v.ctx.store.exists(copy)).toBe(false);
    expect(v.ctx.db.select().from(replicationDeletes).where(eq(replicationDeletes.blobId, copy)).get()).toBeTruthy();
  });

  it('motion stored before web copies existed is picked up by the backfill', async () => {
    const live = await makeLivePhoto(dir, 'IMG_1008', { seed: 1008, codec: 'hevc', contentId: '0F1E2D3C-1008-4000-8000-000000001008' });
    const id = await ingest(live.still);
    await ingest(live.mov);
    // As the migration leaves an older Live Photo: waiting for a first look, with no job queued for it.
    v.ctx.background.queue.cancel(jobOf(`transcode:${id}:motion`)!.id);
    expect(motionOf(id)).toMatchObject({ playable: null, transcodeState: 'pending' });
    expect(videoWorkWaiting(v.ctx.db)).toBe(true);
    const result = await v.ctx.background.transcodes.backfill({ signal: new AbortController().signal, progress: () => undefined });
    expect(result.queued).toBeGreaterThanOrEqual(1);
    await v.ctx.background.runner.drain();
    await expectWebCopyPlayed(id, await readFile(live.mov));
  });

  it('goes off-site with the previews, and a restore without it queues it again', async () => {
    const id = await hevcLivePhoto('IMG_1009', 1009);
    const copy = motionOf(id).transcodeBlobId!;
    const still = v.ctx.db.select({ blobId: assets.originalBlobId }).from(assets).where(eq(assets.id, id)).get()!;
    await expectWebCopyOffsite(v, dir, copy, still.blobId, (db) => {
      expect(findMotion(db, id)).toMatchObject({ transcodeState: 'pending', transcodeBlobId: null });
    });
  });
});
