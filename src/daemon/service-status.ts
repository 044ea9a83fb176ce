import type { CaptureController, SourceHealth } from '../capture/capture-controller.js';
import type { FrameHub } from '../hub/frame-hub.js';
import type { ServiceNotifier } from './service-notifier.js';

/** How often STATUS= is recomputed (and sent only when it changed), besides every viewer change. */
const STATUS_POLL_MS = 1000;

/** The one-line STATUS= systemd shows in `systemctl status`: viewers and what capture is doing. */
function serviceStatus(viewers: number, health: { video: SourceHealth; audio: SourceHealth | null }): string {
  const parts = [`${viewers} ${viewers === 1 ? 'viewer' : 'viewers'}`, `camera ${describe(health.video)}`];
  if (health.audio) parts.push(`microphone ${describe(health.audio)}`);
  return parts.join('; ');
}

/** Sends READY=1 with the status now, then STATUS= whenever it changes; returns the function that stops the updates. */
export function reportReadyAndStatus(notifier: ServiceNotifier, hub: FrameHub, capture: CaptureController): () => void {
  const current = () => serviceStatus(hub.viewerCount, capture.health());
  notifier.ready(current());
  const update = () => notifier.status(current());
  hub.on('viewers', update);
  const poll = setInterval(update, STATUS_POLL_MS);
  poll.unref();
  return () => {
    clearInterval(poll);
    hub.off('viewers', update);
  };
}

function describe(source: SourceHealth): string {
  return source.reason ? `${source.state}: ${source.reason}` : source.state;
}
