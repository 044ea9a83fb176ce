import { ChunkKind } from '../protocol/header.js';
import type { SharedChunk } from './shared-chunk.js';

/** How the hub reaches one client, whatever its transport (WebSocket, MJPEG over HTTP). */
export interface ViewerSink {
  /** Bytes written but not yet taken by the kernel. */
  bufferedBytes(): number;
  write(chunk: SharedChunk): void;
  /** Wanted kinds may change while connected (subscribe). */
  wants(kind: ChunkKind): boolean;
  /** Calls back once when the transport's buffer has drained. */
  whenDrained(callback: () => void): void;
  /** Ends the connection (logging why): the hub gave up on this viewer. Transports without it are never ended by the hub. */
  disconnect?(reason: string): void;
}

/** A viewer that took nothing for this long while chunks waited for room is gone (a dead link, not a slow one). */
export const STUCK_VIEWER_MS = 10_000;

/** Audio may queue behind a video frame; this bounds it per viewer. */
export const AUDIO_BUFFER_BUDGET = 128 * 1024;

export interface ViewerCounters {
  sent: number;
  dropped: number;
  bytesSent: number;
}

/**
 * The per-viewer send policy: send the newest chunk the viewer can take now, keep at most one
 * waiting chunk per stream (replaced by newer ones), never an older one after a newer one.
 * Runs once per viewer per chunk, so state is in plain fields and the common case is one check.
 */
export class HubViewer {
  readonly counters: ViewerCounters = { sent: 0, dropped: 0, bytesSent: 0 };
  private waitingVideo: SharedChunk | undefined;
  private waitingAudio: SharedChunk | undefined;
  private lastVideoSequence = -1;
  private lastAudioSequence = -1;
  /** PCM and Opus count separately; a viewer switching codec starts the count afresh. */
  private lastAudioKind: ChunkKind | undefined;
  private drainRequested = false;
  /** When chunks started waiting with nothing sent since; undefined while the viewer keeps up. */
  private stuckSinceMs: number | undefined;
  private disconnected = false;
  private readonly onDrained = () => {
    this.drainRequested = false;
    this.flush();
  };

  constructor(
    readonly sink: ViewerSink,
    private readonly onDrop: (count: number) => void = () => {},
    /** Monotonic ms, read only when a chunk has to wait; injectable for tests. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  offer(chunk: SharedChunk): void {
    if (!this.sink.wants(chunk.kind)) return;
    const video = chunk.kind === ChunkKind.Jpeg;
    const waiting = video ? this.waitingVideo : this.waitingAudio;
    // A frame never overtakes waiting audio: that goes out first, by flush.
    if (waiting === undefined && (!video || this.waitingAudio === undefined) && this.hasRoomFor(chunk)) {
      this.send(chunk, video);
      return;
    }
    if (waiting !== undefined) this.drop(1);
    if (video) this.waitingVideo = chunk;
    else this.waitingAudio = chunk;
    this.flush();
    if (this.waitingVideo !== undefined || this.waitingAudio !== undefined) this.checkStuck();
  }

  /** Clock read on the slow path only (a chunk waits), so a viewer that keeps up costs no timer and no clock read. */
  private checkStuck(): void {
    if (this.disconnected || this.sink.disconnect === undefined) return;
    const now = this.now();
    if (this.stuckSinceMs === undefined) {
      this.stuckSinceMs = now;
      return;
    }
    if (now - this.stuckSinceMs < STUCK_VIEWER_MS) return;
    this.disconnected = true;
    this.sink.disconnect(`took nothing for ${Math.round((now - this.stuckSinceMs) / 1000)} s while over its send limit`);
  }

  /** Sends what waited if there is room now; otherwise asks to be called again on drain. */
  flush(): void {
    // Audio first: near the limit, a 20 ms chunk of sound matters more than the next picture.
    const audio = this.waitingAudio;
    if (audio !== undefined && (!this.sink.wants(audio.kind) || this.hasRoomFor(audio))) {
      this.waitingAudio = undefined;
      if (this.sink.wants(audio.kind)) this.send(audio, false);
    }
    const video = this.waitingVideo;
    if (video !== undefined && this.waitingAudio === undefined && (!this.sink.wants(video.kind) || this.hasRoomFor(video))) {
      this.waitingVideo = undefined;
      if (this.sink.wants(video.kind)) this.send(video, true);
    }
    if ((this.waitingVideo !== undefined || this.waitingAudio !== undefined) && !this.drainRequested) {
      this.drainRequested = true;
      this.sink.whenDrained(this.onDrained);
    }
  }

  private send(chunk: SharedChunk, video: boolean): void {
    // A re-offered latest chunk (new viewer, new subscribe) may already have gone out.
    if (video) {
      if (chunk.sequence <= this.lastVideoSequence) return;
      this.lastVideoSequence = chunk.sequence;
    } else {
      if (chunk.kind === this.lastAudioKind && chunk.sequence <= this.lastAudioSequence) return;
      this.lastAudioKind = chunk.kind;
      this.lastAudioSequence = chunk.sequence;
    }
    this.sink.write(chunk);
    this.stuckSinceMs = undefined;
    this.counters.sent += 1;
    this.counters.bytesSent += chunk.byteLength;
  }

  private hasRoomFor(chunk: SharedChunk): boolean {
    const buffered = this.sink.bufferedBytes();
    // Video: less than one frame queued, so a slow viewer always gets the newest frame next.
    if (chunk.kind === ChunkKind.Jpeg) return buffered < chunk.byteLength;
    return buffered < AUDIO_BUFFER_BUDGET;
  }

  private drop(count: number): void {
    this.counters.dropped += count;
    this.onDrop(count);
  }
}
