/** How the request reached wscam: decides the scheme of its own origin. */
export type RequestScheme = 'http' | 'https';

const DEFAULT_PORTS: Record<RequestScheme, string> = { http: '80', https: '443' };

// Hosts are names, IPv4 or bracketed IPv6, with an optional port; anything else (userinfo, paths) is refused.
const HOST_PATTERN = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$/i;
const ORIGIN_PATTERN = /^(https?):\/\/([^/?#\s]+)$/i;

/**
 * The Origin rule for a cookie-authenticated WebSocket upgrade: the Origin header must be the
 * request's own scheme + Host (host compared case-insensitively, default ports dropped), or one of
 * allowedOrigins (the same normalisation, otherwise exact). Missing, "null" or malformed: refused.
 */
export function isOriginAllowed(
  originHeader: string | string[] | undefined,
  requestHost: string | undefined,
  scheme: RequestScheme,
  allowedOrigins: readonly string[],
): boolean {
  if (typeof originHeader !== 'string') return false;
  const origin = normaliseOrigin(originHeader.trim());
  if (origin === undefined) return false;
  const own = requestHost === undefined ? undefined : normaliseOrigin(`${scheme}://${requestHost.trim()}`);
  if (own !== undefined && origin === own) return true;
  return allowedOrigins.some((allowed) => normaliseOrigin(allowed) === origin);
}

/** `scheme://host[:port]` lowercased with the scheme's default port removed, or undefined when malformed. */
export function normaliseOrigin(text: string): string | undefined {
  const match = ORIGIN_PATTERN.exec(text);
  if (!match) return undefined;
  const scheme = match[1]!.toLowerCase() as RequestScheme;
  const hostPort = match[2]!.toLowerCase();
  if (!HOST_PATTERN.test(hostPort)) return undefined;
  const portMatch = /:([0-9]{1,5})$/.exec(hostPort);
  const host = portMatch ? hostPort.slice(0, -portMatch[0].length) : hostPort;
  if (host === '' || host === '[]') return undefined;
  const port = portMatch ? String(Number(portMatch[1])) : DEFAULT_PORTS[scheme];
  if (Number(port) > 65535) return undefined;
  return port === DEFAULT_PORTS[scheme] ? `${scheme}://${host}` : `${scheme}://${host}:${port}`;
}
