import { pad2 } from './dom.js';
import type { VideoFrame } from './video-renderer.js';

/** `wscam-YYYYMMDD-HHMMSS.jpg` in the viewer's local time of the frame's capture. */
export function snapshotFileName(captureTimeMs: number): string {
  const t = new Date(captureTimeMs);
  const date = `${t.getFullYear()}${pad2(t.getMonth() + 1)}${pad2(t.getDate())}`;
  const time = `${pad2(t.getHours())}${pad2(t.getMinutes())}${pad2(t.getSeconds())}`;
  return `wscam-${date}-${time}.jpg`;
}

/** Downloads the frame's original JPEG bytes, no re-encoding. */
export function downloadSnapshot(frame: VideoFrame): void {
  const url = URL.createObjectURL(new Blob([frame.jpeg], { type: 'image/jpeg' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = snapshotFileName(frame.captureTimeMs);
  document.body.append(link);
  link.click();
  link.remove();
  // The download has taken its copy by the next task; a minute is generous for slow browsers.
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
