import { UserError } from '../errors.js';
import { runTool, ToolError } from './run-tool.js';

/** What ffprobe says about a video's main stream and its container. */
export interface VideoProbe {
  index: number;
  /** Displayed size: sample aspect ratio and rotation applied. */
  width: number;
  height: number;
  durationS: number | null;
  /** ffprobe's format_name, e.g. 'mov,mp4,m4a,3gp,3g2,mj2' or 'matroska,webm'. */
  container: string;
  videoCodec: string;
  /** null when there is no audio stream. */
  audioCodec: string | null;
  pixelFormat: string | null;
  bitDepth: number | null;
  fps: number | null;
  /** Clockwise display rotation in degrees. */
  rotation: 0 | 90 | 180 | 270;
  /** PQ (HDR10, Dolby Vision) or HLG transfer. */
  hdr: boolean;
  /** Bits per second of the whole file. */
  bitRate: number | null;
  /** The container's metadata (creation time, location, make, Apple keys), names in lower case. */
  tags: Record<string, string>;
}

const PROBE_TIMEOUT_MS = 30_000;

/** HDR (PQ, HLG) frames tone-mapped to SDR BT.709, or they look grey and washed out. */
export const TONEMAP = 'zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv,format=yuv420p';

interface ProbeOutput {
  streams?: {
    index: number;
    codec_type?: string;
    codec_name?: string;
    width?: number;
    height?: number;
    sample_aspect_ratio?: string;
    pix_fmt?: string;
    bits_per_raw_sample?: string;
    avg_frame_rate?: string;
    color_transfer?: string;
    disposition?: { attached_pic?: number };
    side_data_list?: { rotation?: number }[];
    tags?: { rotate?: string };
  }[];
  format?: { format_name?: string; duration?: string; bit_rate?: string; tags?: Record<string, string> };
}

const ENTRIES = [
  'format=format_name,duration,bit_rate',
  'format_tags',
  'stream=index,codec_type,codec_name,width,height,sample_aspect_ratio,pix_fmt,bits_per_raw_sample,avg_frame_rate,color_transfer',
  'stream_disposition=attached_pic',
  'stream_tags=rotate',
  'stream_side_data=rotation',
].join(':');

/** Probes a video file or URL; throws UserError('undecodable') when it is not a readable video. */
export async function probeVideo(input: string): Promise<VideoProbe> {
  const { stdout } = await runTool('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_entries', ENTRIES, input], { timeoutMs: PROBE_TIMEOUT_MS }).catch((err: unknown) => {
    throw ffmpegFailure(err, input, 'not a readable video');
  });
  const out = JSON.parse(stdout.toString('utf8')) as ProbeOutput;
  // Cover art in audio files shows up as a one-frame "video" stream.
  const video = out.streams?.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic && s.width && s.height);
  if (!video) throw new UserError('video has no video stream', 'undecodable');
  const audio = out.streams?.find((s) => s.codec_type === 'audio');
  const [num = 1, den = 1] = (video.sample_aspect_ratio ?? '1:1').split(':').map(Number);
  const sar = num > 0 && den > 0 ? num / den : 1;
  const width = Math.round(video.width! * sar);
  const height = video.height!;
  const rotation = clockwise(video.side_data_list?.find((d) => d.rotation !== undefined)?.rotation, video.tags?.rotate);
  const turned = rotation === 90 || rotation === 270;
  const duration = Number(out.format?.duration);
  const bitRate = Number(out.format?.bit_rate);
  return {
    index: video.index,
    width: turned ? height : width,
    height: turned ? width : height,
    durationS: Number.isFinite(duration) && duration > 0 ? duration : null,
    container: out.format?.format_name ?? 'unknown',
    videoCodec: video.codec_name ?? 'unknown',
    audioCodec: audio ? (audio.codec_name ?? 'unknown') : null,
    pixelFormat: video.pix_fmt ?? null,
    bitDepth: bitDepth(video.pix_fmt, video.bits_per_raw_sample),
    fps: rate(video.avg_frame_rate),
    rotation,
    hdr: video.color_transfer === 'smpte2084' || video.color_transfer === 'arib-std-b67',
    bitRate: Number.isFinite(bitRate) && bitRate > 0 ? Math.round(bitRate) : null,
    tags: Object.fromEntries(Object.entries(out.format?.tags ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)])),
  };
}

const BROWSER_AUDIO = new Set(['aac', 'mp3']);
const BROWSER_PIXELS = new Set(['yuv420p', 'yuvj420p']);

/** What every current browser plays as it is: H.264 8-bit 4:2:0, AAC/MP3 or silent, in MP4/MOV, not HDR. */
export function isBrowserPlayable(p: Pick<VideoProbe, 'container' | 'videoCodec' | 'audioCodec' | 'pixelFormat' | 'hdr'>): boolean {
  return (
    p.videoCodec === 'h264' &&
    p.pixelFormat !== null &&
    BROWSER_PIXELS.has(p.pixelFormat) &&
    (p.audioCodec === null || BROWSER_AUDIO.has(p.audioCodec)) &&
    /mp4|mov/.test(p.container) &&
    !p.hdr
  );
}

/** The display matrix turns counter-clockwise (-90 is an iPhone held upright); the legacy rotate tag turns clockwise. */
function clockwise(matrix: number | undefined, tag: string | undefined): VideoProbe['rotation'] {
  const degrees = matrix !== undefined ? -matrix : Number(tag ?? 0);
  const quarter = ((Math.round((Number.isFinite(degrees) ? degrees : 0) / 90) % 4) + 4) % 4;
  return ([0, 90, 180, 270] as const)[quarter]!;
}

/** 'yuv420p10le' → 10; formats without a number are 8 bits per sample. */
function bitDepth(pixFmt: string | undefined, rawBits: string | undefined): number | null {
  const raw = Number(rawBits);
  if (Number.isInteger(raw) && raw > 0) return raw;
  if (!pixFmt) return null;
  const m = /p(\d+)(?:le|be)$/.exec(pixFmt);
  return m ? Number(m[1]) : 8;
}

function rate(value: string | undefined): number | null {
  const [n, d] = (value ?? '').split('/').map(Number);
  if (!n || !d || !Number.isFinite(n / d)) return null;
  return Math.round((n / d) * 1000) / 1000;
}

/** ffmpeg's last words without its '[mov,mp4,… @ 0x…]' prefixes or the input's path. */
export function ffmpegFailure(err: unknown, input: string, what: string): unknown {
  if (!(err instanceof ToolError)) return err;
  if (err.failure === 'missing') return new UserError(`video needs ${err.tool} (Debian package ffmpeg), which is not installed`, 'undecodable', { cause: err });
  if (err.failure !== 'failed') return new UserError(`${what}: ${err.message}`, 'undecodable', { cause: err });
  return new UserError(`${what}: ${ffmpegDetail(err.detail, input)}`, 'undecodable', { cause: err });
}

/** One or more of ffmpeg's error lines, readable: no '[… @ 0x…]' prefixes, no path or loopback URL. */
export function ffmpegDetail(detail: string, input: string): string {
  return detail
    .split(' / ')
    .map((line) => line.replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/, '').replaceAll(`${input}: `, '').replaceAll(input, 'the video'))
    .join('; ');
}
