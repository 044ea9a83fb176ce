// The part of jMuxer's API the MSE path uses (its ES source, which bundles without Node's stream module).
declare module 'jmuxer/src/jmuxer.js' {
  export interface JMuxerOptions {
    node: HTMLVideoElement;
    mode: 'video';
    /** 0: append each fragment as it is made. */
    flushingTime: number;
    /** jMuxer's own jump to the buffered end (checked once a second when flushingTime is 0). */
    maxDelay: number;
    clearBuffer: boolean;
    fps: number;
    onReady?: () => void;
    onError?: (data: { type: string; name: string; error: string }) => void;
    onUnsupportedCodec?: (codec: string) => void;
  }
  export interface JMuxerFeed {
    video: Uint8Array;
    /** Milliseconds this access unit is shown; given, jMuxer emits the frame at once instead of holding it back. */
    duration: number;
    /** The feed ends on a whole access unit, so its last NAL unit is not kept back for the next one. */
    isLastVideoFrameComplete: boolean;
  }
  export default class JMuxer {
    constructor(options: JMuxerOptions);
    feed(data: JMuxerFeed): void;
    destroy(): void;
  }
}
