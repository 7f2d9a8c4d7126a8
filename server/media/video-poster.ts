import sharp from 'sharp';
import { UserError } from '../errors.js';
import type { Decodable } from './decoders.js';
import { runTool } from './run-tool.js';
import { ffmpegFailure, probeVideo, TONEMAP, type VideoProbe } from './video-probe.js';

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
export async function videoPoster(file: string, edge: number, probe: Promise<VideoProbe> = probeVideo(file)): Promise<Decodable> {
  const stream = await probe;
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

function poster(frame: Buffer, stream: VideoProbe): Decodable {
  return { input: frame, orientation: 1, size: { width: stream.width, height: stream.height } };
}

/** A PNG of the most representative frame in the window at `start`; undefined when ffmpeg found no frame there. */
async function grabFrame(file: string, stream: VideoProbe, start: number, edge: number): Promise<Buffer | undefined> {
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
