import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON lines on stdout. Anything that could carry a secret is redacted by path. */
export function createLogger(level: string, destination: NodeJS.WritableStream = process.stdout): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: {
        paths: ['*.password', '*.token', '*.key', '*.passphrase', 'req.headers.cookie', 'req.headers.authorization'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
