import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../../src/package-root.js';

const RUN_JS = packagePath('build', 'bench', 'run.js');

/** Runs the compiled bench (`npm run bench` without the build) with `args`; its stdout and its JSON report, as T. */
export function runBench<T>(args: string[], timeoutMs: number): Promise<{ stdout: string; report: T }> {
  const dir = mkdtempSync(join(tmpdir(), 'wscam-bench-test-'));
  const out = join(dir, 'report.json');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [RUN_JS, ...args, '--out', out], { timeout: timeoutMs, maxBuffer: 1 << 22 }, (error, stdout, stderr) => {
      try {
        if (error) throw new Error(`bench failed: ${error.message}\n${stdout}\n${stderr}`);
        resolve({ stdout, report: JSON.parse(readFileSync(out, 'utf8')) as T });
      } catch (failure) {
        reject(failure instanceof Error ? failure : new Error(String(failure)));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
