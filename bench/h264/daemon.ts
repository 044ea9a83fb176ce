import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigInput } from '../../src/config/schema.js';
import { packagePath } from '../../src/package-root.js';
import { cpuSeconds } from '../proc-stats.js';
import { freePort } from '../free-port.js';
import { cameraInput } from './camera-graph.js';

/** The daemon as users run it, fed by ffmpeg on the camera graph, for one codec. */

export interface DaemonSetup {
  codec: 'jpeg' | 'h264';
  width: number;
  height: number;
  fps: number;
  quality: number;
  /** Unset: the daemon's own default. */
  bitrateKbps: number | undefined;
  keyframeSeconds: number;
}

export interface BenchDaemon {
  child: ChildProcess;
  pid: number;
  port: number;
  output(): string;
  stop(): Promise<void>;
}

const MAIN_JS = packagePath('dist', 'main.js');
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 8000;
/** Capture runs from start for the whole run, so a chunk's sequence is its source frame number. */
const NEVER_IDLE_SECONDS = 86_400;

export function daemonConfig(setup: DaemonSetup): ConfigInput {
  return {
    auth: { disabled: true },
    video: {
      source: 'ffmpeg',
      input: cameraInput(setup.width, setup.height, setup.fps, true),
      width: setup.width,
      height: setup.height,
      fps: setup.fps,
      quality: setup.quality,
      codec: setup.codec,
      ...(setup.bitrateKbps === undefined ? {} : { bitrateKbps: setup.bitrateKbps }),
      keyframeSeconds: setup.keyframeSeconds,
      idleSeconds: NEVER_IDLE_SECONDS,
    },
    audio: { enabled: false },
    clients: { max: 100, heartbeatSeconds: 3600 },
    log: { level: 'info' },
  };
}

export async function startDaemon(setup: DaemonSetup): Promise<BenchDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'wscam-h264-bench-'));
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(daemonConfig(setup)));
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN_JS, '--config', configPath, '--host', '127.0.0.1', '--port', String(port)], {
    env: { ...process.env, STATE_DIRECTORY: join(dir, 'state') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (text: string) => {
    if (output.length < 256 * 1024) output += text;
  };
  child.stdout.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!output.includes('"msg":"listening"')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`daemon did not start listening:\n${output.slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { child, pid: child.pid!, port, output: () => output, stop };
}

/** Every live process whose parent is `pid` (from /proc/PID/stat, field 4). */
export function childPids(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === pid) found.push(Number(entry));
    } catch {
      // Gone between readdir and read.
    }
  }
  return found;
}

/** CPU seconds so far of the daemon and of each of its children (the encoder), by pid. */
export function daemonCpu(pid: number): { daemon: number; children: Map<number, number> } {
  const children = new Map<number, number>();
  for (const child of childPids(pid)) {
    const seconds = cpuSeconds(child);
    if (seconds !== undefined) children.set(child, seconds);
  }
  return { daemon: cpuSeconds(pid) ?? 0, children };
}
