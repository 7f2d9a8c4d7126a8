import { fileTypeFromBuffer } from 'file-type';

export type MediaKind = 'photo' | 'video' | 'other';

export interface FileType {
  mime: string;
  ext: string;
  kind: MediaKind;
}

/** Leading bytes detectType needs: TIFF-based RAWs are told apart by tags in their first IFD, which can sit a few KiB in. */
export const SNIFF_BYTES = 64 * 1024;

const UNKNOWN: FileType = { mime: 'application/octet-stream', ext: 'bin', kind: 'other' };
const TIFF = { mime: 'image/tiff', ext: 'tif' };

const PHOTO_MIMES = new Set([
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'image/tiff',
  'image/avif',
  'image/heic',
  'image/heif',
  'image/heic-sequence',
  'image/heif-sequence',
  'image/jxl',
  'image/x-adobe-dng',
  'image/x-canon-cr2',
  'image/x-canon-cr3',
  'image/x-nikon-nef',
  'image/x-sony-arw',
  'image/x-fujifilm-raf',
  'image/x-panasonic-rw2',
  'image/x-olympus-orf',
]);

const VIDEO_MIMES = new Set([
  'video/mp4',
  'video/quicktime',
  'video/x-m4v',
  'video/3gpp',
  'video/3gpp2',
  'video/matroska',
  'video/vnd.avi',
  'video/webm',
]);

/** A photo or video type Heirloom recognises: safe to serve as itself (nothing a browser would run, such as SVG or HTML). */
export function isMediaMime(mime: string): boolean {
  return PHOTO_MIMES.has(mime) || VIDEO_MIMES.has(mime);
}

/** The file's type from its leading bytes (at least SNIFF_BYTES of them when the file is that long), never from its name. */
export async function detectType(head: Uint8Array): Promise<FileType> {
  // A parser hiccup on hostile bytes means "unknown", not a failed upload.
  const found = (await fileTypeFromBuffer(head).catch(() => undefined)) ?? (isTiff(head) ? TIFF : undefined);
  if (!found) return UNKNOWN;
  const kind: MediaKind = PHOTO_MIMES.has(found.mime) ? 'photo' : VIDEO_MIMES.has(found.mime) ? 'video' : 'other';
  return { mime: found.mime, ext: found.ext, kind };
}

/**
 * file-type reads the first IFD to tell TIFF from TIFF-based RAWs and gives up when it lies beyond the head,
 * as libtiff writes it after the pixels (scanners do this): the byte-order mark alone still says TIFF.
 */
function isTiff(head: Uint8Array): boolean {
  const magic = Buffer.from(head.subarray(0, 4)).toString('latin1');
  return magic === 'II*\0' || magic === 'MM\0*';
}

export function isRaw(type: FileType): boolean {
  return type.mime.startsWith('image/x-');
}

export function isHeif(type: FileType): boolean {
  return type.mime.startsWith('image/heic') || type.mime.startsWith('image/heif');
}
