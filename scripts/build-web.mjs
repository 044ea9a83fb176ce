// Type-checks and bundles the browser viewer (web/) into dist/web/, the site root the daemon serves.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const webDir = join(root, 'web');
const outDir = join(root, 'dist', 'web');
const staticFile = /\.(html|css|svg|png|ico|webmanifest)$/;
const maxGzipBytes = 50 * 1024;
const target = ['chrome100', 'firefox100', 'safari15'];

function typeCheck() {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(webDir, 'tsconfig.json')], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('build-web: type errors in web/ (see above)');
}

async function bundle() {
  // jMuxer's source imports Node's stream for a Node-only feature; the page gets an empty stand-in.
  const alias = { stream: join(webDir, 'src', 'node-stream-stub.ts') };
  const common = { bundle: true, minify: true, sourcemap: true, target, logLevel: 'warning', outdir: outDir, alias };
  await esbuild.build({ ...common, entryPoints: { viewer: join(webDir, 'src', 'main.ts') }, format: 'esm' });
  // Worklet scripts run in their own global scope; an IIFE keeps them free of module plumbing.
  await esbuild.build({
    ...common,
    entryPoints: { 'pcm-player.worklet': join(webDir, 'src', 'pcm-player.worklet.ts') },
    format: 'iife',
  });
}

async function copyStatic() {
  for (const name of await readdir(webDir)) {
    if (staticFile.test(name)) await copyFile(join(webDir, name), join(outDir, name));
  }
}

async function checkSize() {
  let total = 0;
  for (const name of await readdir(outDir)) {
    if (name.endsWith('.map')) continue;
    total += gzipSync(await readFile(join(outDir, name))).byteLength;
  }
  if (total > maxGzipBytes) throw new Error(`build-web: viewer is ${total} bytes gzipped, over ${maxGzipBytes}`);
  return total;
}

try {
  if (!process.argv.includes('--no-check')) typeCheck();
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await bundle();
  await copyStatic();
  const gzipped = await checkSize();
  console.log(`build-web: dist/web/ written, ${(gzipped / 1024).toFixed(1)} KiB gzipped`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
