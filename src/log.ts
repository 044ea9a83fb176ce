import { pino, type Logger } from 'pino';
import { CENSOR, redactSecrets, redactValue } from './redact.js';

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

/** The one field allowed to carry a token: the first-run viewer URL, logged once per start. */
export const VIEWER_URL_FIELD = 'viewerUrl';

/** Every string of a line's fields, the first-run viewer URL excepted, goes through redactSecrets. */
function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  const redacted: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) redacted[key] = key === VIEWER_URL_FIELD ? value : redactValue(value);
  return redacted;
}

/** The root JSON logger on stdout (journald takes it from there). */
export function createRootLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: CENSOR },
      // URLs with credentials (a camera's RTSP URL in ffmpeg's errors) are hidden in whatever a line says
      formatters: { log: redactFields },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((arg) => (typeof arg === 'string' ? redactSecrets(arg) : arg)) as typeof args);
        },
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

/** One child per module so every line says where it came from. */
export function moduleLogger(root: Logger, module: string): Logger {
  return root.child({ module });
}
