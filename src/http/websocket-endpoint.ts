import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { retryAfterHeaders, type Authenticator } from '../auth/authenticator.js';
import type { FrameHub } from '../hub/frame-hub.js';
import type { Logger } from '../log.js';
import { MAX_CLIENT_MESSAGE_BYTES, type HelloMessage } from '../protocol/messages.js';
import type { ClientRegistry } from './client-registry.js';
import { ReasonedWebSocket } from './reasoned-websocket.js';
import type { RefusalLog } from './refusal-log.js';
import { refusalResponse } from './respond.js';
import type { RouteTable } from './routes.js';
import { parseRequestUrl } from './request-url.js';
import { ViewerConnection } from './viewer-connection.js';

export interface WebSocketEndpointDependencies {
  routes: RouteTable;
  authenticator: Authenticator;
  clients: ClientRegistry;
  refusals: RefusalLog;
  hub: FrameHub;
  hello: () => HelloMessage;
  log: Logger;
}

/** GET /ws with Upgrade: checks the path, credentials, Origin and the viewer caps, then hands the socket to a ViewerConnection. */
export class WebSocketEndpoint {
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: MAX_CLIENT_MESSAGE_BYTES,
    clientTracking: false,
    WebSocket: ReasonedWebSocket,
  });

  constructor(private readonly deps: WebSocketEndpointDependencies) {}

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const { clients, refusals, authenticator, log } = this.deps;
    socket.on('error', () => socket.destroy());
    // Upgrades arrive on net.Socket or tls.TLSSocket; both are net.Socket.
    const tcp = socket as Socket;
    const connection = clients.connectionOf(tcp);
    // An upgrade pipelined behind a request still being answered is not taken.
    if (!connection || connection.busy) {
      socket.destroy();
      return;
    }
    const refuse = (status: number, extra: Record<string, string> = {}) => {
      refusals.count(`upgrade ${status}`, connection.address);
      socket.end(refusalResponse(status, STATUS_CODES[status] ?? 'Refused', extra));
    };
    const url = parseRequestUrl(req.url);
    if (!url || !this.deps.routes.acceptsUpgrade(url.pathname)) return refuse(404);
    const decision = authenticator.authorizeUpgrade(req);
    if (!decision.ok) return refuse(decision.status, retryAfterHeaders(decision));
    if (clients.viewerRefusal(connection.address)) return refuse(503, { 'Retry-After': '5' });
    const { sessionId, sessionExpiresAtMs } = decision.principal;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      tcp.setNoDelay(true);
      const viewer = new ViewerConnection(
        ws,
        tcp,
        this.deps.hello(),
        this.deps.hub,
        { remoteAddress: connection.address, sessionId, sessionExpiresAtMs },
        log,
      );
      connection.attach(viewer);
      log.info({ remote: connection.address, viewers: clients.counts().websocket }, 'viewer joined');
    });
  }

  /** Sends every WebSocket viewer a new hello, when a reload changed the streams' format. */
  announceHello(hello: HelloMessage): void {
    for (const transport of this.deps.clients.transports('websocket')) {
      if (transport instanceof ViewerConnection) transport.sendHello(hello);
    }
  }
}
