import type { Config } from '../../config/schema.js';
import { AUDIO_CHUNK_MS } from '../source.js';

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
  const size = `${video.width}x${video.height}`;
  const encode = ['-c:v', 'mjpeg', '-pix_fmt', 'yuvj420p', '-q:v', String(qualityToQscale(video.quality))];
  const output = [...FLUSH, '-f', 'mjpeg', 'pipe:1'];
  if (video.source === 'v4l2') {
    const input = ['-f', 'v4l2', '-input_format', v4l2Format, '-video_size', size, '-framerate', String(video.fps), '-i', video.device];
    // The camera's own JPEGs are passed through untouched: no decoding or encoding on the Pi.
    const codec = v4l2Format === 'mjpeg' ? ['-c:v', 'copy'] : encode;
    return [...COMMON, ...input, '-an', ...codec, ...output];
  }
  const scale = ['-vf', `scale=${video.width}:${video.height},fps=${video.fps}`];
  return [...COMMON, ...video.input, '-an', ...scale, ...encode, ...output];
}

/** True when an ffmpeg stderr line says the camera cannot deliver the requested pixel format. */
export function isUnsupportedFormatError(line: string): boolean {
  return /Cannot find a proper format|No such input format/i.test(line);
}

/** The extra pipe on which the Opus child also writes its audio as raw s16le (spawned with a fourth stdio pipe). */
export const OPUS_PCM_FD = 3;

/**
 * ffmpeg arguments for audio on stdout: raw s16le, or Opus packets in Ogg pages.
 * Opus is encoded by ffmpeg's libopus in the child process rather than by a JS/WASM encoder in the daemon:
 * native libopus costs a few percent of one core, runs on another core than the event loop that serves
 * the viewers, and a stall or crash in it is handled by the same supervision as capture.
 * With Opus the same child has a second output, the same audio as raw s16le on pipe:3, for viewers
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
  const pcm = ['-c:a', 'pcm_s16le', ...FLUSH, '-f', 's16le', `pipe:${OPUS_PCM_FD}`];
  // The Ogg output stays last, so the arguments still end in the primary output, pipe:1.
  return [...COMMON, ...input, ...map, ...format, ...pcm, ...map, ...format, ...opus, ...ogg];
}
