import type { Socket } from 'node:net';

/** What a connection carries once it is more than a plain request: a viewer, or a request held open for a picture. */
export type TransportKind = 'websocket' | 'mjpeg' | 'snapshot';

/** Transports that hold a viewer slot (clients.max). */
const VIEWER_KINDS: ReadonlySet<TransportKind> = new Set(['websocket', 'mjpeg']);

/** One address never holds more than this share of any kind of slot. */
const ADDRESS_SHARE_DIVISOR = 4;

/**
 * Requests parsed behind one still being answered; the first makes the connection close after
 * that answer, and beyond this many the connection is cut at once.
 */
const PIPELINED_TOLERANCE = 8;
/**
 * An address that floods pipelined requests gets its new connections refused this long: each
 * connection costs a whole read buffer of parsed requests, so reconnecting must not be free.
 */
const PIPELINING_PENALTY_MS = 10_000;
/** Addresses remembered for the penalty; beyond this the oldest are forgotten. */
const MAX_PENALIZED_ADDRESSES = 1024;

export type EndReason = 'shutdown' | 'session ended';

/** A transport as the registry drives it; each kind says how it ends and what its heartbeat does. */
export interface Transport {
  readonly kind: TransportKind;
  /** The session whose cookie opened it: logout and expiry end it, and watching keeps the session in use. */
  readonly sessionId?: string | undefined;
  readonly sessionExpiresAtMs?: number | undefined;
  end(reason: EndReason): void;
  /** Called once per heartbeat interval: ping a WebSocket, cut a stream whose peer stopped reading. */
  heartbeat(): void;
}

/** The session a transport belongs to, if a session cookie opened it. */
export type SessionBinding = Pick<Transport, 'sessionId' | 'sessionExpiresAtMs'>;

export interface ClientLimits {
  /** Open sockets in all: viewers, page loads, logins, handshakes. */
  maxConnections: number;
  /** WebSocket and MJPEG viewers (clients.max). */
  maxViewers: number;
  /** A new socket must finish its TLS handshake and first request within this, or is cut. */
  firstRequestMs: number;
  /** A keep-alive socket with nothing in flight is cut after this. */
  keepAliveMs: number;
  heartbeatMs: number;
}

export interface RegistryHooks {
  touchSession(sessionId: string): void;
  /** A refused connection or request, for the rate-limited refusal log. */
  refused(reason: string, address: string): void;
  /** The socket now carries a viewer's stream (its send buffer is capped here). */
  viewerSocket(socket: Socket): void;
}

/** How many slots of a pool one address may hold. */
function addressShare(slots: number): number {
  return Math.max(1, Math.ceil(slots / ADDRESS_SHARE_DIVISOR));
}

/** One accepted socket: at most one request in flight, then maybe a transport; idle ones are cut. */
export class ClientConnection {
  private current: Transport | undefined;
  private inFlight = false;
  private pipelined = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly socket: Socket,
    readonly address: string,
    private readonly limits: ClientLimits,
    private readonly hooks: RegistryHooks,
    private readonly onPipeliningFlood: () => void,
  ) {
    this.cutWhenIdleFor(limits.firstRequestMs);
  }

  get transport(): Transport | undefined {
    return this.current;
  }

  get busy(): boolean {
    return this.inFlight || this.current !== undefined;
  }

  /**
   * A request was parsed on this socket. True: answer it. False: it was pipelined behind one still
   * in flight and is left unanswered; the socket closes after the answer in flight (a pipelining
   * client retries what was not answered), so parsed requests cannot pile up.
   */
  beginRequest(): boolean {
    if (this.inFlight) {
      this.pipelined += 1;
      if (this.pipelined === 1) this.hooks.refused('pipelined requests', this.address);
      if (this.pipelined === PIPELINED_TOLERANCE + 1) {
        this.socket.destroy();
        this.onPipeliningFlood();
      }
      return false;
    }
    this.inFlight = true;
    clearTimeout(this.idleTimer);
    return true;
  }

  /** The answer in flight is finished (or its socket closed); its transport, if any, ends with it. */
  endRequest(): void {
    this.inFlight = false;
    this.current = undefined;
    if (this.pipelined > 0) this.socket.end();
    this.cutWhenIdleFor(this.limits.keepAliveMs);
  }

  /** The socket now carries a transport (an upgraded WebSocket, or the stream or picture of the request in flight). */
  attach(transport: Transport): void {
    clearTimeout(this.idleTimer);
    this.current = transport;
    if (VIEWER_KINDS.has(transport.kind)) this.hooks.viewerSocket(this.socket);
  }

  dispose(): void {
    clearTimeout(this.idleTimer);
    this.current = undefined;
  }

  private cutWhenIdleFor(ms: number): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (!this.busy) this.socket.destroy();
    }, ms).unref();
  }
}

/**
 * Every connected client, whatever its transport: owns the connection and viewer caps (a total
 * and a per-address share), session binding, heartbeats, the counts /metrics shows, and shutdown.
 */
export class ClientRegistry {
  private readonly connections = new Map<string, ClientConnection>();
  private readonly whenEmpty = new Set<() => void>();
  /** Address → until when its new connections are refused; in insertion order, so the oldest go first. */
  private readonly penalizedUntil = new Map<string, number>();
  private heartbeatTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limits: ClientLimits,
    private readonly hooks: RegistryHooks,
  ) {}

  /** Takes a new socket, or destroys it when the total or its address's share is used up. */
  admit(socket: Socket): ClientConnection | undefined {
    const address = socket.remoteAddress ?? 'unknown';
    const refusal = this.isPenalized(address)
      ? 'pipelining penalty'
      : this.refusal(address, this.limits.maxConnections, [...this.connections.values()]);
    if (refusal) {
      this.hooks.refused(`connection: ${refusal}`, address);
      socket.destroy();
      return undefined;
    }
    const key = socketKey(socket);
    const connection = new ClientConnection(socket, address, this.limits, this.hooks, () => this.penalize(address));
    this.connections.set(key, connection);
    socket.once('close', () => {
      connection.dispose();
      // a reconnect from the same port may already have taken the key
      if (this.connections.get(key) === connection) this.connections.delete(key);
      if (this.connections.size === 0) for (const resolve of this.whenEmpty) resolve();
    });
    return connection;
  }

  /** The connection a request or upgrade arrived on (a TLS socket maps to its TCP socket). */
  connectionOf(socket: Socket): ClientConnection | undefined {
    return this.connections.get(socketKey(socket));
  }

  /** Why a new viewer from this address is refused, or undefined when it may join. */
  viewerRefusal(address: string): 'full' | 'address share' | undefined {
    const viewers = [...this.connections.values()].filter((connection) => {
      const kind = connection.transport?.kind;
      return kind !== undefined && VIEWER_KINDS.has(kind);
    });
    return this.refusal(address, this.limits.maxViewers, viewers);
  }

  counts(): Record<TransportKind, number> & { connections: number } {
    const counts = { websocket: 0, mjpeg: 0, snapshot: 0, connections: this.connections.size };
    for (const connection of this.connections.values()) {
      const kind = connection.transport?.kind;
      if (kind !== undefined) counts[kind] += 1;
    }
    return counts;
  }

  /** Ends every transport of a session (logout, expiry, eviction). */
  endSession(sessionId: string): void {
    for (const transport of this.transports()) {
      if (transport.sessionId === sessionId) transport.end('session ended');
    }
  }

  startHeartbeat(): void {
    this.heartbeatTimer = setInterval(() => {
      const now = Date.now();
      for (const transport of this.transports()) {
        if (transport.sessionExpiresAtMs !== undefined && now >= transport.sessionExpiresAtMs) {
          transport.end('session ended');
          continue;
        }
        transport.heartbeat();
        // Watching counts as activity, so a long viewing does not hit the session's idle expiry.
        if (transport.sessionId !== undefined) this.hooks.touchSession(transport.sessionId);
      }
    }, this.limits.heartbeatMs);
  }

  /** Ends every transport (WebSockets with 1001), cuts every other socket, and resolves once all are closed or after graceMs. */
  async close(graceMs: number): Promise<void> {
    clearInterval(this.heartbeatTimer);
    const empty = new Promise<void>((resolve) => {
      if (this.connections.size === 0) resolve();
      else this.whenEmpty.add(resolve);
    });
    for (const connection of this.connections.values()) {
      if (connection.transport) connection.transport.end('shutdown');
      else connection.socket.destroy();
    }
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([empty, graceOver]);
    clearTimeout(timer);
    // A peer that never answers the close frame must not hold up the exit.
    for (const connection of this.connections.values()) connection.socket.destroy();
  }

  private penalize(address: string): void {
    this.penalizedUntil.delete(address);
    this.penalizedUntil.set(address, Date.now() + PIPELINING_PENALTY_MS);
    if (this.penalizedUntil.size > MAX_PENALIZED_ADDRESSES) this.penalizedUntil.delete(this.penalizedUntil.keys().next().value as string);
  }

  private isPenalized(address: string): boolean {
    const until = this.penalizedUntil.get(address);
    if (until === undefined) return false;
    if (Date.now() < until) return true;
    this.penalizedUntil.delete(address);
    return false;
  }

  /** The transports now attached, of one kind or of all. */
  *transports(kind?: TransportKind): Generator<Transport> {
    for (const connection of [...this.connections.values()]) {
      const transport = connection.transport;
      if (transport && (kind === undefined || transport.kind === kind)) yield transport;
    }
  }

  private refusal(address: string, slots: number, holders: ClientConnection[]): 'full' | 'address share' | undefined {
    if (holders.length >= slots) return 'full';
    const fromAddress = holders.filter((holder) => holder.address === address).length;
    return fromAddress >= addressShare(slots) ? 'address share' : undefined;
  }
}

// TLS sockets report their TCP socket's peer, so a request on either finds the same entry.
function socketKey(socket: Socket): string {
  return `${socket.remoteAddress ?? ''}|${socket.remotePort ?? ''}`;
}
