import { open } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeAudioOnly,
  makeAvif,
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
  makeVideo,
  makeWebp,
  removeFixtureDir,
} from '../../test/fixtures/index.js';
import { detectType, SNIFF_BYTES } from './detect.js';

let dir: string;
beforeAll(async () => {
  dir = await makeFixtureDir('heirloom-detect-');
});
afterAll(async () => {
  await removeFixtureDir(dir);
});

/** Only the first SNIFF_BYTES, as ingest reads them. */
async function sniff(file: string) {
  const handle = await open(file);
  try {
    const head = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
    return detectType(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

describe('detectType', () => {
  // Names lie on purpose: detection must come from the bytes.
  it.each([
    ['JPEG', (f: string) => makeJpeg(f), { mime: 'image/jpeg', ext: 'jpg', kind: 'photo' }],
    ['PNG', (f: string) => makePng(f), { mime: 'image/png', ext: 'png', kind: 'photo' }],
    ['WebP', (f: string) => makeWebp(f), { mime: 'image/webp', ext: 'webp', kind: 'photo' }],
    ['GIF', (f: string) => makeGif(f, { width: 1, height: 1 }), { mime: 'image/gif', ext: 'gif', kind: 'photo' }],
    ['TIFF', (f: string) => makeTiff(f), { mime: 'image/tiff', ext: 'tif', kind: 'photo' }],
    ['AVIF', (f: string) => makeAvif(f), { mime: 'image/avif', ext: 'avif', kind: 'photo' }],
    ['HEIC', (f: string) => makeHeic(f), { mime: 'image/heic', ext: 'heic', kind: 'photo' }],
    ['JPEG XL', (f: string) => makeJxl(f), { mime: 'image/jxl', ext: 'jxl', kind: 'photo' }],
    ['DNG', (f: string) => makeRawLike(f), { mime: 'image/x-adobe-dng', ext: 'dng', kind: 'photo' }],
    ['MP4', (f: string) => makeVideo(f, { container: 'mp4' }), { mime: 'video/mp4', ext: 'mp4', kind: 'video' }],
    ['MOV', (f: string) => makeVideo(f, { container: 'mov' }), { mime: 'video/quicktime', ext: 'mov', kind: 'video' }],
    ['M4V', (f: string) => makeVideo(f, { container: 'm4v' }), { mime: 'video/x-m4v', ext: 'm4v', kind: 'video' }],
    ['3GP', (f: string) => makeVideo(f, { container: '3gp' }), { mime: 'video/3gpp', ext: '3gp', kind: 'video' }],
    ['MKV', (f: string) => makeVideo(f, { container: 'mkv' }), { mime: 'video/matroska', ext: 'mkv', kind: 'video' }],
    ['WebM', (f: string) => makeVideo(f, { container: 'webm' }), { mime: 'video/webm', ext: 'webm', kind: 'video' }],
    ['AVI', (f: string) => makeVideo(f, { container: 'avi' }), { mime: 'video/vnd.avi', ext: 'avi', kind: 'video' }],
    ['HEVC MP4', (f: string) => makeVideo(f, { codec: 'hevc' }), { mime: 'video/mp4', ext: 'mp4', kind: 'video' }],
  ] as const)('%s', async (label, make, expected) => {
    const file = path.join(dir, `${label.replace(/\W/g, '')}.dat`);
    await make(file);
    expect(await sniff(file)).toEqual(expected);
  });

  it('a text file named .jpg is other', async () => {
    expect(await sniff(await makeTextAsJpg(path.join(dir, 'notes.jpg')))).toEqual({ mime: 'application/octet-stream', ext: 'bin', kind: 'other' });
  });

  it('an empty file is other', async () => {
    expect(await sniff(await makeEmpty(path.join(dir, 'empty.jpg')))).toMatchObject({ kind: 'other' });
  });

  it('sound in an MP4 container still sniffs as MP4 (previews then find no picture)', async () => {
    expect(await sniff(await makeAudioOnly(path.join(dir, 'voice.mp4')))).toMatchObject({ mime: 'video/mp4', kind: 'video' });
  });
});
