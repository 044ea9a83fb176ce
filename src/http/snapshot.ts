import type { ServerResponse } from 'node:http';
import type { CaptureController } from '../capture/capture-controller.js';
import type { FrameHub } from '../hub/frame-hub.js';
import { ChunkKind } from '../protocol/header.js';
import type { SessionBinding, Transport } from './client-registry.js';
import { SECURITY_HEADERS, sendText } from './respond.js';

/** A kept frame younger than this is current enough for a snapshot. */
const FRESH_FRAME_US = 1_000_000;
/** A camera on a small board may take a few seconds to give its first frame. */
const SNAPSHOT_WAIT_MS = 10_000;

/** GET /snapshot.jpg: the latest frame, starting capture for it when nobody is watching. */
export async function serveSnapshot(res: ServerResponse, hub: FrameHub, capture: CaptureController, head: boolean): Promise<void> {
  const release = capture.acquire();
  try {
    const latest = hub.latest(ChunkKind.Jpeg);
    const nowUs = Date.now() * 1000;
    const frame =
      latest && capture.isRunning && nowUs - latest.captureTimeUs < FRESH_FRAME_US
        ? latest
        : await hub.next(ChunkKind.Jpeg, SNAPSHOT_WAIT_MS);
    if (res.destroyed) return;
    if (!frame) {
      sendText(res, 503, 'no frame from the camera yet\n', { 'Retry-After': '1' });
      return;
    }
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'image/jpeg',
      'Content-Length': String(frame.payload.length),
      'Cache-Control': 'no-store',
      'X-Timestamp': (frame.captureTimeUs / 1e6).toFixed(6),
    });
    res.end(head ? undefined : frame.payload);
  } finally {
    release();
  }
}

/** A snapshot request waiting for its frame, as the registry sees it: cut at shutdown and when its session ends. */
export function snapshotTransport(res: ServerResponse, owner: SessionBinding): Transport {
  return {
    kind: 'snapshot',
    sessionId: owner.sessionId,
    sessionExpiresAtMs: owner.sessionExpiresAtMs,
    end: () => res.destroy(),
    // it waits at most SNAPSHOT_WAIT_MS: nothing to check
    heartbeat: () => {},
  };
}
