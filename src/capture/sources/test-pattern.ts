import jpeg from 'jpeg-js';
import { drawText, fillRect, textWidth } from './bitmap-font.js';

/** Loop length of the synthetic picture; frames are encoded once, then replayed. */
const MAX_LOOP_FRAMES = 60;

/** Frames in the synthetic loop at this fps (about four seconds' worth, at most 60). */
export function loopFrameCount(fps: number): number {
  return Math.min(MAX_LOOP_FRAMES, fps * 4);
}

const BARS: ReadonlyArray<readonly [number, number, number]> = [
  [192, 192, 192],
  [192, 192, 0],
  [0, 192, 192],
  [0, 192, 0],
  [192, 0, 192],
  [192, 0, 0],
  [0, 0, 192],
];

/** Renders one test-pattern frame: sliding colour bars, a bouncing box and a frame counter. */
export function renderTestPattern(width: number, height: number, index: number, count: number): Buffer {
  const rgba = new Uint8Array(width * height * 4);
  const shift = Math.floor((index / count) * width);
  const barWidth = width / BARS.length;
  for (let bar = 0; bar < BARS.length; bar += 1) {
    const color = BARS[bar]!;
    const x = (bar * barWidth + shift) % width;
    fillRect(rgba, width, height, x, 0, barWidth + 1, height * 0.7, color);
    fillRect(rgba, width, height, x - width, 0, barWidth + 1, height * 0.7, color);
  }
  fillRect(rgba, width, height, 0, height * 0.7, width, height * 0.3, [16, 16, 24]);
  const phase = (index / count) * Math.PI * 2;
  const box = Math.max(8, Math.round(height / 8));
  fillRect(
    rgba,
    width,
    height,
    (width - box) * (0.5 + 0.5 * Math.sin(phase)),
    (height * 0.7 - box) * (0.5 + 0.5 * Math.sin(phase * 2)),
    box,
    box,
    [255, 255, 255],
  );
  const scale = Math.max(1, Math.floor(height / 80));
  const label = `WSCAM TEST ${String(index).padStart(2, '0')}/${count}`;
  drawText(rgba, width, label, Math.max(0, (width - textWidth(label, scale)) / 2), height * 0.78, scale, [240, 240, 240]);
  // A sweep bar under the text moves once per loop so motion is visible even in a still screenshot pair.
  fillRect(rgba, width, height, 0, height * 0.93, ((index + 1) / count) * width, Math.max(2, height * 0.02), [80, 200, 120]);
  return jpeg.encode({ data: rgba, width, height }, 75).data;
}
