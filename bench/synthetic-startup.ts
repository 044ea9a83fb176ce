import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { ChunkKind, decodeHeader } from '../src/protocol/header.js';
import { rssBytes } from './proc-stats.js';
import { packagePath } from '../src/package-root.js';

/**
 * What the default config (synthetic camera and microphone) costs from the first viewer on:
 * the real daemon on 127.0.0.1, one ws viewer connected as soon as it listens, then per second
 * the audio chunks received, the slowest /healthz answer, peak RSS, the time to the first frame,
 * and how long SIGTERM takes at several moments after the viewer came.
 * Usage: node build/bench/synthetic-startup.js [--seconds 6] [--term-at 0.2,1,3]
 */

const MAIN_JS = packagePath('dist', 'main.js');
const HEALTH_PERIOD_MS = 100;
const RSS_PERIOD_MS = 50;
const START_TIMEOUT_MS = 20_000;
const EXIT_TIMEOUT_MS = 15_000;

interface Run {
  child: ChildProcess;
  port: number;
  dir: string;
}

async function startDaemon(): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'wscam-synthetic-'));
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify({ auth: { disabled: true }, log: { level: 'warn' } }));
  const child = spawn(process.execPath, [MAIN_JS, '--config', configPath, '--host', '127.0.0.1', '--port', '0', '--log-level', 'info'], {
    env: { ...process.env, STATE_DIRECTORY: join(dir, 'state') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('daemon did not listen in time'));
    }, START_TIMEOUT_MS);
    let rest = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const parsed = JSON.parse(line) as { msg?: string; url?: string };
        if (parsed.msg !== 'listening' || parsed.url === undefined) continue;
        clearTimeout(timer);
        resolve(Number(new URL(parsed.url).port));
      }
    });
    child.once('exit', () => reject(new Error('daemon exited before listening')));
  });
  return { child, port, dir };
}

async function stopDaemon(run: Run): Promise<number> {
  const started = performance.now();
  const exited = new Promise<void>((resolve) => run.child.once('exit', () => resolve()));
  run.child.kill('SIGTERM');
  const timer = setTimeout(() => run.child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
  rmSync(run.dir, { recursive: true, force: true });
  return performance.now() - started;
}

async function timedHealth(port: number): Promise<number> {
  const started = performance.now();
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5000) });
    await response.arrayBuffer();
  } catch {
    return Number.POSITIVE_INFINITY;
  }
  return performance.now() - started;
}

/** One viewer from the start for `seconds`, then SIGTERM; figures per second since the viewer connected. */
async function measure(seconds: number): Promise<void> {
  const run = await startDaemon();
  const pid = run.child.pid!;
  const connectedAt = performance.now();
  const audioPerSecond = new Array<number>(seconds).fill(0);
  const framesPerSecond = new Array<number>(seconds).fill(0);
  const slowestHealthMs = new Array<number>(seconds).fill(0);
  let firstFrameMs: number | undefined;
  let peakRss = rssBytes(pid) ?? 0;
  const secondOf = () => Math.floor((performance.now() - connectedAt) / 1000);
  const ws = new WebSocket(`ws://127.0.0.1:${run.port}/ws`, { perMessageDeflate: false });
  ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) return;
    const decoded = decodeHeader(data);
    if (!decoded.ok) return;
    const second = secondOf();
    if (second >= seconds) return;
    if (decoded.header.kind === ChunkKind.Pcm) audioPerSecond[second]! += 1;
    if (decoded.header.kind === ChunkKind.Jpeg) {
      framesPerSecond[second]! += 1;
      firstFrameMs ??= performance.now() - connectedAt;
    }
  });
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, rssBytes(pid) ?? 0)), RSS_PERIOD_MS);
  const deadline = connectedAt + seconds * 1000;
  while (performance.now() < deadline) {
    const second = secondOf();
    const answerMs = await timedHealth(run.port);
    if (second < seconds) slowestHealthMs[second] = Math.max(slowestHealthMs[second]!, answerMs);
    await new Promise((resolve) => setTimeout(resolve, HEALTH_PERIOD_MS));
  }
  clearInterval(rssTimer);
  ws.terminate();
  const termMs = await stopDaemon(run);
  console.log(`first frame after ${firstFrameMs === undefined ? 'never' : `${Math.round(firstFrameMs)} ms`}`);
  console.log(`audio chunks per second:  ${audioPerSecond.join(' ')}`);
  console.log(`video frames per second:  ${framesPerSecond.join(' ')}`);
  console.log(`slowest /healthz (ms):    ${slowestHealthMs.map((ms) => Math.round(ms)).join(' ')}`);
  console.log(`peak RSS: ${(peakRss / 2 ** 20).toFixed(1)} MB`);
  console.log(`SIGTERM after ${seconds} s: exit in ${Math.round(termMs)} ms`);
}

/** SIGTERM `atSeconds` after the first viewer came: how long the exit takes. */
async function termAt(atSeconds: number): Promise<void> {
  const run = await startDaemon();
  const ws = new WebSocket(`ws://127.0.0.1:${run.port}/ws`, { perMessageDeflate: false });
  ws.on('error', () => {});
  await new Promise((resolve) => setTimeout(resolve, atSeconds * 1000));
  const termMs = await stopDaemon(run);
  ws.terminate();
  console.log(`SIGTERM ${atSeconds} s after the first viewer: exit in ${Math.round(termMs)} ms`);
}

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '6' }, 'term-at': { type: 'string', default: '0.2,1,3' } } });
await measure(Number(values.seconds));
for (const at of values['term-at'].split(',').map(Number)) await termAt(at);
