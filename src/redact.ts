/** What a hidden secret is replaced with in log lines and health reasons. */
export const CENSOR = '[redacted]';

// Runs of text stop at whitespace, at `"` and take `\x` as a pair, so in a JSON line a match never
// crosses the end of a string (a `"` inside one is always escaped).
const RUN = String.raw`(?:[^\s"\\]|\\.)`;
const RUN_WITH_SPACES = String.raw`(?:[^/?#"\\\r\n]|\\.)`;
const SCHEME = String.raw`\b([a-z][a-z0-9+.-]*:\/\/)`;

/** The userinfo runs to the last `@` before whitespace: a password may hold `@`, `/`, `?`, `:`. */
const USERINFO = new RegExp(`${SCHEME}${RUN}*@`, 'gi');
/** Or to the last `@` before the path: a password may hold spaces too. */
const USERINFO_WITH_SPACES = new RegExp(`${SCHEME}${RUN_WITH_SPACES}*@`, 'gi');

/** Query parameters whose value is a credential: names holding one of these words, and a few short ones. */
const SECRET_PARAM_WORDS = ['user', 'pass', 'pwd', 'token', 'key', 'auth', 'secret', 'sess', 'cred', 'sig', 'login'];
const SECRET_PARAM_NAMES = ['u', 'p', 'pw'];
const PARAM_NAME = String.raw`[^=&#;\s"\\]*`;
/** The value runs to the next `&name=`, so a password holding `&` is hidden whole. */
const SECRET_PARAM = new RegExp(
  String.raw`([?&;](?:${PARAM_NAME}(?:${SECRET_PARAM_WORDS.join('|')})${PARAM_NAME}|${SECRET_PARAM_NAMES.join('|')})=)` +
    String.raw`(?:[^&#\s"\\]|\\.|&(?!${PARAM_NAME}=))*`,
  'gi',
);

/** HTTP credentials given to ffmpeg as headers (`-headers "Authorization: …"`) or printed by it. */
const AUTHORIZATION_HEADER = /\b((?:proxy-)?authorization\s*:\s*)(?:[^"\\\r\n]|\\.)+/gi;
const BEARER = new RegExp(String.raw`\b(bearer\s+)${RUN}+`, 'gi');

/**
 * Hides credentials in free text: the userinfo of any URL, query parameters named like credentials,
 * Authorization headers and bearer tokens. Works on raw text and on JSON-escaped text alike, and errs
 * towards hiding too much.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(USERINFO_WITH_SPACES, `$1${CENSOR}@`)
    .replace(USERINFO, `$1${CENSOR}@`)
    .replace(SECRET_PARAM, `$1${CENSOR}`)
    .replace(AUTHORIZATION_HEADER, `$1${CENSOR}`)
    .replace(BEARER, `$1${CENSOR}`);
}

/** Deeper log objects than this are not expected; what is below is dropped rather than logged unchecked. */
const MAX_DEPTH = 8;

/** A copy of a value to be logged with redactSecrets applied to every string in it, errors included. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  const copy: Record<string, unknown> = {};
  if (value instanceof Error) {
    // what pino's error serializer would write, taken before it so the strings can be checked
    copy.type = value.name;
    copy.message = redactSecrets(value.message);
    if (value.stack !== undefined) copy.stack = redactSecrets(value.stack);
  }
  for (const [key, item] of Object.entries(value)) copy[key] = redactValue(item, depth + 1);
  return copy;
}
