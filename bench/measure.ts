/** Runs fn, returns seconds elapsed. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Best of n runs: the least disturbed by whatever else the machine was doing. */
export async function best(n: number, fn: () => Promise<unknown>): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < n; i++) min = Math.min(min, await timed(fn));
  return min;
}

export function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

/** Runs one async function over items with a fixed number in flight. */
export async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

export function row(label: string, value: string, baseline: string, ratio: number, budget?: string): void {
  const verdict = budget ? `  (budget ${budget})` : '';
  console.log(`${label.padEnd(34)} ${value.padStart(14)}   baseline ${baseline.padStart(14)}   ratio ${ratio.toFixed(2)}${verdict}`);
}
