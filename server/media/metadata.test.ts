import { readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FixtureExif,
  makeAvif,
  makeFixtureDir,
  makeHeic,
  makeJpeg,
  makeJxl,
  makePng,
  makeRawLike,
  makeTextAsJpg,
  makeTiff,
  makeTruncated,
  makeVideo,
  makeWebp,
  removeFixtureDir,
  writeXmpSidecar,
} from '../../test/fixtures/index.js';
import { detectType, type FileType, SNIFF_BYTES } from './detect.js';
import { type MediaMetadata, readMetadata, sidecarLookup } from './metadata.js';
import { closeMedia } from './previews.js';

let dir: string;
beforeAll(async () => {
  dir = await makeFixtureDir('heirloom-metadata-');
});
afterAll(async () => {
  await closeMedia();
  await removeFixtureDir(dir);
});

const at = (name: string) => path.join(dir, name);

async function typeOf(file: string): Promise<FileType> {
  return detectType((await readFile(file)).subarray(0, SNIFF_BYTES));
}

async function meta(file: string, opts: { sidecarPath?: string; asBuffer?: boolean } = {}): Promise<MediaMetadata> {
  const { mtime } = await stat(file);
  const src = opts.asBuffer ? { buffer: await readFile(file) } : { path: file };
  return readMetadata(src, await typeOf(file), { fileMtime: mtime, sidecarPath: opts.sidecarPath });
}

const camera: FixtureExif = {
  DateTimeOriginal: '2021:07:04 20:30:00',
  OffsetTimeOriginal: '+02:00',
  SubSecTimeOriginal: '125',
  Make: 'Canon',
  Model: 'Canon EOS R6',
  LensModel: 'RF24-105mm F4 L IS USM',
  FNumber: 5.6,
  ExposureTime: '1/250',
  ISO: 800,
  FocalLength: 35,
  Orientation: 6,
  GPS: { lat: 48.8584, lon: -2.2945, alt: 35 },
};

describe('readMetadata from a camera JPEG', () => {
  it('reads capture time with offset, GPS, camera, exposure, orientation and displayed size', async () => {
    const file = await makeJpeg(at('camera.jpg'), { width: 800, height: 600, exif: camera });
    expect(await meta(file)).toEqual({
      takenAt: '2021-07-04T18:30:00.125Z',
      tzOffsetMinutes: 120,
      takenAtSource: 'exif:DateTimeOriginal',
      width: 600,
      height: 800,
      orientation: 6,
      durationMs: null,
      latitude: expect.closeTo(48.8584, 4),
      longitude: expect.closeTo(-2.2945, 4),
      altitude: 35,
      make: 'Canon',
      model: 'Canon EOS R6',
      lens: 'RF24-105mm F4 L IS USM',
      fNumber: 5.6,
      exposureTime: '1/250',
      iso: 800,
      focalLength: 35,
      rating: null,
      keywords: [],
      description: null,
      contentId: null,
    });
  });

  it('gives the same answer for a buffer as for a path', async () => {
    const file = at('camera.jpg');
    expect(await meta(file, { asBuffer: true })).toEqual(await meta(file));
  });

  it('takes the zone from the GPS clock when no OffsetTime was written', async () => {
    const file = await makeJpeg(at('gps-clock.jpg'), { exif: { DateTimeOriginal: '2021:07:04 20:30:00', GPS: { lat: 1, lon: 1, utc: '2021:07:04 18:30:04' } } });
    expect(await meta(file)).toMatchObject({ takenAt: '2021-07-04T18:30:00.000Z', tzOffsetMinutes: 120 });
  });

  it('keeps the wall-clock time as UTC with no offset when the zone is unknown', async () => {
    const file = await makeJpeg(at('no-zone.jpg'), { exif: { DateTimeOriginal: '2010:01:01 10:00:00' } });
    expect(await meta(file)).toMatchObject({ takenAt: '2010-01-01T10:00:00.000Z', tzOffsetMinutes: null, takenAtSource: 'exif:DateTimeOriginal' });
  });

  it('falls back to CreateDate', async () => {
    const file = await makeJpeg(at('digitized.jpg'), { exif: { CreateDate: '2012:03:04 05:06:07' } });
    expect(await meta(file)).toMatchObject({ takenAt: '2012-03-04T05:06:07.000Z', takenAtSource: 'exif:CreateDate' });
  });

  it('ignores a placeholder caption cameras write', async () => {
    const file = await makeJpeg(at('olympus.jpg'), { exif: { ImageDescription: 'OLYMPUS DIGITAL CAMERA         ' } });
    expect((await meta(file)).description).toBeNull();
  });
});

describe('XMP', () => {
  it('reads embedded XMP: date, rating, keywords, description', async () => {
    const file = await makeJpeg(at('xmp.jpg'), {
      xmp: { dateCreated: '2019-12-25T09:00:00+01:00', rating: 3, keywords: ['Oma', 'Weihnachten'], description: 'Oma’s "Stollen" & tea' },
    });
    expect(await meta(file)).toMatchObject({
      takenAt: '2019-12-25T08:00:00.000Z',
      tzOffsetMinutes: 60,
      takenAtSource: 'xmp:DateCreated',
      rating: 3,
      keywords: ['Oma', 'Weihnachten'],
      description: 'Oma’s "Stollen" & tea',
    });
  });

  it('lets a sidecar override what the file says', async () => {
    const file = await makeJpeg(at('IMG_0042.JPG'), {
      exif: camera,
      xmp: { rating: 1, keywords: ['embedded'], description: 'embedded' },
    });
    const sidecar = await writeXmpSidecar(at('IMG_0042.JPG.xmp'), {
      dateCreated: '2021-07-04T21:00:00+02:00',
      rating: 5,
      keywords: ['lake', 'family'],
      description: 'Grandma at the lake',
      gps: { lat: -33.8568, lon: 151.2153 },
    });
    expect(await meta(file, { sidecarPath: sidecar })).toMatchObject({
      takenAt: '2021-07-04T19:00:00.000Z',
      tzOffsetMinutes: 120,
      takenAtSource: 'sidecar:DateCreated',
      rating: 5,
      keywords: ['lake', 'family'],
      description: 'Grandma at the lake',
      latitude: expect.closeTo(-33.8568, 4),
      longitude: expect.closeTo(151.2153, 4),
      altitude: null,
      make: 'Canon',
    });
  });

  it('keeps the embedded values a sidecar does not mention', async () => {
    const sidecar = await writeXmpSidecar(at('rating-only.xmp'), { rating: 4 });
    expect(await meta(at('camera.jpg'), { sidecarPath: sidecar })).toMatchObject({ rating: 4, takenAtSource: 'exif:DateTimeOriginal', altitude: 35 });
  });

  it('finds sidecars the way photo managers name them', () => {
    const sidecarOf = sidecarLookup(['IMG_1.JPG', 'IMG_1.JPG.xmp', 'IMG_2.JPG', 'IMG_2.XMP', 'IMG_3.JPG', 'IMG_4.xmp']);
    expect(sidecarOf('IMG_1.JPG')).toBe('IMG_1.JPG.xmp');
    expect(sidecarOf('IMG_2.JPG')).toBe('IMG_2.XMP');
    expect(sidecarOf('IMG_3.JPG')).toBeUndefined();
    expect(sidecarOf('IMG_4.xmp')).toBeUndefined();
  });
});

describe('other photo formats', () => {
  const exif: FixtureExif = { DateTimeOriginal: '2021:07:04 20:30:00', OffsetTimeOriginal: '+02:00', Make: 'Apple', Model: 'iPhone 12', GPS: { lat: 10.5, lon: 20.25 } };
  it.each([
    ['PNG', 'a.png', (f: string) => makePng(f, { exif })],
    ['WebP', 'a.webp', (f: string) => makeWebp(f, { exif })],
    ['AVIF', 'a.avif', (f: string) => makeAvif(f, { exif })],
    ['TIFF', 'a.tif', (f: string) => makeTiff(f, { exif })],
    ['HEIC', 'a.heic', (f: string) => makeHeic(f, { exif })],
    ['JPEG XL', 'a.jxl', (f: string) => makeJxl(f, { exif })],
    ['DNG', 'a.dng', (f: string) => makeRawLike(f, { exif })],
  ] as const)('%s', async (_label, name, make) => {
    const file = await make(at(name));
    expect(await meta(file)).toMatchObject({
      takenAt: '2021-07-04T18:30:00.000Z',
      tzOffsetMinutes: 120,
      takenAtSource: 'exif:DateTimeOriginal',
      make: 'Apple',
      model: 'iPhone 12',
      latitude: expect.closeTo(10.5, 4),
      longitude: expect.closeTo(20.25, 4),
    });
  });

  it('reports the displayed size of a HEIC and a JPEG XL', async () => {
    expect(await meta(at('a.heic'))).toMatchObject({ width: 640, height: 480 });
    const jxl = await makeJxl(at('turned.jxl'), { exif: { Orientation: 6 } });
    expect(await meta(jxl)).toMatchObject({ width: 480, height: 640, orientation: 6 });
  });
});

describe('videos', () => {
  it('reads MP4 creation time (UTC), duration, size and location', async () => {
    const file = await makeVideo(at('clip.mp4'), { seconds: 2, audio: true, creationTime: '2020-05-01T12:00:00Z', gps: { lat: 52.52, lon: 13.405 } });
    expect(await meta(file)).toMatchObject({
      takenAt: '2020-05-01T12:00:00.000Z',
      tzOffsetMinutes: 0,
      takenAtSource: 'quicktime:CreateDate',
      durationMs: 2000,
      width: 320,
      height: 240,
      latitude: expect.closeTo(52.52, 3),
      longitude: expect.closeTo(13.405, 3),
    });
  });

  it('prefers Apple’s local CreationDate and applies the display rotation to the size', async () => {
    const file = await makeVideo(at('IMG_0001.MOV'), {
      container: 'mov',
      rotate: 90,
      creationTime: '2021-07-04T18:30:00Z',
      appleCreationDate: '2021-07-04T20:30:00+0200',
    });
    expect(await meta(file, { asBuffer: true })).toMatchObject({
      takenAt: '2021-07-04T18:30:00.000Z',
      tzOffsetMinutes: 120,
      takenAtSource: 'quicktime:CreationDate',
      width: 240,
      height: 320,
      orientation: 6,
    });
  });

  it.each(['mkv', 'webm'] as const)('reads %s DateUTC and duration', async (container) => {
    const file = await makeVideo(at(`clip.${container}`), { container, seconds: 1, creationTime: '2018-08-08T08:08:08Z' });
    expect(await meta(file)).toMatchObject({ takenAt: '2018-08-08T08:08:08.000Z', takenAtSource: 'matroska:DateTimeOriginal', durationMs: expect.closeTo(1000, -2) });
  });
});

describe('files with nothing (readable) to say', () => {
  it('falls back to the file mtime', async () => {
    const file = await makePng(at('screenshot.png'));
    const mtime = new Date('2015-06-07T08:09:10.000Z');
    await utimes(file, mtime, mtime);
    expect(await meta(file)).toMatchObject({ takenAt: '2015-06-07T08:09:10.000Z', tzOffsetMinutes: null, takenAtSource: 'file:mtime', width: 640, height: 480 });
  });

  it('never throws for a damaged file', async () => {
    const whole = await makeJpeg(at('whole.jpg'), { width: 1200, height: 900, exif: camera });
    const cut = await makeTruncated(at('cut.jpg'), whole, 300);
    await expect(meta(cut)).resolves.toMatchObject({ takenAtSource: expect.any(String) });
    const text = await makeTextAsJpg(at('notes.jpg'));
    const mtime = await stat(text);
    await expect(readMetadata({ path: text }, { mime: 'image/jpeg', ext: 'jpg', kind: 'photo' }, { fileMtime: mtime.mtime })).resolves.toMatchObject({
      takenAtSource: 'file:mtime',
      width: null,
    });
    const garbage = at('garbage.mp4');
    await writeFile(garbage, Buffer.alloc(5000, 7));
    await expect(readMetadata({ path: garbage }, { mime: 'video/mp4', ext: 'mp4', kind: 'video' }, { fileMtime: mtime.mtime })).resolves.toMatchObject({
      takenAtSource: 'file:mtime',
      durationMs: null,
    });
  });
});
