import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { CaptureController } from '../capture/capture-controller.js';
import type { Config } from '../config/schema.js';
import type { FrameHub } from '../hub/frame-hub.js';
import type { Logger } from '../log.js';
import { CloseCode, MAX_CLIENT_MESSAGE_BYTES, type HelloMessage } from '../protocol/messages.js';
import { retryAfterHeaders, type Authenticator } from '../auth/authenticator.js';
import { readJsonBody } from './json-body.js';
import { serveMjpegStream } from './mjpeg-stream.js';
import { refusalResponse, SECURITY_HEADERS, sendJson, sendText } from './respond.js';
import { serveSnapshot } from './snapshot.js';
import { findStaticFile, sendStaticFile } from './static-files.js';
import { healthReport, prometheusMetrics } from './status.js';
import { ViewerConnection } from './viewer-connection.js';

/** Paths that need credentials, with the one method each takes (GET also allows HEAD). */
const PROTECTED_PATHS = new Map([
  ['/snapshot.jpg', 'GET'],
  ['/stream.mjpg', 'GET'],
  ['/metrics', 'GET'],
  ['/api/logout', 'POST'],
]);

/**
 * Connections beyond the viewers, for page loads, logins and handshakes in flight; together with the
 * header timeout this bounds what half-open requests and upgrades can hold.
 */
const SPARE_CONNECTIONS = 64;

export interface ServerDependencies {
  config: Config;
  hub: FrameHub;
  capture: CaptureController;
  authenticator: Authenticator;
  /** Folder the viewer page is served from (the built web/). */
  webRoot: string;
  hello: () => HelloMessage;
  log: Logger;
  /** Certificate and key already read from server.tls, or null for plain HTTP. */
  tls: { cert: Buffer; key: Buffer } | null;
}

/** The one HTTP(S) port: viewer page, streams, status, and the /ws upgrade. */
export class WscamServer {
  private readonly server: Server;
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: MAX_CLIENT_MESSAGE_BYTES,
    clientTracking: false,
  });
  private readonly viewers = new Set<ViewerConnection>();
  private readonly mjpegStreams = new Set<() => void>();
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly deps: ServerDependencies) {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.handleRequest(req, res).catch((error: unknown) => {
        deps.log.error({ err: error instanceof Error ? error.stack : String(error), path: parseRequestUrl(req.url)?.pathname }, 'request failed');
        if (!res.headersSent) sendText(res, 500, 'internal error\n');
        else res.destroy();
      });
    };
    // Slowloris: a request must finish its headers and body in bounded time, checked every second.
    const limits = { headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 1000, keepAliveTimeout: 5000, maxHeaderSize: 16384 };
    this.server = deps.tls ? createHttpsServer({ ...limits, cert: deps.tls.cert, key: deps.tls.key }, handler) : createHttpServer(limits, handler);
    this.server.maxHeadersCount = 64;
    this.server.maxConnections = deps.config.clients.max + SPARE_CONNECTIONS;
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.handleUpgrade(req, socket, head));
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
      const [status, reason] =
        error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout'] : error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : [400, 'Bad Request'];
      if (socket.writable) socket.end(refusalResponse(status, reason));
      else socket.destroy();
      deps.log.debug({ code: error.code }, 'bad request from client');
    });
  }

  listen(): Promise<AddressInfo> {
    const { host, port } = this.deps.config.server;
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const heartbeatMs = this.deps.config.clients.heartbeatSeconds * 1000;
        this.heartbeat = setInterval(() => {
          for (const viewer of this.viewers) {
            viewer.heartbeat();
            // Watching counts as activity, so a long viewing does not hit the session's idle expiry.
            if (viewer.identity.sessionId) this.deps.authenticator.touchSession(viewer.identity.sessionId);
          }
        }, heartbeatMs);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  get clientCounts(): { websocket: number; mjpeg: number } {
    return { websocket: this.viewers.size, mjpeg: this.mjpegStreams.size };
  }

  /** Ends every viewer with 1001 and stops listening. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    const closing = [...this.viewers].map(
      (viewer) =>
        new Promise<void>((resolve) => {
          viewer.ws.once('close', () => resolve());
          viewer.close(CloseCode.GoingAway, 'server shutting down');
          // A peer that never answers the close frame must not hold up the exit.
          setTimeout(() => {
            viewer.ws.terminate();
            resolve();
          }, 1500).unref();
        }),
    );
    for (const end of this.mjpegStreams) end();
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    await Promise.all(closing);
    this.server.closeAllConnections();
    await stopped;
  }

  private async handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = parseRequestUrl(req.url);
    if (!url) {
      sendText(res, 400, 'bad request\n');
      return;
    }
    const method = req.method ?? 'GET';
    const readOnly = method === 'GET' || method === 'HEAD';
    const protectedPath = PROTECTED_PATHS.get(url.pathname);
    if (protectedPath && protectedPath !== method && !(protectedPath === 'GET' && method === 'HEAD')) {
      sendText(res, 405, 'method not allowed\n', { Allow: protectedPath === 'GET' ? 'GET, HEAD' : protectedPath });
      return;
    }
    if (protectedPath) {
      const decision = this.deps.authenticator.authenticate(req);
      if (!decision.ok) {
        sendText(res, decision.status, decision.status === 429 ? 'too many failed attempts\n' : 'authentication required\n', retryAfterHeaders(decision));
        return;
      }
    }
    switch (url.pathname) {
      case '/healthz': {
        const report = healthReport(this.deps.hub, this.deps.capture);
        sendJson(res, report.status === 'ok' ? 200 : 503, report);
        return;
      }
      case '/metrics':
        sendText(res, 200, prometheusMetrics(this.deps.hub, this.deps.capture, this.clientCounts), {
          'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
        });
        return;
      case '/snapshot.jpg':
        await serveSnapshot(res, this.deps.hub, this.deps.capture, method === 'HEAD');
        return;
      case '/stream.mjpg': {
        if (this.totalClients() >= this.deps.config.clients.max) {
          sendText(res, 503, 'too many viewers\n', { 'Retry-After': '5' });
          return;
        }
        const end = serveMjpegStream(req, res, this.deps.hub, this.deps.log);
        this.mjpegStreams.add(end);
        res.on('close', () => this.mjpegStreams.delete(end));
        return;
      }
      case '/ws':
        sendText(res, 426, 'upgrade required\n', { Upgrade: 'websocket' });
        return;
      case '/api/login':
        await this.login(req, res, method);
        return;
      case '/api/logout': {
        const { cookie } = await this.deps.authenticator.logout(req);
        res.writeHead(204, { ...SECURITY_HEADERS, 'Set-Cookie': cookie, 'Cache-Control': 'no-store' });
        res.end();
        return;
      }
      case '/api/session': {
        const decision = this.deps.authenticator.authenticate(req);
        if (!decision.ok) {
          sendJson(res, 401, { authenticated: false });
          return;
        }
        const { kind, username } = decision.principal;
        sendJson(res, 200, { authenticated: true, kind, ...(username ? { username } : {}) });
        return;
      }
    }
    if (!readOnly) {
      sendText(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
      return;
    }
    const found = await findStaticFile(this.deps.webRoot, url.pathname);
    if (!found.ok) {
      sendText(res, found.status, found.status === 404 ? 'not found\n' : 'bad request\n');
      return;
    }
    sendStaticFile(req, res, found, SECURITY_HEADERS);
  }

  private async login(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    if (method !== 'POST') {
      sendText(res, 405, 'method not allowed\n', { Allow: 'POST' });
      return;
    }
    const body = await readJsonBody(req);
    if (!body.ok) {
      sendJson(res, body.status, { error: body.message }, { Connection: 'close' });
      return;
    }
    const result = await this.deps.authenticator.login(body.value, req.socket.remoteAddress);
    if (!result.ok) {
      const retry: Record<string, string> = result.retryAfterSeconds !== undefined ? { 'Retry-After': String(result.retryAfterSeconds) } : {};
      if (result.status !== 400) this.deps.log.info({ remote: req.socket.remoteAddress, status: result.status }, 'login refused');
      sendJson(res, result.status, { error: result.message }, retry);
      return;
    }
    this.deps.log.info({ remote: req.socket.remoteAddress, kind: result.principal.kind, username: result.principal.username }, 'login');
    res.writeHead(204, { ...SECURITY_HEADERS, 'Cache-Control': 'no-store', ...(result.cookie ? { 'Set-Cookie': result.cookie } : {}) });
    res.end();
  }

  private handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const refuse = (status: number, reason: string, extra: Record<string, string> = {}) => {
      this.deps.log.info({ remote: req.socket.remoteAddress, status }, `websocket upgrade refused: ${reason}`);
      socket.end(refusalResponse(status, reason, extra));
    };
    const url = parseRequestUrl(req.url);
    if (!url || url.pathname !== '/ws') return refuse(404, 'Not Found');
    const decision = this.deps.authenticator.authorizeUpgrade(req);
    if (!decision.ok) return refuse(decision.status, { 401: 'Unauthorized', 403: 'Forbidden', 429: 'Too Many Requests' }[decision.status], retryAfterHeaders(decision));
    if (this.totalClients() >= this.deps.config.clients.max) return refuse(503, 'Service Unavailable', { 'Retry-After': '5' });
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      // Upgrades arrive on net.Socket or tls.TLSSocket; both are net.Socket.
      const tcp = socket as Socket;
      tcp.setNoDelay(true);
      const connection = new ViewerConnection(
        ws,
        tcp,
        this.deps.hello(),
        this.deps.hub,
        { remoteAddress: req.socket.remoteAddress ?? '?', ...(decision.principal.sessionId ? { sessionId: decision.principal.sessionId } : {}) },
        this.deps.log,
        (closed) => this.viewers.delete(closed),
      );
      this.viewers.add(connection);
      this.deps.log.info({ remote: connection.identity.remoteAddress, viewers: this.viewers.size }, 'viewer joined');
    });
  }

  /** Sends every WebSocket viewer a new hello, when a reload changed the streams' format. */
  announceHello(hello: HelloMessage): void {
    for (const viewer of this.viewers) viewer.sendHello(hello);
  }

  /** Closes every WebSocket of a session that logged out. */
  closeSession(sessionId: string): void {
    for (const viewer of this.viewers) {
      if (viewer.identity.sessionId === sessionId) viewer.close(CloseCode.PolicyViolation, 'logged out');
    }
  }

  private totalClients(): number {
    return this.viewers.size + this.mjpegStreams.size;
  }
}

function parseRequestUrl(raw: string | undefined): URL | null {
  if (!raw || !raw.startsWith('/')) return null;
  try {
    return new URL(raw, 'http://localhost');
  } catch {
    return null;
  }
}
