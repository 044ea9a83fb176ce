import type { Config } from '../../config/schema.js';
import type { Logger } from '../../log.js';
import { H264AccessUnitParser, type H264Chunk } from '../formats/h264-access-units.js';
import { ChildSupervisor, type ChildCommand, type SupervisorTiming } from '../process/child-supervisor.js';
import { encoderChoices as daemonEncoderChoices, type EncoderChoices } from '../process/encoder-probe.js';
import { h264VideoArgs, jpegTranscodeArgs } from '../process/ffmpeg-args.js';
import { resolveFfmpeg } from '../process/ffmpeg-path.js';
import { FfmpegSupervisor } from '../process/ffmpeg-supervisor.js';
import { RateLimiter } from '../process/rate-limiter.js';
import { nowMicros, type SourceListener, type SourceState } from '../source.js';
import { V4l2FormatFallback } from './ffmpeg-video-source.js';
import { JpegFrames, type JpegFramesOptions } from './jpeg-frames.js';
import type { CaptureProgram } from './mjpeg-video-source.js';
import { SupervisedSource } from './supervised-source.js';

/** Knobs of the H.264 video source that tests shorten or replace; production uses the defaults. */
export interface H264VideoSourceOptions extends JpegFramesOptions {
  timing?: Partial<SupervisorTiming>;
}

/**
 * Where the JPEGs of H.264 mode come from: the capture child's own second output on pipe:3 (ffmpeg), or a
 * second ffmpeg child that decodes the access units (a camera program that writes H.264 only).
 */
export type JpegSide = 'second-output' | 'transcode';

/**
 * Video in H.264 mode (`video.codec "h264"`): H.264 access units from the capture child's stdout (kind 4,
 * keyframes flagged, with the SPS format) and JPEG frames (kind 1) for the MJPEG endpoints and JPEG viewers.
 * Both carry the time their pipe read returned. The capture child is supervised like every source; a
 * transcoder, when there is one, is supervised on its own and only its JPEGs stop when it fails.
 */
export class H264VideoSource extends SupervisedSource {
  readonly name = 'video';
  protected readonly supervisor: ChildSupervisor;
  private readonly transcoder: FfmpegSupervisor | null;
  private readonly frames: JpegFrames;
  private readonly parser = new H264AccessUnitParser();
  private readonly problemLog = new RateLimiter(1, 10_000);
  /** The transcoder missed an access unit (or is new): it gets nothing until the next keyframe. */
  private transcoderNeedsKeyframe = true;

  constructor(
    config: Pick<Config, 'video' | 'ffmpeg'>,
    private readonly listener: SourceListener,
    private readonly log: Logger,
    program: CaptureProgram,
    jpegs: JpegSide,
    options: H264VideoSourceOptions = {},
  ) {
    super();
    const jpegArrived = () => (this.transcoder ?? this.supervisor).chunkArrived();
    this.frames = new JpegFrames(config.video, listener, log, () => this.supervisor.state.status, jpegArrived, options);
    this.supervisor = new ChildSupervisor({
      log,
      chunkName: 'frame',
      command: () => program.command(),
      onSpawn: () => {
        this.parser.reset();
        if (jpegs === 'second-output') this.frames.reset();
      },
      onStdout: (data) => this.onH264(data),
      ...(jpegs === 'second-output' ? { extraOutputs: [(data: Buffer) => this.frames.push(data)] } : {}),
      onStderrLine: (line) => program.onStderrLine?.(line),
      onState: (state) => this.onState(state),
      timing: options.timing,
    });
    this.transcoder =
      jpegs === 'transcode'
        ? new FfmpegSupervisor({
            log,
            ffmpegPath: config.ffmpeg.path,
            chunkName: 'JPEG frame',
            args: () => jpegTranscodeArgs(config.video),
            stdin: true,
            onSpawn: () => {
              this.frames.reset();
              this.transcoderNeedsKeyframe = true;
            },
            onStdout: (data) => this.frames.push(data),
            // The source's state is the camera's; the transcoder's failures show as its log lines and "no signal" JPEGs.
            onState: () => {},
            timing: options.timing,
          })
        : null;
  }

  override async start(): Promise<void> {
    this.frames.start();
    await Promise.all([super.start(), this.transcoder?.start()]);
  }

  override async stop(): Promise<void> {
    this.frames.stop();
    await Promise.all([super.stop(), this.transcoder?.stop()]);
  }

  private onH264(data: Buffer): void {
    for (const unit of this.parser.push(data, nowMicros())) {
      this.supervisor.chunkArrived();
      this.listener.chunk(unit);
      this.transcode(unit);
    }
    const problem = this.parser.takeProblem();
    if (problem !== null && this.problemLog.allow()) this.log.warn({ ...this.parser.stats }, `h264: ${problem}`);
  }

  private transcode(unit: H264Chunk): void {
    if (this.transcoder === null || (this.transcoderNeedsKeyframe && !unit.keyframe)) return;
    this.transcoderNeedsKeyframe = !this.transcoder.input(unit.payload);
  }

  private onState(state: SourceState): void {
    this.listener.state(state);
    this.frames.onState(state);
  }
}

/**
 * ffmpeg as the capture child in H.264 mode (sources "test", "v4l2", "ffmpeg"): the encoder is chosen by the
 * probes (once per daemon, see EncoderChoices) and logged with why when this source first starts.
 */
export function ffmpegH264Program(
  config: Pick<Config, 'video' | 'ffmpeg'>,
  log: Logger,
  choices: EncoderChoices = daemonEncoderChoices,
): CaptureProgram {
  const format = new V4l2FormatFallback(config.video, log);
  let logged = false;
  return {
    async command(): Promise<ChildCommand> {
      const ffmpeg = await resolveFfmpeg(config.ffmpeg.path);
      if (!ffmpeg.ok) return ffmpeg;
      const choice = await choices.choose(ffmpeg.path, config.video);
      if (!logged) log.info({ 'video encoder': choice.encoder, why: choice.why }, 'H.264 encoder chosen');
      logged = true;
      return { ok: true, file: ffmpeg.path, args: h264VideoArgs(config.video, choice.encoder, format.current) };
    },
    onStderrLine: (line) => format.onStderrLine(line),
  };
}
