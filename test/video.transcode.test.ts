import { createHash } from 'node:crypto';
import { copyFile, open, readFile, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { UserError } from '../server/errors.js';
import { integrityProblems } from '../server/integrity/integrity.table.js';
import { findJob, updateJob } from '../server/jobs/jobs.repo.js';
import { jobs, type Job } from '../server/jobs/jobs.table.js';
import { assets, type Asset } from '../server/library/assets.table.js';
import { findVideo } from '../server/library/transcode.repo.js';
import { TrashService } from '../server/library/trash.service.js';
import { closeMedia } from '../server/media/previews.js';
import { transcodeVideo, type TranscodeProgress } from '../server/media/transcode.js';
import { isBrowserPlayable, probeVideo, type VideoProbe } from '../server/media/video-probe.js';
import { runTool } from '../server/media/run-tool.js';
import { replicationDeletes } from '../server/replication/replication.table.js';
import { createUser } from '../server/users/users.service.js';
import { closeBlobUrls, serveBlob } from '../server/vault/blob-url.js';
import { findBlob } from '../server/vault/blobs.repo.js';
import { HEADER_SIZE } from '../server/vault/format.js';
import { makeAudioOnly, makeFixtureDir, makeVideo, removeFixtureDir, type VideoOptions } from './fixtures/index.js';
import { openTestVault, TEST_PASSWORD, type TestVault } from './helpers/context.js';
import { expectWebCopyOffsite } from './helpers/offsite.js';
import { listen } from './helpers/server.js';
import { WebClient } from './helpers/web-client.js';

const TARGET_HEIGHT = 160;
// Long enough that a busy machine starting ffmpeg (HDR filters, x265 decoding) is not taken for a hang.
const STALL_SECONDS = 10;
/** 5.4 s: the fixtures are 1–4 s long, the "very long" video 8 s. */
const MAX_HOURS = 0.0015;

let v: TestVault;
let dir: string;

beforeAll(async () => {
  v = await openTestVault({
    HEIRLOOM_TRANSCODE_HEIGHT: String(TARGET_HEIGHT),
    HEIRLOOM_TRANSCODE_PRESET: 'ultrafast',
    HEIRLOOM_TRANSCODE_STALL_SECONDS: String(STALL_SECONDS),
    HEIRLOOM_TRANSCODE_MAX_HOURS: String(MAX_HOURS),
  });
  dir = await makeFixtureDir('heirloom-video-transcode-');
});

afterEach(() => {
  delete process.env.HEIRLOOM_FAULT;
});

afterAll(async () => {
  await closeBlobUrls();
  await closeMedia();
  await v?.cleanup();
  await removeFixtureDir(dir);
});

async function ingestVideo(name: string, opts: VideoOptions): Promise<{ asset: Asset; file: string }> {
  const file = await makeVideo(path.join(dir, name), { seconds: 1, ...opts });
  const outcome = await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: file, originalName: name });
  if (outcome.status !== 'imported') throw new Error(`${name} was not imported`);
  return { asset: assetOf(outcome.assetId), file };
}

const assetOf = (id: number) => v.ctx.db.select().from(assets).where(eq(assets.id, id)).get()!;

function jobOf(assetId: number): Job {
  return v.ctx.db.select().from(jobs).where(and(eq(jobs.kind, 'transcode'), eq(jobs.dedupeKey, `transcode:${assetId}`))).orderBy(jobs.id).all().at(-1)!;
}

/** What ffprobe sees in a stored blob, read the way ffmpeg reads it: through the decrypting loopback URL. */
async function probeBlob(blobId: string): Promise<VideoProbe & { transfer: string | undefined; rotationData: unknown }> {
  const lent = await serveBlob(await v.ctx.store.open(blobId, v.ctx.keyring));
  try {
    const probe = await probeVideo(lent.url);
    const raw = await runTool('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_entries', 'stream=color_transfer:stream_side_data=rotation', '-select_streams', 'v:0', lent.url], { timeoutMs: 30_000 });
    const stream = (JSON.parse(raw.stdout.toString()) as { streams: { color_transfer?: string; side_data_list?: unknown }[] }).streams[0]!;
    return { ...probe, transfer: stream.color_transfer, rotationData: stream.side_data_list };
  } finally {
    await lent.close();
  }
}

/** Top-level MP4 boxes in file order. */
async function topLevelBoxes(blobId: string): Promise<string[]> {
  const blob = await v.ctx.store.open(blobId, v.ctx.keyring);
  const bytes = await blob.readAll().finally(() => blob.close());
  const boxes: string[] = [];
  for (let at = 0; at + 8 <= bytes.length; ) {
    let size = bytes.readUInt32BE(at);
    if (size === 1) size = Number(bytes.readBigUInt64BE(at + 8));
    boxes.push(bytes.toString('latin1', at + 4, at + 8));
    if (size < 8) break;
    at += size;
  }
  return boxes;
}

async function expectOriginalByteExact(asset: Asset, file: string): Promise<void> {
  const blob = await v.ctx.store.open(asset.originalBlobId, v.ctx.keyring);
  const stored = await blob.readAll().finally(() => blob.close());
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  expect(sha(stored)).toBe(sha(await readFile(file)));
  expect(findBlob(v.ctx.db, asset.originalBlobId)?.kind).toBe('original');
}

describe('web copies', () => {
  it.each<[string, VideoOptions, { width: number; height: number; audio: string | null }]>([
    ['hevc-audio.mp4', { codec: 'hevc', audio: true }, { width: 214, height: 160, audio: 'aac' }],
    ['hevc-turned.mp4', { codec: 'hevc', rotate: 90, audio: true }, { width: 120, height: 160, audio: 'aac' }],
    ['vp9-silent.webm', { container: 'webm' }, { width: 214, height: 160, audio: null }],
    ['vp9-opus.webm', { container: 'webm', audio: true }, { width: 214, height: 160, audio: 'aac' }],
    ['hdr.mov', { container: 'mov', hdr: true }, { width: 214, height: 160, audio: null }],
    ['small.webm', { container: 'webm', width: 96, height: 72 }, { width: 96, height: 72, audio: null }],
  ])('%s becomes an upright, faststart H.264 MP4 a browser plays', async (name, opts, want) => {
    const { asset, file } = await ingestVideo(name, opts);
    await v.ctx.background.runner.drain();
    expect(jobOf(asset.id)).toMatchObject({ state: 'done' });
    const row = findVideo(v.ctx.db, asset.id)!;
    expect(row).toMatchObject({ transcodeState: 'done', transcodeSettings: `${TARGET_HEIGHT}p crf 23 ultrafast`, transcodeError: null });
    expect(findBlob(v.ctx.db, row.transcodeBlobId!)?.kind).toBe('transcode');
    const copy = await probeBlob(row.transcodeBlobId!);
    expect(copy).toMatchObject({ videoCodec: 'h264', pixelFormat: 'yuv420p', audioCodec: want.audio, width: want.width, height: want.height, rotation: 0, hdr: false });
    expect(copy.height).toBeLessThanOrEqual(TARGET_HEIGHT);
    expect(copy.transfer ?? 'bt709').not.toMatch(/smpte2084|arib-std-b67/);
    expect(copy.rotationData).toBeUndefined();
    expect(copy.durationS).toBeCloseTo(1, 0);
    expect(isBrowserPlayable(copy)).toBe(true);
    const boxes = await topLevelBoxes(row.transcodeBlobId!);
    expect(boxes.indexOf('moov')).toBeGreaterThan(-1);
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
    expect(assetOf(asset.id).flag).toBeNull();
    await expectOriginalByteExact(asset, file);
  });

  it('reports seconds done, fps and time left while ffmpeg works', async () => {
    const file = await makeVideo(path.join(dir, 'progress.webm'), { container: 'webm', seconds: 3 });
    const probe = await probeVideo(file);
    const seen: TranscodeProgress[] = [];
    await transcodeVideo(file, probe, path.join(dir, 'progress.mp4'), { height: 120, crf: 30, preset: 'ultrafast', stallMs: 10_000, onProgress: (p) => seen.push(p) });
    const last = seen.at(-1)!;
    expect(last.doneS).toBeCloseTo(3, 0);
    expect(last.totalS).toBeCloseTo(3, 0);
    expect(seen.some((p) => p.fps !== null && p.fps > 0)).toBe(true);
    expect(seen.some((p) => p.etaS !== null)).toBe(true);
  });
});

describe('when a web copy cannot be made', () => {
  it('skips a video longer than the limit, says why on the item, and the next job runs', async () => {
    const { asset: long, file } = await ingestVideo('long.webm', { container: 'webm', seconds: 8, width: 32, height: 32 });
    const { asset: next } = await ingestVideo('after-long.webm', { container: 'webm' });
    await v.ctx.background.runner.drain();
    expect(findVideo(v.ctx.db, long.id)).toMatchObject({ transcodeState: 'skipped', transcodeBlobId: null, transcodeError: 'it is 8 s long, over the 5 s limit for web copies (HEIRLOOM_TRANSCODE_MAX_HOURS); download the original to watch it' });
    expect(assetOf(long.id)).toMatchObject({ flag: 'unplayable', flagReason: expect.stringMatching(/^No copy that plays in the browser: it is/) });
    expect(jobOf(long.id).state).toBe('done');
    expect(findVideo(v.ctx.db, next.id)?.transcodeState).toBe('done');
    await expectOriginalByteExact(long, file);
  });

  it('stops an ffmpeg that hangs after the stall limit, records why, and the queue moves on', async () => {
    const { asset: hung, file } = await ingestVideo('hangs.mp4', { codec: 'hevc', seconds: 4, width: 640, height: 480, audio: true });
    process.env.HEIRLOOM_FAULT = 'loopback-stall';
    const started = Date.now();
    await v.ctx.background.runner.drain();
    expect(Date.now() - started).toBeGreaterThanOrEqual(STALL_SECONDS * 1000);
    delete process.env.HEIRLOOM_FAULT;
    const message = `ffmpeg made no progress for ${STALL_SECONDS} s and was stopped`;
    expect(jobOf(hung.id)).toMatchObject({ state: 'failed', lockPid: null, lastError: message });
    expect(findVideo(v.ctx.db, hung.id)).toMatchObject({ transcodeState: 'failed', transcodeBlobId: null, transcodeError: message });
    expect(assetOf(hung.id)).toMatchObject({ flag: 'unplayable', flagReason: `No copy that plays in the browser could be made: ${message}.` });
    await expectOriginalByteExact(hung, file);

    const { asset: next } = await ingestVideo('after-hang.webm', { container: 'webm' });
    await v.ctx.background.runner.drain();
    expect(findVideo(v.ctx.db, next.id)?.transcodeState).toBe('done');
  });

  it('records ffprobe’s reason for an MP4 cut before its index, or one with only sound, and the queue moves on', async () => {
    const whole = await makeVideo(path.join(dir, 'whole.mp4'), { seconds: 2, audio: true });
    const cut = path.join(dir, 'cut.mp4');
    await copyFile(whole, cut);
    await truncate(cut, Math.floor((await stat(whole)).size * 0.6));
    const sound = await makeAudioOnly(path.join(dir, 'sound.mp4'));
    const broken: [Asset, string][] = [];
    for (const file of [cut, sound]) {
      const outcome = await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: file, originalName: path.basename(file) });
      broken.push([assetOf(outcome.assetId), file]);
    }
    // Ingest found nothing to transcode from; a job asked for anyway (an admin, a later retry) fails cleanly.
    for (const [asset] of broken) v.ctx.background.transcodes.queue(asset.id);
    const { asset: next } = await ingestVideo('after-broken.webm', { container: 'webm' });
    await v.ctx.background.runner.drain();
    const [cutAsset, soundAsset] = broken.map(([a]) => a);
    expect(findVideo(v.ctx.db, cutAsset!.id)).toMatchObject({ transcodeState: 'failed', transcodeError: expect.stringMatching(/^not a readable video: .*moov atom not found/) });
    expect(findVideo(v.ctx.db, soundAsset!.id)).toMatchObject({ transcodeState: 'failed', transcodeError: 'video has no video stream' });
    for (const [asset, file] of broken) {
      expect(jobOf(asset.id)).toMatchObject({ state: 'failed', lockPid: null });
      // The flag ingest gave (it could not read the video at all) says more than "no web copy", so it stays.
      expect(assetOf(asset.id).flag).toBe('undecodable');
      await expectOriginalByteExact(asset, file);
    }
    expect(findVideo(v.ctx.db, next.id)?.transcodeState).toBe('done');
  });

  it('gives ffmpeg’s own last error line, without its prefixes, when ffmpeg fails', async () => {
    const file = await makeVideo(path.join(dir, 'preset.webm'), { container: 'webm' });
    const err = await transcodeVideo(file, await probeVideo(file), path.join(dir, 'preset.mp4'), { height: 120, crf: 30, preset: 'no-such-preset', stallMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/Error setting preset\/tune no-such-preset/);
    expect((err as Error).message).not.toMatch(/@ 0x|pipe:|http:/);
  });

  it('cancelling kills ffmpeg and leaves the video waiting for a new job', async () => {
    const { asset } = await ingestVideo('cancelled.mp4', { codec: 'hevc', seconds: 4, width: 640, height: 480 });
    process.env.HEIRLOOM_FAULT = 'loopback-stall';
    const draining = v.ctx.background.runner.drain();
    await vi.waitFor(() => expect(jobOf(asset.id).state).toBe('running'), { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 500));
    v.ctx.background.queue.cancel(jobOf(asset.id).id);
    const started = Date.now();
    await draining;
    expect(Date.now() - started).toBeLessThan(STALL_SECONDS * 1000);
    expect(jobOf(asset.id).state).toBe('cancelled');
    expect(findVideo(v.ctx.db, asset.id)).toMatchObject({ transcodeState: 'pending', transcodeError: null });
    expect(assetOf(asset.id).flag).toBeNull();
    delete process.env.HEIRLOOM_FAULT;
    v.ctx.background.transcodes.queue(asset.id);
    await v.ctx.background.runner.drain();
    expect(findVideo(v.ctx.db, asset.id)?.transcodeState).toBe('done');
  });
});

describe('the web copy in the vault', () => {
  it('is dropped by the scrub when damaged, and made again', async () => {
    const { asset } = await ingestVideo('scrubbed.webm', { container: 'webm' });
    await v.ctx.background.runner.drain();
    const damaged = findVideo(v.ctx.db, asset.id)!.transcodeBlobId!;
    const handle = await open(v.ctx.store.pathFor(damaged), 'r+');
    await handle.write(Buffer.from([0xff]), 0, 1, HEADER_SIZE + 100);
    await handle.close();
    await v.ctx.background.scrub.run({ level: 'full', scope: 'all', trigger: 'admin' });
    const problem = v.ctx.db.select().from(integrityProblems).where(eq(integrityProblems.blobId, damaged)).get()!;
    expect(problem).toMatchObject({ blobKind: 'transcode', state: 'regenerated', detail: expect.stringMatching(/the web copy was dropped and a new one queued$/) });
    expect(findBlob(v.ctx.db, damaged)).toBeUndefined();
    expect(findVideo(v.ctx.db, asset.id)).toMatchObject({ transcodeState: 'pending', transcodeBlobId: null });
    expect(v.ctx.db.select().from(replicationDeletes).where(eq(replicationDeletes.blobId, damaged)).get()).toBeTruthy();
    expect(jobOf(asset.id).state).toBe('queued');
    await v.ctx.background.runner.drain();
    const remade = findVideo(v.ctx.db, asset.id)!;
    expect(remade.transcodeState).toBe('done');
    expect(remade.transcodeBlobId).not.toBe(damaged);
    expect((await probeBlob(remade.transcodeBlobId!)).videoCodec).toBe('h264');
  });

  it('is deleted with its item when the trash is purged', async () => {
    const { asset } = await ingestVideo('trashed.webm', { container: 'webm' });
    await v.ctx.background.runner.drain();
    const copy = findVideo(v.ctx.db, asset.id)!.transcodeBlobId!;
    v.ctx.db.$client.prepare('UPDATE assets SET trashed_at = ? WHERE id = ?').run(Date.now() - 40 * 86_400_000, asset.id);
    await new TrashService({ db: v.ctx.db, store: v.ctx.store, log: v.ctx.log }).purgeExpired();
    expect(findBlob(v.ctx.db, copy)).toBeUndefined();
    expect(await v.ctx.store.exists(copy)).toBe(false);
    expect(findVideo(v.ctx.db, asset.id)).toBeUndefined();
    expect(v.ctx.db.select().from(replicationDeletes).where(eq(replicationDeletes.blobId, copy)).get()).toBeTruthy();
  });

  it('reports its progress in seconds of video, which the admin job list shows as video time', async () => {
    const { asset } = await ingestVideo('listed.webm', { container: 'webm' });
    await v.ctx.background.runner.drain();
    const job = findJob(v.ctx.db, jobOf(asset.id).id)!;
    expect(JSON.parse(job.progress ?? '{}')).toMatchObject({ unit: 'seconds', total: 1 });

    await createUser(v.ctx.db, { username: 'olga', role: 'admin', password: TEST_PASSWORD });
    const server = await listen(v.ctx);
    try {
      const admin = new WebClient(server.url);
      await admin.signIn('olga', TEST_PASSWORD);
      const running = v.ctx.background.queue.enqueue({ kind: 'transcode', payload: { assetId: asset.id }, dedupeKey: 'listed' });
      updateJob(v.ctx.db, running.id, { state: 'running', lockPid: process.pid, startedAt: new Date(), progress: JSON.stringify({ done: 42, total: 100, unit: 'seconds', note: '42 fps · ETA 1:10' }) });
      const page = (await (await admin.get('/admin/jobs')).text()).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
      expect(page).toContain(`Web copy of a video item ${asset.id}`);
      expect(page).toContain('42% · 0:42 of 1:40');
      expect(page).toContain('42 fps · ETA 1:10');
      updateJob(v.ctx.db, running.id, { state: 'cancelled', lockPid: null });
    } finally {
      await server.close();
    }
  });
});

describe('off-site copies', () => {
  it('carry web copies with the previews, and a restore without them queues them again', async () => {
    const { asset } = await ingestVideo('offsite.webm', { container: 'webm' });
    await v.ctx.background.runner.drain();
    const copy = findVideo(v.ctx.db, asset.id)!.transcodeBlobId!;
    await expectWebCopyOffsite(v, dir, copy, asset.originalBlobId, (db) => {
      expect(findVideo(db, asset.id)).toMatchObject({ transcodeState: 'pending', transcodeBlobId: null });
    });
  });
});
