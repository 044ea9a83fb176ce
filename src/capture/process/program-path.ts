import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';

/** The first executable `name` in the directories of `searchPath` (a PATH value), or null. */
export async function findOnPath(name: string, searchPath: string): Promise<string | null> {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    if ((await executableProblem(candidate)) === null) return candidate;
  }
  return null;
}

/** Why `file` cannot be run ("does not exist", …), or null when it is an executable regular file. */
export async function executableProblem(file: string): Promise<string | null> {
  try {
    const info = await stat(file);
    if (!info.isFile()) return 'is not a regular file';
  } catch {
    return 'does not exist';
  }
  try {
    await access(file, constants.X_OK);
    return null;
  } catch {
    return 'is not executable';
  }
}
