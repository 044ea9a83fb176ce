import { getHeapSpaceStatistics } from 'node:v8';
import { tuneJit } from '../src/daemon/jit-tuning.js';

/**
 * Preloaded into each measured server (`node --expose-gc --import …/gc-preload.js`): SIGUSR2 runs two
 * full garbage collections, then writes what the memory is made of as one JSON line to stderr
 * (`benchMemory`). run.ts sends it to every server at the same points, once frames flow (before the
 * warm-up) and at the window's end, so the garbage left from rendering the test loop (tens of MB, freed
 * whenever V8 gets to it) does not decide the RSS figures. It also applies the daemon's JIT settings
 * (jit-tuning.ts), so every server runs under the same V8 settings. Nothing else in the server changes.
 */
tuneJit();

const collect = (globalThis as { gc?: () => void }).gc;
const MB = 2 ** 20;

process.on('SIGUSR2', () => {
  collect?.();
  // A second pass frees what the first one only finalized (ArrayBuffer backing stores).
  setTimeout(() => {
    collect?.();
    const usage = process.memoryUsage();
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((space) => [space.space_name, round(space.space_size / MB)]));
    const benchMemory = {
      rss: round(usage.rss / MB),
      heapTotal: round(usage.heapTotal / MB),
      heapUsed: round(usage.heapUsed / MB),
      external: round(usage.external / MB),
      arrayBuffers: round(usage.arrayBuffers / MB),
      spaces,
    };
    process.stderr.write(`${JSON.stringify({ benchMemory })}\n`);
  }, 200);
});

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
