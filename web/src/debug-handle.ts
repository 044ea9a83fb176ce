import type { HelloMessage } from '../../src/protocol/messages.js';
import type { AudioPlayerStats } from './audio-player.js';
import type { H264Stats } from './h264-video.js';
import type { StreamStats } from './stats.js';
import type { VideoPath } from './video-path.js';
import type { ViewerState } from './viewer-state.js';

/** The video path of the current hello (null while it is being chosen) and how it fares. */
export interface VideoStats extends H264Stats {
  path: VideoPath | null;
  /** Hello to the first displayed frame, ms; null until one is displayed. */
  firstPictureMs: number | null;
}

/**
 * `window.wscam`: a small read-only handle for tests and for curious people in the devtools console.
 * `analyser` and `audioContext` are null until "Sound on".
 */
export interface WscamDebugHandle {
  state(): ViewerState;
  readonly analyser: AnalyserNode | null;
  readonly audioContext: AudioContext | null;
  stats(): StreamStats & { hello: HelloMessage | null; video: VideoStats; audio: AudioPlayerStats; audioCodec: string | null };
}

declare global {
  interface Window {
    wscam: WscamDebugHandle;
  }
}
