import path from 'node:path';
import sharp from 'sharp';
import { UserError } from '../errors.js';
import { type FileType, isHeif, isRaw } from './detect.js';
import { exiftool } from './exiftool.js';
import type { MediaSource } from './metadata.js';
import { runTool, ToolError } from './run-tool.js';
import { type Scratch, sourcePath } from './scratch.js';
import { readTagsWithExiftool } from './tags.js';
import type { VideoProbe } from './video-probe.js';
import { videoPoster } from './video-poster.js';

/** Something sharp can open, standing in for the original. */
export interface Decodable {
  input: string | Buffer;
  /** 'exif': sharp applies the input's own EXIF orientation; a number: apply this EXIF orientation (1: already upright). */
  orientation: 'exif' | number;
  /** The original's displayed size, when the input is smaller than the original (a video frame scaled by ffmpeg). */
  size?: { width: number; height: number };
}

const TOOL_TIMEOUT_MS = 60_000;
/** heif-convert and djxl hand over a high-quality JPEG: far quicker to write and read back than PNG at 12 MP. */
const HANDOVER_JPEG_QUALITY = '95';

/** `videoProbe`: a video's probe when the caller has one already. */
export async function decodable(src: MediaSource, type: FileType, scratch: Scratch, previewEdge: number, videoProbe?: Promise<VideoProbe>): Promise<Decodable> {
  if (type.kind === 'video') return videoPoster(await sourcePath(src, scratch, type.ext), previewEdge, videoProbe);
  const input = 'buffer' in src ? src.buffer : await sourcePath(src, scratch, type.ext);
  if (isHeif(type)) return (await sharpDecodesHeif(input)) ? { input, orientation: 'exif' } : heifConvert(src, type, scratch);
  if (type.mime === 'image/jxl') return djxl(src, type, scratch);
  if (isRaw(type)) return rawPreview(src, type, scratch);
  return { input, orientation: 'exif' };
}

/** Prebuilt libvips has libheif with AV1 but without an HEVC decoder, so iPhone HEIC goes to heif-convert (libde265). */
async function sharpDecodesHeif(input: string | Buffer): Promise<boolean> {
  const meta = await sharp(input).metadata().catch(() => undefined);
  return meta?.compression === 'av1';
}

/** libheif has already applied the HEIF rotation (irot/imir) to the pixels; the EXIF orientation left in the output must be ignored. */
async function heifConvert(src: MediaSource, type: FileType, scratch: Scratch): Promise<Decodable> {
  const out = path.join(await scratch(), 'heif.jpg');
  const args = ['--quiet', '-q', HANDOVER_JPEG_QUALITY, await sourcePath(src, scratch, type.ext), out];
  await runTool('heif-convert', args, { timeoutMs: TOOL_TIMEOUT_MS }).catch((err: unknown) => {
    throw toolFailure(err, 'HEIC/HEIF', 'libheif-examples');
  });
  return { input: out, orientation: 1 };
}

/** djxl decodes to upright pixels (the codestream orientation applied) and re-encodes them as JPEG. */
async function djxl(src: MediaSource, type: FileType, scratch: Scratch): Promise<Decodable> {
  const out = path.join(await scratch(), 'jxl.jpg');
  const args = [await sourcePath(src, scratch, type.ext), out, '--quiet', '-q', HANDOVER_JPEG_QUALITY];
  await runTool('djxl', args, { timeoutMs: TOOL_TIMEOUT_MS }).catch((err: unknown) => {
    throw toolFailure(err, 'JPEG XL', 'libjxl-tools');
  });
  return { input: out, orientation: 1 };
}

const RAW_PREVIEW_TAGS = ['JpgFromRaw', 'PreviewImage', 'OtherImage', 'ThumbnailImage'];

/** The largest JPEG the camera embedded in the RAW, turned by the RAW's own orientation (the embedded JPEG rarely carries one). */
async function rawPreview(src: MediaSource, type: FileType, scratch: Scratch): Promise<Decodable> {
  const file = await sourcePath(src, scratch, type.ext);
  const name = type.ext.toUpperCase();
  const unreadable = (err: unknown) => {
    throw new UserError(`not a readable ${name} file: ${err instanceof Error ? err.message : String(err)}`, 'undecodable', { cause: err });
  };
  const tags = await readTagsWithExiftool(file, ['-n', '-fast', ...RAW_PREVIEW_TAGS.map((t) => `-${t}`), '-Orientation']).catch(unreadable);
  const sizes = RAW_PREVIEW_TAGS.map((tag) => ({ tag, bytes: binarySize(tags[tag]) })).filter((p) => p.bytes > 0);
  const largest = sizes.sort((a, b) => b.bytes - a.bytes)[0];
  if (!largest) throw new UserError(`${name} file has no embedded preview image to show`, 'undecodable');
  const input = await exiftool().extractBinaryTagToBuffer(largest.tag, file).catch(unreadable);
  const orientation = typeof tags.Orientation === 'number' && tags.Orientation >= 1 && tags.Orientation <= 8 ? tags.Orientation : 1;
  return { input, orientation };
}

/** exiftool lists binary tags as '(Binary data 291402 bytes, use -b option to extract)'. */
function binarySize(value: unknown): number {
  const m = typeof value === 'string' ? /Binary data (\d+) bytes/.exec(value) : null;
  return m ? Number(m[1]) : 0;
}

function toolFailure(err: unknown, format: string, debianPackage: string): unknown {
  if (!(err instanceof ToolError)) return err;
  if (err.failure === 'missing') return new UserError(`${format} needs ${err.tool} (Debian package ${debianPackage}), which is not installed`, 'undecodable', { cause: err });
  if (err.failure === 'failed') return new UserError(`not a decodable ${format} file: ${err.detail}`, 'undecodable', { cause: err });
  return new UserError(`${format} decoding stopped: ${err.message}`, 'undecodable', { cause: err });
}
