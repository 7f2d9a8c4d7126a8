import type { Tags } from './tags.js';
import type { VideoProbe } from './video-probe.js';

/**
 * What ffprobe read from a video's container, under the names exiftool gives the same values, so that one
 * interpretation (capture-time order, sidecar overlay) serves photos and videos. ffprobe reads through the
 * vault's loopback URL, which exiftool cannot, so a video's metadata never needs a plaintext file.
 */
export function videoTags(probe: VideoProbe): Tags {
  const t = probe.tags;
  const tags: Tags = {
    // iPhone: local time with its offset.
    'QuickTime:CreationDate': t['com.apple.quicktime.creationdate'],
    'QuickTime:GPSCoordinates': iso6709(t['com.apple.quicktime.location.iso6709'] ?? t.location),
    'QuickTime:Make': t['com.apple.quicktime.make'] ?? t.make,
    'QuickTime:Model': t['com.apple.quicktime.model'] ?? t.model,
    'QuickTime:AndroidMake': t['com.android.manufacturer'],
    'QuickTime:AndroidModel': t['com.android.model'],
    'QuickTime:ContentIdentifier': t['com.apple.quicktime.content.identifier'],
    'QuickTime:Description': t['com.apple.quicktime.description'] ?? t.description ?? t['com.apple.quicktime.title'] ?? t.title,
    'QuickTime:Keywords': (t['com.apple.quicktime.keywords'] ?? t.keywords)?.split(/[,;]/),
    'QuickTime:Duration': probe.durationS ?? undefined,
  };
  // ffmpeg reports each container's own creation time as creation_time: UTC in MP4/MOV (mvhd) and Matroska (DateUTC), local in AVI (IDIT).
  const created = t.creation_time;
  if (/matroska|webm/.test(probe.container)) tags['Matroska:DateTimeOriginal'] = created;
  else if (/avi/.test(probe.container)) tags['RIFF:DateTimeOriginal'] = created;
  else tags['QuickTime:CreateDate'] = created;
  return Object.fromEntries(Object.entries(tags).filter(([, value]) => value !== undefined));
}

/**
 * An ISO 6709 point ('+48.8584+002.2945+035.000/', as iPhones and Android write it) as 'lat lon [alt]' in decimal
 * degrees. Degrees may also be written as DDMM.M or DDMMSS.S, told apart by the count of whole digits.
 */
export function iso6709(value: string | undefined): string | undefined {
  const m = /^([+-]\d+(?:\.\d*)?)([+-]\d+(?:\.\d*)?)([+-]\d+(?:\.\d*)?)?/.exec(value?.trim() ?? '');
  if (!m) return undefined;
  const latitude = degrees(m[1]!, 2);
  const longitude = degrees(m[2]!, 3);
  if (latitude === undefined || longitude === undefined) return undefined;
  return [latitude, longitude, ...(m[3] ? [Number(m[3])] : [])].join(' ');
}

function degrees(value: string, degreeDigits: number): number | undefined {
  const sign = value.startsWith('-') ? -1 : 1;
  const [whole = '', fraction = ''] = value.slice(1).split('.');
  const n = Number(`${whole}.${fraction || '0'}`);
  if (whole.length === degreeDigits) return sign * n;
  if (whole.length === degreeDigits + 2) return sign * (Math.trunc(n / 100) + (n % 100) / 60);
  if (whole.length === degreeDigits + 4) return sign * (Math.trunc(n / 10_000) + (Math.trunc(n / 100) % 100) / 60 + (n % 100) / 3600);
  return undefined;
}
