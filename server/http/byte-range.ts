/** A byte range request: the inclusive slice, or 'unsatisfiable' (416), or undefined to send the whole file (200). */
export type RangeAnswer = { start: number; end: number } | 'unsatisfiable' | undefined;

/**
 * Reads a Range header against a file of `size` bytes (RFC 9110 §14): one range of bytes, "a-b", "a-" or "-n".
 * Anything that is not a bytes range, or asks for several ranges, is ignored (the whole file is sent);
 * a malformed or unsatisfiable bytes range is answered 416.
 */
export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (!header) return undefined;
  const m = /^\s*bytes\s*=\s*(.*)$/i.exec(header);
  if (!m) return undefined;
  const specs = m[1]!.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (specs.length !== 1) return specs.length === 0 ? 'unsatisfiable' : undefined;
  const r = /^(\d*)\s*-\s*(\d*)$/.exec(specs[0]!);
  if (!r || (r[1] === '' && r[2] === '')) return 'unsatisfiable';
  if (r[1] === '') {
    // The last n bytes.
    const n = Number(r[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(r[1]);
  const end = r[2] === '' ? size - 1 : Math.min(Number(r[2]), size - 1);
  if (!Number.isSafeInteger(start) || start >= size || Number(r[2] || start) < start) return 'unsatisfiable';
  return { start, end };
}
