import { createRequire } from 'node:module';
import { describeError } from './describe-error.js';

type Koffi = typeof import('koffi');

export type Libc = { ok: true; koffi: Koffi; library: ReturnType<Koffi['load']> } | { ok: false; error: string };

let loaded: Libc | undefined;

/** The C library through koffi (its prebuilt binary ships in the npm package: nothing is compiled on a board), loaded on first use. */
export function libc(): Libc {
  if (loaded !== undefined) return loaded;
  if (process.platform !== 'linux') return (loaded = { ok: false, error: `not on Linux (${process.platform})` });
  try {
    const koffi = createRequire(import.meta.url)('koffi') as Koffi;
    loaded = { ok: true, koffi, library: koffi.load(null) };
  } catch (error) {
    loaded = { ok: false, error: `cannot load koffi: ${describeError(error)}` };
  }
  return loaded;
}
