import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { packagePath } from '../../../src/package-root.js';
import { runBench } from '../../helpers/bench.js';

/**
 * A few seconds of `npm run bench` per transport, so the bench cannot rot. Asserts the report's
 * shape and that every server ran, never speed (the machine is shared; targets live in the bench).
 */

const SHORT_RUN = [
  '--seconds',
  '2',
  '--warmup',
  '0',
  '--idle',
  '1',
  '--clients',
  '2',
  '--stalled',
  '1',
  '--size',
  '320x240',
  '--fps',
  '15',
  '--rounds',
  '1',
];
const RUN_TIMEOUT_MS = 180_000;
/** The C floor is built at bench time; it joins the WebSocket run where a compiler and libcrypto headers are installed. */
const HAS_C_COMPILER = spawnSync(process.env.CC ?? 'cc', ['--version']).status === 0;

interface Report {
  results: Record<
    string,
    {
      error?: string;
      cpuSeconds?: number;
      cpuPerMessageUs?: number;
      videoFps?: { min: number };
      rss?: { peakBytes: number; afterGc?: { heapUsed: number; heapTotal: number; external: number } };
      loopDelayMs?: { p99: number; max: number } | null;
    }
  >;
  rounds: Record<string, Array<{ cpuPerMessageUs?: number }>>;
  ratios: { floor: { cpuPerMessage: number | null; p99Latency: number; rssPeak: number } | null };
  targets: Array<{ target: string; value: string; met: boolean | null }>;
}

function assertShape(stdout: string, report: Report, servers: string[]): void {
  for (const name of servers) {
    const result = report.results[name];
    assert.ok(result, `${name} ran`);
    assert.equal(result.error, undefined, `${name}: ${result.error}`);
    assert.ok(Number.isFinite(result.cpuPerMessageUs), `${name} CPU per message`);
    assert.ok(result.videoFps!.min > 0, `${name}: every fast viewer got frames`);
    assert.ok(result.rss!.peakBytes > 0, `${name} RSS`);
    // The C floor has no V8 heap to report.
    if (name !== 'cfloor') assert.ok(result.rss!.afterGc!.heapUsed > 0, `${name}: memory after GC`);
  }
  const loopDelay = report.results.wscam!.loopDelayMs;
  assert.ok(loopDelay && Number.isFinite(loopDelay.p99) && loopDelay.max >= loopDelay.p99, 'the daemon reported its event-loop delay');
  const floorRatio = report.ratios.floor;
  assert.ok(floorRatio && Number.isFinite(floorRatio.rssPeak) && Number.isFinite(floorRatio.p99Latency), 'ratio to the floor');
  // /proc counts CPU in 10 ms ticks: a short run of the floor may use none, and its CPU ratio is then infinite (null in JSON).
  const floorTicked = report.results.floor!.cpuSeconds! > 0;
  assert.equal(
    Number.isFinite(floorRatio.cpuPerMessage),
    floorTicked,
    `CPU ratio to the floor with ${report.results.floor!.cpuSeconds} s of floor CPU`,
  );
  assert.ok(report.targets.length >= 5, 'targets listed');
  for (const target of report.targets) assert.equal(typeof target.met, 'boolean', target.target);
  assert.match(stdout, /^targets \(wscam\):$/m);
  assert.match(stdout, /^ {2}(MET |MISS) {2}CPU per delivered message/m);
}

test('a short WebSocket bench run reports every server, the ratios and the targets', async () => {
  const servers = ['wscam', 'floor', 'baseline', ...(HAS_C_COMPILER ? ['cfloor'] : [])];
  const { stdout, report } = await runBench<Report>([...SHORT_RUN, '--only', servers.join(',')], RUN_TIMEOUT_MS);
  assertShape(stdout, report, servers);
});

test('a short MJPEG bench run in two rounds reports every server, each round and the targets', async () => {
  const { stdout, report } = await runBench<Report>([...SHORT_RUN, '--transport', 'mjpeg', '--rounds', '2'], RUN_TIMEOUT_MS);
  assertShape(stdout, report, ['wscam', 'floor', 'baseline']);
  for (const name of ['wscam', 'floor', 'baseline']) {
    assert.equal(report.rounds[name]?.length, 2, `${name}: two rounds`);
    assert.ok(
      report.rounds[name].some((round) => round.cpuPerMessageUs === report.results[name]!.cpuPerMessageUs),
      `${name}: the table shows one of its rounds`,
    );
  }
  assert.match(stdout, /CPU µs per message, rounds 1-2/);
});

test('a short bench run with the ffmpeg source feeds wscam and the floor from the same ffmpeg command', async () => {
  const { stdout, report } = await runBench<Report>([...SHORT_RUN, '--source', 'ffmpeg', '--only', 'wscam,floor'], RUN_TIMEOUT_MS);
  assertShape(stdout, report, ['wscam', 'floor']);
  assert.match(stdout, /transport ws, source ffmpeg/);
});

test('the splitter micro-benchmark cuts a real ffmpeg stream and reports its speed against the target', () => {
  const run = spawnSync(process.execPath, [packagePath('build', 'bench', 'splitter-speed.js'), '--size', '320x240', '--seconds', '0.2'], {
    encoding: 'utf8',
    timeout: RUN_TIMEOUT_MS,
  });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /MjpegSplitter \(marker walk\): +\d+\.\d\d GB\/s/);
  assert.match(run.stdout, /^ {2}(MET |MISS) {2}splitter ≥ 1 GB\/s/m);
});
