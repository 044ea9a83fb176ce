import type { Config } from '../../config/schema.js';
import type { Logger } from '../../log.js';
import { firstV4l2Format, isUnsupportedFormatError, videoArgs, type V4l2Format } from '../process/ffmpeg-args.js';
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
    const format = new V4l2FormatFallback(video, log);
    const command = () => ffmpegCommand(config.ffmpeg.path, videoArgs(video, format.current));
    super(video, listener, log, { command, onStderrLine: (line) => format.onStderrLine(line) }, options);
  }
}

/** The v4l2 pixel format for the next spawn: with inputFormat "auto", YUYV once the camera said it has no MJPEG. */
export class V4l2FormatFallback {
  current: V4l2Format;

  constructor(
    private readonly video: Config['video'],
    private readonly log: Logger,
  ) {
    this.current = firstV4l2Format(video.inputFormat);
  }

  onStderrLine(line: string): void {
    const { video } = this;
    if (video.source !== 'v4l2' || video.inputFormat !== 'auto' || this.current !== 'mjpeg' || !isUnsupportedFormatError(line)) return;
    this.current = 'yuyv422';
    this.log.warn(`v4l2: ${video.device} offers no MJPEG at this size; falling back to yuyv422 encoded by ffmpeg`);
  }
}
