import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../auth/authenticator.js';
import type { ClientConnection } from './client-registry.js';

/** The methods a route may take; a route that takes GET takes HEAD too. */
export type RouteMethod = 'GET' | 'POST';

/**
 * Who may use a route: anyone; only with credentials (cookie, bearer token or Basic); or, for the
 * WebSocket endpoint, credentials and the Origin rule checked at the upgrade (a plain request is answered 426).
 */
export type RouteAuth = 'public' | 'credentials' | 'upgrade';

/** One request on its way to a route's handler, with the principal when the route needs credentials. */
export interface RouteRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** HEAD on a GET route: answer the headers only. */
  head: boolean;
  connection: ClientConnection;
  principal: Principal | undefined;
}

export interface Route {
  path: string;
  methods: readonly RouteMethod[];
  auth: RouteAuth;
  handler: (request: RouteRequest) => void | Promise<void>;
}

/** What the table says of a request before any credential is looked at. */
export type RouteDecision = { ok: true; route: Route } | { ok: false; status: 405; allow: string };

/** The value of the Allow header for a route's methods. */
export function allowHeader(methods: readonly RouteMethod[]): string {
  return methods.flatMap((method) => (method === 'GET' ? ['GET', 'HEAD'] : [method])).join(', ');
}

function takes(route: Route, method: string): boolean {
  return route.methods.some((allowed) => allowed === method || (allowed === 'GET' && method === 'HEAD'));
}

/**
 * The one place that says which paths exist, what each needs and which methods each takes. Paths not
 * in the table go to the fallback (the viewer page's static files).
 */
export class RouteTable {
  private readonly byPath: ReadonlyMap<string, Route>;

  constructor(
    routes: readonly Route[],
    private readonly fallback: Route,
  ) {
    this.byPath = new Map(routes.map((route) => [route.path, route]));
  }

  decide(pathname: string, method: string): RouteDecision {
    const route = this.byPath.get(pathname) ?? this.fallback;
    if (!takes(route, method)) return { ok: false, status: 405, allow: allowHeader(route.methods) };
    return { ok: true, route };
  }

  /** Whether a WebSocket upgrade to this path is taken at all (its credentials are checked by the upgrade). */
  acceptsUpgrade(pathname: string): boolean {
    return this.byPath.get(pathname)?.auth === 'upgrade';
  }
}
