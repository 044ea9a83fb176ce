import { constants } from 'node:os';

/** An error as the one line a log entry or an answer carries: its message, or the thrown value as text. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A failure that means a bug, with where it happened: the stack when there is one. */
export function describeBug(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** A C library errno as its name ("ENOENT"), for failures of calls made through koffi. */
export function errnoName(code: number): string {
  return Object.entries(constants.errno).find(([, value]) => value === code)?.[0] ?? `errno ${code}`;
}
