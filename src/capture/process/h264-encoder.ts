import type { Config } from '../../config/schema.js';

type VideoConfig = Config['video'];

/**
 * Who makes the H.264: the camera itself (passed through), the board's V4L2 mem2mem hardware encoder
 * (the Raspberry Pi's), or x264 in software (everywhere else, e.g. the Pi 5, which has no encoder).
 */
export type H264Encoder = 'camera' | 'h264_v4l2m2m' | 'libx264';

/** What one probe found: it works, or why not (the reason goes into the log line). */
export type ProbeResult = { ok: true } | { ok: false; error: string };

/** The probes' findings; a probe that was not run (not needed, or not applicable) is absent. */
export interface EncoderProbes {
  camera?: ProbeResult;
  v4l2m2m?: ProbeResult;
}

export interface EncoderChoice {
  encoder: H264Encoder;
  /** One line for the log: why this encoder and not the ones before it. */
  why: string;
}

/** The order of preference: the camera's own H.264 costs nothing, the hardware encoder little, x264 a core's share. */
export function chooseEncoder(probes: EncoderProbes): EncoderChoice {
  if (probes.camera?.ok === true) return { encoder: 'camera', why: 'the camera offers H.264 at this size' };
  const skipped = probes.camera === undefined ? [] : [`camera: ${probes.camera.error}`];
  if (probes.v4l2m2m?.ok === true) return { encoder: 'h264_v4l2m2m', why: ['h264_v4l2m2m works', ...skipped].join('; ') };
  const failed = probes.v4l2m2m === undefined ? [] : [`h264_v4l2m2m failed: ${probes.v4l2m2m.error}`];
  return { encoder: 'libx264', why: [...failed, ...skipped].join('; ') || 'software encoding' };
}

/** One pixel format a V4L2 camera lists (`ffmpeg -f v4l2 -list_formats all`) and the sizes it gives it in. */
export interface V4l2FormatEntry {
  /** ffmpeg's name for it: "mjpeg", "h264", "yuyv422", … */
  name: string;
  compressed: boolean;
  /** "640x480" entries, or a stepwise range "{32-1920, 2}x{32-1080, 2}". */
  sizes: string[];
}

/**
 * Parses the format list ffmpeg's v4l2 demuxer prints to stderr, lines like
 * `[video4linux2,v4l2 @ 0x…] Compressed:       h264 :                H.264 : 1920x1080 1280x720 640x480`.
 */
export function parseV4l2Formats(stderr: string): V4l2FormatEntry[] {
  const entries: V4l2FormatEntry[] = [];
  for (const line of stderr.split(/\r?\n/)) {
    const match = /\]\s*(Raw|Compressed)\s*:\s*(\S+)\s*:[^:]*:\s*(.*)$/.exec(line);
    if (match === null) continue;
    const sizes = match[3]!.includes('{') ? [match[3]!.trim()] : match[3]!.trim().split(/\s+/).filter(Boolean);
    entries.push({ name: match[2]!, compressed: match[1] === 'Compressed', sizes });
  }
  return entries;
}

/** True when `entry` lists width×height, exactly or inside a stepwise range. */
export function offersSize(entry: V4l2FormatEntry, width: number, height: number): boolean {
  return entry.sizes.some((size) => {
    if (size === `${width}x${height}`) return true;
    const range = /^\{(\d+)-(\d+),\s*(\d+)\}x\{(\d+)-(\d+),\s*(\d+)\}$/.exec(size);
    if (range === null) return false;
    const [minW, maxW, stepW, minH, maxH, stepH] = range.slice(1).map(Number) as [number, number, number, number, number, number];
    const fits = (value: number, min: number, max: number, step: number) => value >= min && value <= max && (value - min) % step === 0;
    return fits(width, minW, maxW, stepW) && fits(height, minH, maxH, stepH);
  });
}

/** What the camera's format list says about passing its own H.264 through at the configured size. */
export function cameraH264Probe(stderr: string, video: Pick<VideoConfig, 'width' | 'height'>): ProbeResult {
  const formats = parseV4l2Formats(stderr);
  if (formats.length === 0) return { ok: false, error: stderrReason(stderr) || 'lists no formats' };
  const h264 = formats.find((format) => format.name === 'h264');
  if (h264 === undefined) return { ok: false, error: `offers ${formats.map((format) => format.name).join(', ')}, no h264` };
  if (!offersSize(h264, video.width, video.height)) {
    return { ok: false, error: `offers h264 only at ${h264.sizes.join(' ')}, not ${video.width}x${video.height}` };
  }
  return { ok: true };
}

/** ffmpeg's first stderr line without its `[component @ 0x…]` prefix: the cause, before the consequences it lists. */
export function stderrReason(text: string): string {
  const first = text.split(/\r?\n/).find((line) => line.trim() !== '') ?? '';
  return first.replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/i, '').trim();
}

/** Frames from one IDR to the next: keyframeSeconds at the configured rate, at least every frame. */
export function keyframeIntervalFrames(video: Pick<VideoConfig, 'keyframeSeconds' | 'fps'>): number {
  return Math.max(1, Math.round(video.keyframeSeconds * video.fps));
}

/**
 * H.264 bits per pixel per frame for the default bitrate. Measured with libx264 ultrafast/zerolatency on the
 * camera-like test picture (static background, moving object, sensor noise): SSIM equals MJPEG's at the
 * default quality from 0.012 (1280x720@30) or 0.026 (640x480@15) and levels off at 0.05, which leaves
 * margin for a real sensor's texture at a seventh to a tenth of MJPEG's bytes.
 */
const BITS_PER_PIXEL = 0.05;
const MIN_KBPS = 100;
const MAX_KBPS = 50_000;

/** video.bitrateKbps, or when it is null a rate derived from the picture size and frame rate. */
export function h264BitrateKbps(video: Pick<VideoConfig, 'bitrateKbps' | 'width' | 'height' | 'fps'>): number {
  if (video.bitrateKbps !== null) return video.bitrateKbps;
  const derived = Math.round((video.width * video.height * video.fps * BITS_PER_PIXEL) / 1000);
  return Math.min(MAX_KBPS, Math.max(MIN_KBPS, derived));
}
