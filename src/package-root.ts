import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's root directory (package.json, config/, dist/web/), found by walking up from this module, so
 * one answer holds wherever the compiled file sits: dist/main.js (the bundle) in production, build/src/ in the test build.
 */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

export const PACKAGE_ROOT = findPackageRoot();

/** A path inside the package, e.g. packagePath('config', 'default.json'). */
export function packagePath(...parts: string[]): string {
  return join(PACKAGE_ROOT, ...parts);
}

/** The built viewer page the daemon serves. */
export const WEB_ROOT = packagePath('dist', 'web');

/** The configuration every file is merged over. */
export const DEFAULT_CONFIG_PATH = packagePath('config', 'default.json');

/** The generated JSON Schema of the configuration. */
export const CONFIG_SCHEMA_PATH = packagePath('config', 'schema.json');
