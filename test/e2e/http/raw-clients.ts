import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { RunningDaemon } from '../../helpers/daemon.js';

/** The loopback address that plays a second host on the LAN. */
export const OTHER_HOST = '127.0.0.2';

/** Sends raw bytes and resolves with everything the daemon answers until it closes (bounded). */
export function rawExchange(port: number, request: string | Buffer, timeoutMs = 5000, localAddress?: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
    let answer = '';
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (data) => {
      answer += data.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.write(request);
  });
}

/**
 * Opens a socket and resolves once it is connected (or closed by the daemon at once). It reads and
 * drops what arrives, so the daemon closing it is seen as 'close'; pause() it to play a stalled peer.
 */
export function openSocket(port: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) }, () => resolve(socket));
    socket.resume();
    socket.on('error', () => resolve(socket));
  });
}

/** Resolves when the socket is closed by the far end, or false after timeoutMs. */
export function closedWithin(socket: Socket, timeoutMs: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Polls condition every 100 ms until it holds; throws after timeoutMs naming what was awaited. */
export async function until(condition: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The daemon's resident memory in MiB, from /proc. */
export function rssMiB(daemon: RunningDaemon): number {
  const status = readFileSync(`/proc/${daemon.child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
}

/** wscam_clients gauges from /metrics, by transport. */
export async function clientGauges(daemon: RunningDaemon, headers: Record<string, string> = {}): Promise<Record<string, number>> {
  const text = await (await fetch(`${daemon.baseUrl}/metrics`, { headers })).text();
  const gauges: Record<string, number> = {};
  for (const match of text.matchAll(/^wscam_clients\{transport="(\w+)"\} (\d+)$/gm)) gauges[match[1]!] = Number(match[2]);
  return gauges;
}

/** GET /healthz on a fresh connection; the status, or 0 when unanswered within timeoutMs. */
export async function probeHealth(daemon: RunningDaemon, timeoutMs: number): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  const answer = await rawExchange(daemon.port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', timeoutMs);
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0), ms: Date.now() - started };
}

/**
 * Keeps `connections` sockets from localAddress writing pipelined copies of `request` without ever
 * reading, reconnecting whenever the daemon cuts one; stop() ends them and says how many were opened.
 */
export function pipelineFlood(
  port: number,
  request: string,
  connections: number,
  localAddress: string,
): { stop: () => { opened: number } } {
  const batch = Buffer.from(request.repeat(1000));
  const sockets = new Set<Socket>();
  let stopped = false;
  let opened = 0;
  const open = () => {
    if (stopped) return;
    opened += 1;
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    socket.pause();
    sockets.add(socket);
    const pump = () => {
      // at most 150 batches a turn; the next turn waits for the daemon to take them
      for (let written = 0; written < 150 && !stopped && !socket.destroyed; written += 1) {
        if (!socket.write(batch)) return;
      }
    };
    socket.on('connect', pump);
    socket.on('drain', pump);
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      setTimeout(open, 10);
    });
  };
  for (let index = 0; index < connections; index += 1) open();
  return {
    stop: () => {
      stopped = true;
      for (const socket of sockets) socket.destroy();
      return { opened };
    },
  };
}
