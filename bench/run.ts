import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { nowMicros } from '../src/capture/source.js';
import { videoArgs } from '../src/capture/process/ffmpeg-args.js';
import { ConfigSchema, type ConfigInput } from '../src/config/schema.js';
import { ChunkKind, decodeHeader } from '../src/protocol/header.js';
import { AUDIO_CHUNK_MS, helloMessage, renderTestFrames } from './frames.js';
import { sweepChartSvg, type SweepPoint } from './sweep-chart.js';
import type { Transport, ViewerCommand, ViewerEvent, ViewerResult } from './ipc.js';
import { cpuSeconds, cpuTimes, rssBytes } from './proc-stats.js';
import { median } from './stats.js';
import { freePort } from './free-port.js';
import { packagePath } from '../src/package-root.js';
import { runH264Profile } from './h264/profile.js';

/**
 * `npm run bench`: the same load (fast + stalled viewers in a separate process) against three
 * servers in turn, each its own process: wscam, the `ws` baseline and the node:net floor.
 * What it measures and the targets: docs/benchmark.md.
 */

type ServerName = 'wscam' | 'floor' | 'baseline' | 'cfloor';
const SERVER_NAMES: ServerName[] = ['wscam', 'floor', 'baseline', 'cfloor'];
/** Run unless --only says otherwise; the C floor (WebSocket video only) joins where it applies. */
const DEFAULT_SERVERS: ServerName[] = ['wscam', 'floor', 'baseline'];

interface BenchOptions {
  profile: 'default' | 'audio';
  clients: number;
  stalled: number;
  seconds: number;
  warmup: number;
  fps: number;
  width: number;
  height: number;
  audio: boolean;
  only: ServerName[];
  transport: Transport;
  out: string;
  source: 'test' | 'ffmpeg';
  idleSeconds: number;
  cpuProfDir: string | undefined;
  /** Extra node flags for every server process, e.g. "--trace-gc". */
  nodeArgs: string[];
  /** Folder to keep each server's stdout/stderr in, as <server>.log. */
  serverLogDir: string | undefined;
  /** Measure connect → first live frame after capture idled, instead of the fan-out. */
  firstFrame: boolean;
  /** Run the fan-out at each of SWEEP_VIEWERS (no stalled viewers) and write an SVG chart here. */
  sweepChart: string | undefined;
  /** Measured windows per server, taken in turns (wscam, floor, …, then the other way round). */
  rounds: number;
}

/**
 * Rounds per server by default: one window of a server moves by ±15 % at 5 viewers on this shared 2-core
 * machine, so the CPU ratio is of medians over rounds taken in turns; the other targets hold in every round.
 */
const DEFAULT_ROUNDS = 3;

/** From the full GC once frames flow to the window: past the memory reducer's collections that follow it (~8 s). */
const DEFAULT_WARMUP_SECONDS = 12;

/** --sweep: fast viewers per point. */
const SWEEP_VIEWERS = [1, 5, 20, 50, 100, 200];

/** The reference servers per transport. */
const REFERENCE_SCRIPTS: Record<Transport, Record<'floor' | 'baseline', string>> = {
  ws: { floor: 'floor-server.js', baseline: 'baseline-server.js' },
  mjpeg: { floor: 'floor-mjpeg-server.js', baseline: 'baseline-mjpeg-server.js' },
};
const TRANSPORT_PATHS: Record<Transport, string> = { ws: '/ws', mjpeg: '/stream.mjpg' };

const PROFILES = {
  default: { clients: 100, stalled: 20, fps: 30, size: '1280x720', audio: false },
  audio: { clients: 200, stalled: 20, fps: 15, size: '640x480', audio: true },
} as const;

/** The targets of docs/benchmark.md. */
const TARGETS = {
  deliveredFraction: 0.99,
  p99LatencyMs: 15,
  cpuPerMessageVsFloor: { default: 1.1, audio: 1.25 },
  rssGrowthBytes: 5 * 1024 * 1024,
  rssPeakOverFloorBytes: 15 * 1024 * 1024,
  firstFrameMedianMs: 1000,
  idleCpuPerSecond: 0.01,
};

/** --first-frame: tries, and how long one may take before it counts as failed. */
const FIRST_FRAME_TRIES = 10;
const FIRST_FRAME_TRY_TIMEOUT_MS = 15_000;
/** The daemon's video.idleSeconds in every profile: capture stops this long after the last viewer. */
const DAEMON_IDLE_SECONDS = 1;

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const MAIN_JS = packagePath('dist', 'main.js');
const RESULTS_DIR = packagePath('bench', 'results');
/**
 * The node flags the systemd unit gives the daemon (its NODE_OPTIONS line): every Node server gets
 * them, so wscam runs as on a board and the references under the same V8 settings.
 */
const UNIT_NODE_OPTIONS =
  /^Environment=NODE_OPTIONS=(.*)$/m.exec(readFileSync(packagePath('systemd', 'wscam.service'), 'utf8'))?.[1]?.split(/\s+/) ?? [];
/** The reference servers render the test loop before they listen (~15 s at 720p). */
const READY_TIMEOUT_MS = 120_000;
const FIRST_FRAME_TIMEOUT_MS = 120_000;
const IPC_TIMEOUT_MS = 30_000;
const RSS_SAMPLE_MS = 250;
/** After the last viewer leaves: the daemon's idleSeconds (1) plus a margin. */
const IDLE_SETTLE_MS = 2500;
/** gc-preload runs its second GC 200 ms after the signal. */
const GC_SETTLE_MS = 600;

const children = new Set<ChildProcess>();
const cleanups: Array<() => void> = [];

function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      profile: { type: 'string', default: 'default' },
      clients: { type: 'string' },
      stalled: { type: 'string' },
      seconds: { type: 'string', default: '20' },
      warmup: { type: 'string' },
      fps: { type: 'string' },
      size: { type: 'string' },
      out: { type: 'string' },
      only: { type: 'string' },
      transport: { type: 'string', default: 'ws' },
      source: { type: 'string', default: 'test' },
      idle: { type: 'string', default: '2' },
      'cpu-prof': { type: 'string' },
      'node-args': { type: 'string' },
      'server-log': { type: 'string' },
      'first-frame': { type: 'boolean', default: false },
      sweep: { type: 'boolean', default: false },
      chart: { type: 'string' },
      rounds: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: node build/bench/run.js [--profile default|audio] [--clients N] [--stalled N] [--seconds S] [--warmup S]\n' +
        '       [--fps N] [--size WxH] [--only wscam,floor,baseline,cfloor] [--transport ws|mjpeg] [--out FILE] [--source test|ffmpeg]\n' +
        '       [--idle S] [--cpu-prof DIR] [--node-args=--trace-gc] [--server-log DIR] [--first-frame]\n' +
        '       [--sweep [--chart FILE.svg]] [--rounds N]\n',
    );
    process.exit(0);
  }
  const profileName = values.profile;
  if (profileName !== 'default' && profileName !== 'audio') throw new Error('--profile: default or audio');
  const profile = PROFILES[profileName];
  const integer = (name: string, text: string | undefined, fallback: number, min: number) => {
    const value = text === undefined ? fallback : Number(text);
    if (!Number.isInteger(value) || value < min) throw new Error(`--${name}: an integer ≥ ${min}`);
    return value;
  };
  const size = /^(\d+)x(\d+)$/.exec(values.size ?? profile.size);
  if (!size) throw new Error('--size: WxH, e.g. 1280x720');
  const cFloorApplies = values.transport !== 'mjpeg' && !profile.audio && values.source !== 'ffmpeg';
  const only = (values.only?.split(',').map((name) => name.trim()) ?? [
    ...DEFAULT_SERVERS,
    ...(cFloorApplies ? ['cfloor'] : []),
  ]) as ServerName[];
  for (const name of only) if (!SERVER_NAMES.includes(name)) throw new Error(`--only: unknown server "${name}"`);
  if (only.includes('cfloor') && !cFloorApplies)
    throw new Error('--only cfloor: the C floor serves WebSocket video from the test loop only');
  if (values.source !== 'test' && values.source !== 'ffmpeg') throw new Error('--source: test or ffmpeg');
  if (values.transport !== 'ws' && values.transport !== 'mjpeg') throw new Error('--transport: ws or mjpeg');
  if (values.transport === 'mjpeg' && profile.audio) throw new Error('--transport mjpeg carries no audio: use the default profile');
  if (values.source === 'ffmpeg' && profile.audio) throw new Error('--source ffmpeg feeds video only: use the default profile');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return {
    profile: profileName,
    clients: integer('clients', values.clients, profile.clients, 1),
    stalled: integer('stalled', values.stalled, profile.stalled, 0),
    seconds: integer('seconds', values.seconds, 20, 1),
    warmup: integer('warmup', values.warmup, DEFAULT_WARMUP_SECONDS, 0),
    fps: integer('fps', values.fps, profile.fps, 1),
    width: Number(size[1]),
    height: Number(size[2]),
    audio: profile.audio,
    only,
    transport: values.transport,
    out: values.out ? resolve(values.out) : join(RESULTS_DIR, `${stamp}-${profileName}.json`),
    source: values.source,
    idleSeconds: integer('idle', values.idle, 2, 0),
    cpuProfDir: values['cpu-prof'] ? resolve(values['cpu-prof']) : undefined,
    nodeArgs: values['node-args'] ? values['node-args'].split(/\s+/).filter(Boolean) : [],
    serverLogDir: values['server-log'] ? resolve(values['server-log']) : undefined,
    firstFrame: values['first-frame'],
    sweepChart: values.sweep ? resolve(values.chart ?? join(RESULTS_DIR, `${stamp}-sweep.svg`)) : undefined,
    // A sweep is a chart of many points: one window each unless asked.
    rounds: integer('rounds', values.rounds, values.sweep ? 1 : DEFAULT_ROUNDS, 1),
  };
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        done(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        fail(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => finish(false), 1000);
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      done(ok);
    };
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => child.once('exit', () => done()));
}

/** SIGTERM, then SIGKILL if it has not gone within graceMs. */
async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  try {
    await withTimeout(exited(child), graceMs, 'child exit');
  } catch {
    child.kill('SIGKILL');
    await withTimeout(exited(child), 2000, 'child kill').catch(() => {});
  }
  children.delete(child);
}

interface StartedServer {
  child: ChildProcess;
  port: number;
  output: () => string;
  /** The synthetic loop is fully rendered (the references render theirs before listening). */
  sourceReady: () => boolean;
  /** What the memory was made of after the latest full GC (gc-preload.ts's line). */
  memory: () => BenchMemory | undefined;
}

/** process.memoryUsage() after a full GC, in MB, and V8's heap spaces by name. */
interface BenchMemory {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  spaces: Record<string, number>;
}

const MEMORY_LINE = /\{"benchMemory":(\{.*\})\}\n/g;

const C_FLOOR_SOURCE = fileURLToPath(new URL('../../bench/c-floor/floor.c', import.meta.url));

/** Builds the C floor with the system compiler and writes the test loop it replays; returns its argv. */
async function prepareCFloor(options: BenchOptions, port: number, workDir: string): Promise<string[]> {
  const binary = join(workDir, 'c-floor');
  const compiler = process.env.CC ?? 'cc';
  const built = spawnSync(compiler, ['-O2', '-Wall', '-Wno-deprecated-declarations', '-o', binary, C_FLOOR_SOURCE, '-lcrypto'], {
    encoding: 'utf8',
  });
  if (built.status !== 0)
    throw new Error(`the C floor needs ${compiler} and libcrypto headers (libssl-dev): ${built.error?.message ?? built.stderr}`);
  const frames = await renderTestFrames(options.width, options.height, options.fps);
  const records = frames.flatMap((frame) => {
    const length = Buffer.alloc(4);
    length.writeUInt32LE(frame.length);
    return [length, frame];
  });
  const framesPath = join(workDir, 'frames.bin');
  writeFileSync(framesPath, Buffer.concat(records));
  const hello = JSON.stringify(helloMessage(options.width, options.height, options.fps, false));
  return [binary, '127.0.0.1', String(port), String(options.fps), framesPath, hello];
}

function serverCommand(name: Exclude<ServerName, 'cfloor'>, options: BenchOptions, port: number, workDir: string): string[] {
  const nodeArgs = [
    '--expose-gc',
    '--import',
    pathToFileURL(join(BENCH_DIR, 'gc-preload.js')).href,
    ...UNIT_NODE_OPTIONS,
    ...options.nodeArgs,
  ];
  if (options.cpuProfDir) {
    // 200 µs sampling: per-frame work is a few µs, the default 1 ms misses most of it.
    nodeArgs.push(
      '--cpu-prof',
      '--cpu-prof-interval=200',
      `--cpu-prof-dir=${options.cpuProfDir}`,
      `--cpu-prof-name=${name}-${process.pid}.cpuprofile`,
    );
  }
  const size = `${options.width}x${options.height}`;
  if (name === 'wscam') {
    const config = daemonConfig(options);
    const configPath = join(workDir, 'config.json');
    writeFileSync(configPath, JSON.stringify(config));
    return [...nodeArgs, MAIN_JS, '--config', configPath, '--host', '127.0.0.1', '--port', String(port)];
  }
  const script = join(BENCH_DIR, REFERENCE_SCRIPTS[options.transport][name]);
  return [
    ...nodeArgs,
    script,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--size',
    size,
    '--fps',
    String(options.fps),
    ...(options.audio ? ['--audio'] : []),
    // The same ffmpeg command as the daemon's capture, so the references are fed the same bytes.
    ...(options.source === 'ffmpeg'
      ? ['--ffmpeg', JSON.stringify(['ffmpeg', ...videoArgs(ConfigSchema.parse(daemonConfig(options)).video, 'mjpeg')])]
      : []),
  ];
}

/** The daemon's config for a run: auth off, the chosen source, stalled viewers never cut by the heartbeat. */
function daemonConfig(options: BenchOptions): ConfigInput {
  const size = `${options.width}x${options.height}`;
  return {
    auth: { disabled: true },
    video:
      options.source === 'ffmpeg'
        ? {
            source: 'ffmpeg',
            input: ['-re', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${options.fps}`],
            width: options.width,
            height: options.height,
            fps: options.fps,
            quality: 80,
            idleSeconds: DAEMON_IDLE_SECONDS,
          }
        : {
            source: 'test',
            width: options.width,
            height: options.height,
            fps: options.fps,
            quality: 80,
            idleSeconds: DAEMON_IDLE_SECONDS,
          },
    audio: options.audio ? { enabled: true, source: 'test', codec: 'pcm' } : { enabled: false },
    // The heartbeat outlasts the run, so stalled viewers stay connected the whole time.
    clients: { max: 1000, heartbeatSeconds: Math.min(3600, Math.max(60, options.warmup + options.seconds + 60)) },
    // info, for the "test pattern rendered" line; nothing is logged per frame.
    log: { level: 'info' },
  };
}

function fmtMemory(memory: BenchMemory | undefined): string {
  return memory ? `${memory.heapUsed} / ${memory.heapTotal}, ${memory.external}` : 'n/a';
}

/** CLOCK_MONOTONIC in µs: the clock of a V8 CPU profile's timestamps, the same in every process. */
function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** The measured window beside the server's profile, so profile-summary.js reads only the fan-out. */
function writeProfileWindow(dir: string, name: ServerName, startUs: number, endUs: number): void {
  writeFileSync(join(dir, `${name}-${process.pid}.window.json`), JSON.stringify({ startUs, endUs }));
}

/** Starts one server on a free port and waits until it accepts connections. */
async function startServer(name: ServerName, options: BenchOptions, workDir: string): Promise<StartedServer> {
  const port = await freePort();
  const [command, ...args] =
    name === 'cfloor' ? await prepareCFloor(options, port, workDir) : [process.execPath, ...serverCommand(name, options, port, workDir)];
  const child = spawn(command!, args, {
    env: { ...process.env, STATE_DIRECTORY: join(workDir, 'state') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  let listening = false;
  let patternRendered = name !== 'wscam';
  let memory: BenchMemory | undefined;
  // Always drained: a full stdout pipe would block the server.
  const keep = (text: string) => {
    for (const match of text.matchAll(MEMORY_LINE)) memory = JSON.parse(match[1]!) as BenchMemory;
    if (output.length < 64 * 1024) output += text;
    if (text.includes('"msg":"listening"')) listening = true;
    if (text.includes('"msg":"test pattern rendered"')) patternRendered = true;
  };
  child.stdout.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', keep);
  if (options.serverLogDir) {
    mkdirSync(options.serverLogDir, { recursive: true });
    const log = createWriteStream(join(options.serverLogDir, `${name}.log`));
    child.stdout.on('data', (text: string) => log.write(text));
    child.stderr.on('data', (text: string) => log.write(text));
    child.once('exit', () => log.end());
  }
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!listening) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited at start:\n${output}`);
    if (Date.now() > deadline) throw new Error(`${name} not listening after ${READY_TIMEOUT_MS} ms:\n${output}`);
    if (await canConnect(port)) break;
    await sleep(200);
  }
  const sourceReady = () => patternRendered || options.source !== 'test';
  return { child, port, output: () => output, sourceReady, memory: () => memory };
}

class ViewersProcess {
  readonly child: ChildProcess;
  private readonly waiting: Array<{ ev: ViewerEvent['ev']; done: (event: ViewerEvent) => void }> = [];

  constructor() {
    this.child = fork(join(BENCH_DIR, 'viewers.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.add(this.child);
    this.child.on('message', (event: ViewerEvent) => {
      const index = this.waiting.findIndex((waiter) => waiter.ev === event.ev || event.ev === 'error');
      if (index < 0) return;
      const [waiter] = this.waiting.splice(index, 1);
      waiter!.done(event);
    });
  }

  async request<E extends ViewerEvent['ev']>(
    command: ViewerCommand,
    ev: E,
    timeoutMs = IPC_TIMEOUT_MS,
  ): Promise<Extract<ViewerEvent, { ev: E }>> {
    const reply = new Promise<ViewerEvent>((done) => this.waiting.push({ ev, done }));
    this.child.send(command);
    const event = await withTimeout(reply, timeoutMs, `viewers: ${command.cmd}`);
    if (event.ev === 'error') throw new Error(`viewers: ${event.message}`);
    return event as Extract<ViewerEvent, { ev: E }>;
  }

  async stop(): Promise<void> {
    if (this.child.connected) this.child.send({ cmd: 'exit' } satisfies ViewerCommand);
    await withTimeout(exited(this.child), 3000, 'viewers exit').catch(() => this.child.kill('SIGKILL'));
    await withTimeout(exited(this.child), 2000, 'viewers kill').catch(() => {});
    children.delete(this.child);
  }
}

interface ServerResult {
  server: ServerName;
  error?: string;
  /** 1-minute load average of the machine before and after the measured window (other work skews figures). */
  loadAverage?: { before: number; after: number };
  /** Server CPU per wall second after the viewers left (wscam's capture stopped by then). */
  idleCpuPerSecond?: number;
  windowSeconds?: number;
  cpuSeconds?: number;
  cpuPerSecond?: number;
  /** The same split into user (JS, V8, libuv) and system (kernel: socket sends) time. */
  cpuUserPerSecond?: number | undefined;
  cpuSystemPerSecond?: number | undefined;
  /** The main thread alone (JS, the event loop, socket writes); the rest is V8 GC/compiler helper threads. */
  cpuMainThreadPerSecond?: number | undefined;
  /** Server CPU µs per message delivered to fast viewers (video frames + audio chunks). */
  cpuPerMessageUs?: number;
  /** Server CPU µs per video frame delivered to fast viewers. */
  cpuPerVideoFrameUs?: number;
  /** The viewers process's own CPU per wall second: near 1.0 means the clients were the bottleneck. */
  viewersCpuPerSecond?: number;
  /**
   * startBytes: after a full GC; endBytes: at the end, as found; endAfterGcBytes: after another full
   * GC; growthBytes: endAfterGc − start (what stays). timelineMsKiB: [ms into the window, KiB] every 250 ms.
   */
  rss?: {
    startBytes: number;
    peakBytes: number;
    endBytes: number;
    endAfterGcBytes: number;
    growthBytes: number;
    timelineMsKiB: Array<[number, number]>;
    /** After the full GC at the window's end: heap, external and V8's spaces, MB. */
    afterGc: BenchMemory | undefined;
  };
  videoFps?: { min: number; median: number; source: number };
  audioPerSecond?: { min: number; median: number; source: number } | null;
  /** Fewest frames any fast viewer got, as a fraction of what the source made in the window. */
  deliveredFraction?: number;
  bytesPerSecond?: number;
  latencyMs?: { video: { p50: number; p99: number; max: number }; audio: { p50: number; p99: number; max: number } | null };
  viewers?: Omit<ViewerResult, 'ev' | 'videoFps' | 'audioPerSecond'>;
  /** The daemon's own event-loop delay over the window, from its /metrics (references: not measured). */
  loopDelayMs?: { p99: number; max: number } | null;
}

/** Reads the daemon's event-loop delay gauge from /metrics; each scrape resets it, so one scrape starts the window. */
async function scrapeLoopDelay(port: number): Promise<{ p99: number; max: number } | null> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    const quantile = (q: string) => Number(new RegExp(`^wscam_event_loop_delay_seconds\\{quantile="${q}"\\} (\\S+)$`, 'm').exec(text)?.[1]);
    const p99 = quantile('0.99');
    const max = quantile('1');
    return Number.isFinite(p99) && Number.isFinite(max) ? { p99: p99 * 1000, max: max * 1000 } : null;
  } catch {
    return null;
  }
}

/** Starts the windows of servers measured side by side at one moment; a server that fails before it gets there withdraws. */
class WindowStart {
  private readonly arrived: Array<() => void> = [];

  constructor(private expected: number) {}

  arrive(): Promise<void> {
    const started = new Promise<void>((start) => this.arrived.push(start));
    this.release();
    return started;
  }

  withdraw(): void {
    this.expected -= 1;
    this.release();
  }

  private release(): void {
    if (this.arrived.length < this.expected) return;
    for (const start of this.arrived.splice(0)) start();
  }
}

async function measure(name: ServerName, options: BenchOptions, windowStart: WindowStart): Promise<ServerResult> {
  let arrived = false;
  const workDir = mkdtempSync(join(tmpdir(), `wscam-bench-${name}-`));
  let server: StartedServer | undefined;
  let viewers: ViewersProcess | undefined;
  try {
    server = await startServer(name, options, workDir);
    const pid = server.child.pid!;
    const cpu = () => {
      const value = cpuSeconds(pid);
      if (value === undefined) throw new Error(`${name} exited during the run:\n${server!.output()}`);
      return value;
    };
    progress(`${name}: listening on ${server.port}`);
    const loadBefore = loadavg()[0]!;

    viewers = new ViewersProcess();
    const connected = await viewers.request(
      {
        cmd: 'connect',
        transport: options.transport,
        host: '127.0.0.1',
        port: server.port,
        path: TRANSPORT_PATHS[options.transport],
        fast: options.clients,
        stalled: options.stalled,
      },
      'connected',
      READY_TIMEOUT_MS,
    );
    if (connected.failed > 0) throw new Error(`${connected.failed} viewers could not connect: ${connected.errors.join('; ')}`);
    progress(`${name}: ${connected.fast} fast + ${connected.stalled} stalled viewers connected, waiting for frames`);
    const firstFrameDeadline = Date.now() + FIRST_FRAME_TIMEOUT_MS;
    for (;;) {
      const status = await viewers.request({ cmd: 'status' }, 'status');
      // The daemon replays its loop while still rendering it; measure only once rendering is over.
      if (status.fastWithVideo >= options.clients && server.sourceReady()) break;
      if (Date.now() > firstFrameDeadline) throw new Error(`only ${status.fastWithVideo}/${options.clients} fast viewers got a frame`);
      cpu();
      await sleep(250);
    }
    // Same treatment for every server: drop what rendering the test loop left on the heap, then take
    // RSS start as live memory (end is taken after another full GC).
    server.child.kill('SIGUSR2');
    await sleep(GC_SETTLE_MS);
    const rssStart = rssBytes(pid) ?? 0;
    // The window starts no sooner than V8's memory reducer is done with the collections that follow a
    // full GC (~8 s later), which would also throw away optimized code and have it compiled again.
    progress(`${name}: frames flowing, full GC, warm-up ${options.warmup} s`);
    await sleep(options.warmup * 1000);
    arrived = true;
    await windowStart.arrive();
    // Resets the daemon's loop-delay histogram, before the window so the scrape's own CPU is not counted.
    if (name === 'wscam') await scrapeLoopDelay(server.port);
    const viewersPid = viewers.child.pid!;
    const viewersCpuStart = cpuSeconds(viewersPid) ?? 0;
    const timesStart = cpuTimes(pid);
    const mainStart = cpuTimes(pid, pid);
    const cpuStart = cpu();
    const wallStart = performance.now();
    const monotonicStartUs = monotonicMicros();
    await viewers.request({ cmd: 'start' }, 'started');
    const rssAtWindow = rssBytes(pid) ?? 0;
    let rssPeak = rssAtWindow;
    const rssTimeline: Array<[number, number]> = [[0, Math.round(rssAtWindow / 1024)]];
    progress(`${name}: measuring ${options.seconds} s`);
    const endAt = wallStart + options.seconds * 1000;
    while (performance.now() < endAt) {
      await sleep(Math.min(RSS_SAMPLE_MS, Math.max(0, endAt - performance.now())));
      const rss = rssBytes(pid);
      if (rss === undefined) throw new Error(`${name} exited during the run:\n${server.output()}`);
      rssPeak = Math.max(rssPeak, rss);
      rssTimeline.push([Math.round(performance.now() - wallStart), Math.round(rss / 1024)]);
    }
    const result = await viewers.request({ cmd: 'stop' }, 'result');
    const cpuEnd = cpu();
    if (options.cpuProfDir) writeProfileWindow(options.cpuProfDir, name, monotonicStartUs, monotonicMicros());
    const loopDelayMs = name === 'wscam' ? await scrapeLoopDelay(server.port) : null;
    const wallSeconds = (performance.now() - wallStart) / 1000;
    const viewersCpuEnd = cpuSeconds(viewersPid) ?? viewersCpuStart;
    const timesEnd = cpuTimes(pid);
    const mainEnd = cpuTimes(pid, pid);
    const rssEnd = rssBytes(pid) ?? 0;
    rssPeak = Math.max(rssPeak, rssEnd);
    server.child.kill('SIGUSR2');
    await sleep(GC_SETTLE_MS);
    const rssEndAfterGc = rssBytes(pid) ?? 0;

    const loadAfter = loadavg()[0]!;

    // Idle: every viewer gone, the daemon's capture stopped after its idleSeconds (1 s here).
    await viewers.stop();
    await sleep(IDLE_SETTLE_MS);
    const idleStart = cpu();
    await sleep(options.idleSeconds * 1000);
    const idleCpuPerSecond = options.idleSeconds > 0 ? (cpu() - idleStart) / options.idleSeconds : 0;

    const used = cpuEnd - cpuStart;
    const messages = result.videoFrames + result.audioChunks;
    const { videoFps, audioPerSecond, ev: _ev, ...viewerFigures } = result;
    const audioSource = 1000 / AUDIO_CHUNK_MS;
    return {
      server: name,
      loadAverage: { before: loadBefore, after: loadAfter },
      idleCpuPerSecond,
      windowSeconds: result.windowSeconds,
      cpuSeconds: used,
      cpuPerSecond: used / wallSeconds,
      cpuUserPerSecond: timesStart && timesEnd ? (timesEnd.user - timesStart.user) / wallSeconds : undefined,
      cpuSystemPerSecond: timesStart && timesEnd ? (timesEnd.system - timesStart.system) / wallSeconds : undefined,
      cpuMainThreadPerSecond:
        mainStart && mainEnd ? (mainEnd.user + mainEnd.system - mainStart.user - mainStart.system) / wallSeconds : undefined,
      cpuPerMessageUs: messages > 0 ? (used * 1e6) / messages : Infinity,
      cpuPerVideoFrameUs: result.videoFrames > 0 ? (used * 1e6) / result.videoFrames : Infinity,
      viewersCpuPerSecond: (viewersCpuEnd - viewersCpuStart) / wallSeconds,
      rss: {
        startBytes: rssStart,
        peakBytes: rssPeak,
        endBytes: rssEnd,
        endAfterGcBytes: rssEndAfterGc,
        growthBytes: rssEndAfterGc - rssStart,
        timelineMsKiB: rssTimeline,
        afterGc: server.memory(),
      },
      videoFps: { min: Math.min(...videoFps), median: median(videoFps), source: options.fps },
      audioPerSecond: options.audio ? { min: Math.min(...audioPerSecond), median: median(audioPerSecond), source: audioSource } : null,
      deliveredFraction: Math.min(...videoFps) / options.fps,
      bytesPerSecond: result.bytes / result.windowSeconds,
      latencyMs: {
        video: toMs(result.videoLatencyUs),
        audio: options.audio ? toMs(result.audioLatencyUs) : null,
      },
      viewers: viewerFigures,
      loopDelayMs,
    };
  } catch (error) {
    if (!arrived) windowStart.withdraw();
    return { server: name, error: (error as Error).message };
  } finally {
    await viewers?.stop();
    if (server) await stopChild(server.child, 6000);
    rmSync(workDir, { recursive: true, force: true });
  }
}

interface FirstFrameResult {
  /** Connect → first video frame captured after the connect, ms, one per try. */
  triesMs: number[];
  medianMs: number;
  maxMs: number;
  loadAverage: { before: number; after: number };
}

async function captureIdle(port: number): Promise<boolean> {
  try {
    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5000) })).json()) as {
      capture?: string;
    };
    return health.capture === 'idle';
  } catch {
    return false;
  }
}

/** One viewer connects to an idle daemon; resolves with the ms until a frame captured after the connect arrived. */
function timeToLiveFrame(port: number): Promise<number> {
  return new Promise((done, fail) => {
    const startUs = nowMicros();
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    const timer = setTimeout(() => finish(new Error('no live frame')), FIRST_FRAME_TRY_TIMEOUT_MS);
    const finish = (outcome: number | Error) => {
      clearTimeout(timer);
      ws.terminate();
      if (typeof outcome === 'number') done(outcome);
      else fail(outcome);
    };
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return;
      const decoded = decodeHeader(data as Buffer);
      // A frame kept from an earlier capture run is not live.
      if (decoded.ok && decoded.header.kind === ChunkKind.Jpeg && decoded.header.captureTimeUs >= startUs) {
        finish((nowMicros() - startUs) / 1000);
      }
    });
    ws.on('error', (error) => finish(error));
  });
}

/** --first-frame: the ffmpeg-fed daemon; per try wait until capture idles, connect, time the first live frame. */
async function measureFirstFrame(options: BenchOptions): Promise<FirstFrameResult> {
  const workDir = mkdtempSync(join(tmpdir(), 'wscam-bench-first-frame-'));
  let server: StartedServer | undefined;
  try {
    server = await startServer('wscam', options, workDir);
    const loadBefore = loadavg()[0]!;
    const triesMs: number[] = [];
    for (let attempt = 0; attempt < FIRST_FRAME_TRIES; attempt += 1) {
      const idleDeadline = Date.now() + FIRST_FRAME_TRY_TIMEOUT_MS;
      while (!(await captureIdle(server.port))) {
        if (Date.now() > idleDeadline) throw new Error('capture did not idle');
        await sleep(100);
      }
      triesMs.push(await timeToLiveFrame(server.port));
      progress(`first frame ${attempt + 1}/${FIRST_FRAME_TRIES}: ${triesMs.at(-1)!.toFixed(0)} ms`);
    }
    return { triesMs, medianMs: median(triesMs), maxMs: Math.max(...triesMs), loadAverage: { before: loadBefore, after: loadavg()[0]! } };
  } finally {
    if (server) await stopChild(server.child, 6000);
    rmSync(workDir, { recursive: true, force: true });
  }
}

function printFirstFrame(result: FirstFrameResult, options: BenchOptions): void {
  const met = result.medianMs <= TARGETS.firstFrameMedianMs;
  process.stdout.write(
    [
      `wscam bench: first live frame after idle, ${FIRST_FRAME_TRIES} tries, ffmpeg source ${options.width}x${options.height}@${options.fps}, idleSeconds ${DAEMON_IDLE_SECONDS}`,
      `  tries ms: ${result.triesMs.map((ms) => ms.toFixed(0)).join(', ')}`,
      `  median / max ms: ${result.medianMs.toFixed(0)} / ${result.maxMs.toFixed(0)}`,
      `  machine load avg before / after: ${result.loadAverage.before.toFixed(2)} / ${result.loadAverage.after.toFixed(2)}`,
      '',
      'targets (wscam):',
      `  ${met ? 'MET ' : 'MISS'}  first live frame after idle ≤ ${TARGETS.firstFrameMedianMs} ms median (ffmpeg source): ${result.medianMs.toFixed(0)} ms`,
      '',
    ].join('\n'),
  );
}

function toMs(figures: { p50: number; p99: number; max: number }): { p50: number; p99: number; max: number } {
  return { p50: figures.p50 / 1000, p99: figures.p99 / 1000, max: figures.max / 1000 };
}

function progress(text: string): void {
  process.stderr.write(`[bench] ${text}\n`);
}

interface Comparison {
  ratios: Record<'floor' | 'baseline' | 'cfloor', { cpuPerMessage: number; p99Latency: number; rssPeak: number } | null>;
  targets: Array<{ target: string; value: string; met: boolean | null }>;
}

/** Each server's windows, in the order they were taken; a server that failed has its one failed window. */
type Rounds = Partial<Record<ServerName, ServerResult[]>>;

/**
 * wscam and the floor are measured side by side, each with its own viewers process, their windows started at
 * one moment: whatever else the shared machine does then weighs on both alike. The other references run alone.
 */
function measuringGroups(only: ServerName[]): ServerName[][] {
  const together: ServerName[] = only.filter((name) => name === 'wscam' || name === 'floor');
  return [...(together.length > 0 ? [together] : []), ...only.filter((name) => !together.includes(name)).map((name) => [name])];
}

/** Every group measured options.rounds times, in turns, the order reversed each round so no group goes first every time. */
async function measureRounds(options: BenchOptions, label = ''): Promise<Rounds> {
  const rounds: Rounds = {};
  const groups = measuringGroups(options.only);
  for (let round = 0; round < options.rounds; round += 1) {
    for (const group of round % 2 === 0 ? groups : [...groups].reverse()) {
      const names = group.filter((name) => !rounds[name]?.[0]?.error);
      if (names.length === 0) continue;
      if (options.rounds > 1) progress(`${label}round ${round + 1}/${options.rounds}: ${names.join(' + ')}`);
      const windowStart = new WindowStart(names.length);
      const results = await Promise.all(names.map((name) => measure(name, options, windowStart)));
      for (const result of results) {
        if (result.error) {
          progress(`${result.server}: ERROR ${result.error}`);
          rounds[result.server] = [result];
        } else (rounds[result.server] ??= []).push(result);
      }
    }
  }
  return rounds;
}

/** The window with the median CPU per message, for the table; a failed server's failure. */
function medianRound(windows: ServerResult[] | undefined): ServerResult | undefined {
  if (!windows || windows.length === 0) return undefined;
  if (windows[0]!.error) return windows[0];
  const sorted = [...windows].sort((a, b) => a.cpuPerMessageUs! - b.cpuPerMessageUs!);
  return sorted[(sorted.length - 1) >> 1];
}

/** Per server, the round the table shows. */
function medians(rounds: Rounds): Partial<Record<ServerName, ServerResult>> {
  return Object.fromEntries(Object.entries(rounds).map(([name, windows]) => [name, medianRound(windows)]));
}

function compare(rounds: Rounds, options: BenchOptions): Comparison {
  const ok = (name: ServerName) => (rounds[name]?.[0]?.error ? undefined : rounds[name]);
  const wscam = ok('wscam');
  const medianOf = (windows: ServerResult[], figure: (result: ServerResult) => number) => median(windows.map(figure));
  const ratio = (name: 'floor' | 'baseline' | 'cfloor') => {
    const reference = ok(name);
    if (!wscam || !reference) return null;
    const of = (figure: (result: ServerResult) => number) => medianOf(wscam, figure) / medianOf(reference, figure);
    return {
      cpuPerMessage: of((r) => r.cpuPerMessageUs!),
      p99Latency: of((r) => r.latencyMs!.video.p99),
      rssPeak: of((r) => r.rss!.peakBytes),
    };
  };
  const floor = ok('floor');
  const cpuLimit = TARGETS.cpuPerMessageVsFloor[options.profile];
  const targets: Comparison['targets'] = [];
  if (wscam) {
    // A target of wscam alone holds in every window; the value shown is the worst.
    const worst = (figure: (result: ServerResult) => number, largest: boolean) =>
      largest ? Math.max(...wscam.map(figure)) : Math.min(...wscam.map(figure));
    const delivered = worst((r) => r.deliveredFraction!, false);
    targets.push({
      target: `fast viewers get ≥ ${TARGETS.deliveredFraction * 100}% of source frames (min viewer)`,
      value: `${(delivered * 100).toFixed(1)}%`,
      met: delivered >= TARGETS.deliveredFraction && wscam.every((r) => r.viewers!.fastClosed === 0 && r.viewers!.outOfOrder === 0),
    });
    const p99 = worst((r) => r.latencyMs!.video.p99, true);
    targets.push({ target: `p99 latency ≤ ${TARGETS.p99LatencyMs} ms`, value: `${p99.toFixed(2)} ms`, met: p99 <= TARGETS.p99LatencyMs });
    const cpuRatio = ratio('floor')?.cpuPerMessage;
    targets.push({
      target: `CPU per delivered message ≤ ${cpuLimit.toFixed(2)}× floor (${options.profile} profile${wscam.length > 1 ? `, medians of ${wscam.length} rounds` : ''})`,
      value: cpuRatio === undefined ? 'no floor run' : `${cpuRatio.toFixed(3)}×`,
      met: cpuRatio === undefined ? null : cpuRatio <= cpuLimit,
    });
    const growth = worst((r) => r.rss!.growthBytes, true);
    targets.push({
      target: `RSS end (after GC) − start ≤ 5 MB${options.stalled > 0 ? ` (with ${options.stalled} stalled)` : ' (no stalled viewers!)'}`,
      value: `${mb(growth)} MB`,
      met: growth <= TARGETS.rssGrowthBytes,
    });
    const idle = worst((r) => r.idleCpuPerSecond!, true);
    targets.push({
      target: `idle CPU < ${TARGETS.idleCpuPerSecond * 100}% (after every viewer left)`,
      value: `${(idle * 100).toFixed(2)}%`,
      met: idle < TARGETS.idleCpuPerSecond,
    });
    const peak = worst((r) => r.rss!.peakBytes, true);
    const floorPeak = floor && Math.max(...floor.map((r) => r.rss!.peakBytes));
    targets.push({
      target: 'RSS peak ≤ floor peak + 15 MB',
      value: floorPeak ? `${mb(peak)} MB vs floor ${mb(floorPeak)} MB` : 'no floor run',
      met: floorPeak ? peak <= floorPeak + TARGETS.rssPeakOverFloorBytes : null,
    });
  }
  return { ratios: { floor: ratio('floor'), baseline: ratio('baseline'), cfloor: ratio('cfloor') }, targets };
}

const mb = (bytes: number) => (bytes / (1024 * 1024)).toFixed(1);

function printTable(rounds: Rounds, comparison: Comparison, options: BenchOptions): void {
  const names = options.only;
  const results = medians(rounds);
  const rows: Array<[string, (result: ServerResult) => string]> = [
    [
      'video fps per fast viewer min / median',
      (r) => `${r.videoFps!.min.toFixed(2)} / ${r.videoFps!.median.toFixed(2)} (src ${r.videoFps!.source})`,
    ],
    ['frames delivered, min viewer', (r) => `${(r.deliveredFraction! * 100).toFixed(1)}%`],
    ...(options.audio
      ? ([
          [
            'audio chunks/s min / median',
            (r) => `${r.audioPerSecond!.min.toFixed(1)} / ${r.audioPerSecond!.median.toFixed(1)} (src ${r.audioPerSecond!.source})`,
          ],
        ] as Array<[string, (result: ServerResult) => string]>)
      : []),
    ['gaps fast video / audio', (r) => `${r.viewers!.videoGaps} / ${r.viewers!.audioGaps}`],
    ['out of order (must be 0)', (r) => String(r.viewers!.outOfOrder)],
    ['stalled: open / frames before stall', (r) => `${r.viewers!.stalledOpen} / ${r.viewers!.stalledFramesBeforeStall}`],
    ['fast viewers closed by server', (r) => String(r.viewers!.fastClosed)],
    ['video latency p50 / p99 / max ms', (r) => fmtLatency(r.latencyMs!.video)],
    ...(options.audio
      ? ([['audio latency p50 / p99 / max ms', (r) => fmtLatency(r.latencyMs!.audio!)]] as Array<
          [string, (result: ServerResult) => string]
        >)
      : []),
    [
      'server CPU s per wall s (user + sys)',
      (r) => `${r.cpuPerSecond!.toFixed(3)} (${r.cpuUserPerSecond?.toFixed(3)} + ${r.cpuSystemPerSecond?.toFixed(3)})`,
    ],
    [
      '  main thread / other threads s/s',
      (r) => `${r.cpuMainThreadPerSecond?.toFixed(3)} / ${(r.cpuPerSecond! - (r.cpuMainThreadPerSecond ?? 0)).toFixed(3)}`,
    ],
    ['event-loop delay p99 / max ms', (r) => (r.loopDelayMs ? `${r.loopDelayMs.p99.toFixed(2)} / ${r.loopDelayMs.max.toFixed(1)}` : 'n/a')],
    ['CPU µs per delivered message', (r) => r.cpuPerMessageUs!.toFixed(2)],
    ['CPU µs per delivered video frame', (r) => r.cpuPerVideoFrameUs!.toFixed(2)],
    ...(options.rounds > 1
      ? ([
          [
            `  CPU µs per message, rounds 1-${options.rounds}`,
            (r) => rounds[r.server]!.map((round) => round.cpuPerMessageUs!.toPrecision(3)).join(' / '),
          ],
        ] as Array<[string, (result: ServerResult) => string]>)
      : []),
    ['idle CPU after viewers left s/s', (r) => r.idleCpuPerSecond!.toFixed(4)],
    ['machine load avg before / after', (r) => `${r.loadAverage!.before.toFixed(2)} / ${r.loadAverage!.after.toFixed(2)}`],
    ['RSS start / peak / end MB', (r) => `${mb(r.rss!.startBytes)} / ${mb(r.rss!.peakBytes)} / ${mb(r.rss!.endBytes)}`],
    ['RSS end after GC − start MB', (r) => `${mb(r.rss!.growthBytes)} (${mb(r.rss!.endAfterGcBytes)})`],
    ['  after GC: heap used / total, external MB', (r) => fmtMemory(r.rss!.afterGc)],
    ['delivered MB/s total', (r) => (r.bytesPerSecond! / 1e6).toFixed(1)],
    ['viewers process CPU s/s', (r) => r.viewersCpuPerSecond!.toFixed(3)],
  ];
  const header = ['', ...names];
  const body = rows.map(([label, cell]) => [
    label,
    ...names.map((name) => {
      const result = results[name];
      if (!result) return '-';
      if (result.error) return 'ERROR';
      return cell(result);
    }),
  ]);
  const widths = header.map((_, column) => Math.max(...[header, ...body].map((row) => row[column]!.length)));
  const line = (row: string[]) =>
    row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  const out: string[] = [];
  out.push(
    `wscam bench: profile ${options.profile}, ${options.clients} fast + ${options.stalled} stalled viewers, ` +
      `${options.width}x${options.height}@${options.fps}${options.audio ? ' + PCM 20 ms' : ''}, ` +
      `${options.seconds} s after ${options.warmup} s warm-up, transport ${options.transport}, source ${options.source}`,
    ...(options.rounds > 1
      ? [`${options.rounds} rounds per server in turns; each column is the server's round with the median CPU per message`]
      : []),
    `node flags of every Node server: ${[...UNIT_NODE_OPTIONS, ...options.nodeArgs].join(' ') || 'none'} (the unit's NODE_OPTIONS, then --node-args)`,
    '',
    line(header),
    ...body.map(line),
    '',
  );
  for (const name of names) {
    const result = results[name];
    if (result?.error) out.push(`${name} ERROR: ${result.error}`);
    if (result?.viewers?.errors.length) out.push(`${name} viewers saw: ${result.viewers.errors.join('; ')}`);
  }
  for (const reference of ['floor', 'baseline', 'cfloor'] as const) {
    const ratio = comparison.ratios[reference];
    if (ratio) {
      out.push(
        `wscam/${reference}: CPU per message ${ratio.cpuPerMessage.toFixed(3)}×, p99 latency ${ratio.p99Latency.toFixed(2)}×, RSS peak ${ratio.rssPeak.toFixed(2)}×`,
      );
    }
  }
  if (comparison.targets.length > 0) out.push('', 'targets (wscam):');
  for (const target of comparison.targets) {
    out.push(`  ${target.met === null ? ' n/a' : target.met ? 'MET ' : 'MISS'}  ${target.target}: ${target.value}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

function fmtLatency(figures: { p50: number; p99: number; max: number }): string {
  return `${figures.p50.toFixed(2)} / ${figures.p99.toFixed(2)} / ${figures.max.toFixed(1)}`;
}

function killAll(): void {
  for (const child of children) child.kill('SIGKILL');
  for (const cleanup of cleanups) cleanup();
}

/** --sweep: every server at each viewer count in turn; a table of the two charted figures and the SVG. */
async function sweep(options: BenchOptions, chartPath: string): Promise<number> {
  const series: Record<string, SweepPoint[]> = {};
  const points: Array<{ viewers: number; results: Partial<Record<ServerName, ServerResult>> }> = [];
  let failed = false;
  for (const viewers of SWEEP_VIEWERS) {
    progress(`sweep: ${viewers} viewers`);
    const results = medians(await measureRounds({ ...options, clients: viewers, stalled: 0 }, `sweep ${viewers} viewers, `));
    for (const name of options.only) {
      const result = results[name];
      if (!result || result.error) {
        failed = true;
        continue;
      }
      (series[name] ??= []).push({ viewers, cpuPerFrameUs: result.cpuPerVideoFrameUs!, p99Ms: result.latencyMs!.video.p99 });
    }
    points.push({ viewers, results });
  }
  const title = `${options.transport} ${options.width}x${options.height}@${options.fps}, ${options.seconds} s per point, shared 2-core machine, ${new Date().toISOString().slice(0, 10)}`;
  mkdirSync(join(chartPath, '..'), { recursive: true });
  writeFileSync(chartPath, sweepChartSvg(title, series, SWEEP_VIEWERS));
  const lines = [
    `wscam bench sweep: ${title}`,
    '',
    `viewers  ${options.only.map((name) => `${name} µs/frame  p99 ms`.padStart(27)).join('')}`,
  ];
  for (const point of points) {
    const cells = options.only.map((name) => {
      const result = point.results[name];
      if (!result || result.error) return 'ERROR'.padStart(27);
      return `${result.cpuPerVideoFrameUs!.toFixed(2)}  ${result.latencyMs!.video.p99.toFixed(2)}`.padStart(27);
    });
    const wscam = point.results.wscam;
    const floor = point.results.floor;
    const ratio =
      wscam && floor && !wscam.error && !floor.error
        ? `  wscam/floor ${(wscam.cpuPerVideoFrameUs! / floor.cpuPerVideoFrameUs!).toFixed(3)}×`
        : '';
    lines.push(`${String(point.viewers).padStart(7)}  ${cells.join('')}${ratio}`);
  }
  process.stdout.write(`${lines.join('\n')}\n\nchart: ${chartPath}\n`);
  writeJson(options, { sweep: points });
  return failed ? 1 : 0;
}

function writeJson(options: BenchOptions, figures: object): void {
  mkdirSync(join(options.out, '..'), { recursive: true });
  writeFileSync(
    options.out,
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, options, ...figures }, null, 2)}\n`,
  );
  process.stdout.write(`\nJSON: ${options.out}\n`);
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      progress(`${signal}: stopping every child`);
      killAll();
      process.exit(130);
    });
  }
  if (options.cpuProfDir) mkdirSync(options.cpuProfDir, { recursive: true });
  if (options.firstFrame) {
    const firstFrame = await measureFirstFrame({ ...options, source: 'ffmpeg' });
    printFirstFrame(firstFrame, options);
    writeJson(options, { firstFrame });
    return 0;
  }
  if (options.sweepChart) return sweep(options, options.sweepChart);
  const rounds = await measureRounds(options);
  const comparison = compare(rounds, options);
  printTable(rounds, comparison, options);
  writeJson(options, { results: medians(rounds), rounds, ...comparison });
  return Object.values(rounds).some((windows) => windows[0]!.error) ? 1 : 0;
}

// --codec h264 is its own profile (bench/h264/), with its own options.
const codecArg = process.argv.indexOf('--codec');
const profileMain = codecArg >= 0 && process.argv[codecArg + 1] === 'h264' ? () => runH264Profile(process.argv.slice(2)) : main;
profileMain().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
    killAll();
    process.exit(1);
  },
);
