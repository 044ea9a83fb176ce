import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FrameHub } from '../hub/frame-hub.js';
import { MJPEG_BOUNDARY } from '../hub/shared-chunk.js';
import type { Logger } from '../log.js';
import { ChunkKind } from '../protocol/header.js';
import { SECURITY_HEADERS } from './respond.js';

/**
 * GET /stream.mjpg for VLC, ffplay and Home Assistant: multipart/x-mixed-replace fed by the hub
 * with the same newest-frame policy as WebSocket viewers.
 */
export function serveMjpegStream(req: IncomingMessage, res: ServerResponse, hub: FrameHub, log: Logger): () => void {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': `multipart/x-mixed-replace; boundary=${MJPEG_BOUNDARY}`,
    'Cache-Control': 'no-store, no-cache, must-revalidate',
    Pragma: 'no-cache',
    Connection: 'close',
  });
  if (req.method === 'HEAD') {
    res.end();
    return () => {};
  }
  res.socket?.setNoDelay(true);
  const viewer = hub.attach({
    bufferedBytes: () => res.writableLength,
    write: (chunk) => {
      res.write(chunk.mjpegPart());
    },
    wants: (kind) => kind === ChunkKind.Jpeg,
    whenDrained: (callback) => res.once('drain', callback),
  });
  const latest = hub.latest(ChunkKind.Jpeg);
  if (latest) viewer.offer(latest);
  log.info({ remote: req.socket.remoteAddress }, 'mjpeg viewer joined');
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    hub.detach(viewer);
    log.info({ remote: req.socket.remoteAddress, ...viewer.counters }, 'mjpeg viewer left');
  };
  res.on('close', end);
  return () => {
    end();
    res.end();
  };
}
