import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigInput } from '../../src/config/schema.js';
import { Waits } from './wait.js';
import { packagePath } from '../../src/package-root.js';

export const MAIN_JS = packagePath('dist', 'main.js');

export interface RunningDaemon {
  /** e.g. http://127.0.0.1:41234 (no trailing slash) */
  baseUrl: string;
  wsUrl: string;
  port: number;
  child: ChildProcess;
  stateDir: string;
  configPath: string;
  /** Every log line so far, parsed. */
  logLines(): Array<Record<string, unknown>>;
  /** Raw stdout+stderr so far. */
  output(): string;
  /** Resolves with the first log line for which match() is true (bounded by timeoutMs). */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after 8 s; resolves with the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface DaemonOptions {
  config?: ConfigInput;
  env?: NodeJS.ProcessEnv;
  /** Reuse a state directory (e.g. across a restart). */
  stateDir?: string;
  /** Fixed port instead of 0 (e.g. to restart on the same port). */
  port?: number;
  args?: string[];
  /** A command that runs the daemon's command line, e.g. a sandbox: `[...wrapper, node, main.js, …]`. */
  wrapper?: string[];
}

/** Shapes of secrets that must never reach a log line (the first-run viewer URL line excepted). */
const SECRET_SHAPES = [
  /scrypt\$\d+\$/,
  /wscam_session=[A-Za-z0-9_-]{8}/,
  /[?&]token=[^&\s"]{8}/,
  /Bearer [A-Za-z0-9._~+/-]{8}/i,
  /"password"\s*:\s*"/,
];

/** Every daemon a test stops has its whole log checked here, so the full suite greps every log it made. */
export function secretsInLog(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => !line.includes('"msg":"open the viewer"'))
    .filter((line) => SECRET_SHAPES.some((shape) => shape.test(line)));
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts the real daemon (dist/main.js) on 127.0.0.1 and waits for its "listening" log line. */
export async function startDaemon(options: DaemonOptions = {}): Promise<RunningDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'wscam-test-'));
  const stateDir = options.stateDir ?? join(dir, 'state');
  const configPath = join(dir, 'config.json');
  const config: ConfigInput = { ...options.config, auth: { disabled: true, ...options.config?.auth } };
  writeFileSync(configPath, JSON.stringify(config));
  const [command, ...prefix] = [...(options.wrapper ?? []), process.execPath];
  const child = spawn(
    command,
    [...prefix, MAIN_JS, '--config', configPath, '--host', '127.0.0.1', '--port', String(options.port ?? 0), ...(options.args ?? [])],
    { env: { ...process.env, STATE_DIRECTORY: stateDir, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  let output = '';
  const lines: Array<Record<string, unknown>> = [];
  const waits = new Waits();
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    output += text;
    partial += text;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const part of parts) {
      try {
        lines.push(JSON.parse(part) as Record<string, unknown>);
      } catch {
        lines.push({ msg: part });
      }
    }
    waits.wake();
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    output += text;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      waits.wake();
      resolve({ code, signal });
    });
  });

  const waitForLog = (match: (line: Record<string, unknown>) => boolean, timeoutMs = 15000) =>
    waits.until(() => lines.find(match), {
      timeoutMs,
      what: 'the expected log line',
      abandon: () => (child.exitCode !== null || child.signalCode !== null ? 'daemon exited' : undefined),
      detail: () => `output:\n${output}`,
    });

  const listening = await waitForLog((line) => line.msg === 'listening');
  const url = new URL(String(listening.url));
  const port = Number(url.port);
  const baseUrl = `${url.protocol}//127.0.0.1:${port}`;
  return {
    baseUrl,
    wsUrl: `${url.protocol === 'https:' ? 'wss' : 'ws'}://127.0.0.1:${port}/ws`,
    port,
    child,
    stateDir,
    configPath,
    logLines: () => lines,
    output: () => output,
    waitForLog,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
        await exited;
        clearTimeout(timer);
      }
      const leaked = secretsInLog(output);
      if (leaked.length > 0) throw new Error(`the daemon logged secrets:\n${leaked.join('\n').slice(0, 2000)}`);
      return exited;
    },
  };
}

/** Rewrites the daemon's config file, sends SIGHUP, and resolves with the reload's outcome line. */
export async function reloadDaemon(daemon: RunningDaemon, config: ConfigInput | string): Promise<Record<string, unknown>> {
  const outcomes = new Set(['config reloaded', 'config reloaded: nothing changed', 'config reload refused: the running config stays']);
  const start = daemon.logLines().length;
  writeFileSync(
    daemon.configPath,
    typeof config === 'string' ? config : JSON.stringify({ ...config, auth: { disabled: true, ...config.auth } }),
  );
  daemon.child.kill('SIGHUP');
  return daemon.waitForLog((line) => outcomes.has(String(line.msg)) && daemon.logLines().indexOf(line) >= start);
}

/** One unlabelled sample from the daemon's /metrics, e.g. wscam_chunks_dropped_total. */
export async function metric(baseUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const match = new RegExp(`^${name} (\\d+(?:\\.\\d+)?(?:e\\+\\d+)?)$`, 'm').exec(text);
  assert.ok(match, `${name} in /metrics`);
  return Number(match[1]);
}
