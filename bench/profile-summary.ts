import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * `node build/bench/profile-summary.js FILE.cpuprofile… [--top N]`: the busy time of a `--cpu-prof`
 * profile by function (self time), `(idle)` left out, so two servers' profiles compare function by
 * function. Only the measured window counts when the bench left `FILE.window.json` beside the profile
 * (`--cpu-prof` runs do); otherwise the whole run, with the test-pattern rendering counted apart.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Work before the window: rendering the synthetic loop, in the daemon or a reference server. */
const STARTUP_FUNCTIONS = new Set(['renderTestPattern', 'renderTestFrames', 'renderLoop']);

function summarize(path: string, top: number): string {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const windowPath = path.replace(/\.cpuprofile$/, '.window.json');
  const window = existsSync(windowPath)
    ? (JSON.parse(readFileSync(windowPath, 'utf8')) as { startUs: number; endUs: number })
    : { startUs: -Infinity, endUs: Infinity };
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const startup = new Map<number, boolean>();
  const isStartup = (id: number): boolean => {
    const known = startup.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id)!;
    const up = parent.get(id);
    const value = STARTUP_FUNCTIONS.has(node.callFrame.functionName) || (up !== undefined && isStartup(up));
    startup.set(id, value);
    return value;
  };
  const selfUs = new Map<string, number>();
  let busyUs = 0;
  let startupUs = 0;
  let windowUs = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    // A sample's delta is the time until it, so it belongs to the sample it ends.
    const us = profile.timeDeltas[index] ?? 0;
    at += us;
    if (at < window.startUs || at > window.endUs) return;
    windowUs += us;
    const node = byId.get(id)!;
    const name = node.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') return;
    if (isStartup(id)) {
      startupUs += us;
      return;
    }
    busyUs += us;
    const where = node.callFrame.url ? ` ${basename(node.callFrame.url)}:${node.callFrame.lineNumber + 1}` : '';
    const key = `${name}${where}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + us);
  });
  const rows = [...selfUs.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  const lines = [
    `${basename(path)}: busy ${(busyUs / 1e6).toFixed(2)} s of ${(windowUs / 1e6).toFixed(2)} s sampled` +
      ` (startup rendering ${(startupUs / 1e6).toFixed(2)} s left out)`,
    ...rows.map(([key, us]) => `  ${((100 * us) / busyUs).toFixed(1).padStart(5)} %  ${(us / 1e3).toFixed(0).padStart(7)} ms  ${key}`),
  ];
  return lines.join('\n');
}

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 25;
const files = args.filter((arg, index) => arg !== '--top' && index !== topAt + 1);
if (files.length === 0 || !Number.isInteger(top) || top < 1) {
  process.stderr.write('usage: profile-summary FILE.cpuprofile… [--top N]\n');
  process.exit(2);
}
for (const file of files) process.stdout.write(`${summarize(file, top)}\n\n`);
