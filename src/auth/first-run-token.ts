import { randomBytes } from 'node:crypto';
import { chmod, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureStateDirectory, readStateFile, writeStateFile, type StateResult } from './state-directory.js';

/** File name of the first-run token inside the state directory. */
export const FIRST_RUN_TOKEN_FILE = 'first-run-token';

/** The token that guards a fresh install; created is true only on the start that made it. */
export interface FirstRunToken {
  token: string;
  created: boolean;
}

const TOKEN_PATTERN = /^[0-9a-f]{32}$/;

/** Returns the stored first-run token, creating a random 128-bit one (hex, file mode 0600) on first use. */
export async function ensureFirstRunToken(stateDir: string): Promise<StateResult<FirstRunToken>> {
  const dir = await ensureStateDirectory(stateDir);
  if (!dir.ok) return dir;
  const path = join(stateDir, FIRST_RUN_TOKEN_FILE);
  const existing = await readStateFile(path);
  if (!existing.ok) return existing;
  const stored = existing.value?.trim();
  if (stored !== undefined && TOKEN_PATTERN.test(stored)) {
    const tightened = await keepPrivate(path);
    if (!tightened.ok) return tightened;
    return { ok: true, value: { token: stored, created: false } };
  }
  // missing, or damaged (e.g. emptied by a crash mid-write): a new token is the only safe choice
  const token = randomBytes(16).toString('hex');
  const written = await writeStateFile(path, `${token}\n`);
  if (!written.ok) return written;
  return { ok: true, value: { token, created: true } };
}

/** True when the auth section leaves the daemon open to nobody, so the first-run token is needed. */
export function needsFirstRunToken(auth: { users: readonly unknown[]; tokens: readonly unknown[]; disabled: boolean }): boolean {
  return !auth.disabled && auth.users.length === 0 && auth.tokens.length === 0;
}

// A copy restored from a backup or made by hand may be readable by others; the token is a password.
async function keepPrivate(path: string): Promise<StateResult<void>> {
  try {
    const { mode } = await stat(path);
    if ((mode & 0o077) !== 0) await chmod(path, 0o600);
    return { ok: true, value: undefined };
  } catch (error) {
    return { ok: false, error: `${path}: cannot set mode 0600: ${(error as NodeJS.ErrnoException).code ?? String(error)}` };
  }
}
