import type { SourceHealth } from '../capture/capture-controller.js';

/** The one-line STATUS= systemd shows in `systemctl status`: viewers and what capture is doing. */
export function serviceStatus(viewers: number, health: { video: SourceHealth; audio: SourceHealth | null }): string {
  const parts = [`${viewers} ${viewers === 1 ? 'viewer' : 'viewers'}`, `camera ${describe(health.video)}`];
  if (health.audio) parts.push(`microphone ${describe(health.audio)}`);
  return parts.join('; ');
}

function describe(source: SourceHealth): string {
  return source.reason ? `${source.state}: ${source.reason}` : source.state;
}
