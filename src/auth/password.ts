import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost used for new hashes: 16 MiB of RAM per verification, fine on a small board. */
const DEFAULT_SCRYPT = { N: 2 ** 14, r: 8, p: 1, saltBytes: 16, keyBytes: 32 } as const;

/** Longest password accepted anywhere (hashing, login); longer input is refused, not truncated. */
export const MAX_PASSWORD_LENGTH = 1024;

// Bounds on parameters read from a config file, so a hostile or mistyped hash cannot eat RAM or CPU.
const MIN_N = 2 ** 10;
const MAX_N = 2 ** 17;
const MAX_R = 32;
const MAX_P = 16;
const MAX_MEMORY_BYTES = 64 * 1024 * 1024;
const MAX_WORK = 2 ** 14 * 8 * 8;

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

// Same default cost as a real hash, so checking an unknown username takes as long as a wrong password.
const DUMMY_HASH: ParsedHash = {
  N: DEFAULT_SCRYPT.N,
  r: DEFAULT_SCRYPT.r,
  p: DEFAULT_SCRYPT.p,
  salt: Buffer.alloc(DEFAULT_SCRYPT.saltBytes),
  key: Buffer.alloc(DEFAULT_SCRYPT.keyBytes),
};

/** Hashes a password as `scrypt$N$r$p$saltBase64$keyBase64`, the format of `auth.users[].passwordHash`. */
export async function hashPassword(password: string): Promise<string> {
  const { N, r, p, saltBytes, keyBytes } = DEFAULT_SCRYPT;
  const salt = randomBytes(saltBytes);
  const key = await derive(normalise(password), { N, r, p, salt, key: Buffer.alloc(keyBytes) });
  return ['scrypt', N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** True when the password matches the hash; false for a wrong password or a malformed hash, never throws. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parsed = parsePasswordHash(hash);
  if (!parsed || password.length > MAX_PASSWORD_LENGTH) return false;
  try {
    const derived = await derive(normalise(password), parsed);
    return timingSafeEqual(derived, parsed.key);
  } catch {
    return false;
  }
}

/** Spends the time of one default-cost verification and returns false: used for unknown usernames. */
export async function verifyDummyPassword(password: string): Promise<false> {
  try {
    await derive(normalise(password.slice(0, MAX_PASSWORD_LENGTH)), DUMMY_HASH);
  } catch {
    // the result is false whatever happens; only the time spent matters
  }
  return false;
}

/** True when a stored hash is well formed and within the accepted cost bounds. */
export function isValidPasswordHash(hash: string): boolean {
  return parsePasswordHash(hash) !== undefined;
}

function parsePasswordHash(hash: unknown): ParsedHash | undefined {
  if (typeof hash !== 'string' || hash.length > 512) return undefined;
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [, nText, rText, pText, saltText, keyText] = parts as [string, string, string, string, string, string];
  const N = parsePositiveInt(nText);
  const r = parsePositiveInt(rText);
  const p = parsePositiveInt(pText);
  if (N === undefined || r === undefined || p === undefined) return undefined;
  if (N < MIN_N || N > MAX_N || (N & (N - 1)) !== 0) return undefined;
  if (r > MAX_R || p > MAX_P || 128 * N * r > MAX_MEMORY_BYTES || N * r * p > MAX_WORK) return undefined;
  const salt = decodeBase64(saltText);
  const key = decodeBase64(keyText);
  if (!salt || !key || salt.length < 8 || salt.length > 64 || key.length < 16 || key.length > 64) return undefined;
  return { N, r, p, salt, key };
}

// scrypt runs on libuv's 4 worker threads, which file reads share; a login flood must leave some free.
const MAX_CONCURRENT_DERIVATIONS = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function derive(password: string, params: ParsedHash): Promise<Buffer> {
  // a finishing derivation hands its slot straight to the next waiter, so the count never overshoots
  if (running < MAX_CONCURRENT_DERIVATIONS) running += 1;
  else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    return await deriveNow(password, params);
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running -= 1;
  }
}

function deriveNow(password: string, params: ParsedHash): Promise<Buffer> {
  const options: ScryptOptions = {
    N: params.N,
    r: params.r,
    p: params.p,
    // OpenSSL needs 128·r·(N+p+2) bytes; the bounds above keep this under about 64 MiB
    maxmem: 128 * params.r * (params.N + params.p + 2) + 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    scrypt(password, params.salt, params.key.length, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

// NFC so the same password typed on two keyboards (composed or decomposed accents) gives the same bytes.
function normalise(password: string): string {
  return password.normalize('NFC');
}

function parsePositiveInt(text: string): number | undefined {
  if (!/^[1-9][0-9]{0,9}$/.test(text)) return undefined;
  return Number(text);
}

function decodeBase64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, 'base64');
  // round trip rejects non-canonical encodings (stray bits in the padding)
  return bytes.toString('base64') === text ? bytes : undefined;
}
