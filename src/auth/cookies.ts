/** Name of the session cookie (docs/http-api.md, POST /api/login). */
export const SESSION_COOKIE = 'wscam_session';

// Longer Cookie headers are ignored rather than parsed: no browser sends one for this site.
const MAX_COOKIE_HEADER = 8192;

/** Every value the Cookie header(s) carry for one name, in order; malformed input gives [], never throws. */
export function cookieValues(header: string | string[] | undefined, name: string): string[] {
  const text = Array.isArray(header) ? header.join('; ') : header;
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_COOKIE_HEADER) return [];
  const values: string[] = [];
  for (const pair of text.split(';')) {
    const equals = pair.indexOf('=');
    if (equals < 0 || pair.slice(0, equals).trim() !== name) continue;
    let value = pair.slice(equals + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    values.push(value);
  }
  return values;
}

/** Options shared by the session cookie and the one that clears it. */
export interface CookieOptions {
  /** Adds `Secure` (served over TLS). */
  secure: boolean;
}

/** The Set-Cookie value that stores a session: HttpOnly, SameSite=Strict, Path=/, Secure under TLS. */
export function sessionCookie(value: string, maxAgeSeconds: number, options: CookieOptions): string {
  return withAttributes(`${SESSION_COOKIE}=${value}; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`, options);
}

/** The Set-Cookie value that makes the browser forget the session cookie. */
export function clearedSessionCookie(options: CookieOptions): string {
  return withAttributes(`${SESSION_COOKIE}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT`, options);
}

function withAttributes(base: string, { secure }: CookieOptions): string {
  return `${base}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}
