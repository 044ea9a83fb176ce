// Removes compiled files whose TypeScript source is gone (a moved or deleted file), which tsc --build leaves
// behind: a stale test would still run. build/daemon/X.js comes from src/X.ts (tsc's type-checked daemon,
// which build-daemon.mjs bundles into dist/), build/X.js from X.ts.
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outputs = [
  { dir: 'build/daemon', sources: 'src', skip: [] },
  { dir: 'build', sources: '.', skip: ['tsbuildinfo', 'daemon'] },
];
const compiled = /\.(js|js\.map|d\.ts|d\.ts\.map)$/;

async function prune({ dir, sources, skip }) {
  const base = join(root, dir);
  if (!existsSync(base)) return 0;
  let removed = 0;
  for (const entry of await readdir(base, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !compiled.test(entry.name)) continue;
    const path = join(entry.parentPath, entry.name);
    const inside = relative(base, path);
    if (skip.some((top) => inside === top || inside.startsWith(`${top}/`))) continue;
    const stem = inside.replace(compiled, '');
    if (['.ts', '.mts'].some((ext) => existsSync(join(root, sources, stem + ext)))) continue;
    await rm(path);
    removed++;
  }
  return removed;
}

let removed = 0;
for (const output of outputs) removed += await prune(output);
if (removed > 0) console.log(`prune-build: removed ${removed} compiled files without a source`);
