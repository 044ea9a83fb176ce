import { parentPort, workerData } from 'node:worker_threads';
import { renderTestPattern } from './test-pattern.js';

/** What the synthetic camera asks of its render worker: frames `from`..`count - 1` of the loop. */
export interface TestPatternJob {
  width: number;
  height: number;
  count: number;
  from: number;
}

/** One encoded frame, its bytes moved (not copied) to the main thread. */
export interface TestPatternFrame {
  index: number;
  jpeg: ArrayBuffer;
}

const job = workerData as TestPatternJob;
for (let index = job.from; index < job.count; index += 1) {
  const encoded = renderTestPattern(job.width, job.height, index, job.count);
  // A Buffer may be a view into a larger pooled ArrayBuffer; only a buffer of its own can be transferred.
  const jpeg = new Uint8Array(encoded).buffer;
  const frame: TestPatternFrame = { index, jpeg };
  parentPort!.postMessage(frame, [jpeg]);
}
