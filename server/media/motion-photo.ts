import { open } from 'node:fs/promises';
import { detectType, SNIFF_BYTES } from './detect.js';
import type { FileSource } from './metadata.js';

/** The video a motion photo carries inside its own file: bytes offset … offset+length−1 of the original. */
export interface EmbeddedVideo {
  offset: number;
  length: number;
  mime: 'video/mp4' | 'video/quicktime';
  durationMs: number | null;
}

/** Motion photos keep their XMP (with the video's position) in the first APP1 segment or HEIF item, near the start. */
const XMP_WINDOW = 256 * 1024;
/** Older Samsung phones put this marker right before the video, in a trailer after the JPEG. */
const SAMSUNG_MARKER = Buffer.from('MotionPhoto_Data', 'latin1');
/** Samsung's trailer (SEF), which indexes that video, ends the file with these bytes. */
const SEF_END = Buffer.from('SEFT', 'latin1');
const SCAN_CHUNK = 4 * 1024 * 1024;
const BOX_TYPE = /^[\x20-\x7e\xa9]{4}$/;

interface Bytes {
  size: number;
  read(at: number, length: number): Promise<Buffer>;
}

/**
 * Finds the video in a Google/Pixel or Samsung motion photo: where the XMP says it is (GCamera:MicroVideoOffset,
 * or the Container:Directory item of semantic MotionPhoto; both counted from the end of the file), else right
 * after Samsung's MotionPhoto_Data marker. Only a span that really holds an MP4 (ftyp first, a moov inside) counts.
 */
export async function findEmbeddedVideo(src: FileSource): Promise<EmbeddedVideo | undefined> {
  if ('buffer' in src) return search(bufferBytes(src.buffer));
  const handle = await open(src.path, 'r');
  try {
    const { size } = await handle.stat();
    return await search({
      size,
      read: async (at, length) => {
        const out = Buffer.alloc(Math.max(0, Math.min(length, size - at)));
        await handle.read(out, 0, out.length, at);
        return out;
      },
    });
  } finally {
    await handle.close();
  }
}

async function search(bytes: Bytes): Promise<EmbeddedVideo | undefined> {
  const head = await bytes.read(0, Math.min(bytes.size, XMP_WINDOW));
  const xmpAt = head.indexOf('<x:xmpmeta');
  const fromEnd = xmpAt < 0 ? undefined : xmpVideoLength(head.toString('latin1', xmpAt));
  if (fromEnd !== undefined && fromEnd < bytes.size) {
    const found = await videoAt(bytes, bytes.size - fromEnd);
    if (found) return found;
  }
  // Only a file that ends in Samsung's SEF trailer is searched for the marker: the search reads the whole file.
  if (bytes.size < 4 || !(await bytes.read(bytes.size - 4, 4)).equals(SEF_END)) return undefined;
  const marker = await lastIndexOf(bytes, SAMSUNG_MARKER);
  return marker === undefined ? undefined : videoAt(bytes, marker + SAMSUNG_MARKER.length);
}

/** The video's length as the XMP gives it (its distance from the end of the file), if the XMP describes one. */
export function xmpVideoLength(text: string): number | undefined {
  const start = text.indexOf('<x:xmpmeta');
  if (start < 0) return undefined;
  const end = text.indexOf('</x:xmpmeta>', start);
  const xmp = text.slice(start, end < 0 ? undefined : end);
  const micro = /GCamera:MicroVideoOffset(?:\s*=\s*["']|>)\s*(\d+)/.exec(xmp);
  if (micro) return Number(micro[1]);
  for (const item of xmp.split(/<Container:Item\b/).slice(1)) {
    if (!/Item:Semantic(?:\s*=\s*["']|>)\s*MotionPhoto\b/.test(item)) continue;
    const length = /Item:Length(?:\s*=\s*["']|>)\s*(\d+)/.exec(item);
    if (length) return Number(length[1]);
  }
  return undefined;
}

/**
 * The MP4 starting at `offset`: its top-level boxes are walked to where they stop (the end of the file, or a
 * trailer such as Samsung's SEF that is not a box), and the moov's mvhd gives the duration.
 */
async function videoAt(bytes: Bytes, offset: number): Promise<EmbeddedVideo | undefined> {
  if (offset <= 0 || offset + 16 > bytes.size) return undefined;
  const sniff = await bytes.read(offset, SNIFF_BYTES);
  if (sniff.toString('latin1', 4, 8) !== 'ftyp') return undefined;
  const type = await detectType(sniff);
  if (type.mime !== 'video/mp4' && type.mime !== 'video/quicktime') return undefined;
  let at = offset;
  let durationMs: number | null | undefined;
  while (at + 8 <= bytes.size) {
    const header = await bytes.read(at, 16);
    const kind = header.toString('latin1', 4, 8);
    if (!BOX_TYPE.test(kind)) break;
    let size = header.readUInt32BE(0);
    if (size === 1) size = header.length >= 16 ? Number(header.readBigUInt64BE(8)) : 0;
    else if (size === 0) size = bytes.size - at;
    if (size < 8 || at + size > bytes.size) break;
    if (kind === 'moov') durationMs = await mvhdDuration(bytes, at, size);
    at += size;
  }
  if (durationMs === undefined) return undefined;
  return { offset, length: at - offset, mime: type.mime, durationMs };
}

/** Duration from the movie header, the first child of moov in every phone's file. */
async function mvhdDuration(bytes: Bytes, moovAt: number, moovSize: number): Promise<number | null> {
  const body = await bytes.read(moovAt + 8, Math.min(moovSize - 8, 8 + 36));
  if (body.length < 8 || body.toString('latin1', 4, 8) !== 'mvhd') return null;
  const version = body[8];
  const v1 = version === 1;
  const need = v1 ? 8 + 4 + 16 + 4 + 8 : 8 + 4 + 8 + 4 + 4;
  if (body.length < need) return null;
  const timescale = body.readUInt32BE(v1 ? 8 + 4 + 16 : 8 + 4 + 8);
  const duration = v1 ? Number(body.readBigUInt64BE(8 + 4 + 16 + 4)) : body.readUInt32BE(8 + 4 + 8 + 4);
  return timescale > 0 ? Math.round((duration / timescale) * 1000) : null;
}

/** The last place `needle` occurs, read backwards in chunks (the trailer sits near the end). */
async function lastIndexOf(bytes: Bytes, needle: Buffer): Promise<number | undefined> {
  let end = bytes.size;
  while (end > 0) {
    const start = Math.max(0, end - SCAN_CHUNK);
    const chunk = await bytes.read(start, end - start + (end < bytes.size ? needle.length - 1 : 0));
    const found = chunk.lastIndexOf(needle);
    if (found >= 0) return start + found;
    end = start;
  }
  return undefined;
}

function bufferBytes(buffer: Buffer): Bytes {
  return { size: buffer.length, read: async (at, length) => buffer.subarray(at, at + length) };
}
