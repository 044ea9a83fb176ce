import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { CaptureController } from '../capture/capture-controller.js';
import type { Config } from '../config/schema.js';
import type { FrameHub } from '../hub/frame-hub.js';
import type { Logger } from '../log.js';
import type { HelloMessage } from '../protocol/messages.js';
import { retryAfterHeaders, type Authenticator, type Principal } from '../auth/authenticator.js';
import { ClientRegistry, type ClientConnection } from './client-registry.js';
import { RefusalLog } from './refusal-log.js';
import { capSendBuffer } from './send-buffer.js';
import { parseRequestUrl } from './request-url.js';
import { refusalResponse, sendText } from './respond.js';
import type { RouteTable } from './routes.js';
import { StaticFiles } from './static-files.js';
import { WebSocketEndpoint } from './websocket-endpoint.js';
import { wscamRoutes } from './wscam-routes.js';
import { describeBug } from '../describe-error.js';

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
  private readonly clients: ClientRegistry;
  private readonly refusals: RefusalLog;
  private readonly routes: RouteTable;
  private readonly webSocket: WebSocketEndpoint;
  private listening: AddressInfo | undefined;
  private sendBufferCapFailed = false;

  constructor(private readonly deps: ServerDependencies) {
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
        viewerSocket: (socket) => this.capSendBuffer(socket),
      },
    );
    this.routes = wscamRoutes({
      hub: deps.hub,
      capture: deps.capture,
      authenticator: deps.authenticator,
      clients: this.clients,
      staticFiles: new StaticFiles(deps.webRoot),
      log: deps.log,
    });
    this.webSocket = new WebSocketEndpoint({
      routes: this.routes,
      authenticator: deps.authenticator,
      clients: this.clients,
      refusals: this.refusals,
      hub: deps.hub,
      hello: deps.hello,
      log: deps.log,
    });
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      const connection = this.clients.connectionOf(req.socket);
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
        deps.log.error({ err: describeBug(error), path: parseRequestUrl(req.url)?.pathname }, 'request failed');
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
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.webSocket.handleUpgrade(req, socket, head));
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
      const [status, reason] =
        error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout']
          : error.code === 'HPE_HEADER_OVERFLOW'
            ? [431, 'Request Header Fields Too Large']
            : [400, 'Bad Request'];
      if (socket.writable) socket.end(refusalResponse(status, reason));
      else socket.destroy();
      this.refusals.count(`bad request ${status}`, (socket as Socket).remoteAddress ?? 'unknown');
    });
  }

  /** Listens on server.host:server.port and starts the heartbeat. */
  start(): Promise<void> {
    const { host, port } = this.deps.config.server;
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        this.clients.startHeartbeat();
        this.listening = this.server.address() as AddressInfo;
        resolve();
      });
    });
  }

  /** Where the server listens; only after start. */
  get address(): AddressInfo {
    if (!this.listening) throw new Error('WscamServer.address read before start');
    return this.listening;
  }

  /** Ends every viewer with 1001 and every stream, cuts every other socket, and stops listening. */
  async stop(): Promise<void> {
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
    const decision = this.routes.decide(url.pathname, method);
    if (!decision.ok) {
      sendText(res, decision.status, 'method not allowed\n', { Allow: decision.allow });
      return;
    }
    const { route } = decision;
    let principal: Principal | undefined;
    if (route.auth === 'credentials') {
      const auth = this.deps.authenticator.authenticate(req);
      if (!auth.ok) {
        sendText(
          res,
          auth.status,
          auth.status === 429 ? 'too many failed attempts\n' : 'authentication required\n',
          retryAfterHeaders(auth),
        );
        return;
      }
      principal = auth.principal;
    }
    await route.handler({ req, res, url, head: method === 'HEAD', connection, principal });
  }

  /** Sends every WebSocket viewer a new hello, when a reload changed the streams' format. */
  announceHello(hello: HelloMessage): void {
    this.webSocket.announceHello(hello);
  }

  /** A viewer on a slow link must fill its send buffer soon, so the hub skips frames for it instead of queueing seconds of them. */
  private capSendBuffer(socket: Socket): void {
    const capped = capSendBuffer(socket);
    if (capped.ok || this.sendBufferCapFailed) return;
    this.sendBufferCapFailed = true;
    this.deps.log.warn({ error: capped.error }, 'cannot cap viewer send buffers: a viewer on a slow link gets frames late before it skips');
  }

  /** Ends every transport of a session that ended (logout, expiry): WebSockets, MJPEG streams, snapshot waits. */
  closeSession(sessionId: string): void {
    this.clients.endSession(sessionId);
  }
}
