import { stat } from 'node:fs/promises';
import sharp, { type OutputInfo, type Sharp } from 'sharp';
import { rgbaToThumbHash } from 'thumbhash';
import { UserError } from '../errors.js';
import { release } from '../vault/encrypt.js';
import { type Decodable, decodable } from './decoders.js';
import type { FileType } from './detect.js';
import { closeExiftool } from './exiftool.js';
import type { MediaSource } from './metadata.js';
import { withScratch } from './scratch.js';
import type { VideoProbe } from './video-probe.js';

export interface Previews {
  thumb: Buffer;
  thumbMime: string;
  preview: Buffer;
  previewMime: string;
  thumbhash: Buffer;
  /** The original's size as displayed (orientation applied), not the preview's. */
  width: number;
  height: number;
}

interface RawImage {
  data: Buffer;
  info: OutputInfo;
}

/** Each file is decoded once: libvips' operation cache would only hold on to memory. */
sharp.cache(false);
/**
 * One libvips thread per operation, whatever MALLOC_ARENA_MAX says (sharp gives one per core when it is set, as
 * in the image): a photo's decode runs in sequence anyway, so more threads per image only added synchronisation
 * (an import ran ~4% faster). Cores are kept busy by handling several files at once (import workers, uploads).
 */
sharp.concurrency(1);

/** libvips' own default (0x3FFF²): a 16k × 16k panorama passes, a decompression bomb does not. */
export const PIXEL_LIMIT = 268_402_689;
const DECODE_TIMEOUT_S = 60;
/** Long edge of the preview shown in the lightbox. */
export const PREVIEW_EDGE = 1440;
/** Short edge of grid thumbnails; the long edge is capped so panoramas stay small. */
const THUMB_SHORT_EDGE = 250;
const THUMB_LONG_EDGE = 1000;
/** thumbhash encodes images of at most 100×100. */
const THUMBHASH_EDGE = 100;

/**
 * Thumbnail, preview and thumbhash from ONE decode of the original: libvips shrinks on load straight to
 * the preview size (orientation applied, colour converted to sRGB), and all three outputs are encoded
 * from those pixels. RAW, HEIC (HEVC), JPEG XL and video are first turned into something libvips reads.
 * Throws UserError(reason, 'undecodable') for anything that cannot be shown.
 */
export async function makePreviews(src: MediaSource, type: FileType, videoProbe?: Promise<VideoProbe>): Promise<Previews> {
  if (type.kind === 'other') throw new UserError(`not a photo or video format Heirloom can show (${type.mime})`, 'undecodable');
  // A video lent to ffmpeg as a loopback URL is never empty: ingest refuses those.
  const bytes = 'buffer' in src ? src.buffer.length : 'url' in src ? 1 : (await stat(src.path)).size;
  if (bytes === 0) throw new UserError('file is empty', 'undecodable');
  return withScratch(async (scratch) => render(await decodable(src, type, scratch, PREVIEW_EDGE, videoProbe), type));
}

/** Ends the helper processes media work keeps running (exiftool); call at shutdown and in test teardown. */
export async function closeMedia(): Promise<void> {
  await closeExiftool();
}

async function render(d: Decodable, type: FileType): Promise<Previews> {
  // The header alone is read without the pixel limit, so a bomb is refused with its claimed size and nothing decoded.
  const header = await sharp(d.input, { limitInputPixels: false }).metadata().catch((err: unknown) => {
    throw undecodable(err, type);
  });
  if (header.width * header.height > PIXEL_LIMIT) {
    throw new UserError(`image is ${header.width}×${header.height} px, over the ${Math.floor(PIXEL_LIMIT / 1e6)} MP limit`, 'undecodable');
  }
  const turned = d.orientation === 'exif' ? header.autoOrient : swapsSides(d.orientation) ? { width: header.height, height: header.width } : header;
  const image = sharp(d.input, { limitInputPixels: PIXEL_LIMIT, failOn: 'error', sequentialRead: true, autoOrient: d.orientation === 'exif' });
  const decoded = await orient(image, d.orientation)
    .resize({ width: PREVIEW_EDGE, height: PREVIEW_EDGE, fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb')
    .timeout({ seconds: DECODE_TIMEOUT_S })
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch((err: unknown) => {
      throw undecodable(err, type);
    });
  const alpha = decoded.info.channels === 4;
  const [[thumb, thumbhash], preview] = await Promise.all([
    thumbAndHash(decoded),
    alpha ? fromRaw(decoded).webp({ quality: 80 }).toBuffer() : fromRaw(decoded).jpeg({ quality: 80 }).toBuffer(),
  ]);
  release(decoded.data);
  return {
    thumb,
    thumbMime: 'image/webp',
    preview,
    previewMime: alpha ? 'image/webp' : 'image/jpeg',
    thumbhash,
    width: d.size?.width ?? turned.width,
    height: d.size?.height ?? turned.height,
  };
}

/** The thumbnail, and the thumbhash from the thumbnail's pixels: far fewer to shrink again than the preview's. */
async function thumbAndHash(decoded: RawImage): Promise<[Buffer, Buffer]> {
  const small = await fromRaw(decoded).resize(thumbSize(decoded.info.width, decoded.info.height)).raw().toBuffer({ resolveWithObject: true });
  const [thumb, hash] = await Promise.all([
    fromRaw(small).webp({ quality: 70 }).toBuffer(),
    fromRaw(small)
      .resize({ width: THUMBHASH_EDGE, height: THUMBHASH_EDGE, fit: 'inside', withoutEnlargement: true })
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true }),
  ]);
  return [thumb, Buffer.from(rgbaToThumbHash(hash.info.width, hash.info.height, hash.data))];
}

function fromRaw({ data, info }: RawImage): Sharp {
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
}

/** Applies an EXIF orientation the input itself does not carry (RAW previews). sharp mirrors before it rotates. */
function orient(image: Sharp, orientation: 'exif' | number): Sharp {
  switch (orientation) {
    case 2:
      return image.flop();
    case 3:
      return image.rotate(180);
    case 4:
      return image.flip();
    case 5:
      return image.rotate(270).flop();
    case 6:
      return image.rotate(90);
    case 7:
      return image.rotate(90).flop();
    case 8:
      return image.rotate(270);
    default:
      return image;
  }
}

function swapsSides(orientation: number): boolean {
  return orientation >= 5 && orientation <= 8;
}

/** Short edge THUMB_SHORT_EDGE (never enlarged), long edge at most THUMB_LONG_EDGE. */
function thumbSize(width: number, height: number): { width: number; height: number } {
  const scale = Math.min(1, THUMB_SHORT_EDGE / Math.min(width, height), THUMB_LONG_EDGE / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

const FORMAT_NAMES: Record<string, string> = {
  'image/jpeg': 'JPEG',
  'image/png': 'PNG',
  'image/webp': 'WebP',
  'image/gif': 'GIF',
  'image/tiff': 'TIFF',
  'image/avif': 'AVIF',
};

/** libvips' message, minus its 'VipsJpeg: ' style prefixes, as a reason a person can read. */
function undecodable(err: unknown, type: FileType): UserError {
  const raw = err instanceof Error ? err.message : String(err);
  const name = FORMAT_NAMES[type.mime] ?? type.ext.toUpperCase();
  if (/timeout/i.test(raw)) return new UserError(`decoding took longer than ${DECODE_TIMEOUT_S} s`, 'undecodable', { cause: err });
  const reason = raw
    .split('\n')
    .map((line) => line.replace(/^[A-Za-z0-9_]+:\s*/, '').trim())
    .filter(Boolean)[0];
  return new UserError(`not a valid ${name}: ${(reason ?? raw).replace(/\.$/, '')}`, 'undecodable', { cause: err });
}
