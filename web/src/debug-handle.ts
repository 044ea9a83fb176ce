import type { HelloMessage } from '../../src/protocol/messages.js';
import type { AudioPlayerStats } from './audio-player.js';
import type { StreamStats } from './stats.js';
import type { ViewerState } from './viewer-state.js';

/**
 * `window.wscam`: a small read-only handle for tests and for curious people in the devtools console.
 * `analyser` and `audioContext` are null until "Sound on".
 */
export interface WscamDebugHandle {
  state(): ViewerState;
  readonly analyser: AnalyserNode | null;
  readonly audioContext: AudioContext | null;
  stats(): StreamStats & { hello: HelloMessage | null; audio: AudioPlayerStats; audioCodec: string | null };
}

declare global {
  interface Window {
    wscam: WscamDebugHandle;
  }
}
