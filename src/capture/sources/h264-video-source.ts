import type { Config } from '../../config/schema.js';
import type { Logger } from '../../log.js';
import { H264AccessUnitParser } from '../formats/h264-access-units.js';
import { ChildSupervisor, type ChildCommand, type SupervisorTiming } from '../process/child-supervisor.js';
import { encoderChoices as daemonEncoderChoices, type EncoderChoices } from '../process/encoder-probe.js';
import { h264VideoArgs } from '../process/ffmpeg-args.js';
import { resolveFfmpeg } from '../process/ffmpeg-path.js';
import { RateLimiter } from '../process/rate-limiter.js';
import { nowMicros, type SourceListener, type SourceState } from '../source.js';
import { V4l2FormatFallback } from './ffmpeg-video-source.js';
import { JpegFrames, type JpegFramesOptions } from './jpeg-frames.js';
import { SupervisedSource } from './supervised-source.js';

/** Knobs of the H.264 video source that tests shorten or replace; production uses the defaults. */
export interface H264VideoSourceOptions extends JpegFramesOptions {
  timing?: Partial<SupervisorTiming>;
  /** Where encoder choices are probed and kept (default: the daemon's one cache). */
  encoderChoices?: EncoderChoices;
}

/**
 * Video in H.264 mode (`video.codec "h264"`) from a camera, any ffmpeg input or ffmpeg's test picture,
 * through one supervised ffmpeg child with two outputs: H.264 access units from pipe:1 (kind 4, keyframes
 * flagged, with the SPS format) and JPEG frames from pipe:3 (kind 1) for the MJPEG endpoints and JPEG viewers.
 * Both carry the time their pipe read returned. The encoder is probed once (see EncoderChoices) and logged.
 */
export class H264VideoSource extends SupervisedSource {
  readonly name = 'video';
  protected readonly supervisor: ChildSupervisor;
  private readonly frames: JpegFrames;
  private readonly parser = new H264AccessUnitParser();
  private readonly problemLog = new RateLimiter(1, 10_000);

  constructor(
    config: Pick<Config, 'video' | 'ffmpeg'>,
    private readonly listener: SourceListener,
    private readonly log: Logger,
    options: H264VideoSourceOptions = {},
  ) {
    super();
    const chunkArrived = () => this.supervisor.chunkArrived();
    this.frames = new JpegFrames(config.video, listener, log, () => this.supervisor.state.status, chunkArrived, options);
    const format = new V4l2FormatFallback(config.video, log);
    const choices = options.encoderChoices ?? daemonEncoderChoices;
    let logged = false;
    const command = async (): Promise<ChildCommand> => {
      const ffmpeg = await resolveFfmpeg(config.ffmpeg.path);
      if (!ffmpeg.ok) return ffmpeg;
      const choice = await choices.choose(ffmpeg.path, config.video);
      if (!logged) log.info({ 'video encoder': choice.encoder, why: choice.why }, 'H.264 encoder chosen');
      logged = true;
      return { ok: true, file: ffmpeg.path, args: h264VideoArgs(config.video, choice.encoder, format.current) };
    };
    this.supervisor = new ChildSupervisor({
      log,
      chunkName: 'frame',
      command,
      onSpawn: () => {
        this.frames.reset();
        this.parser.reset();
      },
      onStdout: (data) => this.onH264(data),
      extraOutputs: [(data) => this.frames.push(data)],
      onStderrLine: (line) => format.onStderrLine(line),
      onState: (state) => this.onState(state),
      timing: options.timing,
    });
  }

  override start(): Promise<void> {
    this.frames.start();
    return super.start();
  }

  override async stop(): Promise<void> {
    this.frames.stop();
    await super.stop();
  }

  private onH264(data: Buffer): void {
    for (const unit of this.parser.push(data, nowMicros())) {
      this.supervisor.chunkArrived();
      this.listener.chunk(unit);
    }
    const problem = this.parser.takeProblem();
    if (problem !== null && this.problemLog.allow()) this.log.warn({ ...this.parser.stats }, `h264: ${problem}`);
  }

  private onState(state: SourceState): void {
    this.listener.state(state);
    this.frames.onState(state);
  }
}
