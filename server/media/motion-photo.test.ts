import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appleMakerNote, makeFixtureDir, makeJpeg, makeLivePhoto, makeMotionPhoto, removeFixtureDir, type MotionPhotoStyle } from '../../test/fixtures/index.js';
import { closeExiftool } from './exiftool.js';
import { detectType } from './detect.js';
import { readMetadata } from './metadata.js';
import { findEmbeddedVideo, xmpVideoLength } from './motion-photo.js';
import { appleContentId } from './tags.js';

let dir: string;

beforeAll(async () => {
  dir = await makeFixtureDir('heirloom-motion-photo-');
});

afterAll(async () => {
  await closeExiftool();
  await removeFixtureDir(dir);
});

describe('findEmbeddedVideo', () => {
  for (const style of ['microvideo', 'container', 'samsung'] as MotionPhotoStyle[]) {
    it(`finds the MP4 of a ${style} motion photo, exactly, from a buffer and from a file`, async () => {
      const made = await makeMotionPhoto(path.join(dir, `${style}.jpg`), { style });
      const bytes = await readFile(made.file);
      for (const found of [await findEmbeddedVideo({ buffer: bytes }), await findEmbeddedVideo({ path: made.file })]) {
        expect(found).toMatchObject({ offset: made.offset, length: made.video.length, mime: 'video/mp4' });
        expect(found!.durationMs).toBeGreaterThanOrEqual(1900);
        expect(bytes.subarray(found!.offset, found!.offset + found!.length).equals(made.video)).toBe(true);
      }
    });
  }

  it('finds nothing in a plain JPEG, or where the XMP points at bytes that are not an MP4', async () => {
    const plain = await readFile(await makeJpeg(path.join(dir, 'plain.jpg')));
    expect(await findEmbeddedVideo({ buffer: plain })).toBeUndefined();
    const made = await makeMotionPhoto(path.join(dir, 'cut.jpg'), { style: 'microvideo' });
    const cut = (await readFile(made.file)).subarray(0, made.offset + 100);
    expect(await findEmbeddedVideo({ buffer: cut })).toBeUndefined();
  });

  it('reads the offset from either way of writing XMP properties', () => {
    expect(xmpVideoLength('<x:xmpmeta><GCamera:MicroVideoOffset>1234</GCamera:MicroVideoOffset></x:xmpmeta>')).toBe(1234);
    expect(xmpVideoLength('<x:xmpmeta><Container:Item><Item:Semantic>MotionPhoto</Item:Semantic><Item:Length>99</Item:Length></Container:Item></x:xmpmeta>')).toBe(99);
    expect(xmpVideoLength('<x:xmpmeta><Container:Item Item:Semantic="Primary" Item:Length="0"/></x:xmpmeta>')).toBeUndefined();
  });
});

describe('ContentIdentifier', () => {
  it("is read from a Live Photo MOV's QuickTime keys", async () => {
    const live = await makeLivePhoto(dir, 'IMG_0001', { contentId: 'A1B2C3D4-0000-4000-8000-000000000001' });
    const type = await detectType((await readFile(live.mov)).subarray(0, 65536));
    const meta = await readMetadata({ path: live.mov }, type, { fileMtime: new Date() });
    expect(meta.contentId).toBe('A1B2C3D4-0000-4000-8000-000000000001');
  });

  it("is read from an iPhone's maker note, in the still itself and in the note's bytes", async () => {
    const id = 'F00DCAFE-1111-4222-8333-444455556666';
    const live = await makeLivePhoto(dir, 'IMG_0002', { contentId: id, seed: 2 });
    const bytes = await readFile(live.still);
    const meta = await readMetadata({ buffer: bytes }, await detectType(bytes.subarray(0, 65536)), { fileMtime: new Date() });
    expect(meta.contentId).toBe(id);
    const note = appleMakerNote(id);
    expect(appleContentId(new Uint8Array(note))).toBe(id);
    expect(appleContentId(new Uint8Array(Buffer.from('Nikon\0\0\0\0\0\0\0\0\0\0\0\0\0')))).toBeUndefined();
  });
});
