/** A request target as a URL, or null when it is not an origin-form path ("/…") or does not parse. */
export function parseRequestUrl(raw: string | undefined): URL | null {
  if (!raw || !raw.startsWith('/')) return null;
  try {
    return new URL(raw, 'http://localhost');
  } catch {
    return null;
  }
}
