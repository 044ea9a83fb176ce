import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { MjpegSplitter } from '../src/capture/formats/mjpeg-splitter.js';
import { videoArgs } from '../src/capture/process/ffmpeg-args.js';
import { ConfigSchema } from '../src/config/schema.js';

/**
 * How fast the daemon's MJPEG splitter cuts a real ffmpeg MJPEG stream (testsrc2 through the daemon's own
 * capture arguments, the bench's camera stand-in), fed in 64 KiB pipe-sized chunks, against a bare indexOf cut at each EOI (the references'
 * way). Target: ≥ 1 GB/s on x86. Usage: node build/bench/splitter-speed.js [--size 1280x720] [--seconds 2]
 */

const PIPE_CHUNK_BYTES = 64 * 1024;
const STREAM_SECONDS = 3;
const FPS = 30;
const TARGET_BYTES_PER_SECOND = 1e9;
const EOI = Buffer.from([0xff, 0xd9]);

const { values } = parseArgs({ options: { size: { type: 'string', default: '1280x720' }, seconds: { type: 'string', default: '2' } } });
const seconds = Number(values.seconds);
if (!/^\d+x\d+$/.test(values.size) || !(seconds > 0)) throw new Error('usage: --size WxH --seconds S');

const [width, height] = values.size.split('x').map(Number) as [number, number];
// The daemon's own capture command for an ffmpeg source (as the bench's --source ffmpeg runs it), for a few seconds.
const video = ConfigSchema.parse({
  video: {
    source: 'ffmpeg',
    input: ['-t', String(STREAM_SECONDS), '-f', 'lavfi', '-i', `testsrc2=size=${values.size}:rate=${FPS}`],
    width,
    height,
    fps: FPS,
    quality: 80,
  },
}).video;
const ffmpeg = spawnSync('ffmpeg', videoArgs(video, 'mjpeg'), { maxBuffer: 1 << 30, timeout: 120_000 });
if (ffmpeg.status !== 0) throw new Error(`ffmpeg failed: ${ffmpeg.stderr?.toString() ?? ffmpeg.error?.message}`);
const stream = ffmpeg.stdout;
const chunks: Buffer[] = [];
for (let at = 0; at < stream.length; at += PIPE_CHUNK_BYTES) chunks.push(stream.subarray(at, at + PIPE_CHUNK_BYTES));

/** Bytes per second of `pass` over the stream, repeated for the given time; also the frames one pass found. */
function speed(pass: () => number): { bytesPerSecond: number; framesPerPass: number } {
  const framesPerPass = pass();
  let bytes = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    pass();
    bytes += stream.length;
  }
  return { bytesPerSecond: bytes / ((performance.now() - start) / 1000), framesPerPass };
}

const splitter = new MjpegSplitter();
const split = speed(() => chunks.reduce((frames, chunk) => frames + splitter.push(chunk).length, 0));
const cut = speed(() => {
  let frames = 0;
  for (let end = stream.indexOf(EOI); end >= 0; end = stream.indexOf(EOI, end + 2)) frames += 1;
  return frames;
});
const gb = (bytesPerSecond: number) => `${(bytesPerSecond / 1e9).toFixed(2)} GB/s`;
const met = split.bytesPerSecond >= TARGET_BYTES_PER_SECOND && split.framesPerPass === cut.framesPerPass;
process.stdout.write(
  [
    `MJPEG splitter: ffmpeg testsrc2 ${values.size}, ${split.framesPerPass} frames in ${(stream.length / 1e6).toFixed(1)} MB, ${PIPE_CHUNK_BYTES / 1024} KiB chunks`,
    `  MjpegSplitter (marker walk):  ${gb(split.bytesPerSecond)}`,
    `  indexOf(FFD9) cut, for scale: ${gb(cut.bytesPerSecond)} (${cut.framesPerPass} frames)`,
    `  ${met ? 'MET ' : 'MISS'}  splitter ≥ 1 GB/s, every frame found: ${gb(split.bytesPerSecond)}`,
    '',
  ].join('\n'),
);
process.exitCode = split.framesPerPass === cut.framesPerPass ? 0 : 1;
