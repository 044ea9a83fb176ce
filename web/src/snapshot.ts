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
  download(new Blob([frame.jpeg], { type: 'image/jpeg' }), frame.captureTimeMs);
}

/** Downloads the picture on screen (an H.264 path's canvas or `<video>`) as a JPEG. */
export function downloadPicture(source: HTMLCanvasElement | HTMLVideoElement, captureTimeMs: number): void {
  let canvas: HTMLCanvasElement;
  if (source instanceof HTMLCanvasElement) canvas = source;
  else {
    canvas = document.createElement('canvas');
    canvas.width = source.videoWidth;
    canvas.height = source.videoHeight;
    canvas.getContext('2d')?.drawImage(source, 0, 0);
  }
  canvas.toBlob((blob) => blob && download(blob, captureTimeMs), 'image/jpeg', 0.92);
}

function download(blob: Blob, captureTimeMs: number): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = snapshotFileName(captureTimeMs);
  document.body.append(link);
  link.click();
  link.remove();
  // The download has taken its copy by the next task; a minute is generous for slow browsers.
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
