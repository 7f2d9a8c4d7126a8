import cliProgress from 'cli-progress';
import { formatBytes } from '../format-bytes.js';

/** A progress bar on stderr (a line every 5 s when not a terminal), with byte-rate fields filled in. */
export function byteProgressBar(format: string) {
  const started = Date.now();
  const bar = new cliProgress.SingleBar({ format, hideCursor: true, etaBuffer: 50, noTTYOutput: !process.stderr.isTTY, notTTYSchedule: 5000 }, cliProgress.Presets.shades_classic);
  let running = false;
  return {
    /** value/total in bytes; extra fields for the format. */
    update(value: number, total: number, fields: Record<string, string | number> = {}) {
      const all = { ...fields, done: formatBytes(value), size: formatBytes(total), rate: formatBytes(value / Math.max(0.001, (Date.now() - started) / 1000)) };
      if (!running) bar.start(total, value, all);
      running = true;
      bar.setTotal(total);
      bar.update(value, all);
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
    seconds: () => (Date.now() - started) / 1000,
  };
}
