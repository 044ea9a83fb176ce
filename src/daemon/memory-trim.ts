import type { Logger } from '../log.js';
import { describeError } from '../describe-error.js';
import { libc } from '../libc.js';

/**
 * How often freed heap memory goes back to the system. Frames are freed when V8 collects their wrappers, seconds
 * apart, and glibc keeps what was freed in its arenas: 4–13 MB of RSS on a 720p stream that malloc_trim returns.
 */
export const MEMORY_TRIM_INTERVAL_MS = 5000;

/** glibc's malloc_trim(0), or why there is none (musl has no such call: the trim is then skipped). */
export function loadMallocTrim(): { ok: true; trim: () => void } | { ok: false; error: string } {
  const c = libc();
  if (!c.ok) return c;
  try {
    const call = c.library.func('int malloc_trim(size_t pad)') as (pad: number) => number;
    return { ok: true, trim: () => void call(0) };
  } catch (error) {
    return { ok: false, error: `no malloc_trim in this C library: ${describeError(error)}` };
  }
}

/** Trims every MEMORY_TRIM_INTERVAL_MS while the daemon runs; returns the function that stops it. */
export function startMemoryTrim(log: Logger): () => void {
  const loaded = loadMallocTrim();
  if (!loaded.ok) {
    log.debug({ reason: loaded.error }, 'freed memory is left to the C library');
    return () => {};
  }
  const timer = setInterval(loaded.trim, MEMORY_TRIM_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
