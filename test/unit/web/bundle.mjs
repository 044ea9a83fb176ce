// Type-checks the unit tests of the viewer's pure modules and bundles each into build/test/unit/web/.
// Compiled by tsc they would drag web/src (DOM code) into the Node build; a bundle carries the module
// it tests and nothing else.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const testDir = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../../../build/test/unit/web/', import.meta.url));

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const checked = spawnSync(process.execPath, [tsc, '-p', join(testDir, 'tsconfig.json')], { stdio: 'inherit' });
if (checked.status !== 0) {
  console.error('test/unit/web: type errors (see above)');
  process.exit(1);
}

const entryPoints = (await readdir(testDir)).filter((name) => name.endsWith('.test.ts')).map((name) => join(testDir, name));
await rm(outDir, { recursive: true, force: true });
await esbuild.build({
  entryPoints,
  outdir: outDir,
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
});
