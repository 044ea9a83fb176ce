import { spawn } from 'node:child_process';

/** What one bounded ffmpeg run left behind. */
export interface FfmpegRun {
  code: number | null;
  stderr: string;
  stdout: string;
}

/** Runs ffmpeg to its end (killed by pid after timeoutMs); stdout and stderr kept, bounded. */
export function runFfmpeg(ffmpeg: string, args: string[], timeoutMs: number): Promise<FfmpegRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpeg, ['-hide_banner', '-nostdin', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    const keep = (text: string, into: 'stderr' | 'stdout') => {
      if (into === 'stderr' && stderr.length < 1 << 20) stderr += text;
      if (into === 'stdout' && stdout.length < 1 << 20) stdout += text;
    };
    child.stderr.setEncoding('utf8').on('data', (text: string) => keep(text, 'stderr'));
    child.stdout.setEncoding('utf8').on('data', (text: string) => keep(text, 'stdout'));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

/** Runs ffmpeg and fails with its stderr unless it exits 0. */
export async function runFfmpegOk(ffmpeg: string, args: string[], timeoutMs: number, what: string): Promise<FfmpegRun> {
  const run = await runFfmpeg(ffmpeg, args, timeoutMs);
  if (run.code !== 0) throw new Error(`ffmpeg (${what}) exited ${run.code}: ${run.stderr.slice(-2000)}`);
  return run;
}
