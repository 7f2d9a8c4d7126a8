import sharp from 'sharp';
import { UserError } from '../errors.js';
import type { Decodable } from './decoders.js';
import { runTool, ToolError } from './run-tool.js';

interface VideoStream {
  index: number;
  /** Displayed size: sample aspect ratio and rotation applied. */
  width: number;
  height: number;
  durationS: number | null;
  hdr: boolean;
}

const PROBE_TIMEOUT_MS = 30_000;
const FRAME_TIMEOUT_MS = 120_000;
/** The poster is the most representative of a few frames sampled over this window, not whatever frame sits at one instant. */
const WINDOW_S = 3;
const SAMPLES_PER_S = 4;
/** Mean brightness (0–255) under which a frame counts as black: a pocket, a lens cap, a fade-in. */
const DARK_MEAN = 20;

/**
 * A representative poster frame, upright and scaled to fit `edge`: sampled from ~10% in (at most 30 s),
 * and if that is black, from the middle, then from the start; a video dark throughout keeps its darkness.
 */
export async function videoPoster(file: string, edge: number): Promise<Decodable> {
  const stream = await probe(file);
  const starts = stream.durationS ? [Math.min(stream.durationS * 0.1, 30), stream.durationS * 0.5, 0] : [0];
  let fallback: Buffer | undefined;
  for (const start of starts) {
    const frame = await grabFrame(file, stream, start, edge);
    if (frame && !(await isDark(frame))) return poster(frame, stream);
    fallback ??= frame;
  }
  if (!fallback) throw new UserError('video has no frame that could be decoded', 'undecodable');
  return poster(fallback, stream);
}

function poster(frame: Buffer, stream: VideoStream): Decodable {
  return { input: frame, orientation: 1, size: { width: stream.width, height: stream.height } };
}

interface ProbeOutput {
  streams?: {
    index: number;
    codec_type?: string;
    width?: number;
    height?: number;
    sample_aspect_ratio?: string;
    color_transfer?: string;
    disposition?: { attached_pic?: number };
    side_data_list?: { rotation?: number }[];
    tags?: { rotate?: string };
  }[];
  format?: { duration?: string };
}

async function probe(file: string): Promise<VideoStream> {
  const entries = 'format=duration:stream=index,codec_type,width,height,sample_aspect_ratio,color_transfer:stream_disposition=attached_pic:stream_tags=rotate:stream_side_data=rotation';
  const { stdout } = await runTool('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_entries', entries, file], { timeoutMs: PROBE_TIMEOUT_MS }).catch(
    (err: unknown) => {
      throw ffmpegFailure(err, file, 'not a readable video');
    },
  );
  const out = JSON.parse(stdout.toString('utf8')) as ProbeOutput;
  // Cover art in audio files shows up as a one-frame "video" stream.
  const video = out.streams?.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic && s.width && s.height);
  if (!video) throw new UserError('video has no video stream', 'undecodable');
  const [num = 1, den = 1] = (video.sample_aspect_ratio ?? '1:1').split(':').map(Number);
  const sar = num > 0 && den > 0 ? num / den : 1;
  const width = Math.round(video.width! * sar);
  const height = video.height!;
  const rotation = video.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? Number(video.tags?.rotate ?? 0);
  const turned = Math.abs(Math.round(rotation / 90)) % 2 === 1;
  const duration = Number(out.format?.duration);
  return {
    index: video.index,
    width: turned ? height : width,
    height: turned ? width : height,
    durationS: Number.isFinite(duration) && duration > 0 ? duration : null,
    hdr: video.color_transfer === 'smpte2084' || video.color_transfer === 'arib-std-b67',
  };
}

/** HDR (PQ, HLG) frames tone-mapped to SDR BT.709, or they look grey and washed out. */
const TONEMAP = 'zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv,format=yuv420p';

/** A PNG of the most representative frame in the window at `start`; undefined when ffmpeg found no frame there. */
async function grabFrame(file: string, stream: VideoStream, start: number, edge: number): Promise<Buffer | undefined> {
  const scale = Math.min(1, edge / Math.max(stream.width, stream.height));
  const w = even(stream.width * scale);
  const h = even(stream.height * scale);
  // ffmpeg has already turned the frames upright (autorotate) when these filters see them.
  const filters = [...(stream.hdr ? [TONEMAP] : []), `fps=${SAMPLES_PER_S}`, `scale=${w}:${h}:flags=bicubic`, 'setsar=1', `thumbnail=${WINDOW_S * SAMPLES_PER_S}`];
  const args = [
    ['-hide_banner', '-loglevel', 'error', '-nostdin'],
    ['-ss', start.toFixed(3), '-t', String(WINDOW_S), '-i', file],
    ['-map', `0:${stream.index}`, '-an', '-sn', '-dn', '-vf', filters.join(','), '-frames:v', '1'],
    ['-f', 'image2pipe', '-c:v', 'png', '-compression_level', '1', '-pix_fmt', 'rgb24', 'pipe:1'],
  ].flat();
  const { stdout } = await runTool('ffmpeg', args, { timeoutMs: FRAME_TIMEOUT_MS }).catch((err: unknown) => {
    throw ffmpegFailure(err, file, 'video frames could not be decoded');
  });
  return stdout.length > 0 ? stdout : undefined;
}

async function isDark(png: Buffer): Promise<boolean> {
  const { channels } = await sharp(png).stats();
  const mean = channels.slice(0, 3).reduce((sum, c) => sum + c.mean, 0) / 3;
  return mean < DARK_MEAN;
}

function even(n: number): number {
  return Math.max(2, Math.round(n / 2) * 2);
}

/** ffmpeg's last words without its '[mov,mp4,… @ 0x…]' prefixes or our scratch path. */
function ffmpegFailure(err: unknown, file: string, what: string): unknown {
  if (!(err instanceof ToolError)) return err;
  if (err.failure === 'missing') return new UserError(`video needs ${err.tool} (Debian package ffmpeg), which is not installed`, 'undecodable', { cause: err });
  if (err.failure !== 'failed') return new UserError(`${what}: ${err.message}`, 'undecodable', { cause: err });
  const detail = err.detail
    .split(' / ')
    .map((line) => line.replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/, '').replaceAll(`${file}: `, ''))
    .join('; ');
  return new UserError(`${what}: ${detail}`, 'undecodable', { cause: err });
}
