import { brotliDecompressSync } from 'node:zlib';
import exifr from 'exifr';
import { exiftool } from './exiftool.js';

/**
 * Metadata tags keyed as `exiftool -G -n -json` names them ('EXIF:DateTimeOriginal', 'XMP:Subject',
 * 'QuickTime:CreationDate', 'Composite:GPSLatitude'), numeric values as numbers. The exifr fast path
 * is translated into the same names so one interpretation serves both readers.
 */
export type Tags = Record<string, unknown>;

const EXIFR_OPTIONS = {
  mergeOutput: false,
  reviveValues: false,
  translateValues: false,
  tiff: true,
  exif: true,
  gps: true,
  xmp: true,
  iptc: true,
  icc: false,
  jfif: false,
  ihdr: false,
  ifd1: false,
  interop: false,
  // Only Apple's is read (for a Live Photo's ContentIdentifier); exifr hands it over as raw bytes.
  makerNote: true,
  userComment: false,
};

type Block = Record<string, unknown>;

/** In-process read (JPEG, PNG, TIFF, HEIF): {} when the file has no metadata, undefined when exifr could not parse it. */
export async function readTagsWithExifr(input: Buffer | string): Promise<Tags | undefined> {
  let out: Record<string, Block | undefined> | undefined;
  try {
    out = await exifr.parse(input, EXIFR_OPTIONS);
  } catch {
    return undefined;
  }
  if (!out) return {};
  if ('errors' in out) return undefined;
  const tags: Tags = {};
  for (const block of [out.ifd0, out.exif]) Object.assign(tags, prefixed('EXIF', block));
  const contentId = appleContentId(out.exif?.MakerNote ?? out.makerNote);
  if (contentId) tags['MakerNotes:ContentIdentifier'] = contentId;
  Object.assign(tags, gpsTags(out.gps), prefixed('IPTC', out.iptc));
  Object.assign(tags, prefixed('XMP', out.xmp), prefixed('XMP', out.photoshop), prefixed('XMP', capitalised(out.dc)));
  return tags;
}

/** Out-of-process read that knows every photo format: RAW, WebP, GIF, JPEG XL, XMP sidecars (videos are read by ffprobe). */
export async function readTagsWithExiftool(file: string, readArgs = ['-G', '-n', '-fast']): Promise<Tags> {
  const tags: Tags = await exiftool().readRaw(file, { readArgs });
  return tags;
}

/**
 * EXIF inside a JPEG XL container: an 'Exif' box, or a Brotli-compressed 'brob' box wrapping one
 * (what cjxl writes). exiftool needs a Perl Brotli module for the latter that Debian does not install.
 */
export async function readJxlExif(file: Buffer): Promise<Tags | undefined> {
  const payload = jxlExifBox(file);
  // The box starts with a 4-byte offset to the TIFF header.
  return payload && payload.length > 8 ? readTagsWithExifr(payload.subarray(4 + payload.readUInt32BE(0))) : undefined;
}

function jxlExifBox(file: Buffer): Buffer | undefined {
  let at = 0;
  while (at + 8 <= file.length) {
    let size = file.readUInt32BE(at);
    const type = file.toString('latin1', at + 4, at + 8);
    let header = 8;
    if (size === 1 && at + 16 <= file.length) {
      size = Number(file.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) {
      size = file.length - at;
    }
    if (size < header || at + size > file.length) return undefined;
    const body = file.subarray(at + header, at + size);
    if (type === 'Exif') return body;
    if (type === 'brob' && body.toString('latin1', 0, 4) === 'Exif') {
      try {
        return brotliDecompressSync(body.subarray(4));
      } catch {
        return undefined;
      }
    }
    at += size;
  }
  return undefined;
}

const APPLE_MAKER_NOTE = 'Apple iOS\0';
const CONTENT_IDENTIFIER = 0x0011;

/** The ContentIdentifier in an iPhone's maker note ("Apple iOS\0", version, "MM", then a big-endian IFD whose offsets count from the note's start). */
export function appleContentId(note: unknown): string | undefined {
  if (!(note instanceof Uint8Array) || note.length < 16) return undefined;
  const bytes = Buffer.from(note.buffer, note.byteOffset, note.byteLength);
  if (bytes.toString('latin1', 0, 10) !== APPLE_MAKER_NOTE || bytes.toString('latin1', 12, 14) !== 'MM') return undefined;
  const count = bytes.readUInt16BE(14);
  for (let i = 0; i < count; i++) {
    const at = 16 + i * 12;
    if (at + 12 > bytes.length) return undefined;
    if (bytes.readUInt16BE(at) !== CONTENT_IDENTIFIER || bytes.readUInt16BE(at + 2) !== 2) continue;
    const length = bytes.readUInt32BE(at + 4);
    const start = length <= 4 ? at + 8 : bytes.readUInt32BE(at + 8);
    if (start + length > bytes.length) return undefined;
    return bytes.toString('latin1', start, start + length).replace(/\0+$/, '').trim() || undefined;
  }
  return undefined;
}

function prefixed(group: string, block: Block | undefined): Tags {
  const tags: Tags = {};
  for (const [key, value] of Object.entries(block ?? {})) tags[`${group}:${key}`] = plain(value, group === 'XMP');
  return tags;
}

/** exifr names Dublin Core properties in lower case (dc:subject); exiftool capitalises them. */
function capitalised(block: Block | undefined): Block | undefined {
  if (!block) return undefined;
  return Object.fromEntries(Object.entries(block).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), v]));
}

/** exifr's raw values as exiftool -n prints them: single-byte arrays as numbers, XMP language alternatives as their text. */
function plain(value: unknown, xml: boolean): unknown {
  if (value instanceof Uint8Array) return value.length === 1 ? value[0] : undefined;
  if (typeof value === 'string') return xml ? decodeEntities(value) : value;
  if (Array.isArray(value)) return value.map((v) => plain(v, xml));
  if (value && typeof value === 'object' && 'value' in value) return plain((value as { value: unknown }).value, xml);
  return value;
}

function gpsTags(gps: Block | undefined): Tags {
  if (!gps) return {};
  const tags = prefixed('EXIF', gps);
  const { latitude, longitude } = gps;
  if (typeof latitude === 'number' && typeof longitude === 'number') {
    tags['Composite:GPSLatitude'] = latitude;
    tags['Composite:GPSLongitude'] = longitude;
  }
  if (typeof gps.GPSAltitude === 'number') {
    tags['Composite:GPSAltitude'] = tags['EXIF:GPSAltitudeRef'] === 1 ? -gps.GPSAltitude : gps.GPSAltitude;
  }
  if (Array.isArray(gps.GPSTimeStamp)) tags['EXIF:GPSTimeStamp'] = gps.GPSTimeStamp.map((n) => String(Math.floor(Number(n))).padStart(2, '0')).join(':');
  return tags;
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** exifr leaves XML character references in XMP text (&#39;, &amp;). */
function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (whole, ref: string) => {
    const r = ref.toLowerCase();
    if (!r.startsWith('#')) return NAMED_ENTITIES[r] ?? whole;
    const code = r.startsWith('#x') ? parseInt(r.slice(2), 16) : Number(r.slice(1));
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}
