import { setTimeout as sleep } from 'node:timers/promises';

/** Keeps reads under a byte rate so a scrub does not starve the family's browsing on a small NAS. 0 = unlimited. */
export class ReadThrottle {
  private readonly start = Date.now();
  private bytes = 0;

  constructor(private readonly bytesPerSecond: number) {}

  async take(n: number, signal?: AbortSignal): Promise<void> {
    this.bytes += n;
    if (this.bytesPerSecond <= 0) return;
    const due = this.start + (this.bytes / this.bytesPerSecond) * 1000;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait, undefined, { signal });
  }
}
