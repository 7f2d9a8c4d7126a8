import { describe, expect, it } from 'vitest';
import { iso6709, videoTags } from './video-tags.js';
import type { VideoProbe } from './video-probe.js';

const probe = (container: string, tags: Record<string, string>): VideoProbe => ({
  index: 0,
  width: 320,
  height: 240,
  durationS: 2.5,
  container,
  videoCodec: 'h264',
  audioCodec: null,
  pixelFormat: 'yuv420p',
  bitDepth: 8,
  fps: 30,
  rotation: 0,
  hdr: false,
  bitRate: null,
  tags,
});

describe('iso6709', () => {
  it.each([
    ['+48.8584+002.2945+035.000/', '48.8584 2.2945 35'],
    ['+48.8584+002.2945/', '48.8584 2.2945'],
    ['-33.8568+151.2153/', '-33.8568 151.2153'],
    ['+4851.504+00217.670/', '48.8584 2.29450'],
    ['+485130.24-0021740.2/', '48.85840 -2.29450'],
  ])('reads %s', (value, expected) => {
    const [lat, lon, alt] = iso6709(value)!.split(' ').map(Number);
    const [elat, elon, ealt] = expected.split(' ').map(Number);
    expect(lat).toBeCloseTo(elat!, 4);
    expect(lon).toBeCloseTo(elon!, 4);
    expect(alt).toBe(ealt);
  });

  it('ignores what is not a point', () => {
    expect(iso6709(undefined)).toBeUndefined();
    expect(iso6709('somewhere nice')).toBeUndefined();
    expect(iso6709('+4+002/')).toBeUndefined();
  });
});

describe('videoTags', () => {
  it('names an iPhone’s keys as exiftool does', () => {
    expect(
      videoTags(
        probe('mov,mp4,m4a,3gp,3g2,mj2', {
          'com.apple.quicktime.creationdate': '2024-07-14T18:30:05+0200',
          'com.apple.quicktime.location.iso6709': '+48.8584+002.2945+035.000/',
          'com.apple.quicktime.make': 'Apple',
          'com.apple.quicktime.model': 'iPhone 15 Pro',
          'com.apple.quicktime.content.identifier': 'A1B2',
          'com.apple.quicktime.keywords': 'beach,summer',
          creation_time: '2024-07-14T16:30:05.000000Z',
        }),
      ),
    ).toEqual({
      'QuickTime:CreationDate': '2024-07-14T18:30:05+0200',
      'QuickTime:GPSCoordinates': '48.8584 2.2945 35',
      'QuickTime:Make': 'Apple',
      'QuickTime:Model': 'iPhone 15 Pro',
      'QuickTime:ContentIdentifier': 'A1B2',
      'QuickTime:Keywords': ['beach', 'summer'],
      'QuickTime:Duration': 2.5,
      'QuickTime:CreateDate': '2024-07-14T16:30:05.000000Z',
    });
  });

  it('reads the creation time as each container defines it', () => {
    const created = { creation_time: '2018-08-08T08:08:08.000000Z' };
    expect(videoTags(probe('matroska,webm', created))).toMatchObject({ 'Matroska:DateTimeOriginal': created.creation_time });
    expect(videoTags(probe('avi', created))).toMatchObject({ 'RIFF:DateTimeOriginal': created.creation_time });
    expect(videoTags(probe('avi', created))).not.toHaveProperty('QuickTime:CreateDate');
  });

  it('takes Android’s maker keys and location, and a title when there is no description', () => {
    expect(videoTags(probe('mov,mp4,m4a,3gp,3g2,mj2', { 'com.android.manufacturer': 'Google', 'com.android.model': 'Pixel 8', location: '+48.8584+002.2945/', title: 'Sunset' }))).toMatchObject({
      'QuickTime:AndroidMake': 'Google',
      'QuickTime:AndroidModel': 'Pixel 8',
      'QuickTime:GPSCoordinates': '48.8584 2.2945',
      'QuickTime:Description': 'Sunset',
    });
  });
});
