import type { Config } from '../../config/schema.js';
import type { Logger } from '../../log.js';
import { ChildSupervisor, type ChildCommand, type SupervisorTiming } from '../process/child-supervisor.js';
import type { SourceListener, SourceState } from '../source.js';
import { JpegFrames, type JpegFramesOptions } from './jpeg-frames.js';
import { SupervisedSource } from './supervised-source.js';

/** Knobs of the MJPEG video sources that tests shorten; production uses the defaults. */
export interface MjpegVideoSourceOptions extends JpegFramesOptions {
  timing?: Partial<SupervisorTiming>;
}
/** The program that writes the video stream (MJPEG, or H.264 in H.264 mode) to its stdout, as a source runs it. */
export interface CaptureProgram {
  /** Program and arguments for the next spawn (looked up again at every restart). */
  command(): Promise<ChildCommand>;
  /** Sees each stderr line (e.g. to change the next spawn's arguments). */
  onStderrLine?(line: string): void;
}

/** video.command as given: spawn looks the program up on PATH, and a missing one is a reported, retried failure. */
export function commandProgram(argv: readonly string[]): CaptureProgram {
  const [file, ...args] = argv;
  return {
    command: (): Promise<ChildCommand> =>
      Promise.resolve(file === undefined ? { ok: false, error: 'video.command is empty' } : { ok: true, file, args }),
  };
}

/**
 * Video as whole JPEG frames from any supervised child that writes an MJPEG byte stream to stdout
 * (ffmpeg, rpicam-vid, a configured command). While it has no picture it publishes a "no signal" JPEG.
 */
export class MjpegVideoSource extends SupervisedSource {
  readonly name = 'video';
  protected readonly supervisor: ChildSupervisor;
  private readonly frames: JpegFrames;

  constructor(
    video: Pick<Config['video'], 'width' | 'height'>,
    private readonly listener: SourceListener,
    log: Logger,
    program: CaptureProgram,
    options: MjpegVideoSourceOptions = {},
  ) {
    super();
    this.frames = new JpegFrames(
      video,
      listener,
      log,
      () => this.supervisor.state.status,
      () => this.supervisor.chunkArrived(),
      options,
    );
    this.supervisor = new ChildSupervisor({
      log,
      chunkName: 'frame',
      command: () => program.command(),
      onSpawn: () => this.frames.reset(),
      onStdout: (data) => this.frames.push(data),
      onStderrLine: (line) => program.onStderrLine?.(line),
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

  private onState(state: SourceState): void {
    this.listener.state(state);
    this.frames.onState(state);
  }
}
