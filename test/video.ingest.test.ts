import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../server/config.js';
import { jobs } from '../server/jobs/jobs.table.js';
import { assetMetadata, assets } from '../server/library/assets.table.js';
import { findVideo } from '../server/library/transcode.repo.js';
import { assetVideo } from '../server/library/video.table.js';
import { closeMedia } from '../server/media/previews.js';
import { isBrowserPlayable, probeVideo } from '../server/media/video-probe.js';
import { closeBlobUrls } from '../server/vault/blob-url.js';
import { makeAudioOnly, makeFixtureDir, makeVideo, removeFixtureDir, type VideoOptions } from './fixtures/index.js';
import { openTestVault, type TestVault } from './helpers/context.js';

let v: TestVault;
let dir: string;

beforeAll(async () => {
  v = await openTestVault();
  dir = await makeFixtureDir('heirloom-video-ingest-');
});

afterAll(async () => {
  await closeBlobUrls();
  await closeMedia();
  await v?.cleanup();
  await removeFixtureDir(dir);
});

async function ingest(file: string) {
  const outcome = await v.ctx.ingest.ingestFile({ ownerId: v.ownerId, path: file, originalName: path.basename(file) });
  if (outcome.status !== 'imported') throw new Error(`${file} was not imported`);
  const asset = v.ctx.db.select().from(assets).where(eq(assets.id, outcome.assetId)).get()!;
  return { outcome, asset, video: findVideo(v.ctx.db, asset.id) };
}

function transcodeJobsFor(assetId: number) {
  return v.ctx.db
    .select()
    .from(jobs)
    .where(and(eq(jobs.kind, 'transcode'), eq(jobs.dedupeKey, `transcode:${assetId}`)))
    .all();
}

async function originalIsByteExact(asset: { originalBlobId: string }, file: string): Promise<void> {
  const blob = await v.ctx.store.open(asset.originalBlobId, v.ctx.keyring);
  const stored = await blob.readAll().finally(() => blob.close());
  expect(createHash('sha256').update(stored).digest('hex')).toBe(createHash('sha256').update(await readFile(file)).digest('hex'));
}

describe('probing at ingest', () => {
  it('records an H.264/AAC MP4 as playable, with capture time, place, length and size, and queues nothing', async () => {
    const file = await makeVideo(path.join(dir, 'beach.mp4'), { seconds: 2, audio: true, creationTime: '2020-05-01T12:00:00Z', gps: { lat: 48.8584, lon: 2.2945 } });
    const { asset, video } = await ingest(file);
    expect(video).toMatchObject({
      videoCodec: 'h264',
      audioCodec: 'aac',
      pixelFormat: 'yuv420p',
      bitDepth: 8,
      fps: 25,
      rotation: 0,
      hdr: false,
      playable: true,
      transcodeState: null,
      transcodeBlobId: null,
    });
    expect(video!.container).toMatch(/mp4/);
    expect(video!.bitRate).toBeGreaterThan(0);
    expect(asset).toMatchObject({ kind: 'video', width: 320, height: 240, durationMs: 2000, takenAtSource: 'quicktime:CreateDate', tzOffsetMinutes: 0, flag: null });
    expect(asset.takenAt.toISOString()).toBe('2020-05-01T12:00:00.000Z');
    expect(asset.thumbBlobId).toBeTruthy();
    expect(asset.previewBlobId).toBeTruthy();
    const meta = v.ctx.db.select().from(assetMetadata).where(eq(assetMetadata.assetId, asset.id)).get()!;
    expect(meta.latitude).toBeCloseTo(48.8584, 3);
    expect(meta.longitude).toBeCloseTo(2.2945, 3);
    expect(transcodeJobsFor(asset.id)).toEqual([]);
  });

  it('keeps a phone’s local capture time and zone, and the size as displayed for a video turned 90°', async () => {
    const file = await makeVideo(path.join(dir, 'IMG_0001.MOV'), {
      container: 'mov',
      rotate: 90,
      audio: true,
      creationTime: '2021-07-04T18:30:00Z',
      appleCreationDate: '2021-07-04T20:30:00+0200',
    });
    const { asset, video } = await ingest(file);
    expect(video).toMatchObject({ videoCodec: 'h264', rotation: 90, playable: true, transcodeState: null });
    expect(asset).toMatchObject({ width: 240, height: 320, tzOffsetMinutes: 120, takenAtSource: 'quicktime:CreationDate' });
    expect(asset.takenAt.toISOString()).toBe('2021-07-04T18:30:00.000Z');
  });

  it.each<[string, VideoOptions, Record<string, unknown>]>([
    ['hevc.mp4', { codec: 'hevc', audio: true }, { videoCodec: 'hevc', audioCodec: 'aac', bitDepth: 8, hdr: false }],
    ['silent-hevc.mp4', { codec: 'hevc' }, { videoCodec: 'hevc', audioCodec: null }],
    ['vp9.webm', { container: 'webm', audio: true }, { videoCodec: 'vp9', audioCodec: 'opus', container: 'matroska,webm' }],
    ['silent-vp9.webm', { container: 'webm' }, { videoCodec: 'vp9', audioCodec: null }],
    ['hdr.mov', { container: 'mov', hdr: true }, { videoCodec: 'hevc', pixelFormat: 'yuv420p10le', bitDepth: 10, hdr: true }],
  ])('marks %s as needing a web copy and queues one transcode for it', async (name, opts, expected) => {
    const { asset, video } = await ingest(await makeVideo(path.join(dir, name), { seconds: 1, ...opts }));
    expect(video).toMatchObject({ ...expected, playable: false, transcodeState: 'pending' });
    expect(asset.flag).toBeNull();
    expect(asset.thumbBlobId).toBeTruthy();
    const queued = transcodeJobsFor(asset.id);
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ state: 'queued', payload: JSON.stringify({ assetId: asset.id }) });
  });

  it('keeps an MP4 cut before its index, flagged with ffmpeg’s reason, and queues nothing', async () => {
    const whole = await makeVideo(path.join(dir, 'whole.mp4'), { seconds: 2, audio: true });
    const cut = path.join(dir, 'cut.mp4');
    await copyFile(whole, cut);
    // ffmpeg writes the index (moov) after the media data: cutting the tail takes it away.
    await truncate(cut, Math.floor((await stat(whole)).size * 0.6));
    const { asset, video } = await ingest(cut);
    expect(asset.flag).toBe('undecodable');
    expect(asset.flagReason).toMatch(/^not a readable video: .*moov atom not found/);
    expect(asset.flagReason).not.toContain(dir);
    expect(video).toMatchObject({ playable: false, transcodeState: 'failed', transcodeError: expect.stringMatching(/moov atom not found/) });
    expect(transcodeJobsFor(asset.id)).toEqual([]);
    await originalIsByteExact(asset, cut);
  });

  it('keeps a "video" with only sound, flagged as having no video stream', async () => {
    const file = await makeAudioOnly(path.join(dir, 'voice-memo.mp4'));
    const { asset, video } = await ingest(file);
    expect(asset).toMatchObject({ flag: 'undecodable', flagReason: 'video has no video stream' });
    expect(video).toMatchObject({ playable: false, transcodeState: 'failed', transcodeError: 'video has no video stream' });
    expect(transcodeJobsFor(asset.id)).toEqual([]);
    await originalIsByteExact(asset, file);
  });
});

describe('one probe per video', () => {
  it('serves its metadata, its poster and its row: ffprobe runs once at ingest', async () => {
    const file = await makeVideo(path.join(dir, 'probed-once.mp4'), { seconds: 2, audio: true });
    const shims = path.join(dir, 'counting-ffprobe');
    await mkdir(shims);
    const calls = path.join(shims, 'calls');
    // Counts each run, then runs the real ffprobe (found on the PATH without this folder).
    await writeFile(path.join(shims, 'ffprobe'), `#!/bin/sh\necho run >> '${calls}'\nPATH="\${PATH#*:}" exec ffprobe "$@"\n`, { mode: 0o755 });
    const PATH = process.env.PATH;
    process.env.PATH = `${shims}${path.delimiter}${PATH}`;
    let asset;
    try {
      ({ asset } = await ingest(file));
    } finally {
      process.env.PATH = PATH;
    }
    expect(asset).toMatchObject({ kind: 'video', flag: null });
    expect(asset.durationMs).toBeGreaterThan(1500);
    expect(asset.thumbBlobId).toBeTruthy();
    expect((await readFile(calls, 'utf8')).trim().split('\n')).toEqual(['run']);
  });
});

describe('videos stored before probing', () => {
  it('are probed from the vault at start and queued when they need a web copy', async () => {
    const { asset: older } = await ingest(await makeVideo(path.join(dir, 'older.webm'), { container: 'webm', seconds: 1 }));
    const { asset: playable } = await ingest(await makeVideo(path.join(dir, 'older.mp4'), { seconds: 1 }));
    v.ctx.db.delete(jobs).run();
    v.ctx.db.delete(assetVideo).where(eq(assetVideo.assetId, older.id)).run();
    v.ctx.db.delete(assetVideo).where(eq(assetVideo.assetId, playable.id)).run();
    const progress: unknown[] = [];
    const result = await v.ctx.background.transcodes.backfill({ signal: new AbortController().signal, progress: (p) => progress.push(p) });
    expect(result.probed).toBe(2);
    expect(findVideo(v.ctx.db, older.id)).toMatchObject({ videoCodec: 'vp9', playable: false, transcodeState: 'pending' });
    expect(findVideo(v.ctx.db, playable.id)).toMatchObject({ videoCodec: 'h264', playable: true, transcodeState: null });
    expect(transcodeJobsFor(older.id)).toHaveLength(1);
    expect(transcodeJobsFor(playable.id)).toEqual([]);
    // Every video still waiting is queued again (once).
    expect(result.queued).toBeGreaterThanOrEqual(1);
    await v.ctx.background.transcodes.backfill({ signal: new AbortController().signal, progress: () => undefined });
    expect(transcodeJobsFor(older.id)).toHaveLength(1);
    expect(progress).toContainEqual({ done: 2, unit: 'videos', note: 'reading older videos' });
  });
});

describe('probeVideo and isBrowserPlayable', () => {
  const h264 = { container: 'mov,mp4,m4a,3gp,3g2,mj2', videoCodec: 'h264', audioCodec: 'aac' as string | null, pixelFormat: 'yuv420p', hdr: false };
  it.each<[string, Partial<Omit<typeof h264, 'audioCodec'>> & { audioCodec?: string | null }, boolean]>([
    ['H.264 + AAC in MP4', {}, true],
    ['H.264 + MP3', { audioCodec: 'mp3' }, true],
    ['H.264, silent', { audioCodec: null }, true],
    ['H.264 + PCM', { audioCodec: 'pcm_s16le' }, false],
    ['H.264 4:2:2', { pixelFormat: 'yuv422p' }, false],
    ['H.264 10-bit', { pixelFormat: 'yuv420p10le' }, false],
    ['H.264 in Matroska', { container: 'matroska,webm' }, false],
    ['H.264 in AVI', { container: 'avi' }, false],
    ['HEVC', { videoCodec: 'hevc' }, false],
    ['HDR', { hdr: true }, false],
  ])('%s → %s', (_, change, playable) => {
    expect(isBrowserPlayable({ ...h264, ...change })).toBe(playable);
  });

  it.each([90, 180, 270] as const)('reads a display rotation of %i° clockwise, and the size as displayed', async (rotate) => {
    const probe = await probeVideo(await makeVideo(path.join(dir, `turned-${rotate}.mp4`), { seconds: 1, width: 64, height: 48, rotate }));
    expect(probe).toMatchObject({ rotation: rotate, width: rotate === 180 ? 64 : 48, height: rotate === 180 ? 48 : 64 });
  });

  it('reads a file on disk as well', async () => {
    const probe = await probeVideo(await makeVideo(path.join(dir, 'direct.mp4'), { seconds: 1, width: 64, height: 48 }));
    expect(probe).toMatchObject({ width: 64, height: 48, durationS: 1, fps: 25 });
  });
});

describe('transcode settings', () => {
  it('default to 1080 lines, CRF 23, veryfast, 4 hours and a 120 s stall limit', () => {
    expect(loadConfig({}).transcode).toEqual({ height: 1080, crf: 23, preset: 'veryfast', maxSeconds: 4 * 3600, stallSeconds: 120 });
    expect(loadConfig({ HEIRLOOM_TRANSCODE_MAX_HOURS: '0.5', HEIRLOOM_TRANSCODE_PRESET: 'medium' }).transcode).toMatchObject({ maxSeconds: 1800, preset: 'medium' });
  });

  it('name the bad variable and value', () => {
    expect(() => loadConfig({ HEIRLOOM_TRANSCODE_PRESET: 'fastest' })).toThrow(/^HEIRLOOM_TRANSCODE_PRESET must be one of ultrafast, .*veryslow \(got 'fastest'\)\.$/);
    expect(() => loadConfig({ HEIRLOOM_TRANSCODE_HEIGHT: '100000' })).toThrow(/HEIRLOOM_TRANSCODE_HEIGHT must be a height in pixels/);
    expect(() => loadConfig({ HEIRLOOM_TRANSCODE_CRF: 'good' })).toThrow(/HEIRLOOM_TRANSCODE_CRF must be an x264 quality/);
    expect(() => loadConfig({ HEIRLOOM_TRANSCODE_MAX_HOURS: '0' })).toThrow(/HEIRLOOM_TRANSCODE_MAX_HOURS must be a number of hours/);
    expect(() => loadConfig({ HEIRLOOM_TRANSCODE_STALL_SECONDS: '-1' })).toThrow(/HEIRLOOM_TRANSCODE_STALL_SECONDS must be a number of seconds/);
  });
});
