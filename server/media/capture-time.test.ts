import { describe, expect, it } from 'vitest';
import { parseDateTime, parseGpsUtc, parseOffset, resolveCaptureTime } from './capture-time.js';

const mtime = new Date('2030-01-01T00:00:00.000Z');

describe('parseDateTime', () => {
  it.each([
    ['2021:07:04 20:30:00', '2021-07-04T20:30:00.000Z', null],
    ['2021-07-04T20:30:00+02:00', '2021-07-04T20:30:00.000Z', 120],
    ['2021:07:04 20:30:00.25Z', '2021-07-04T20:30:00.250Z', 0],
    ['2021-07-04T20:30:00-0530', '2021-07-04T20:30:00.000Z', -330],
    ['2019', '2019-01-01T00:00:00.000Z', null],
    ['2019-12', '2019-12-01T00:00:00.000Z', null],
    ['2019:12:25', '2019-12-25T00:00:00.000Z', null],
  ])('reads %s', (value, wall, offset) => {
    const parsed = parseDateTime(value)!;
    expect(new Date(parsed.wallMs).toISOString()).toBe(wall);
    expect(parsed.offsetMinutes).toBe(offset);
  });

  it.each(['0000:00:00 00:00:00', '    :  :     :  :  ', '2021:02:30 10:00:00', '2021:07:04 25:00:00', 'yesterday', ''])('rejects %j', (value) => {
    expect(parseDateTime(value)).toBeNull();
  });

  it('ignores what is not a string', () => {
    expect(parseDateTime(20210704)).toBeNull();
    expect(parseDateTime(undefined)).toBeNull();
  });
});

describe('parseOffset', () => {
  it.each([
    ['+02:00', 120],
    ['-05:30', -330],
    ['+0100', 60],
    ['Z', 0],
    ['   :  ', null],
    ['+15:00', null],
    [undefined, null],
  ])('%j → %j', (value, minutes) => expect(parseOffset(value)).toBe(minutes));
});

describe('resolveCaptureTime', () => {
  it('takes the first usable candidate and its OffsetTime', () => {
    const result = resolveCaptureTime(
      [
        { source: 'exif:DateTimeOriginal', value: '0000:00:00 00:00:00' },
        { source: 'exif:CreateDate', value: '2021:07:04 20:30:00', subSec: '042', offset: '+02:00' },
        { source: 'xmp:DateCreated', value: '2000-01-01T00:00:00Z' },
      ],
      null,
      mtime,
    );
    expect(result).toEqual({ takenAt: '2021-07-04T18:30:00.042Z', tzOffsetMinutes: 120, takenAtSource: 'exif:CreateDate' });
  });

  it('keeps the wall-clock time as UTC, offset unknown, when nothing tells the zone', () => {
    expect(resolveCaptureTime([{ source: 'exif:DateTimeOriginal', value: '2021:07:04 20:30:00' }], null, mtime)).toEqual({
      takenAt: '2021-07-04T20:30:00.000Z',
      tzOffsetMinutes: null,
      takenAtSource: 'exif:DateTimeOriginal',
    });
  });

  it('derives the offset from the GPS clock when it agrees to the quarter hour', () => {
    const candidates = [{ source: 'exif:DateTimeOriginal', value: '2021:07:04 20:30:00' }];
    expect(resolveCaptureTime(candidates, parseGpsUtc('2021:07:04', '18:29:41'), mtime)).toMatchObject({ takenAt: '2021-07-04T18:30:00.000Z', tzOffsetMinutes: 120 });
    expect(resolveCaptureTime(candidates, parseGpsUtc('2021:07:05', '01:00:00'), mtime)).toMatchObject({ tzOffsetMinutes: -270 });
    // A fix from 7 minutes earlier says nothing reliable about the zone.
    expect(resolveCaptureTime(candidates, parseGpsUtc('2021:07:04', '18:23:00'), mtime)).toMatchObject({ tzOffsetMinutes: null });
  });

  it('treats container times defined as UTC as UTC', () => {
    expect(resolveCaptureTime([{ source: 'quicktime:CreateDate', value: '2020:05:01 12:00:00', utc: true }], null, mtime)).toEqual({
      takenAt: '2020-05-01T12:00:00.000Z',
      tzOffsetMinutes: 0,
      takenAtSource: 'quicktime:CreateDate',
    });
  });

  it('falls back to the file mtime', () => {
    expect(resolveCaptureTime([{ source: 'exif:DateTimeOriginal', value: undefined }], null, mtime)).toEqual({
      takenAt: '2030-01-01T00:00:00.000Z',
      tzOffsetMinutes: null,
      takenAtSource: 'file:mtime',
    });
  });
});
