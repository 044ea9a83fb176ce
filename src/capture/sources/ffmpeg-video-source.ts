import type { Config } from '../../config/schema.js';
import type { Logger } from '../../log.js';
import { firstV4l2Format, isUnsupportedFormatError, videoArgs } from '../process/ffmpeg-args.js';
import { ffmpegCommand } from '../process/ffmpeg-supervisor.js';
import { MjpegVideoSource, type MjpegVideoSourceOptions } from './mjpeg-video-source.js';
import type { SourceListener } from '../source.js';

/**
 * Video from a camera (source "v4l2") or any ffmpeg input (source "ffmpeg") through one supervised
 * ffmpeg child. With inputFormat "auto" a camera that offers no MJPEG is asked for YUYV from the next spawn on.
 */
export class FfmpegVideoSource extends MjpegVideoSource {
  constructor(config: Pick<Config, 'video' | 'ffmpeg'>, listener: SourceListener, log: Logger, options: MjpegVideoSourceOptions = {}) {
    const { video } = config;
    let v4l2Format = firstV4l2Format(video.inputFormat);
    const onStderrLine = (line: string): void => {
      if (video.source !== 'v4l2' || video.inputFormat !== 'auto' || v4l2Format !== 'mjpeg' || !isUnsupportedFormatError(line)) return;
      v4l2Format = 'yuyv422';
      log.warn(`v4l2: ${video.device} offers no MJPEG at this size; falling back to yuyv422 encoded by ffmpeg`);
    };
    super(video, listener, log, { command: () => ffmpegCommand(config.ffmpeg.path, videoArgs(video, v4l2Format)), onStderrLine }, options);
  }
}
