import type { Config } from '../config/schema.js';
import { moduleLogger, type Logger } from '../log.js';
import { FfmpegAudioSource } from './sources/ffmpeg-audio-source.js';
import { FfmpegVideoSource } from './sources/ffmpeg-video-source.js';
import { ffmpegH264Program, H264VideoSource } from './sources/h264-video-source.js';
import { libcameraProgram } from './process/libcamera.js';
import { commandProgram, MjpegVideoSource } from './sources/mjpeg-video-source.js';
import type { CaptureSource, SourceListener } from './source.js';
import { SyntheticAudioSource, SyntheticVideoSource } from './sources/synthetic.js';

export interface CaptureSources {
  video: CaptureSource;
  audio: CaptureSource | null;
}

export interface SourceListeners {
  video: SourceListener;
  audio: SourceListener;
}

/** Builds the sources for a config; the CaptureController calls it at start and at every reconfigure. */
export type CaptureSourceFactory = (config: Config, listeners: SourceListeners, log: Logger) => CaptureSources;

/** Builds the configured video and audio sources; the one place that switches on `source`. */
export const createCaptureSources: CaptureSourceFactory = (config, listeners, log) => {
  const video = createVideoSource(config, listeners.video, log);
  const audio = config.audio.enabled ? createAudioSource(config, listeners.audio, log) : null;
  return { video, audio };
};

function createVideoSource(config: Config, listener: SourceListener, log: Logger): CaptureSource {
  if (config.video.codec === 'h264') return createH264VideoSource(config, listener, moduleLogger(log, 'video'));
  switch (config.video.source) {
    case 'test':
      return new SyntheticVideoSource(config.video, listener, log);
    case 'v4l2':
    case 'ffmpeg':
      return new FfmpegVideoSource(config, listener, moduleLogger(log, 'video'));
    case 'libcamera':
      return new MjpegVideoSource(config.video, listener, moduleLogger(log, 'video'), libcameraProgram(config.video));
    case 'command':
      return new MjpegVideoSource(config.video, listener, moduleLogger(log, 'video'), commandProgram(config.video.command));
  }
}

/**
 * H.264 mode. Source "test" runs ffmpeg's own test picture through the same child as a camera would: the
 * daemon's built-in pattern is JPEGs only, and H.264 needs an encoder anyway. rpicam-vid and a command write
 * H.264 only, so a second ffmpeg makes their JPEGs (see docs/config.md for why).
 */
function createH264VideoSource(config: Config, listener: SourceListener, log: Logger): CaptureSource {
  switch (config.video.source) {
    case 'test':
    case 'v4l2':
    case 'ffmpeg':
      return new H264VideoSource(config, listener, log, ffmpegH264Program(config, log), 'second-output');
    case 'libcamera':
      return new H264VideoSource(config, listener, log, libcameraProgram(config.video), 'transcode');
    case 'command':
      return new H264VideoSource(config, listener, log, commandProgram(config.video.command), 'transcode');
  }
}

/** True when the config captures anything through ffmpeg (so it is worth looking ffmpeg up at start). */
export function usesFfmpeg(config: Config): boolean {
  const video = config.video.source === 'v4l2' || config.video.source === 'ffmpeg' || config.video.codec === 'h264';
  return video || (config.audio.enabled && config.audio.source !== 'test');
}

function createAudioSource(config: Config, listener: SourceListener, log: Logger): CaptureSource {
  switch (config.audio.source) {
    case 'test':
      return new SyntheticAudioSource(config.audio, listener, log);
    case 'alsa':
    case 'ffmpeg':
      return new FfmpegAudioSource(config, listener, moduleLogger(log, 'audio'));
    default:
      throw new Error(`audio.source "${config.audio.source as string}" is not built yet`);
  }
}
