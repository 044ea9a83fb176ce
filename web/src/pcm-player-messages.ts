import type { JitterBufferStats } from './jitter-buffer.js';

/** Main thread → pcm-player worklet. */
export type PlayerCommand = { type: 'chunk'; planes: Float32Array[] } | { type: 'clear' };

/** pcm-player worklet → main thread. */
export type PlayerReport = { type: 'stats'; stats: JitterBufferStats };
