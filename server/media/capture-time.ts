/** A date tag as a file carries it, in the order of trust the caller gives. */
export interface DateCandidate {
  /** Reported as takenAtSource when this candidate wins, e.g. 'exif:DateTimeOriginal'. */
  source: string;
  /** EXIF 'YYYY:MM:DD HH:MM:SS[.fff][±HH:MM|Z]' or ISO 8601 as in XMP; partial dates ('2019', '2019-12') are accepted. */
  value: unknown;
  /** SubSecTime* digits, used when the value itself has no fraction. */
  subSec?: unknown;
  /** OffsetTime* ('+02:00') that applies to a value without its own zone. */
  offset?: unknown;
  /** The format defines the value as UTC (QuickTime movie header, Matroska DateUTC). */
  utc?: boolean;
}

export interface CaptureTime {
  takenAt: string;
  tzOffsetMinutes: number | null;
  takenAtSource: string;
}

const MINUTE = 60_000;
const MAX_OFFSET_MINUTES = 14 * 60;

/**
 * The first candidate that parses wins. Its offset comes from its own zone, else its OffsetTime tag,
 * else the GPS clock (UTC) when that agrees to a whole quarter hour, else it stays unknown.
 * With no offset the wall-clock time is stored as if it were UTC and tzOffsetMinutes is null: the instant
 * may be off by the (unknown) zone, but the time the camera showed is preserved exactly and displays
 * as taken, which is what a family timeline needs; guessing a zone from the server's would be wrong.
 */
export function resolveCaptureTime(candidates: readonly DateCandidate[], gpsUtcMs: number | null, fileMtime: Date): CaptureTime {
  for (const c of candidates) {
    const parsed = parseDateTime(c.value);
    if (!parsed) continue;
    let wallMs = parsed.wallMs;
    if (!parsed.hasFraction) wallMs += subSecondMs(c.subSec);
    const offset = parsed.offsetMinutes ?? parseOffset(c.offset) ?? (c.utc ? 0 : gpsOffset(wallMs, gpsUtcMs));
    return {
      takenAt: new Date(wallMs - (offset ?? 0) * MINUTE).toISOString(),
      tzOffsetMinutes: offset,
      takenAtSource: c.source,
    };
  }
  return { takenAt: fileMtime.toISOString(), tzOffsetMinutes: null, takenAtSource: 'file:mtime' };
}

interface ParsedDateTime {
  /** The wall-clock reading as milliseconds since the epoch, as if it were UTC. */
  wallMs: number;
  offsetMinutes: number | null;
  hasFraction: boolean;
}

const DATE_TIME =
  /^(\d{4})(?:[:-](\d{1,2})(?:[:-](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

export function parseDateTime(value: unknown): ParsedDateTime | null {
  if (typeof value !== 'string') return null;
  const m = DATE_TIME.exec(value.trim());
  if (!m) return null;
  const [, y, mo = '1', d = '1', h = '0', mi = '0', s = '0', frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (year < 1800 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
  const wallMs = Date.UTC(year, month - 1, day, hour, minute, second) + (frac ? Math.round(Number(`0.${frac}`) * 1000) : 0);
  if (new Date(wallMs).getUTCDate() !== day) return null;
  return { wallMs, offsetMinutes: zone ? parseOffset(zone) : null, hasFraction: frac !== undefined };
}

/** '+02:00', '-0530', 'Z' → minutes east of UTC; anything else (blank, '  :  ', out of range) → null. */
export function parseOffset(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const v = value.trim();
  if (v.toUpperCase() === 'Z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(v);
  if (!m) return null;
  const minutes = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
  return Math.abs(minutes) <= MAX_OFFSET_MINUTES ? minutes : null;
}

/** GPS date + time stamps (always UTC) → epoch ms. */
export function parseGpsUtc(date: unknown, time: unknown): number | null {
  if (typeof date !== 'string' || typeof time !== 'string') return null;
  const parsed = parseDateTime(`${date.trim()} ${time.trim()}`);
  return parsed ? parsed.wallMs : null;
}

/** A camera clock and the GPS clock differ by the zone offset, in quarter hours; a stale fix does not. */
function gpsOffset(wallMs: number, gpsUtcMs: number | null): number | null {
  if (gpsUtcMs === null) return null;
  const diffMinutes = (wallMs - gpsUtcMs) / MINUTE;
  const quarters = Math.round(diffMinutes / 15) * 15;
  if (Math.abs(diffMinutes - quarters) > 2 || Math.abs(quarters) > MAX_OFFSET_MINUTES) return null;
  return quarters;
}

function subSecondMs(value: unknown): number {
  const digits = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  return /^\d+$/.test(digits) ? Math.round(Number(`0.${digits}`) * 1000) : 0;
}
