import type { VideoDescription } from '../../src/protocol/messages.js';

/** How the page shows video: H.264 through WebCodecs to the canvas, H.264 through MSE to a `<video>`, or JPEGs. */
export type VideoPath = 'webcodecs' | 'mse' | 'jpeg';

/** What this browser can decode for the stream on offer. */
export interface PathSupport {
  webcodecs: boolean;
  mse: boolean;
}

const paths: readonly VideoPath[] = ['webcodecs', 'mse', 'jpeg'];

/** `?video=webcodecs|mse|jpeg` forces a path (for tests and for trying one out); anything else is ignored. */
export function forcedPath(search: string): VideoPath | null {
  const value = new URLSearchParams(search).get('video');
  return paths.find((path) => path === value) ?? null;
}

/** The best path this browser has for the stream; a forced path wins when the browser can take it. */
export function choosePath(video: VideoDescription, support: PathSupport, forced: VideoPath | null): VideoPath {
  if (video.codec === 'jpeg') return 'jpeg';
  const usable = (path: VideoPath) => path === 'jpeg' || support[path];
  if (forced && usable(forced)) return forced;
  return paths.find(usable) ?? 'jpeg';
}

export function pathLabel(path: VideoPath): string {
  switch (path) {
    case 'webcodecs':
      return 'H.264 · WebCodecs';
    case 'mse':
      return 'H.264 · MSE';
    case 'jpeg':
      return 'JPEG';
  }
}
