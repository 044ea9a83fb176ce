import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { Config } from './config/schema.js';
import { describeError } from './describe-error.js';

/** A certificate and key read from server.tls, checked to belong together. */
export interface TlsPair {
  cert: Buffer;
  key: Buffer;
}

/** Reads server.tls; null when it is not set; an error is one `server.tls: …` line. */
export function readTls(tls: Config['server']['tls']): { ok: true; tls: TlsPair | null } | { ok: false; error: string } {
  if (!tls) return { ok: true, tls: null };
  let pair: TlsPair;
  try {
    pair = { cert: readFileSync(tls.cert), key: readFileSync(tls.key) };
  } catch (error) {
    const failure = error as NodeJS.ErrnoException;
    return { ok: false, error: `server.tls: cannot read ${failure.path ?? 'file'}: ${failure.code ?? failure.message}` };
  }
  try {
    createSecureContext(pair);
  } catch (error) {
    const reason = describeError(error).includes('key values mismatch')
      ? 'the key does not belong to the certificate'
      : describeError(error);
    return { ok: false, error: `server.tls: ${tls.cert} / ${tls.key}: ${reason}` };
  }
  return { ok: true, tls: pair };
}
