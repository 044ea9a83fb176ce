import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** Result of a state-directory operation: failures are values with a message naming the path. */
export type StateResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** The daemon's state directory: systemd's `$STATE_DIRECTORY` (first entry), else `./.wscam/`. */
export function resolveStateDirectory(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): string {
  const fromSystemd = env.STATE_DIRECTORY?.split(':')[0];
  return fromSystemd ? resolve(cwd, fromSystemd) : resolve(cwd, '.wscam');
}

/** Creates the directory (mode 0700 when wscam creates it) if it is missing. */
export async function ensureStateDirectory(dir: string): Promise<StateResult<string>> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return { ok: true, value: dir };
  } catch (error) {
    return { ok: false, error: `${dir}: cannot create state directory: ${errorCode(error)}` };
  }
}

/** Reads a state file as text; undefined value when it does not exist. */
export async function readStateFile(path: string): Promise<StateResult<string | undefined>> {
  try {
    return { ok: true, value: await readFile(path, 'utf8') };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, value: undefined };
    return { ok: false, error: `${path}: cannot read: ${errorCode(error)}` };
  }
}

/** Writes a state file with mode 0600 through a temporary file and a rename, so readers never see half of it. */
export async function writeStateFile(path: string, contents: string): Promise<StateResult<void>> {
  const temporary = join(path, '..', `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(contents, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
    return { ok: true, value: undefined };
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    return { ok: false, error: `${path}: cannot write: ${errorCode(error)}` };
  }
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}
