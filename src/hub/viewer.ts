import { ChunkKind } from '../protocol/header.js';
import type { SharedChunk } from './shared-chunk.js';

/** How the hub reaches one client, whatever its transport (WebSocket, MJPEG over HTTP). */
export interface ViewerSink {
  /** Bytes written but not yet taken by the kernel. */
  bufferedBytes(): number;
  /** Puts the chunk on the wire; returns the bytes written (0 when the transport has closed). */
  write(chunk: SharedChunk): number;
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

/**
 * How much an H.264 viewer may have queued, set by the hub per GOP: one keyframe plus H264_LAG_MS of the stream.
 * Measured against queued bytes rather than the next access unit's size, so small P-frames still go out while
 * a keyframe is on its way, and the lag a viewer builds up stays within about this much of the stream.
 */
export interface H264Pacing {
  budgetBytes: number;
}

/** The H.264 budget before the hub has seen a keyframe to size it by. */
export const DEFAULT_H264_BUDGET_BYTES = 512 * 1024;

export interface ViewerCounters {
  sent: number;
  dropped: number;
  bytesSent: number;
}

/**
 * The per-viewer send policy: send the newest chunk the viewer can take now, keep at most one
 * waiting chunk per stream (replaced by newer ones), never an older one after a newer one.
 * H.264 access units depend on the ones before them, so they are never replaced: they wait in order
 * (within the pacing budget) or, once one cannot be taken, nothing more goes until the next keyframe.
 * Runs once per viewer per chunk, so state is in plain fields and the common case is one check.
 */
export class HubViewer {
  readonly counters: ViewerCounters = { sent: 0, dropped: 0, bytesSent: 0 };
  private waitingVideo: SharedChunk | undefined;
  private waitingAudio: SharedChunk | undefined;
  /** H.264 access units accepted in stream order but not yet written; a keyframe starts the chain afresh. */
  private h264Chain: SharedChunk[] = [];
  private h264ChainBytes = 0;
  /** The decoder has every access unit since its last keyframe, so the next in sequence may follow. */
  private h264Synced = false;
  /** Sequence of the last access unit written or chained; -1 before the first. */
  private lastH264Sequence = -1;
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
    private readonly pacing: H264Pacing = { budgetBytes: DEFAULT_H264_BUDGET_BYTES },
  ) {}

  offer(chunk: SharedChunk): void {
    if (!this.sink.wants(chunk.kind)) return;
    if (chunk.kind === ChunkKind.H264) return this.offerH264(chunk);
    const video = chunk.kind === ChunkKind.Jpeg;
    const waiting = video ? this.waitingVideo : this.waitingAudio;
    // A frame never overtakes waiting audio: that goes out first, by flush.
    if (waiting === undefined && (!video || this.waitingAudio === undefined) && this.hasRoomFor(chunk)) {
      this.send(chunk);
      return;
    }
    if (waiting !== undefined) this.drop(1);
    if (video) this.waitingVideo = chunk;
    else this.waitingAudio = chunk;
    this.flush();
    if (this.waitingVideo !== undefined || this.waitingAudio !== undefined) this.checkStuck();
  }

  private offerH264(unit: SharedChunk): void {
    // Offered again (the current GOP to a new viewer or a new subscribe): already on its way.
    if (unit.sequence <= this.lastH264Sequence) return;
    const follows = unit.sequence === this.lastH264Sequence + 1;
    if (unit.keyframe) {
      this.dropChain();
      this.h264Synced = true;
    } else if (!this.h264Synced || !follows) {
      // After a gap (or before the first keyframe) a P-frame would decode to garbage.
      if (this.lastH264Sequence >= 0) this.drop(1);
      this.h264Synced = false;
      this.dropChain();
      return;
    }
    this.lastH264Sequence = unit.sequence;
    if (this.h264Chain.length === 0 && this.waitingAudio === undefined && this.hasRoomForH264(unit)) {
      this.send(unit);
      return;
    }
    this.h264Chain.push(unit);
    this.h264ChainBytes += unit.byteLength;
    // Waiting past the budget would let the lag grow without bound: give up until the next keyframe.
    if (this.h264ChainBytes > this.pacing.budgetBytes && !(unit.keyframe && this.h264Chain.length === 1)) {
      this.h264Synced = false;
      this.dropChain();
    }
    this.flush();
    if (this.h264Chain.length > 0 || this.waitingAudio !== undefined) this.checkStuck();
  }

  private dropChain(): void {
    if (this.h264Chain.length > 0) this.drop(this.h264Chain.length);
    this.h264Chain = [];
    this.h264ChainBytes = 0;
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
      if (this.sink.wants(audio.kind)) this.send(audio);
    }
    const video = this.waitingVideo;
    if (video !== undefined && this.waitingAudio === undefined && (!this.sink.wants(video.kind) || this.hasRoomFor(video))) {
      this.waitingVideo = undefined;
      if (this.sink.wants(video.kind)) this.send(video);
    }
    if (this.h264Chain.length > 0 && this.waitingAudio === undefined) this.flushH264();
    if ((this.waitingVideo !== undefined || this.waitingAudio !== undefined || this.h264Chain.length > 0) && !this.drainRequested) {
      this.drainRequested = true;
      this.sink.whenDrained(this.onDrained);
    }
  }

  /** Writes chained access units in order while there is room; an unsubscribed viewer's chain is let go. */
  private flushH264(): void {
    if (!this.sink.wants(ChunkKind.H264)) {
      this.h264Chain = [];
      this.h264ChainBytes = 0;
      this.h264Synced = false;
      return;
    }
    let sent = 0;
    while (sent < this.h264Chain.length && this.hasRoomForH264(this.h264Chain[sent]!)) {
      this.h264ChainBytes -= this.h264Chain[sent]!.byteLength;
      this.send(this.h264Chain[sent]!);
      sent += 1;
    }
    if (sent > 0) this.h264Chain = this.h264Chain.slice(sent);
  }

  private send(chunk: SharedChunk): void {
    // A re-offered latest chunk (new viewer, new subscribe) may already have gone out.
    if (chunk.kind === ChunkKind.Jpeg) {
      if (chunk.sequence <= this.lastVideoSequence) return;
      this.lastVideoSequence = chunk.sequence;
    } else if (chunk.kind !== ChunkKind.H264) {
      if (chunk.kind === this.lastAudioKind && chunk.sequence <= this.lastAudioSequence) return;
      this.lastAudioKind = chunk.kind;
      this.lastAudioSequence = chunk.sequence;
    }
    this.counters.bytesSent += this.sink.write(chunk);
    this.stuckSinceMs = undefined;
    this.counters.sent += 1;
  }

  /** An empty queue always has room, so a keyframe larger than the budget still goes out. */
  private hasRoomForH264(unit: SharedChunk): boolean {
    const buffered = this.sink.bufferedBytes();
    return buffered === 0 || buffered + unit.byteLength <= this.pacing.budgetBytes;
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
