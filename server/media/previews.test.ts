import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { thumbHashToRGBA } from 'thumbhash';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeAudioOnly,
  makeAvif,
  makeCamera12mp,
  makeDecompressionBomb,
  makeEmpty,
  makeFixtureDir,
  makeGif,
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
} from '../../test/fixtures/index.js';
import { UserError } from '../errors.js';
import { detectType, type FileType, SNIFF_BYTES } from './detect.js';
import { closeMedia, makePreviews, type Previews } from './previews.js';

let dir: string;
beforeAll(async () => {
  dir = await makeFixtureDir('heirloom-previews-');
});
afterAll(async () => {
  await closeMedia();
  await removeFixtureDir(dir);
});

const at = (name: string) => path.join(dir, name);

async function typeOf(file: string): Promise<FileType> {
  return detectType((await readFile(file)).subarray(0, SNIFF_BYTES));
}

async function previewsOf(file: string): Promise<Previews> {
  return makePreviews({ path: file }, await typeOf(file));
}

async function size(image: Buffer) {
  const { width, height, format, hasAlpha } = await sharp(image).metadata();
  return { width, height, format, hasAlpha };
}

/** Mean of R, G, B over a region (fractions of the image), 0–255. */
async function brightness(image: Buffer, region = { left: 0, top: 0, width: 1, height: 1 }): Promise<number> {
  const { width, height } = await sharp(image).metadata();
  const area = {
    left: Math.floor(region.left * width),
    top: Math.floor(region.top * height),
    width: Math.max(1, Math.floor(region.width * width)),
    height: Math.max(1, Math.floor(region.height * height)),
  };
  const { data, info } = await sharp(image).extract(area).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return data.reduce((sum, v) => sum + v, 0) / (info.width * info.height * info.channels);
}

/** Which corner holds the white marker the fixtures paint top-left in the stored pixels. */
async function markerCorner(image: Buffer): Promise<string | undefined> {
  const corners = { 'top-left': [0, 0], 'top-right': [0.9, 0], 'bottom-left': [0, 0.9], 'bottom-right': [0.9, 0.9] } as const;
  for (const [name, [left, top]] of Object.entries(corners)) {
    if ((await brightness(image, { left: left + 0.02, top: top + 0.02, width: 0.06, height: 0.06 })) > 240) return name;
  }
  return undefined;
}

async function undecodableReason(run: Promise<unknown>): Promise<string> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  expect(err).toMatchObject({ code: 'undecodable' });
  return (err as UserError).message;
}

describe('makePreviews for a JPEG', () => {
  it('makes a 1440 px JPEG preview, a 250 px WebP thumb and a thumbhash from one decode', async () => {
    const file = await makeJpeg(at('landscape.jpg'), { width: 1600, height: 1200 });
    const p = await previewsOf(file);
    expect(p).toMatchObject({ width: 1600, height: 1200, thumbMime: 'image/webp', previewMime: 'image/jpeg' });
    expect(await size(p.preview)).toMatchObject({ width: 1440, height: 1080, format: 'jpeg' });
    expect(await size(p.thumb)).toMatchObject({ width: 333, height: 250, format: 'webp' });
    const decoded = thumbHashToRGBA(p.thumbhash);
    expect(decoded.w).toBeLessThanOrEqual(32);
    expect(decoded.w / decoded.h).toBeCloseTo(4 / 3, 0);
    expect(decoded.rgba.length).toBe(decoded.w * decoded.h * 4);
  });

  it('applies EXIF orientation: an Orientation=6 landscape sensor image becomes a portrait preview', async () => {
    const file = await makeJpeg(at('portrait.jpg'), { width: 1600, height: 1200, exif: { Orientation: 6 } });
    const p = await previewsOf(file);
    expect(p).toMatchObject({ width: 1200, height: 1600 });
    expect(await size(p.preview)).toMatchObject({ width: 1080, height: 1440 });
    expect(await size(p.thumb)).toMatchObject({ width: 250, height: 333 });
    // The white marker painted top-left in the stored pixels ends up top-right once turned.
    expect(await brightness(p.preview, { left: 0.88, top: 0.02, width: 0.1, height: 0.08 })).toBeGreaterThan(240);
    expect(await brightness(p.preview, { left: 0.02, top: 0.02, width: 0.1, height: 0.08 })).toBeLessThan(200);
  });

  it('never enlarges a small image', async () => {
    const p = await previewsOf(await makeJpeg(at('small.jpg'), { width: 200, height: 100 }));
    expect(await size(p.preview)).toMatchObject({ width: 200, height: 100 });
    expect(await size(p.thumb)).toMatchObject({ width: 200, height: 100 });
  });

  it('converts a Display P3 photo to sRGB', async () => {
    const red = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#ff0000' } })
      .withIccProfile('p3')
      .jpeg({ quality: 100 })
      .toBuffer();
    const file = at('p3.jpg');
    await writeFile(file, red);
    const stored = await sharp(red, { ignoreIcc: true }).raw().toBuffer();
    expect(stored[0]).toBeLessThan(245);
    const shown = await sharp((await previewsOf(file)).preview).raw().toBuffer();
    expect(shown[0]).toBeGreaterThan(248);
    expect(shown[1]).toBeLessThan(8);
  });

  it('makes a 12 MP camera JPEG quickly', async () => {
    const file = await makeCamera12mp(at('IMG_1000.JPG'), 1);
    const buffer = await readFile(file);
    const type = await typeOf(file);
    const timings: Record<string, number[]> = { path: [], buffer: [] };
    for (let i = 0; i < 3; i++) {
      for (const [label, src] of [['path', { path: file }], ['buffer', { buffer }]] as const) {
        const started = performance.now();
        const p = await makePreviews(src, type);
        timings[label]!.push(performance.now() - started);
        expect(p).toMatchObject({ width: 4000, height: 3000 });
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1]!.toFixed(0);
    console.log(`makePreviews, 12 MP JPEG (${(buffer.length / 1e6).toFixed(1)} MB): median ${median(timings.path!)} ms from a path, ${median(timings.buffer!)} ms from a buffer`);
    expect(Math.min(...timings.buffer!)).toBeLessThan(3000);
  });
});

describe('makePreviews for other photo formats', () => {
  it.each([
    ['PNG with alpha', 'alpha.png', (f: string) => makePng(f, { alpha: true }), 'image/webp'],
    ['WebP', 'a.webp', (f: string) => makeWebp(f), 'image/jpeg'],
    ['AVIF', 'a.avif', (f: string) => makeAvif(f), 'image/jpeg'],
    ['TIFF', 'a.tif', (f: string) => makeTiff(f), 'image/jpeg'],
    ['GIF', 'a.gif', (f: string) => makeGif(f), 'image/jpeg'],
    ['HEIC (HEVC, via heif-convert)', 'a.heic', (f: string) => makeHeic(f), 'image/jpeg'],
  ] as const)('%s', async (_label, name, make, previewMime) => {
    const p = await previewsOf(await make(at(name)));
    expect(p).toMatchObject({ width: 640, height: 480, previewMime });
    expect(await size(p.thumb)).toMatchObject({ width: 333, height: 250 });
    expect(await brightness(p.preview)).toBeGreaterThan(40);
  });

  it('keeps transparency in a PNG preview', async () => {
    const p = await previewsOf(at('alpha.png'));
    expect(await size(p.preview)).toMatchObject({ format: 'webp', hasAlpha: true });
  });

  it('an AVIF turned by its irot box comes out upright', async () => {
    const p = await previewsOf(await makeAvif(at('turned.avif'), { exif: { Orientation: 6 } }));
    expect(p).toMatchObject({ width: 480, height: 640 });
    expect(await brightness(p.preview, { left: 0.88, top: 0.02, width: 0.1, height: 0.08 })).toBeGreaterThan(230);
  });

  it('decodes JPEG XL with djxl, orientation applied', async () => {
    const p = await previewsOf(await makeJxl(at('a.jxl'), { width: 800, height: 600, exif: { Orientation: 6 } }));
    expect(p).toMatchObject({ width: 600, height: 800 });
    expect(await size(p.preview)).toMatchObject({ width: 600, height: 800 });
    expect(await brightness(p.preview, { left: 0.88, top: 0.02, width: 0.1, height: 0.08 })).toBeGreaterThan(240);
  });

  it('shows a RAW by its embedded preview, turned by the RAW’s orientation', async () => {
    const p = await previewsOf(await makeRawLike(at('a.dng'), { width: 1536, height: 1024, exif: { Orientation: 6 } }));
    expect(p).toMatchObject({ width: 1024, height: 1536 });
    expect(await size(p.preview)).toMatchObject({ width: 960, height: 1440 });
    expect(await brightness(p.preview, { left: 0.88, top: 0.02, width: 0.1, height: 0.08 })).toBeGreaterThan(240);
  });

  it('turns RAW previews exactly as EXIF orientation turns a JPEG, for all eight orientations', async () => {
    for (let orientation = 1; orientation <= 8; orientation++) {
      const opts = { width: 600, height: 400, exif: { Orientation: orientation } };
      const viaExif = await previewsOf(await makeJpeg(at(`o${orientation}.jpg`), opts));
      const explicit = await previewsOf(await makeRawLike(at(`o${orientation}.dng`), opts));
      expect({ orientation, width: explicit.width, height: explicit.height }).toEqual({ orientation, width: viaExif.width, height: viaExif.height });
      expect({ orientation, marker: await markerCorner(explicit.preview) }).toEqual({ orientation, marker: await markerCorner(viaExif.preview) });
    }
  });

  it('gives a 1×1 GIF its previews', async () => {
    const p = await previewsOf(await makeGif(at('pixel.gif'), { width: 1, height: 1 }));
    expect(p).toMatchObject({ width: 1, height: 1 });
    expect(await size(p.thumb)).toMatchObject({ width: 1, height: 1 });
    expect(thumbHashToRGBA(p.thumbhash).rgba.length).toBeGreaterThan(0);
  });
});

describe('makePreviews for videos', () => {
  it('picks a poster frame with content, not the black first second', async () => {
    const file = await makeVideo(at('pocket.mp4'), { seconds: 4, blackSeconds: 1, audio: true, width: 640, height: 360 });
    const p = await previewsOf(file);
    expect(p).toMatchObject({ width: 640, height: 360, previewMime: 'image/jpeg' });
    expect(await size(p.preview)).toMatchObject({ width: 640, height: 360 });
    expect(await brightness(p.preview)).toBeGreaterThan(60);
  });

  it('turns a portrait phone video upright and reports its displayed size', async () => {
    const p = await previewsOf(await makeVideo(at('portrait.mov'), { container: 'mov', codec: 'hevc', rotate: 90 }));
    expect(p).toMatchObject({ width: 240, height: 320 });
    expect(await size(p.preview)).toMatchObject({ width: 240, height: 320 });
  });

  it('tone-maps an HDR (HLG) phone video to SDR', async () => {
    const p = await previewsOf(await makeVideo(at('hdr.mov'), { container: 'mov', hdr: true, seconds: 1 }));
    expect(p).toMatchObject({ width: 320, height: 240 });
    expect(await brightness(p.preview)).toBeGreaterThan(60);
  });

  it('scales a large video frame down to the preview size and reports the full size', async () => {
    const p = await previewsOf(await makeVideo(at('big.mp4'), { width: 1920, height: 1080, seconds: 1 }));
    expect(p).toMatchObject({ width: 1920, height: 1080 });
    expect(await size(p.preview)).toMatchObject({ width: 1440, height: 810 });
  });

  it.each([
    ['WebM (VP9)', 'a.webm', { container: 'webm' }],
    ['MKV (H.264)', 'a.mkv', { container: 'mkv' }],
    ['AVI', 'a.avi', { container: 'avi' }],
    ['3GP', 'a.3gp', { container: '3gp' }],
  ] as const)('%s', async (_label, name, opts) => {
    const p = await previewsOf(await makeVideo(at(name), { ...opts, seconds: 1 }));
    expect(p).toMatchObject({ width: 320, height: 240 });
    expect(await brightness(p.preview)).toBeGreaterThan(60);
  });

  it('works from a buffer (written to scratch for ffmpeg)', async () => {
    const buffer = await readFile(at('a.webm'));
    expect(await makePreviews({ buffer }, await typeOf(at('a.webm')))).toMatchObject({ width: 320, height: 240 });
  });
});

describe('makePreviews refuses what cannot be shown, with a reason', () => {
  it('an empty file', async () => {
    const file = await makeEmpty(at('empty.jpg'));
    const jpeg: FileType = { mime: 'image/jpeg', ext: 'jpg', kind: 'photo' };
    expect(await undecodableReason(makePreviews({ path: file }, jpeg))).toBe('file is empty');
    expect(await undecodableReason(makePreviews({ buffer: Buffer.alloc(0) }, jpeg))).toBe('file is empty');
  });

  it('a truncated JPEG', async () => {
    const whole = await makeJpeg(at('whole.jpg'), { width: 1200, height: 900 });
    const cut = await makeTruncated(at('cut.jpg'), whole, 3000);
    expect(await undecodableReason(previewsOf(cut))).toMatch(/^not a valid JPEG: .*premature end/i);
  });

  it('a decompression bomb, quickly and without decoding it', async () => {
    const file = await makeDecompressionBomb(at('bomb.png'));
    const started = performance.now();
    expect(await undecodableReason(previewsOf(file))).toBe('image is 60000×60000 px, over the 268 MP limit');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('a text file named .jpg', async () => {
    const file = await makeTextAsJpg(at('notes.jpg'));
    expect(await undecodableReason(previewsOf(file))).toMatch(/^not a photo or video format/);
    expect(await undecodableReason(makePreviews({ path: file }, { mime: 'image/jpeg', ext: 'jpg', kind: 'photo' }))).toMatch(/^not a valid JPEG: /);
  });

  it('an MP4 cut before its moov box', async () => {
    const whole = await makeVideo(at('long.mp4'), { seconds: 3 });
    const cut = await makeTruncated(at('cut.mp4'), whole, 20_000);
    expect(await undecodableReason(previewsOf(cut))).toMatch(/^not a readable video: .*moov atom not found/);
  });

  it('an audio-only file', async () => {
    expect(await undecodableReason(previewsOf(await makeAudioOnly(at('voice.mp4'))))).toBe('video has no video stream');
  });

  it('a corrupt HEIC', async () => {
    const whole = await makeHeic(at('whole.heic'));
    const cut = await makeTruncated(at('cut.heic'), whole, 2000);
    expect(await undecodableReason(previewsOf(cut))).toMatch(/^not a decodable HEIC\/HEIF file: /);
  });
});
