import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FrameHub } from '../hub/frame-hub.js';
import type { Logger } from '../log.js';
import { ChunkKind } from '../protocol/header.js';
import type { SessionBinding, Transport } from './client-registry.js';
import { MJPEG_BOUNDARY, mjpegPart } from './mjpeg-part.js';
import { SECURITY_HEADERS } from './respond.js';

/** Heartbeats in a row with bytes queued and nothing sent before a stream's peer counts as gone. */
const STALLED_HEARTBEATS = 2;

/**
 * GET /stream.mjpg for VLC, ffplay and Home Assistant: multipart/x-mixed-replace fed by the hub
 * with the same newest-frame policy as WebSocket viewers. Returns the stream as a transport for
 * the registry, or undefined for HEAD (headers only).
 */
export function serveMjpegStream(
  req: IncomingMessage,
  res: ServerResponse,
  hub: FrameHub,
  owner: SessionBinding,
  log: Logger,
): Transport | undefined {
  // No chunked coding: the body runs until the connection closes, so each part goes to the socket as
  // it is, one write of the shared buffer (chunked coding made every part a corked writev of three).
  res.removeHeader('Transfer-Encoding');
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': `multipart/x-mixed-replace; boundary=${MJPEG_BOUNDARY}`,
    'Cache-Control': 'no-store, no-cache, must-revalidate',
    Pragma: 'no-cache',
    Connection: 'close',
  });
  const socket = res.socket;
  if (req.method === 'HEAD' || socket === null) {
    res.end();
    return undefined;
  }
  // The head goes out now, so the parts written to the socket after it cannot overtake it.
  res.flushHeaders();
  socket.setNoDelay(true);
  const viewer = hub.attach({
    bufferedBytes: () => socket.writableLength,
    write: (chunk) => {
      // Ended (shutdown) or cut: the hub detaches on close, a frame may still come before it.
      if (!socket.writable) return 0;
      return chunk.writeTo(socket, mjpegPart);
    },
    wants: (kind) => kind === ChunkKind.Jpeg,
    whenDrained: (callback) => socket.once('drain', callback),
    disconnect: (reason) => {
      log.info({ remote: req.socket.remoteAddress, reason }, 'mjpeg viewer stuck over its send limit: cut');
      res.destroy();
    },
  });
  const latest = hub.latest(ChunkKind.Jpeg);
  if (latest) viewer.offer(latest);
  const remote = req.socket.remoteAddress;
  log.info({ remote }, 'mjpeg viewer joined');
  res.once('close', () => {
    hub.detach(viewer);
    log.info({ remote, ...viewer.counters }, 'mjpeg viewer left');
  });
  let stalled = 0;
  let sentAtLastBeat = -1;
  return {
    kind: 'mjpeg',
    sessionId: owner.sessionId,
    sessionExpiresAtMs: owner.sessionExpiresAtMs,
    end: (reason) => {
      // At shutdown the multipart body is finished cleanly; a stream whose session ended is cut at once.
      if (reason === 'shutdown') res.end();
      else res.destroy();
    },
    heartbeat: () => {
      // The hub sends only while the queue has room, so a send since the last beat means the peer reads.
      const progressed = socket.writableLength === 0 || viewer.counters.sent !== sentAtLastBeat;
      sentAtLastBeat = viewer.counters.sent;
      stalled = progressed ? 0 : stalled + 1;
      if (stalled < STALLED_HEARTBEATS) return;
      log.info({ remote }, 'mjpeg viewer stopped reading: cut');
      res.destroy();
    },
  };
}
