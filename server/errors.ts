/** A failure the user can act on: its message is safe to show and to log as it is. */
export class UserError extends Error {
  constructor(
    message: string,
    /** Stable machine-readable reason, e.g. 'undecodable', 'disk-full', 'locked'. */
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UserError';
  }
}

/** Stored data failed a check (bad tag, wrong size, bad header): never treat it as good. */
export class IntegrityError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IntegrityError';
  }
}

/** The disk (or quota) is full, from the file system or SQLite, as the message a user should read. */
export function diskFull(err: unknown): UserError | undefined {
  const code = (err as { code?: string }).code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT' && code !== 'SQLITE_FULL') return undefined;
  return new UserError('The data disk is full: free some space, then try again. Nothing already stored was touched.', 'disk-full', { cause: err });
}

/** A request the caller may not make: 401 asks them to sign in, 403 says no, 404 hides what is not theirs. */
export class AccessError extends Error {
  constructor(
    readonly status: 401 | 403 | 404,
    message: string,
  ) {
    super(message);
    this.name = 'AccessError';
  }
}
