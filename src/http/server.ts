import { createServer as createHttpServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { CaptureController } from '../capture/capture-controller.js';
import type { Config } from '../config/schema.js';
import type { FrameHub } from '../hub/frame-hub.js';
import type { Logger } from '../log.js';
import { MAX_CLIENT_MESSAGE_BYTES, type HelloMessage } from '../protocol/messages.js';
import { retryAfterHeaders, type Authenticator, type Principal } from '../auth/authenticator.js';
import { ClientRegistry, type ClientConnection } from './client-registry.js';
import { readJsonBody } from './json-body.js';
import { serveMjpegStream } from './mjpeg-stream.js';
import { ReasonedWebSocket } from './reasoned-websocket.js';
import { RefusalLog } from './refusal-log.js';
import { refusalResponse, SECURITY_HEADERS, sendJson, sendText } from './respond.js';
import { serveSnapshot, snapshotTransport } from './snapshot.js';
import { sendStaticFile, StaticFiles } from './static-files.js';
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
 * first-request deadline this bounds what half-open requests and upgrades can hold.
 */
const SPARE_CONNECTIONS = 64;
/** A new socket's TLS handshake and first request headers must arrive within this (the headers timeout too). */
const FIRST_REQUEST_MS = 10_000;
/** A keep-alive socket with no request is closed after this. */
const KEEP_ALIVE_MS = 5000;
/** How long shutdown waits for WebSocket peers to answer the close frame. */
const SHUTDOWN_GRACE_MS = 1500;

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
    WebSocket: ReasonedWebSocket,
  });
  private readonly clients: ClientRegistry;
  private readonly refusals: RefusalLog;
  private readonly staticFiles: StaticFiles;

  constructor(private readonly deps: ServerDependencies) {
    this.staticFiles = new StaticFiles(deps.webRoot);
    this.refusals = new RefusalLog(deps.log);
    this.clients = new ClientRegistry(
      {
        maxConnections: deps.config.clients.max + SPARE_CONNECTIONS,
        maxViewers: deps.config.clients.max,
        firstRequestMs: FIRST_REQUEST_MS,
        keepAliveMs: KEEP_ALIVE_MS,
        heartbeatMs: deps.config.clients.heartbeatSeconds * 1000,
      },
      {
        touchSession: (sessionId) => deps.authenticator.touchSession(sessionId),
        refused: (reason, address) => this.refusals.count(reason, address),
      },
    );
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      const connection = this.clients.connectionOf(req.socket as Socket);
      if (!connection) {
        res.destroy();
        return;
      }
      if (!connection.beginRequest()) return;
      res.once('close', () => {
        connection.endRequest();
        if (res.statusCode >= 400) this.refusals.count(`request ${res.statusCode}`, connection.address);
      });
      this.handleRequest(req, res, connection).catch((error: unknown) => {
        deps.log.error({ err: error instanceof Error ? error.stack : String(error), path: parseRequestUrl(req.url)?.pathname }, 'request failed');
        if (!res.headersSent) sendText(res, 500, 'internal error\n');
        else res.destroy();
      });
    };
    // Slowloris: a request must finish its headers and body in bounded time, checked every second.
    const limits = {
      headersTimeout: FIRST_REQUEST_MS,
      requestTimeout: 30_000,
      connectionsCheckingInterval: 1000,
      keepAliveTimeout: KEEP_ALIVE_MS,
      maxHeaderSize: 16384,
    };
    this.server = deps.tls
      ? createHttpsServer({ ...limits, handshakeTimeout: FIRST_REQUEST_MS, cert: deps.tls.cert, key: deps.tls.key }, handler)
      : createHttpServer(limits, handler);
    this.server.maxHeadersCount = 64;
    // Under TLS this is the TCP socket, before any handshake, so unfinished handshakes hold slots and deadlines too.
    this.server.on('connection', (socket: Socket) => this.clients.admit(socket));
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.handleUpgrade(req, socket, head));
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
      const [status, reason] =
        error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout'] : error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : [400, 'Bad Request'];
      if (socket.writable) socket.end(refusalResponse(status, reason));
      else socket.destroy();
      this.refusals.count(`bad request ${status}`, (socket as Socket).remoteAddress ?? 'unknown');
    });
  }

  listen(): Promise<AddressInfo> {
    const { host, port } = this.deps.config.server;
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        this.clients.startHeartbeat();
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Ends every viewer with 1001 and every stream, cuts every other socket, and stops listening. */
  async close(): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.clients.close(SHUTDOWN_GRACE_MS);
    this.server.closeAllConnections();
    this.refusals.flush();
    await stopped;
  }

  private async handleRequest(req: IncomingMessage, res: ServerResponse, connection: ClientConnection): Promise<void> {
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
    let principal: Principal | undefined;
    if (protectedPath) {
      const decision = this.deps.authenticator.authenticate(req);
      if (!decision.ok) {
        sendText(res, decision.status, decision.status === 429 ? 'too many failed attempts\n' : 'authentication required\n', retryAfterHeaders(decision));
        return;
      }
      principal = decision.principal;
    }
    const owner = { sessionId: principal?.sessionId, sessionExpiresAtMs: principal?.sessionExpiresAtMs };
    switch (url.pathname) {
      case '/healthz': {
        const report = healthReport(this.deps.hub, this.deps.capture);
        sendJson(res, report.status === 'ok' ? 200 : 503, report);
        return;
      }
      case '/metrics':
        sendText(res, 200, prometheusMetrics(this.deps.hub, this.deps.capture, this.clients.counts()), {
          'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
        });
        return;
      case '/snapshot.jpg':
        connection.attach(snapshotTransport(res, owner));
        await serveSnapshot(res, this.deps.hub, this.deps.capture, method === 'HEAD');
        return;
      case '/stream.mjpg': {
        if (this.clients.viewerRefusal(connection.address)) {
          sendText(res, 503, 'too many viewers\n', { 'Retry-After': '5' });
          return;
        }
        const stream = serveMjpegStream(req, res, this.deps.hub, owner, this.deps.log);
        if (stream) connection.attach(stream);
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
    const found = this.staticFiles.find(url.pathname);
    if (!found.ok) {
      sendText(res, found.status, found.status === 404 ? 'not found\n' : 'bad request\n');
      return;
    }
    sendStaticFile(req, res, found.file, SECURITY_HEADERS);
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
      // 429s are counted by the refusal log like every other refusal; a wrong password is worth its own line
      if (result.status === 401) this.deps.log.info({ remote: req.socket.remoteAddress, status: result.status }, 'login refused');
      sendJson(res, result.status, { error: result.message }, retry);
      return;
    }
    this.deps.log.info({ remote: req.socket.remoteAddress, kind: result.principal.kind, username: result.principal.username }, 'login');
    res.writeHead(204, { ...SECURITY_HEADERS, 'Cache-Control': 'no-store', ...(result.cookie ? { 'Set-Cookie': result.cookie } : {}) });
    res.end();
  }

  private handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    // Upgrades arrive on net.Socket or tls.TLSSocket; both are net.Socket.
    const tcp = socket as Socket;
    const connection = this.clients.connectionOf(tcp);
    // An upgrade pipelined behind a request still being answered is not taken.
    if (!connection || connection.busy) {
      socket.destroy();
      return;
    }
    const refuse = (status: number, extra: Record<string, string> = {}) => {
      this.refusals.count(`upgrade ${status}`, connection.address);
      socket.end(refusalResponse(status, STATUS_CODES[status] ?? 'Refused', extra));
    };
    const url = parseRequestUrl(req.url);
    if (!url || url.pathname !== '/ws') return refuse(404);
    const decision = this.deps.authenticator.authorizeUpgrade(req);
    if (!decision.ok) return refuse(decision.status, retryAfterHeaders(decision));
    if (this.clients.viewerRefusal(connection.address)) return refuse(503, { 'Retry-After': '5' });
    const { sessionId, sessionExpiresAtMs } = decision.principal;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      tcp.setNoDelay(true);
      const viewer = new ViewerConnection(
        ws,
        tcp,
        this.deps.hello(),
        this.deps.hub,
        { remoteAddress: connection.address, sessionId, sessionExpiresAtMs },
        this.deps.log,
      );
      connection.attach(viewer);
      this.deps.log.info({ remote: connection.address, viewers: this.clients.counts().websocket }, 'viewer joined');
    });
  }

  /** Sends every WebSocket viewer a new hello, when a reload changed the streams' format. */
  announceHello(hello: HelloMessage): void {
    for (const transport of this.clients.transports('websocket')) {
      if (transport instanceof ViewerConnection) transport.sendHello(hello);
    }
  }

  /** Ends every transport of a session that ended (logout, expiry): WebSockets, MJPEG streams, snapshot waits. */
  closeSession(sessionId: string): void {
    this.clients.endSession(sessionId);
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
