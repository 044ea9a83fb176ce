import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from '../../log.js';
import { RateLimiter } from './rate-limiter.js';
import type { SourceState } from '../source.js';
import { describeError } from '../../describe-error.js';
import { redactSecrets } from '../../redact.js';

/** The supervisor's clocks; tests shorten them. */
export interface SupervisorTiming {
  /** Delay before each successive restart; the last one repeats. */
  backoffMs: readonly number[];
  /** A child that has delivered chunks this long resets the backoff to its first step. */
  healthyAfterMs: number;
  /** No chunk for this long (from spawn or from the last chunk): the child is stuck and is killed. */
  stallMs: number;
  /** SIGKILL follows SIGTERM after this long. */
  killGraceMs: number;
}

/** Production timing: restarts after 1 s, 2 s, 5 s, 10 s, then every 30 s. */
export const DEFAULT_SUPERVISOR_TIMING: SupervisorTiming = {
  backoffMs: [1000, 2000, 5000, 10_000, 30_000],
  healthyAfterMs: 60_000,
  stallMs: 5000,
  killGraceMs: 2000,
};

/** The program to spawn and its arguments, or why there is none to run now. */
export type ChildCommand = { ok: true; file: string; args: string[] } | { ok: false; error: string };

/** What a source plugs into the supervisor. */
export interface ChildSupervisorOptions {
  log: Logger;
  /** What one chunk is called in log lines ("frame", "audio chunk"). */
  chunkName: string;
  /**
   * The command for the next spawn; called before every (re)start, so a program installed later
   * fixes a down source. An error is a failed launch: reported as the reason and retried with backoff.
   */
  command(): Promise<ChildCommand>;
  /** A new child is about to run: reset stream parsers. */
  onSpawn(): void;
  onStdout(data: Buffer): void;
  /**
   * Readers of further output pipes: entry i reads fd 3+i of the child (ffmpeg writes there with `pipe:3`, …).
   * An early end of one loses only its output and an error is logged, never thrown; liveness comes only from chunkArrived().
   */
  extraOutputs?: ReadonlyArray<(data: Buffer) => void>;
  onStderrLine?(line: string): void;
  onState(state: SourceState): void;
  /** Give the child a stdin pipe that input() writes to (default: stdin is /dev/null). */
  stdin?: boolean;
  timing?: Partial<SupervisorTiming>;
}

const STDERR_LINES_PER_WINDOW = 20;
const STDERR_WINDOW_MS = 10_000;
const MAX_LINE_CHARS = 500;
const PIPE_CLOSE_GRACE_MS = 1000;
/** input() refuses data while this much waits in the child's stdin already: a slow child loses input, the daemon no memory. */
const MAX_STDIN_BACKLOG_BYTES = 4 * 1024 * 1024;

/**
 * Runs one child process for a capture source (ffmpeg, rpicam-vid, any command) and keeps it running while
 * wanted: restarts it with backoff when it exits, crashes or stalls, logs its stderr (rate-limited) and every
 * exit, and reports the source state. The source calls chunkArrived() for each parsed chunk, the liveness signal.
 * Log lines and reasons name the program by its file name ("ffmpeg", "rpicam-vid").
 */
export class ChildSupervisor {
  private current: SourceState = { status: 'stopped' };
  private readonly timing: SupervisorTiming;
  private wanted = false;
  /** Bumped by start() and stop(), so callbacks of an older run do nothing. */
  private generation = 0;
  private child: ChildProcess | null = null;
  private childClosed: Promise<void> = Promise.resolve();
  private failures = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private stallTimer: NodeJS.Timeout | null = null;
  private stalled = false;
  private startedAt = 0;
  private spawnedAt = 0;
  private firstChunkAt: number | null = null;
  private firstChunkSinceStart = true;
  /** File name of the program last launched, for log lines and reasons. */
  private program = 'child';
  private lastStderrLine = '';
  private stderrRest = '';
  private readonly stderrLimiter = new RateLimiter(STDERR_LINES_PER_WINDOW, STDERR_WINDOW_MS);
  private restartCount = 0;

  constructor(private readonly options: ChildSupervisorOptions) {
    this.timing = { ...DEFAULT_SUPERVISOR_TIMING, ...options.timing };
  }

  get state(): SourceState {
    return this.current;
  }

  /** Restarts since construction (crashes, stalls and failed launches), for metrics. */
  get restarts(): number {
    return this.restartCount;
  }

  /** Process id of the running child, if any (diagnostics and tests). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Resolves at once: the child is spawned (and respawned) in the background. */
  start(): Promise<void> {
    if (this.wanted) return Promise.resolve();
    this.wanted = true;
    this.generation += 1;
    this.failures = 0;
    this.startedAt = performance.now();
    this.firstChunkSinceStart = true;
    this.setState({ status: 'starting' });
    void this.launch(this.generation);
    return Promise.resolve();
  }

  /** Kills the child (SIGTERM, then SIGKILL) and resolves once it has exited. */
  async stop(): Promise<void> {
    this.wanted = false;
    this.generation += 1;
    const generation = this.generation;
    this.clearTimer('restartTimer');
    if (this.child !== null) this.terminate(this.child);
    await this.childClosed;
    if (generation === this.generation) this.setState({ status: 'stopped' });
  }

  /** The source parsed one whole chunk from this child's output. */
  chunkArrived(): void {
    if (this.child === null) return;
    this.stallTimer?.refresh();
    if (this.firstChunkAt !== null) return;
    const now = performance.now();
    this.firstChunkAt = now;
    if (this.firstChunkSinceStart) {
      this.firstChunkSinceStart = false;
      this.options.log.info(`first ${this.options.chunkName} after ${Math.round(now - this.startedAt)} ms`);
    } else {
      this.options.log.info(`${this.options.chunkName}s again ${Math.round(now - this.spawnedAt)} ms after restart`);
    }
    this.setState({ status: 'running' });
  }

  /**
   * Writes to the running child's stdin (option `stdin`). False when nothing was written: no child runs,
   * or it has not taken the earlier input yet (the caller decides what a gap means for its stream).
   */
  input(data: Buffer): boolean {
    const stdin = this.child?.stdin;
    if (stdin === null || stdin === undefined || !stdin.writable || stdin.writableLength > MAX_STDIN_BACKLOG_BYTES) return false;
    stdin.write(data);
    return true;
  }

  private async launch(generation: number): Promise<void> {
    // A camera opens for one process at a time: the previous child must be gone first.
    await this.childClosed;
    if (generation !== this.generation) return;
    const command = await this.options.command();
    if (generation !== this.generation) return;
    if (!command.ok) {
      this.scheduleRestart(generation, command.error);
      return;
    }
    this.program = path.basename(command.file);
    try {
      this.spawnChild(command.file, command.args, generation);
    } catch (error) {
      // spawn() throws synchronously on arguments it rejects (e.g. a NUL byte in a configured input).
      this.scheduleRestart(generation, `${this.program}: could not start: ${describeError(error)}`);
    }
  }

  private spawnChild(file: string, args: string[], generation: number): void {
    this.options.onSpawn();
    this.firstChunkAt = null;
    this.stalled = false;
    this.lastStderrLine = '';
    this.stderrRest = '';
    this.spawnedAt = performance.now();
    const extraOutputs = this.options.extraOutputs ?? [];
    const stdin = this.options.stdin === true ? 'pipe' : 'ignore';
    const child = spawn(file, args, { stdio: [stdin, 'pipe', 'pipe', ...extraOutputs.map(() => 'pipe' as const)] });
    this.child = child;
    // A child that exits leaves writes to its stdin failing with EPIPE; its exit is what counts, and is handled.
    child.stdin?.on('error', () => {});
    this.options.log.debug({ file, args: args.map(redactSecrets), childPid: child.pid }, `${this.program} spawned`);
    let markClosed: () => void = () => {};
    this.childClosed = new Promise((resolve) => (markClosed = resolve));
    let gone = false;
    const onGone = (code: number | null, signal: NodeJS.Signals | null, error?: Error): void => {
      if (gone) return;
      gone = true;
      this.child = null;
      this.clearTimer('stallTimer');
      markClosed();
      this.childGone(generation, child.pid, code, signal, error);
    };
    child.on('error', (error) => {
      // Also raised when a kill fails; only a child that never started is gone because of it.
      if (child.pid === undefined) onGone(null, null, error);
      else this.options.log.warn({ err: error }, `${this.program}: process error`);
    });
    child.on('close', (code, signal) => onGone(code, signal));
    child.on('exit', () => {
      // 'close' waits for stdout/stderr to end; should a grandchild hold them open, stop waiting.
      setTimeout(() => {
        for (const stream of child.stdio) stream?.destroy();
      }, PIPE_CLOSE_GRACE_MS).unref();
    });
    child.stdout!.on('data', (data: Buffer) => {
      // Output of a child that is being stopped is no longer anyone's.
      if (generation === this.generation) this.options.onStdout(data);
    });
    extraOutputs.forEach((onData, index) => this.readExtraOutput(child, generation, 3 + index, onData));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => this.stderrText(text));
    this.stallTimer = setTimeout(() => this.onStall(child), this.timing.stallMs);
  }

  private readExtraOutput(child: ChildProcess, generation: number, fd: number, onData: (data: Buffer) => void): void {
    const stream = child.stdio[fd] as Readable | null | undefined;
    if (stream === null || stream === undefined) {
      this.options.log.warn(`${this.program}: no pipe on fd ${fd}`);
      return;
    }
    stream.on('data', (data: Buffer) => {
      if (generation === this.generation) onData(data);
    });
    // A pipe that fails or ends while the child runs loses only its own output; the child's exit
    // (ffmpeg stops on a write error) or the stall timer brings the restart.
    stream.on('error', (error) => {
      if (generation === this.generation && child === this.child) this.options.log.warn({ err: error }, `${this.program}: fd ${fd} failed`);
    });
  }

  private onStall(child: ChildProcess): void {
    this.stallTimer = null;
    if (child !== this.child) return;
    this.stalled = true;
    this.options.log.warn(`${this.program}: no ${this.options.chunkName} for ${this.timing.stallMs} ms, killing pid ${child.pid}`);
    this.terminate(child);
  }

  private childGone(
    generation: number,
    childPid: number | undefined,
    code: number | null,
    signal: NodeJS.Signals | null,
    error?: Error,
  ): void {
    this.flushStderr();
    const lastLine = this.stderrRest.trim() || this.lastStderrLine;
    const healthy = this.firstChunkAt !== null && performance.now() - this.firstChunkAt >= this.timing.healthyAfterMs;
    if (generation !== this.generation) {
      this.options.log.info({ childPid, code, signal }, `${this.program} exited`);
      return;
    }
    this.options.log.warn({ childPid, code, signal }, `${this.program} exited unexpectedly`);
    if (healthy) this.failures = 0;
    let reason: string;
    if (error !== undefined) reason = `${this.program}: could not run: ${error.message}`;
    else if (this.stalled) reason = `${this.program}: no ${this.options.chunkName} for ${this.timing.stallMs} ms`;
    else reason = `${this.program} exited with ${signal !== null ? `signal ${signal}` : `code ${code}`}${lastLine ? `: ${lastLine}` : ''}`;
    this.scheduleRestart(generation, reason);
  }

  private scheduleRestart(generation: number, reason: string): void {
    const steps = this.timing.backoffMs;
    const delay = steps[Math.min(this.failures, steps.length - 1)] ?? 1000;
    this.failures += 1;
    this.restartCount += 1;
    this.options.log.warn({ retryInMs: delay }, `${reason}; restarting`);
    this.setState({ status: 'down', reason, retryInMs: delay });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (generation !== this.generation) return;
      this.setState({ status: 'starting' });
      void this.launch(generation);
    }, delay);
  }

  private terminate(child: ChildProcess): void {
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), this.timing.killGraceMs);
    child.once('close', () => clearTimeout(killer));
  }

  private stderrText(text: string): void {
    const lines = (this.stderrRest + text).split(/\r\n|\r|\n/);
    this.stderrRest = lines.pop() ?? '';
    for (const raw of lines) {
      const line = redactSecrets(raw.trim().slice(0, MAX_LINE_CHARS));
      if (line === '') continue;
      this.lastStderrLine = line;
      this.options.onStderrLine?.(line);
      if (!this.stderrLimiter.allow()) continue;
      this.reportSuppressed();
      this.options.log.warn(`${this.program}: ${line}`);
    }
    if (this.stderrRest.length > MAX_LINE_CHARS) this.stderrText('\n');
  }

  private flushStderr(): void {
    if (this.stderrRest.trim() !== '') this.stderrText('\n');
    this.reportSuppressed();
  }

  private reportSuppressed(): void {
    const suppressed = this.stderrLimiter.drainSuppressed();
    if (suppressed > 0) this.options.log.warn(`${this.program}: ${suppressed} stderr lines suppressed`);
  }

  private setState(state: SourceState): void {
    this.current = state;
    this.options.onState(state);
  }

  private clearTimer(which: 'restartTimer' | 'stallTimer'): void {
    const timer = this[which];
    if (timer !== null) clearTimeout(timer);
    this[which] = null;
  }
}
