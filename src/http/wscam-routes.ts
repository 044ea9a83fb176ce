import type { Authenticator, Principal } from '../auth/authenticator.js';
import type { CaptureController } from '../capture/capture-controller.js';
import type { FrameHub } from '../hub/frame-hub.js';
import type { Logger } from '../log.js';
import { authRoutes } from './auth-routes.js';
import type { ClientRegistry, SessionBinding } from './client-registry.js';
import { serveMjpegStream } from './mjpeg-stream.js';
import { SECURITY_HEADERS, sendJson, sendText } from './respond.js';
import { RouteTable, type Route } from './routes.js';
import { serveSnapshot, snapshotTransport } from './snapshot.js';
import { sendStaticFile, type StaticFiles } from './static-files.js';
import { healthReport, prometheusMetrics } from './status.js';

export interface RouteDependencies {
  hub: FrameHub;
  capture: CaptureController;
  authenticator: Authenticator;
  clients: ClientRegistry;
  staticFiles: StaticFiles;
  log: Logger;
}

/** Every path wscam answers: status, pictures and streams, the WebSocket endpoint, the auth routes, and the viewer page. */
export function wscamRoutes(deps: RouteDependencies): RouteTable {
  return new RouteTable([...mediaRoutes(deps), ...authRoutes(deps.authenticator, deps.log)], staticRoute(deps.staticFiles));
}

/** The status, picture and stream routes; the auth routes and the static fallback have their own modules. */
function mediaRoutes({ hub, capture, clients, log }: RouteDependencies): Route[] {
  return [
    {
      path: '/healthz',
      methods: ['GET'],
      auth: 'public',
      handler: ({ res }) => {
        const report = healthReport(hub, capture);
        sendJson(res, report.status === 'ok' ? 200 : 503, report);
      },
    },
    {
      path: '/metrics',
      methods: ['GET'],
      auth: 'credentials',
      handler: ({ res }) =>
        sendText(res, 200, prometheusMetrics(hub, capture, clients.counts()), {
          'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
        }),
    },
    {
      path: '/snapshot.jpg',
      methods: ['GET'],
      auth: 'credentials',
      handler: async ({ res, head, connection, principal }) => {
        connection.attach(snapshotTransport(res, sessionOf(principal)));
        await serveSnapshot(res, hub, capture, head);
      },
    },
    {
      path: '/stream.mjpg',
      methods: ['GET'],
      auth: 'credentials',
      handler: ({ req, res, connection, principal }) => {
        if (clients.viewerRefusal(connection.address)) {
          sendText(res, 503, 'too many viewers\n', { 'Retry-After': '5' });
          return;
        }
        const stream = serveMjpegStream(req, res, hub, sessionOf(principal), log);
        if (stream) connection.attach(stream);
      },
    },
    {
      path: '/ws',
      methods: ['GET'],
      auth: 'upgrade',
      handler: ({ res }) => sendText(res, 426, 'upgrade required\n', { Upgrade: 'websocket' }),
    },
  ];
}

function sessionOf(principal: Principal | undefined): SessionBinding {
  return { sessionId: principal?.sessionId, sessionExpiresAtMs: principal?.sessionExpiresAtMs };
}

/** Every path not in the table: the viewer page's files from memory, public and read-only. */
function staticRoute(files: StaticFiles): Route {
  return {
    path: '*',
    methods: ['GET'],
    auth: 'public',
    handler: ({ req, res, url }) => {
      const found = files.find(url.pathname);
      if (!found.ok) {
        sendText(res, found.status, found.status === 404 ? 'not found\n' : 'bad request\n');
        return;
      }
      sendStaticFile(req, res, found.file, SECURITY_HEADERS);
    },
  };
}
