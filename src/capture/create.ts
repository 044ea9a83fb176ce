import type { Config } from '../config/schema.js';
import { moduleLogger, type Logger } from '../log.js';
import { FfmpegAudioSource } from './sources/ffmpeg-audio-source.js';
import { FfmpegVideoSource } from './sources/ffmpeg-video-source.js';
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

/** True when the config captures anything through ffmpeg (so it is worth looking ffmpeg up at start). */
export function usesFfmpeg(config: Config): boolean {
  const video = config.video.source === 'v4l2' || config.video.source === 'ffmpeg';
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
