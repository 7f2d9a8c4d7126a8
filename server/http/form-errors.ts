import { UserError } from '../errors.js';

/** The status a form re-rendered with a UserError gets: 429 when throttled, 503 when busy, otherwise 422. */
export function formStatus(err: UserError): 422 | 429 | 503 {
  if (err.code === 'throttled') return 429;
  if (err.code === 'busy') return 503;
  return 422;
}

/** Runs a form action; a UserError becomes the message to show, anything else propagates. */
export async function attempt<T>(fn: () => T | Promise<T>): Promise<{ ok: T } | { error: UserError }> {
  try {
    return { ok: await fn() };
  } catch (err) {
    if (err instanceof UserError) return { error: err };
    throw err;
  }
}

/** A form field as a string, cut to a sane length ('' when missing or a file). */
export function field(body: Record<string, unknown>, name: string, max = 1024): string {
  const value = body[name];
  return typeof value === 'string' ? value.slice(0, max) : '';
}
