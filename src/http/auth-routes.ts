import type { Authenticator } from '../auth/authenticator.js';
import type { Logger } from '../log.js';
import { readJsonBody } from './json-body.js';
import { SECURITY_HEADERS, sendJson } from './respond.js';
import type { Route, RouteRequest } from './routes.js';

/** POST /api/login, POST /api/logout and GET /api/session: how the page gets, ends and checks a session. */
export function authRoutes(authenticator: Authenticator, log: Logger): Route[] {
  return [
    { path: '/api/login', methods: ['POST'], auth: 'public', handler: (request) => login(request, authenticator, log) },
    { path: '/api/logout', methods: ['POST'], auth: 'credentials', handler: (request) => logout(request, authenticator) },
    { path: '/api/session', methods: ['GET'], auth: 'public', handler: (request) => session(request, authenticator) },
  ];
}

async function login({ req, res }: RouteRequest, authenticator: Authenticator, log: Logger): Promise<void> {
  const body = await readJsonBody(req);
  if (!body.ok) {
    sendJson(res, body.status, { error: body.message }, { Connection: 'close' });
    return;
  }
  const result = await authenticator.login(body.value, req.socket.remoteAddress);
  if (!result.ok) {
    const retry: Record<string, string> = result.retryAfterSeconds !== undefined ? { 'Retry-After': String(result.retryAfterSeconds) } : {};
    // 429s are counted by the refusal log like every other refusal; a wrong password is worth its own line
    if (result.status === 401) log.info({ remote: req.socket.remoteAddress, status: result.status }, 'login refused');
    sendJson(res, result.status, { error: result.message }, retry);
    return;
  }
  log.info({ remote: req.socket.remoteAddress, kind: result.principal.kind, username: result.principal.username }, 'login');
  res.writeHead(204, { ...SECURITY_HEADERS, 'Cache-Control': 'no-store', ...(result.cookie ? { 'Set-Cookie': result.cookie } : {}) });
  res.end();
}

async function logout({ req, res }: RouteRequest, authenticator: Authenticator): Promise<void> {
  const { cookie } = await authenticator.logout(req);
  res.writeHead(204, { ...SECURITY_HEADERS, 'Set-Cookie': cookie, 'Cache-Control': 'no-store' });
  res.end();
}

function session({ req, res }: RouteRequest, authenticator: Authenticator): void {
  const decision = authenticator.authenticate(req);
  if (!decision.ok) {
    sendJson(res, 401, { authenticated: false });
    return;
  }
  const { kind, username } = decision.principal;
  sendJson(res, 200, { authenticated: true, kind, ...(username ? { username } : {}) });
}
