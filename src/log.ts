import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths pino blanks in every line: nothing secret reaches the journal. */
const REDACT_PATHS = [
  'password',
  'passwordHash',
  'token',
  'tokens',
  'cookie',
  'authorization',
  '*.password',
  '*.passwordHash',
  '*.token',
  '*.tokens',
  '*.cookie',
  '*.authorization',
  'req.headers.cookie',
  'req.headers.authorization',
  'headers.cookie',
  'headers.authorization',
];

/** The root JSON logger on stdout (journald takes it from there). */
export function createRootLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

/** One child per module so every line says where it came from. */
export function moduleLogger(root: Logger, module: string): Logger {
  return root.child({ module });
}
