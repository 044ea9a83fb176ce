/** What GET /api/session says about this browser. */
export type SessionState =
  /** `canLogOut`: there is a session cookie to end (not so while auth is disabled). */
  | { kind: 'authenticated'; canLogOut: boolean; username: string | null }
  | { kind: 'login-required' }
  /** The daemon runs without auth (404: no such endpoint). */
  | { kind: 'no-auth' }
  | { kind: 'unreachable' };

export type LoginResult = { ok: true } | { ok: false; status: number; retryAfterSeconds: number | null };

const jsonHeaders = { 'content-type': 'application/json' };

export async function checkSession(): Promise<SessionState> {
  let response: Response;
  try {
    response = await fetch('/api/session', { credentials: 'same-origin', cache: 'no-store' });
  } catch {
    return { kind: 'unreachable' };
  }
  if (response.status === 401) return { kind: 'login-required' };
  if (response.status === 404) return { kind: 'no-auth' };
  if (!response.ok) return { kind: 'unreachable' };
  const body = (await response.json().catch(() => ({}))) as { authenticated?: unknown; kind?: unknown; username?: unknown };
  if (body.authenticated === false) return { kind: 'login-required' };
  return {
    kind: 'authenticated',
    canLogOut: body.kind === 'session',
    username: typeof body.username === 'string' ? body.username : null,
  };
}

/** POST /api/login with a username and password, or with a link token. */
export async function login(credentials: { username: string; password: string } | { token: string }): Promise<LoginResult> {
  let response: Response;
  try {
    response = await fetch('/api/login', {
      method: 'POST',
      headers: jsonHeaders,
      credentials: 'same-origin',
      body: JSON.stringify(credentials),
    });
  } catch {
    return { ok: false, status: 0, retryAfterSeconds: null };
  }
  if (response.ok) return { ok: true };
  return { ok: false, status: response.status, retryAfterSeconds: parseRetryAfter(response.headers.get('retry-after')) };
}

export async function logout(): Promise<void> {
  await fetch('/api/logout', { method: 'POST', credentials: 'same-origin' }).catch(() => undefined);
}

/** Retry-After is either seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - now) / 1000));
}

/**
 * Takes `?token=` out of the address bar at once (so it never lands in history, bookmarks or
 * screenshots) and returns it.
 */
export function takeUrlToken(): string | null {
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token');
  if (token === null) return null;
  url.searchParams.delete('token');
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  return token;
}
