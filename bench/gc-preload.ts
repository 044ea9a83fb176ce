/**
 * Preloaded into each measured server (`node --expose-gc --import …/gc-preload.js`): SIGUSR2 runs two
 * full garbage collections. run.ts sends it to all three servers at the same point, once frames
 * flow, so the garbage left from rendering the test loop (tens of MB, freed whenever V8 gets to it)
 * does not decide the RSS figures. Nothing else in the server changes.
 */
const collect = (globalThis as { gc?: () => void }).gc;
process.on('SIGUSR2', () => {
  collect?.();
  // A second pass frees what the first one only finalized (ArrayBuffer backing stores).
  setTimeout(() => collect?.(), 200);
});
