import JMuxer from 'jmuxer/src/jmuxer.js';
import type { H264Player, H264PlayerEvents } from './h264-player.js';
import { LatestGop } from './latest-gop.js';
import { liveEdgeAction } from './live-edge.js';
import { wallClockMs } from './stats.js';

interface MediaFrame {
  /** Presentation time on the `<video>`'s timeline, ms. */
  startMs: number;
  captureTimeMs: number;
}

// jMuxer's own jump to the buffered end stays as a backstop far behind ours (live-edge.ts).
const jmuxerMaxDelayMs = 1000;
// Frames waiting for the MediaSource to open or to be reported on screen; a `<video>` that never opens or
// stopped presenting (stalled, backgrounded) cannot grow either past this.
const maxPendingFrames = 600;

/**
 * H.264 through MSE: jMuxer wraps each access unit in a fragmented-MP4 fragment for a muted `<video>`
 * (ManagedMediaSource on iOS Safari, which has no MediaSource). Each access unit lasts one frame at
 * the hello's fps, so frame n starts at n frames on the media timeline; that map from media time to
 * capture time gives the latency of each frame `requestVideoFrameCallback` reports on screen.
 */
export class MsePlayer implements H264Player {
  private readonly muxer: JMuxer;
  private readonly frameMs: number;
  private readonly frames: MediaFrame[] = [];
  private nextStartMs = 0;
  private lastShownStartMs = -1;
  private frameCallback = 0;
  private closed = false;
  // jMuxer makes its SourceBuffer only if the MediaSource is open when the first fragment is ready, so
  // access units wait for that (from their newest keyframe on).
  private opened = false;
  private readonly beforeOpen = new LatestGop<{ accessUnit: Uint8Array<ArrayBuffer>; captureTimeMs: number }>(maxPendingFrames);
  private readonly onVideoError = () => {
    const error = this.video.error;
    this.events.onDecoderError(`video element: ${error ? `${error.code} ${error.message}` : 'error'}`);
  };
  private readonly onTimeUpdate = () => this.shown(this.video.currentTime, wallClockMs());

  constructor(
    private readonly video: HTMLVideoElement,
    fps: number,
    private readonly events: H264PlayerEvents,
  ) {
    this.frameMs = Math.max(1, Math.round(1000 / Math.max(1, fps)));
    video.muted = true;
    video.playsInline = true;
    video.autoplay = true;
    video.playbackRate = 1;
    video.addEventListener('error', this.onVideoError);
    this.muxer = new JMuxer({
      node: video,
      mode: 'video',
      flushingTime: 0,
      maxDelay: jmuxerMaxDelayMs,
      clearBuffer: true,
      fps,
      onReady: () => this.open(),
      onError: (data) => this.events.onDecoderError(`MSE: ${data.name} ${data.error}`),
      onUnsupportedCodec: (codec) => this.events.onDecoderError(`MSE: cannot decode ${codec}`),
    });
    this.watchFrames();
  }

  push(accessUnit: Uint8Array<ArrayBuffer>, keyframe: boolean, captureTimeMs: number): void {
    if (this.closed) return;
    if (!this.opened) {
      this.beforeOpen.add({ accessUnit, captureTimeMs }, keyframe);
      return;
    }
    this.frames.push({ startMs: this.nextStartMs, captureTimeMs });
    if (this.frames.length > maxPendingFrames) this.frames.shift();
    this.nextStartMs += this.frameMs;
    this.muxer.feed({ video: accessUnit, duration: this.frameMs, isLastVideoFrameComplete: true });
    this.keepLive();
  }

  close(): void {
    this.closed = true;
    this.video.removeEventListener('error', this.onVideoError);
    this.video.removeEventListener('timeupdate', this.onTimeUpdate);
    if (this.frameCallback) this.video.cancelVideoFrameCallback(this.frameCallback);
    this.muxer.destroy();
    this.video.removeAttribute('src');
    this.video.replaceChildren();
    this.video.load();
  }

  private open(): void {
    if (this.closed || this.opened) return;
    this.opened = true;
    for (const { accessUnit, captureTimeMs } of this.beforeOpen.take()) this.push(accessUnit, false, captureTimeMs);
  }

  /** Each presented frame, from requestVideoFrameCallback where the browser has it, else timeupdate. */
  private watchFrames(): void {
    // Firefox before 132 has no requestVideoFrameCallback; timeupdate (about 4 a second) stands in.
    if (typeof this.video.requestVideoFrameCallback !== 'function') {
      this.video.addEventListener('timeupdate', this.onTimeUpdate);
      return;
    }
    const onFrame: VideoFrameRequestCallback = (_now, metadata) => {
      if (this.closed) return;
      this.shown(metadata.mediaTime, performance.timeOrigin + metadata.expectedDisplayTime);
      this.keepLive();
      this.frameCallback = this.video.requestVideoFrameCallback(onFrame);
    };
    this.frameCallback = this.video.requestVideoFrameCallback(onFrame);
  }

  private shown(mediaTimeSeconds: number, displayedAtMs: number): void {
    const mediaMs = mediaTimeSeconds * 1000 + 0.5;
    let index = -1;
    while (index + 1 < this.frames.length && this.frames[index + 1]!.startMs <= mediaMs) index++;
    if (index < 0) return;
    const frame = this.frames[index]!;
    // Frames before the one on screen will not be shown any more (played or jumped over).
    this.frames.splice(0, index);
    if (frame.startMs === this.lastShownStartMs) return;
    this.lastShownStartMs = frame.startMs;
    this.events.onDisplayed(frame.captureTimeMs, displayedAtMs);
  }

  private keepLive(): void {
    const { video } = this;
    if (video.seeking || video.buffered.length === 0) return;
    const action = liveEdgeAction(video.currentTime, video.buffered.end(video.buffered.length - 1), this.frameMs / 1000);
    if (action.seekTo !== null) video.currentTime = action.seekTo;
    if (video.playbackRate !== action.playbackRate) video.playbackRate = action.playbackRate;
    if (video.paused) video.play().catch(() => {});
  }
}
