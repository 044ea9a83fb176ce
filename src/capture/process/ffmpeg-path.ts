import { chmod, stat } from 'node:fs/promises';
import { executableProblem, findOnPath } from './program-path.js';
import { describeError } from '../../describe-error.js';

/** Where the ffmpeg binary was found, or why it was not. */
export type FfmpegResolution = { ok: true; path: string; from: 'config' | 'PATH' | 'npm' } | { ok: false; error: string };

const NPM_PACKAGE = '@ffmpeg-installer/ffmpeg';

/**
 * Finds ffmpeg: config `ffmpeg.path` if set (used alone: an explicit choice is never silently replaced),
 * else `ffmpeg` on PATH, else the binary shipped by the npm package @ffmpeg-installer/ffmpeg.
 */
export async function resolveFfmpeg(configuredPath: string | null, env: NodeJS.ProcessEnv = process.env): Promise<FfmpegResolution> {
  if (configuredPath !== null) {
    const problem = await executableProblem(configuredPath);
    if (problem === null) return { ok: true, path: configuredPath, from: 'config' };
    return {
      ok: false,
      error:
        `ffmpeg: ffmpeg.path "${configuredPath}" ${problem}; ` +
        `set ffmpeg.path to null to use "ffmpeg" on PATH or the npm package ${NPM_PACKAGE}`,
    };
  }
  const onPath = await findOnPath('ffmpeg', env.PATH ?? '');
  if (onPath !== null) return { ok: true, path: onPath, from: 'PATH' };
  const npm = await npmBinary();
  if (npm.ok) return { ok: true, path: npm.path, from: 'npm' };
  return {
    ok: false,
    error:
      `ffmpeg: not found: ffmpeg.path is not set, no "ffmpeg" on PATH, and the npm package ${NPM_PACKAGE} ` +
      `gave none (${npm.error}); install ffmpeg or set ffmpeg.path`,
  };
}

async function npmBinary(): Promise<{ ok: true; path: string } | { ok: false; error: string }> {
  let binary: string;
  try {
    binary = ((await import(NPM_PACKAGE)) as { default: { path: string } }).default.path;
  } catch (error) {
    // The package throws a plain string when its platform binary is missing.
    return { ok: false, error: describeError(error) };
  }
  const made = await ensureExecutable(binary);
  return made === null ? { ok: true, path: binary } : { ok: false, error: `${binary} ${made}` };
}

/** Adds u+x to a regular file that lacks it (npm denies @ffmpeg-installer's own postinstall chmod); null when it is executable. */
export async function ensureExecutable(file: string): Promise<string | null> {
  const problem = await executableProblem(file);
  if (problem !== 'is not executable') return problem;
  try {
    const { mode } = await stat(file);
    await chmod(file, mode | 0o100);
  } catch (error) {
    return `is not executable and chmod u+x failed: ${describeError(error)}`;
  }
  return executableProblem(file);
}
