import { tmpdir } from 'node:os';
import { UserError } from '../errors.js';
import { runTool, ToolError } from './run-tool.js';
import { ffmpegDetail, TONEMAP, type VideoProbe } from './video-probe.js';

export interface TranscodeSettings {
  /** The copy's displayed height is at most this (never scaled up). */
  height: number;
  crf: number;
  preset: string;
}

export interface TranscodeProgress {
  /** Seconds of the video written so far. */
  doneS: number;
  totalS: number | null;
  fps: number | null;
  /** Multiple of real time, e.g. 1.5. */
  speed: number | null;
  /** Seconds until done at the current speed. */
  etaS: number | null;
}

export interface TranscodeOptions extends TranscodeSettings {
  /** ffmpeg is killed when its output time has not moved for this long. */
  stallMs: number;
  signal?: AbortSignal;
  onProgress?(p: TranscodeProgress): void;
}

const AUDIO_BITRATE = '160k';
/** Whatever the speed, ffmpeg gets at most this plus 10× the video's length. */
const HARD_CAP_BASE_MS = 30 * 60_000;
const HARD_CAP_PER_VIDEO_S_MS = 10_000;
const UNKNOWN_DURATION_CAP_MS = 6 * 3_600_000;
const STALL_CHECK_MS = 1000;

/** How a web copy was made, recorded with it so a change of settings can be told apart. */
export function describeSettings(s: TranscodeSettings): string {
  return `${s.height}p crf ${s.crf} ${s.preset}`;
}

/**
 * Writes an H.264/AAC MP4 of `input` (a file or loopback URL) to `output`, a seekable file: the index is
 * moved to the front (faststart) so a browser can start playing and seeking before it has the whole
 * file. Frames come out upright (ffmpeg applies the display rotation), HDR tone-mapped to BT.709, and
 * scaled down to `height`. Throws UserError with ffmpeg's own last error line when it fails or stalls.
 */
export async function transcodeVideo(input: string, probe: VideoProbe, output: string, opts: TranscodeOptions): Promise<void> {
  const height = evenDown(Math.min(probe.height, opts.height));
  const width = Math.max(2, Math.round((probe.width * height) / probe.height / 2) * 2);
  const filters = [...(probe.hdr ? [TONEMAP] : []), `scale=${width}:${height}:flags=bicubic`, 'setsar=1', 'format=yuv420p'];
  const args = [
    ['-hide_banner', '-loglevel', 'error', '-nostdin', '-nostats', '-progress', 'pipe:1', '-y'],
    ['-i', input],
    ['-map', `0:${probe.index}`, ...(probe.audioCodec ? ['-map', '0:a:0'] : []), '-sn', '-dn', '-map_metadata', '-1', '-map_chapters', '-1'],
    ['-vf', filters.join(','), '-c:v', 'libx264', '-preset', opts.preset, '-crf', String(opts.crf), '-profile:v', 'high', '-tag:v', 'avc1'],
    probe.audioCodec ? ['-c:a', 'aac', '-b:a', AUDIO_BITRATE, '-ac', '2'] : ['-an'],
    ['-movflags', '+faststart', '-f', 'mp4', output],
  ].flat();

  const totalS = probe.durationS;
  const stall = new AbortController();
  let lastDoneS = -1;
  let movedAt = Date.now();
  const watchdog = setInterval(() => {
    if (Date.now() - movedAt > opts.stallMs) stall.abort(new UserError(`ffmpeg made no progress for ${Math.round(opts.stallMs / 1000)} s and was stopped`, 'transcode-stalled'));
  }, STALL_CHECK_MS);
  const report = progressParser((fields) => {
    const doneS = Number(fields.out_time_us) / 1e6;
    if (!Number.isFinite(doneS) || doneS < 0) return;
    if (doneS > lastDoneS) {
      lastDoneS = doneS;
      movedAt = Date.now();
    }
    const speed = positive(Number.parseFloat(fields.speed ?? ''));
    // ffmpeg reports 0 fps for its first second; the speed times the source's rate says the same sooner.
    const fps = positive(Number(fields.fps)) ?? (speed && probe.fps ? speed * probe.fps : null);
    const etaS = totalS && speed ? Math.max(0, (totalS - doneS) / speed) : null;
    try {
      opts.onProgress?.({ doneS: totalS ? Math.min(doneS, totalS) : doneS, totalS, fps, speed, etaS });
    } catch {
      // Progress is for show (a busy database may refuse it); the copy itself goes on.
    }
  });

  const signal = opts.signal ? AbortSignal.any([opts.signal, stall.signal]) : stall.signal;
  const hardCapMs = totalS ? HARD_CAP_BASE_MS + totalS * HARD_CAP_PER_VIDEO_S_MS : UNKNOWN_DURATION_CAP_MS;
  try {
    await runTool('ffmpeg', args, { timeoutMs: hardCapMs, onStdout: report, signal, lowPriority: true });
  } catch (err) {
    throw transcodeFailure(err, input);
  } finally {
    clearInterval(watchdog);
  }
}

/** Calls `onBlock` with each `key=value` block ffmpeg's -progress writes (each ends with a `progress=` line). */
function progressParser(onBlock: (fields: Record<string, string>) => void): (chunk: Buffer) => void {
  let pending = '';
  let fields: Record<string, string> = {};
  return (chunk) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const eq = line.indexOf('=');
      if (eq < 0) continue;
      const key = line.slice(0, eq).trim();
      fields[key] = line.slice(eq + 1).trim();
      if (key === 'progress') {
        onBlock(fields);
        fields = {};
      }
    }
  };
}

function transcodeFailure(err: unknown, input: string): unknown {
  if (!(err instanceof ToolError)) return err;
  if (err.failure === 'missing') return new UserError('web copies need ffmpeg (Debian package ffmpeg), which is not installed', 'transcode-failed', { cause: err });
  if (err.failure === 'timeout') return new UserError(`ffmpeg was stopped: ${err.detail ? `it ran longer than ${err.detail.replace(/^after /, '')}` : 'it ran too long'}`, 'transcode-failed', { cause: err });
  if (/No space left on device/i.test(err.detail)) {
    return new UserError(`the web copy did not fit in the scratch space (${tmpdir()}); give it more room, or lower HEIRLOOM_TRANSCODE_HEIGHT`, 'transcode-failed', { cause: err });
  }
  return new UserError(ffmpegDetail(err.detail, input) || err.message, 'transcode-failed', { cause: err });
}

function evenDown(n: number): number {
  return Math.max(2, Math.floor(n / 2) * 2);
}

function positive(n: number): number | null {
  return Number.isFinite(n) && n > 0 ? n : null;
}
