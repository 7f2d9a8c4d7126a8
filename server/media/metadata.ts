import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { type DateCandidate, parseGpsUtc, resolveCaptureTime } from './capture-time.js';
import { type FileType, isHeif } from './detect.js';
import { sourcePath, withScratch } from './scratch.js';
import { readJxlExif, readTagsWithExiftool, readTagsWithExifr, type Tags } from './tags.js';
import { probeVideo, type VideoProbe } from './video-probe.js';
import { videoTags } from './video-tags.js';

/** A file's bytes in memory, or a file on local disk. */
export type FileSource = { path: string } | { buffer: Buffer };
/** What media work reads: a file's bytes, or a video lent to ffmpeg as a decrypting loopback URL (videos only). */
export type MediaSource = FileSource | { url: string };

export interface MediaMetadata {
  /** ISO 8601 UTC instant, e.g. '2021-07-04T18:30:00.000Z'. */
  takenAt: string | null;
  /** Offset of the local capture time when known; null means takenAt holds the camera's wall-clock time as if it were UTC. */
  tzOffsetMinutes: number | null;
  /** Which tag won: 'exif:DateTimeOriginal', 'xmp:DateCreated', 'sidecar:DateCreated', 'quicktime:CreationDate', 'file:mtime', … */
  takenAtSource: string;
  /** As displayed (orientation or video rotation applied). */
  width: number | null;
  height: number | null;
  /** EXIF orientation 1–8; for videos the display rotation expressed the same way (90° → 6, 180° → 3, 270° → 8). */
  orientation: number | null;
  durationMs: number | null;
  latitude: number | null;
  longitude: number | null;
  altitude: number | null;
  make: string | null;
  model: string | null;
  lens: string | null;
  fNumber: number | null;
  /** '1/250', '2.5' (seconds). */
  exposureTime: string | null;
  iso: number | null;
  focalLength: number | null;
  /** -1 (rejected) … 5 */
  rating: number | null;
  keywords: string[];
  description: string | null;
  /** Apple's ContentIdentifier, shared by a Live Photo's still and its MOV. */
  contentId: string | null;
}

/** Formats libvips reads, so one header parse gives the displayed size and orientation. */
const SHARP_READABLE = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/tiff', 'image/avif']);
/** Formats exifr parses in-process; the rest (and whatever exifr fails on) go to exiftool. */
const EXIFR_READABLE = new Set(['image/jpeg', 'image/png', 'image/tiff', 'image/avif']);
/** Where exifr finding nothing means there is nothing (elsewhere exiftool knows more places to look, e.g. PNG tIME). */
const EXIFR_COMPLETE = new Set(['image/jpeg', 'image/tiff']);

/**
 * Everything Heirloom records about a photo or video. Never throws for a damaged or unknown file:
 * whatever could not be read is null, and the capture time falls back to the file's mtime.
 */
export async function readMetadata(src: MediaSource, type: FileType, opts: { fileMtime: Date; sidecarPath?: string; videoProbe?: Promise<VideoProbe> }): Promise<MediaMetadata> {
  const sidecar = opts.sidecarPath ? readTagsWithExiftool(opts.sidecarPath).catch(() => ({})) : undefined;
  if (type.kind === 'video') {
    const [probe, sidecarTags] = await Promise.all([(opts.videoProbe ?? readVideoProbe(src, type)).catch(() => undefined), sidecar]);
    const header = probe && { width: probe.width, height: probe.height, orientation: rotationToOrientation(probe.rotation) };
    return interpret(probe ? videoTags(probe) : {}, sidecarTags, header, type, opts.fileMtime);
  }
  if ('url' in src) throw new Error('only a video is read through a URL');
  const [tags, sidecarTags, header] = await Promise.all([
    type.kind === 'other' ? {} : readTags(src, type),
    sidecar,
    SHARP_READABLE.has(type.mime) || isHeif(type) ? readHeader(src) : undefined,
  ]);
  return interpret(tags, sidecarTags, header, type, opts.fileMtime);
}

/**
 * Finds each file's XMP sidecar among the names in its folder, as photo managers name them: IMG_1.JPG.xmp
 * (darktable, digiKam) or IMG_1.xmp (Lightroom), in any letter case.
 */
export function sidecarLookup(namesInFolder: Iterable<string>): (fileName: string) => string | undefined {
  const byLower = new Map<string, string>();
  for (const name of namesInFolder) if (/\.xmp$/i.test(name)) byLower.set(name.toLowerCase(), name);
  return (fileName) => {
    for (const wanted of [`${fileName}.xmp`, `${path.parse(fileName).name}.xmp`]) {
      const found = byLower.get(wanted.toLowerCase());
      if (found && found !== fileName) return found;
    }
    return undefined;
  };
}

async function readTags(src: FileSource, type: FileType): Promise<Tags> {
  if (EXIFR_READABLE.has(type.mime) || isHeif(type)) {
    // exifr fetches strings containing '://' as URLs; a resolved path has no '//' left.
    const fast = await readTagsWithExifr('buffer' in src ? src.buffer : path.resolve(src.path));
    if (fast && (Object.keys(fast).length > 0 || EXIFR_COMPLETE.has(type.mime))) return fast;
  }
  const tags = await withScratch(async (scratch) => readTagsWithExiftool(await sourcePath(src, scratch, type.ext))).catch(() => ({}));
  if (type.mime !== 'image/jxl') return tags;
  const exif = await ('buffer' in src ? Promise.resolve(src.buffer) : readFile(src.path)).then(readJxlExif).catch(() => undefined);
  return { ...tags, ...exif };
}

/** A video's container and stream as ffprobe reads them, from the file, its loopback URL, or a scratch copy of a buffer. */
export function readVideoProbe(src: MediaSource, type: FileType): Promise<VideoProbe> {
  return withScratch(async (scratch) => probeVideo(await sourcePath(src, scratch, type.ext)));
}

interface Header {
  width: number;
  height: number;
  orientation: number | null;
}

async function readHeader(src: FileSource): Promise<Header | undefined> {
  try {
    const meta = await sharp('buffer' in src ? src.buffer : src.path).metadata();
    return { width: meta.autoOrient.width, height: meta.autoOrient.height, orientation: meta.orientation ?? null };
  } catch {
    return undefined;
  }
}

function interpret(tags: Tags, sidecar: Tags | undefined, header: Header | undefined, type: FileType, fileMtime: Date): MediaMetadata {
  const embedded = descriptive(tags);
  const override = sidecar ? descriptive(sidecar) : undefined;
  const candidates = [...(sidecar ? xmpDates(sidecar, 'sidecar') : []), ...dateCandidates(tags)];
  const gpsUtc = parseGpsUtc(tags['EXIF:GPSDateStamp'], tags['EXIF:GPSTimeStamp']);
  const orientation = header?.orientation ?? orientationOf(tags['EXIF:Orientation']);
  const size = header ?? storedSize(tags, orientation);
  const seconds = type.kind === 'video' ? num(tags['QuickTime:Duration']) : null;
  return {
    ...resolveCaptureTime(candidates, gpsUtc, fileMtime),
    width: size?.width ?? null,
    height: size?.height ?? null,
    orientation,
    durationMs: seconds !== null && seconds > 0 ? Math.round(seconds * 1000) : null,
    contentId: text(tags['MakerNotes:ContentIdentifier'], tags['QuickTime:ContentIdentifier']),
    ...(override ? overlay(embedded, override) : embedded),
  };
}

/** Sidecar values win wherever the sidecar has one; a location is taken whole (latitude, longitude, altitude). */
function overlay(embedded: Descriptive, sidecar: Descriptive): Descriptive {
  const out: Record<string, unknown> = { ...embedded };
  for (const [key, value] of Object.entries(sidecar)) {
    if (value !== null && !(Array.isArray(value) && value.length === 0)) out[key] = value;
  }
  if (sidecar.latitude !== null) out.altitude = sidecar.altitude;
  return out as Descriptive;
}

type Descriptive = Pick<
  MediaMetadata,
  'latitude' | 'longitude' | 'altitude' | 'make' | 'model' | 'lens' | 'fNumber' | 'exposureTime' | 'iso' | 'focalLength' | 'rating' | 'keywords' | 'description'
>;

/** The fields a sidecar may override. */
function descriptive(t: Tags): Descriptive {
  const coords = typeof t['QuickTime:GPSCoordinates'] === 'string' ? t['QuickTime:GPSCoordinates'].trim().split(/[\s,]+/).map(Number) : [];
  let latitude = num(t['Composite:GPSLatitude'], t['XMP:GPSLatitude'], coords[0]);
  let longitude = num(t['Composite:GPSLongitude'], t['XMP:GPSLongitude'], coords[1]);
  // (0, 0) is what apps write when they had no fix.
  if (latitude === null || longitude === null || Math.abs(latitude) > 90 || Math.abs(longitude) > 180 || (latitude === 0 && longitude === 0)) {
    latitude = null;
    longitude = null;
  }
  const rating = num(t['XMP:Rating'], t['EXIF:Rating']);
  return {
    latitude,
    longitude,
    altitude: latitude === null ? null : num(t['Composite:GPSAltitude'], t['XMP:GPSAltitude'], coords[2]),
    make: text(t['EXIF:Make'], t['QuickTime:Make'], t['XMP:Make'], t['QuickTime:AndroidMake']),
    model: text(t['EXIF:Model'], t['QuickTime:Model'], t['XMP:Model'], t['QuickTime:AndroidModel']),
    lens: text(t['EXIF:LensModel'], t['XMP:LensModel'], t['XMP:Lens']),
    fNumber: positive(num(t['EXIF:FNumber'], t['XMP:FNumber'])),
    exposureTime: exposure(num(t['EXIF:ExposureTime'], t['XMP:ExposureTime'])),
    iso: positive(num(t['EXIF:ISO'], t['XMP:ISO'])),
    focalLength: positive(num(t['EXIF:FocalLength'], t['XMP:FocalLength'])),
    rating: rating !== null && rating >= -1 && rating <= 5 ? rating : null,
    keywords: keywords(t['XMP:Subject'], t['IPTC:Keywords'], t['QuickTime:Keywords']),
    description: caption(t['XMP:Description'], t['IPTC:Caption-Abstract'], t['IPTC:Caption'], t['EXIF:ImageDescription'], t['QuickTime:Description']),
  };
}

/** Capture-time tags in order of trust: the shutter's own EXIF time, then XMP/IPTC, then container times, then edit times. */
function dateCandidates(t: Tags): DateCandidate[] {
  const offset = t['EXIF:OffsetTime'];
  return [
    { source: 'exif:DateTimeOriginal', value: t['EXIF:DateTimeOriginal'], subSec: t['EXIF:SubSecTimeOriginal'], offset: t['EXIF:OffsetTimeOriginal'] ?? offset },
    { source: 'exif:CreateDate', value: t['EXIF:CreateDate'], subSec: t['EXIF:SubSecTimeDigitized'], offset: t['EXIF:OffsetTimeDigitized'] ?? offset },
    ...xmpDates(t, 'xmp'),
    { source: 'iptc:DateCreated', value: iptcDateTime(t['IPTC:DateCreated'], t['IPTC:TimeCreated']) },
    { source: 'quicktime:CreationDate', value: t['QuickTime:CreationDate'] },
    { source: 'quicktime:CreateDate', value: t['QuickTime:CreateDate'], utc: true },
    { source: 'matroska:DateTimeOriginal', value: t['Matroska:DateTimeOriginal'], utc: true },
    { source: 'riff:DateTimeOriginal', value: t['RIFF:DateTimeOriginal'] },
    { source: 'png:CreationTime', value: t['PNG:CreationTime'] },
    { source: 'exif:ModifyDate', value: t['EXIF:ModifyDate'], subSec: t['EXIF:SubSecTime'], offset },
  ];
}

function xmpDates(t: Tags, prefix: string): DateCandidate[] {
  return ['DateTimeOriginal', 'DateCreated', 'CreateDate'].map((name) => ({ source: `${prefix}:${name}`, value: t[`XMP:${name}`] }));
}

/** IPTC keeps date and time apart, as 'YYYY:MM:DD' / 'HH:MM:SS±HH:MM' (exiftool) or 'YYYYMMDD' / 'HHMMSS±HHMM' (raw). */
function iptcDateTime(date: unknown, time: unknown): string | undefined {
  if (typeof date !== 'string') return undefined;
  const d = date.trim().replace(/^(\d{4})(\d{2})(\d{2})$/, '$1:$2:$3');
  if (typeof time !== 'string') return d;
  const t = time.trim().replace(/^(\d{2})(\d{2})(\d{2})/, '$1:$2:$3');
  return `${d} ${t}`;
}

function storedSize(t: Tags, orientation: number | null): { width: number; height: number } | undefined {
  const [w, h] = typeof t['Composite:ImageSize'] === 'string' ? t['Composite:ImageSize'].split(/[\sx]+/).map(Number) : [];
  const width = num(w, t['File:ImageWidth'], t['EXIF:ExifImageWidth']);
  const height = num(h, t['File:ImageHeight'], t['EXIF:ExifImageHeight']);
  if (!width || !height) return undefined;
  return orientation !== null && orientation >= 5 ? { width: height, height: width } : { width, height };
}

function orientationOf(value: unknown): number | null {
  const n = num(value);
  return n !== null && Number.isInteger(n) && n >= 1 && n <= 8 ? n : null;
}

function rotationToOrientation(degrees: number): number {
  return { 90: 6, 180: 3, 270: 8 }[((Math.round(degrees / 90) * 90) % 360 + 360) % 360] ?? 1;
}

/** The first value that is a finite number (numeric strings and 'a/b' rationals included; arrays give their first item). */
function num(...values: unknown[]): number | null {
  for (const v of values) {
    const first = Array.isArray(v) ? v[0] : v;
    if (typeof first === 'number' && Number.isFinite(first)) return first;
    if (typeof first === 'string') {
      const m = /^\s*(-?[\d.]+)(?:\s*\/\s*([\d.]+))?\s*$/.exec(first);
      const n = m ? (m[2] ? Number(m[1]) / Number(m[2]) : Number(m[1])) : NaN;
      if (Number.isFinite(n)) return n;
    }
  }
  return null;
}

function positive(n: number | null): number | null {
  return n !== null && n > 0 ? n : null;
}

function text(...values: unknown[]): string | null {
  for (const v of values) {
    const first = Array.isArray(v) ? v[0] : v;
    const s = typeof first === 'string' ? first.replace(/\0/g, '').trim() : typeof first === 'number' ? String(first) : '';
    if (s) return s;
  }
  return null;
}

/** Placeholder descriptions cameras write into every photo. */
const CAMERA_DEFAULT_CAPTIONS = /^(olympus digital camera|sony dsc|digital camera|default|dcim|image|picture|exif_jpeg_picture|camera|untitled|photo)$/i;

function caption(...values: unknown[]): string | null {
  for (const v of values) {
    const s = text(v);
    if (s && !CAMERA_DEFAULT_CAPTIONS.test(s)) return s;
  }
  return null;
}

function keywords(...values: unknown[]): string[] {
  const out = new Set<string>();
  for (const v of values) {
    for (const item of Array.isArray(v) ? v : [v]) {
      const s = text(item);
      if (s) out.add(s);
    }
  }
  return [...out];
}

function exposure(seconds: number | null): string | null {
  if (seconds === null || seconds <= 0) return null;
  if (seconds >= 1) return String(Math.round(seconds * 10) / 10);
  const denominator = Math.round(1 / seconds);
  return Math.abs(1 / denominator - seconds) / seconds < 0.05 ? `1/${denominator}` : String(Number(seconds.toPrecision(2)));
}
