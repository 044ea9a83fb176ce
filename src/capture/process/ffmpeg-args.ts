import type { Config } from '../../config/schema.js';
import { AUDIO_CHUNK_MS } from '../source.js';
import { h264BitrateKbps, keyframeIntervalFrames, type H264Encoder } from './h264-encoder.js';

/** The v4l2 pixel format asked of the camera: its own JPEGs, or raw YUYV that ffmpeg encodes. */
export type V4l2Format = 'mjpeg' | 'yuyv422';

type VideoConfig = Config['video'];
type AudioConfig = Config['audio'];

/** Quiet, non-interactive ffmpeg: only real problems reach stderr, which goes to our log. */
const COMMON = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error'];

/** Flush every packet to the pipe at once instead of filling ffmpeg's output buffer first (latency). */
const FLUSH = ['-flush_packets', '1'];

/** Maps video.quality 1..100 to ffmpeg's MJPEG -q:v scale, where 31 is worst and 2 is best. */
export function qualityToQscale(quality: number): number {
  const clamped = Math.min(100, Math.max(1, quality));
  return Math.round(31 - ((clamped - 1) * 29) / 99);
}

/** The v4l2 format to try first for a configured video.inputFormat ("auto" starts with the camera's JPEGs). */
export function firstV4l2Format(inputFormat: VideoConfig['inputFormat']): V4l2Format {
  return inputFormat === 'yuyv422' ? 'yuyv422' : 'mjpeg';
}

/** ffmpeg arguments that write an MJPEG byte stream (one JPEG after another) to stdout. */
export function videoArgs(video: VideoConfig, v4l2Format: V4l2Format): string[] {
  const output = [...FLUSH, '-f', 'mjpeg', 'pipe:1'];
  if (video.source === 'v4l2') {
    // The camera's own JPEGs are passed through untouched: no decoding or encoding on the Pi.
    const codec = v4l2Format === 'mjpeg' ? ['-c:v', 'copy'] : mjpegEncodeArgs(video);
    return [...COMMON, ...v4l2Input(video, v4l2Format), '-an', ...codec, ...output];
  }
  const scale = ['-vf', `scale=${video.width}:${video.height},fps=${video.fps}`];
  return [...COMMON, ...video.input, '-an', ...scale, ...mjpegEncodeArgs(video), ...output];
}

/** The extra pipe on which a child writes its second output (spawned with a fourth stdio pipe). */
export const SECOND_OUTPUT_FD = 3;

/**
 * ffmpeg arguments for H.264 mode: one child, two outputs of the same pictures. JPEGs on pipe:3 (for
 * /snapshot.jpg, /stream.mjpg and viewers that ask for JPEG) and Annex B H.264 on pipe:1. A camera that gives
 * JPEGs has them copied to pipe:3 (free) and decoded once for the H.264 encoder; a camera that gives H.264
 * has it copied to pipe:1 and decoded once for the JPEG encoder. Sources "ffmpeg" and "test" scale once, then split.
 */
export function h264VideoArgs(video: VideoConfig, encoder: H264Encoder, v4l2Format: V4l2Format): string[] {
  const jpegOut = [...FLUSH, '-f', 'mjpeg', `pipe:${SECOND_OUTPUT_FD}`];
  const h264Out = [...FLUSH, '-f', 'h264', 'pipe:1'];
  if (video.source === 'v4l2') {
    const format = encoder === 'camera' ? 'h264' : v4l2Format;
    const jpeg = format === 'mjpeg' ? ['-c:v', 'copy'] : mjpegEncodeArgs(video);
    const h264 = encoder === 'camera' ? ['-c:v', 'copy'] : h264EncodeArgs(video, encoder);
    const map = ['-map', '0:v:0'];
    return [...COMMON, ...v4l2Input(video, format), '-an', ...map, ...jpeg, ...jpegOut, ...map, ...h264, ...h264Out];
  }
  const input = video.source === 'test' ? testPatternInput(video) : video.input;
  const graph = `[0:v:0]scale=${video.width}:${video.height},fps=${video.fps},split=2[jpeg][h264]`;
  const h264 = h264EncodeArgs(video, encoder === 'camera' ? 'libx264' : encoder);
  // The H.264 output stays last, so the arguments still end in the primary output, pipe:1.
  return [
    ...COMMON,
    ...input,
    '-filter_complex',
    graph,
    '-map',
    '[jpeg]',
    ...mjpegEncodeArgs(video),
    ...jpegOut,
    '-map',
    '[h264]',
    ...h264,
    ...h264Out,
  ];
}

/**
 * ffmpeg arguments that decode H.264 from stdin and write JPEGs to stdout: the JPEG side in H.264 mode when
 * the camera program writes H.264 only (rpicam-vid, a command). No input probing, one decoding thread and
 * every decoded picture passed on as it is, so each access unit becomes a JPEG at once.
 */
export function jpegTranscodeArgs(video: VideoConfig): string[] {
  const input = [
    '-probesize',
    '32',
    '-analyzeduration',
    '0',
    '-fflags',
    'nobuffer',
    '-flags',
    'low_delay',
    '-threads',
    '1',
    '-f',
    'h264',
    '-i',
    'pipe:0',
  ];
  return [...COMMON, ...input, '-an', '-vsync', 'passthrough', ...mjpegEncodeArgs(video), ...FLUSH, '-f', 'mjpeg', 'pipe:1'];
}

/** ffmpeg's own moving test picture in real time, for source "test" in H.264 mode (the daemon's test pattern is JPEG only). */
export function testPatternInput(video: Pick<VideoConfig, 'width' | 'height' | 'fps'>): string[] {
  return ['-re', '-f', 'lavfi', '-i', `testsrc2=size=${video.width}x${video.height}:rate=${video.fps}`];
}

/**
 * Encoder arguments for H.264 that a browser decodes at once and a new viewer can join: 4:2:0 (cameras' JPEGs
 * decode to 4:2:2, which browsers do not play), no B-frames (no reordering delay), an IDR every keyframeSeconds
 * with SPS/PPS in front of it, at the configured or derived bitrate.
 */
export function h264EncodeArgs(video: VideoConfig, encoder: Exclude<H264Encoder, 'camera'>): string[] {
  const gop = String(keyframeIntervalFrames(video));
  const rate = `${h264BitrateKbps(video)}k`;
  const common = ['-pix_fmt', 'yuv420p', '-g', gop, '-bf', '0', '-b:v', rate];
  // The mem2mem encoder keeps SPS/PPS in its extradata; dump_extra puts them in front of every keyframe.
  if (encoder === 'h264_v4l2m2m') return ['-c:v', 'h264_v4l2m2m', ...common, '-bsf:v', 'dump_extra=freq=keyframe'];
  // zerolatency: no lookahead and no frame threads, so each frame leaves as soon as it is encoded;
  // the rate cap with a one-second buffer keeps the bitrate steady without delaying frames.
  const x264 = ['-preset', 'ultrafast', '-tune', 'zerolatency', '-keyint_min', gop, '-sc_threshold', '0'];
  return ['-c:v', 'libx264', ...x264, ...common, '-maxrate', rate, '-bufsize', rate, '-x264-params', 'repeat-headers=1'];
}

function v4l2Input(video: VideoConfig, format: string): string[] {
  const size = `${video.width}x${video.height}`;
  return ['-f', 'v4l2', '-input_format', format, '-video_size', size, '-framerate', String(video.fps), '-i', video.device];
}

function mjpegEncodeArgs(video: VideoConfig): string[] {
  return ['-c:v', 'mjpeg', '-pix_fmt', 'yuvj420p', '-q:v', String(qualityToQscale(video.quality))];
}

/** True when an ffmpeg stderr line says the camera cannot deliver the requested pixel format. */
export function isUnsupportedFormatError(line: string): boolean {
  return /Cannot find a proper format|No such input format/i.test(line);
}

/**
 * ffmpeg arguments for audio on stdout: raw s16le, or Opus packets in Ogg pages.
 * Opus is encoded by ffmpeg's libopus in the child process rather than by a JS/WASM encoder in the daemon:
 * native libopus costs a few percent of one core, runs on another core than the event loop that serves
 * the viewers, and a stall or crash in it is handled by the same supervision as capture.
 * With Opus the same child has a second output, the same audio as raw s16le on pipe:3 (SECOND_OUTPUT_FD), for viewers
 * without an Opus decoder: one capture of the device, decoded once, fanned out to both outputs.
 */
export function audioArgs(audio: AudioConfig): string[] {
  const rate = String(audio.sampleRate);
  const channels = String(audio.channels);
  const input = audio.source === 'alsa' ? ['-f', 'alsa', '-ac', channels, '-ar', rate, '-i', audio.device] : audio.input;
  const format = ['-vn', '-ac', channels, '-ar', rate];
  if (audio.codec === 'pcm') return [...COMMON, ...input, ...format, '-c:a', 'pcm_s16le', ...FLUSH, '-f', 's16le', 'pipe:1'];
  // Both outputs name the same stream: without -map each output would pick its "best" stream on its own,
  // and 0:a alone would put every audio stream of a multi-track input into each output.
  const map = ['-map', '0:a:0'];
  const opus = ['-c:a', 'libopus', '-b:a', '32k', '-frame_duration', String(AUDIO_CHUNK_MS), '-application', 'lowdelay'];
  // One packet per Ogg page, each page flushed at once, instead of a page per second.
  const ogg = ['-page_duration', String(AUDIO_CHUNK_MS * 1000), ...FLUSH, '-f', 'ogg', 'pipe:1'];
  const pcm = ['-c:a', 'pcm_s16le', ...FLUSH, '-f', 's16le', `pipe:${SECOND_OUTPUT_FD}`];
  // The Ogg output stays last, so the arguments still end in the primary output, pipe:1.
  return [...COMMON, ...input, ...map, ...format, ...pcm, ...map, ...format, ...opus, ...ogg];
}
