import { constants, PerformanceObserver, type NodeGCPerformanceDetail, type PerformanceEntry } from 'node:perf_hooks';
import type { FrameHub } from '../hub/frame-hub.js';
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

/** A major collection: where the frames that outlived a scavenge (queued on a socket, say) are freed. */
function isMajorGc(entry: PerformanceEntry): boolean {
  // A gc entry's detail (kind, flags) is missing from @types/node's PerformanceEntry.
  return (entry as PerformanceEntry & { detail?: NodeGCPerformanceDetail }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR;
}

/**
 * Trims when the first viewer comes, every MEMORY_TRIM_INTERVAL_MS while viewers are connected (frames are what
 * churns the heap), when the last one leaves, and after every major collection from the first viewer on (so what
 * a collection freed goes back at once, not up to an interval later). A daemon no viewer ever reached has no timer
 * or observer and does not load koffi. Returns the function that stops it.
 */
export function startMemoryTrim(hub: FrameHub, log: Logger): () => void {
  let loaded: ReturnType<typeof loadMallocTrim> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let afterMajorGc: PerformanceObserver | undefined;
  const onViewers = (count: number) => {
    if (count > 0 && timer === undefined) {
      loaded ??= loadMallocTrim();
      if (!loaded.ok) {
        log.debug({ reason: loaded.error }, 'freed memory is left to the C library');
        hub.off('viewers', onViewers);
        return;
      }
      const { trim } = loaded;
      // At once too: what start-up left freed (the test pattern's render worker, module loading) goes first.
      trim();
      timer = setInterval(trim, MEMORY_TRIM_INTERVAL_MS);
      timer.unref();
      if (afterMajorGc === undefined) {
        afterMajorGc = new PerformanceObserver((list) => {
          if (list.getEntries().some(isMajorGc)) trim();
        });
        afterMajorGc.observe({ type: 'gc' });
      }
    } else if (count === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
      if (loaded?.ok) loaded.trim();
    }
  };
  hub.on('viewers', onViewers);
  return () => {
    hub.off('viewers', onViewers);
    clearInterval(timer);
    afterMajorGc?.disconnect();
  };
}
