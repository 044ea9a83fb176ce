// Preloaded into a test daemon (NODE_OPTIONS=--import): SIGWINCH, which nothing else uses, blocks the
// event loop for $BLOCK_LOOP_MS, standing in for a hung loop.
const blockMs = Number(process.env.BLOCK_LOOP_MS);

if (blockMs > 0) {
  process.on('SIGWINCH', () => {
    const end = Date.now() + blockMs;
    while (Date.now() < end) {
      // busy on purpose
    }
  });
}
