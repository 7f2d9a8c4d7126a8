/**
 * Named crash points on the write path. When HEIRLOOM_FAULT names one of them the process
 * kills itself there with SIGKILL, so the crash-safety test can prove that every step of a
 * store is recoverable. Unset in normal operation, where this is a single string compare.
 */
export type FaultPoint =
  | 'after-tmp-write'
  | 'after-fsync'
  | 'after-rename'
  | 'before-db-commit'
  | 'after-db-commit';

const armed = process.env.HEIRLOOM_FAULT;

export function faultPoint(name: FaultPoint): void {
  if (armed === name) process.kill(process.pid, 'SIGKILL');
}

/** Named hangs, for the tests of stall limits: when HEIRLOOM_FAULT names one, the code there stops making progress. */
export type HangPoint = 'loopback-stall';

export function hangArmed(name: HangPoint): boolean {
  return process.env.HEIRLOOM_FAULT === name;
}
