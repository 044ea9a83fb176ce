import { EventEmitter } from 'node:events';
import { isDeepStrictEqual } from 'node:util';
import type { CapturedChunk, H264Format } from '../capture/source.js';
import { ChunkKind } from '../protocol/header.js';
import { FramePool } from './frame-pool.js';
import { SharedChunk } from './shared-chunk.js';
import { DEFAULT_H264_BUDGET_BYTES, HubViewer, type H264Pacing, type ViewerSink } from './viewer.js';

export interface HubTotals {
  published: Record<ChunkKind, number>;
  /** H.264 access units among published[H264] that were keyframes. */
  keyframes: number;
  sent: number;
  dropped: number;
  bytesSent: number;
}

/** How much older than one chunk interval a kept chunk may be and still count as current. */
const FRESHNESS_MARGIN_MS = 250;
/** A longer gap (a stalled camera; "no signal" pictures come once a second) does not stretch what counts as current. */
const MAX_FRESH_INTERVAL_MS = 1000;

/** The newest chunk of a kind, with when it was published and the gap before it. */
interface Kept {
  chunk: SharedChunk;
  publishedAtMs: number;
  intervalMs: number;
}

/** Superseded frames the hub keeps asking about; one held longer goes to the collector instead of back to the pool. */
const MAX_HELD_FRAMES = 8;

/** Default bound on the kept GOP: past it the hub keeps no GOP until the next keyframe. */
export const DEFAULT_MAX_GOP_BYTES = 4 * 1024 * 1024;

/** The lag an H.264 viewer may build up beyond one keyframe before it skips to the next keyframe. */
export const H264_LAG_MS = 250;

export interface FrameHubOptions {
  /** Monotonic clock in ms; injectable for tests. Default performance.now. */
  now?: () => number;
  maxGopBytes?: number;
}

interface HubEvents {
  /** Number of attached viewers changed; capture runs on demand from this. */
  viewers: [count: number];
  /** A keyframe says a format other than the last one's; emitted before the keyframe is offered to anyone. */
  videoFormat: [format: H264Format];
}

/**
 * The broadcast hub: keeps the latest chunk per kind (for H.264 the current GOP, from its keyframe on,
 * bounded in bytes) and offers every new chunk to every attached viewer, each of which takes it or skips
 * it by its own send policy.
 */
export class FrameHub extends EventEmitter<HubEvents> {
  private readonly viewers = new Set<HubViewer>();
  private readonly latestByKind = new Map<ChunkKind, Kept>();
  private readonly nextSequence = new Map<ChunkKind, number>();
  private readonly waiters = new Set<{ kind: ChunkKind; resolve: (chunk: SharedChunk) => void }>();
  private readonly totals = { sent: 0, dropped: 0, bytesSent: 0 };
  private readonly now: () => number;
  private readonly maxGopBytes: number;
  /** The current GOP, keyframe first; empty while none is kept (none yet, or it outgrew maxGopBytes). */
  private gop: SharedChunk[] = [];
  private gopBytes = 0;
  /** Bytes of kind 4 since the last keyframe and when it came, for the pacing budget. */
  private bytesSinceKeyframe = 0;
  private keyframes = 0;
  private lastKeyframeAtMs: number | undefined;
  private format: H264Format | undefined;
  /** Shared by every viewer: read on each H.264 send decision, set once per keyframe. */
  private readonly pacing: H264Pacing = { budgetBytes: DEFAULT_H264_BUDGET_BYTES };
  /** JPEG frames only: each is superseded by the next, where H.264 access units stay in the GOP and chains. */
  private readonly jpegPool = new FramePool();
  /** Superseded frames whose memory a slow socket still held, asked again at every frame. */
  private readonly heldFrames: SharedChunk[] = [];

  constructor(options: FrameHubOptions = {}) {
    super();
    // Every WebSocket viewer listens for videoFormat while connected (clients.max bounds them).
    this.setMaxListeners(0);
    this.now = options.now ?? (() => performance.now());
    this.maxGopBytes = options.maxGopBytes ?? DEFAULT_MAX_GOP_BYTES;
  }

  publish(chunk: CapturedChunk): SharedChunk {
    const sequence = this.nextSequence.get(chunk.kind) ?? 0;
    this.nextSequence.set(chunk.kind, sequence + 1);
    const keyframe = chunk.kind === ChunkKind.H264 && chunk.keyframe === true;
    const shared = new SharedChunk(
      chunk.kind,
      sequence,
      chunk.captureTimeUs,
      chunk.payload,
      keyframe,
      keyframe ? chunk.videoFormat : undefined,
      chunk.kind === ChunkKind.Jpeg ? this.jpegPool : undefined,
    );
    const publishedAtMs = this.now();
    const previous = this.latestByKind.get(chunk.kind);
    const intervalMs = previous === undefined ? 0 : Math.min(publishedAtMs - previous.publishedAtMs, MAX_FRESH_INTERVAL_MS);
    this.latestByKind.set(chunk.kind, { chunk: shared, publishedAtMs, intervalMs });
    if (chunk.kind === ChunkKind.H264) this.keepInGop(shared, publishedAtMs);
    for (const viewer of this.viewers) viewer.offer(shared);
    // Every viewer that wanted the last frame has now sent it or holds this one instead.
    if (chunk.kind === ChunkKind.Jpeg) this.retireFrame(previous?.chunk);
    for (const waiter of this.waiters) {
      if (waiter.kind !== chunk.kind) continue;
      this.waiters.delete(waiter);
      waiter.resolve(shared);
    }
    return shared;
  }

  /**
   * The newest chunk of a kind while it is still current: no older than one chunk interval plus a
   * margin. A new viewer's first picture comes from here, so a frame kept from before a stall or an
   * idle stop is never shown as live; the next published chunk reaches the viewer instead.
   */
  latest(kind: ChunkKind): SharedChunk | undefined {
    const kept = this.latestByKind.get(kind);
    if (kept === undefined || this.now() - kept.publishedAtMs > kept.intervalMs + FRESHNESS_MARGIN_MS) return undefined;
    return kept.chunk;
  }

  /** The current GOP, keyframe first, while it is current (as latest() judges its newest access unit); else empty. */
  currentGop(): readonly SharedChunk[] {
    return this.latest(ChunkKind.H264) === undefined ? [] : this.gop;
  }

  /** How many bytes an H.264 viewer may have queued: one keyframe plus a quarter second of the stream. */
  get h264BudgetBytes(): number {
    return this.pacing.budgetBytes;
  }

  /** What the latest keyframe's SPS says; undefined before the first keyframe of a capture run. */
  get videoFormat(): H264Format | undefined {
    return this.format;
  }

  private keepInGop(unit: SharedChunk, publishedAtMs: number): void {
    if (unit.keyframe) {
      this.keyframes += 1;
      const gopMs = this.lastKeyframeAtMs === undefined ? 0 : publishedAtMs - this.lastKeyframeAtMs;
      // One keyframe plus H264_LAG_MS at the last GOP's rate; twice the keyframe until a GOP has been timed.
      const lagBytes = gopMs > 0 ? (this.bytesSinceKeyframe * H264_LAG_MS) / gopMs : unit.byteLength;
      this.pacing.budgetBytes = Math.min(Math.ceil(unit.byteLength + lagBytes), this.maxGopBytes);
      this.lastKeyframeAtMs = publishedAtMs;
      this.bytesSinceKeyframe = 0;
      this.gop = [];
      this.gopBytes = 0;
      if (unit.videoFormat !== undefined && !isDeepStrictEqual(unit.videoFormat, this.format)) {
        this.format = unit.videoFormat;
        this.emit('videoFormat', unit.videoFormat);
      }
    }
    this.bytesSinceKeyframe += unit.byteLength;
    if (!unit.keyframe && this.gop.length === 0) return;
    if (this.gopBytes + unit.byteLength > this.maxGopBytes) {
      this.gop = [];
      this.gopBytes = 0;
      return;
    }
    this.gop.push(unit);
    this.gopBytes += unit.byteLength;
  }

  /** Supersedes a frame and gives back the memory of every superseded frame no socket holds any more. */
  private retireFrame(frame: SharedChunk | undefined): void {
    if (frame !== undefined && !frame.supersede()) this.heldFrames.push(frame);
    let held = 0;
    for (const kept of this.heldFrames) {
      if (!kept.releaseUnheld()) this.heldFrames[held++] = kept;
    }
    this.heldFrames.length = held;
    // Stalled viewers hold their last frame for as long as they stay: past the bound, the oldest is left to the collector.
    if (held > MAX_HELD_FRAMES) this.heldFrames.splice(0, held - MAX_HELD_FRAMES);
  }

  /** Resolves with the next chunk of a kind, or undefined after timeoutMs. */
  next(kind: ChunkKind, timeoutMs: number): Promise<SharedChunk | undefined> {
    return new Promise((resolve) => {
      const waiter = {
        kind,
        resolve: (chunk: SharedChunk) => {
          clearTimeout(timer);
          resolve(chunk);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Drops what is kept from a capture run, so a restarted capture starts from fresh chunks and intervals. */
  forgetLatest(): void {
    this.retireFrame(this.latestByKind.get(ChunkKind.Jpeg)?.chunk);
    this.latestByKind.clear();
    this.gop = [];
    this.gopBytes = 0;
    this.bytesSinceKeyframe = 0;
    this.lastKeyframeAtMs = undefined;
    this.format = undefined;
  }

  attach(sink: ViewerSink): HubViewer {
    const viewer = new HubViewer(sink, undefined, undefined, this.pacing);
    this.viewers.add(viewer);
    this.emit('viewers', this.viewers.size);
    return viewer;
  }

  detach(viewer: HubViewer): void {
    if (!this.viewers.delete(viewer)) return;
    this.totals.sent += viewer.counters.sent;
    this.totals.bytesSent += viewer.counters.bytesSent;
    this.totals.dropped += viewer.counters.dropped;
    this.emit('viewers', this.viewers.size);
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  /** Totals over viewers past and present. */
  stats(): HubTotals {
    let sent = this.totals.sent;
    let bytesSent = this.totals.bytesSent;
    let dropped = this.totals.dropped;
    for (const viewer of this.viewers) {
      sent += viewer.counters.sent;
      bytesSent += viewer.counters.bytesSent;
      dropped += viewer.counters.dropped;
    }
    // Sequences start at 0 and count up by one per chunk, so the next one is how many were published.
    const published = (kind: ChunkKind) => this.nextSequence.get(kind) ?? 0;
    return {
      published: {
        [ChunkKind.Jpeg]: published(ChunkKind.Jpeg),
        [ChunkKind.Pcm]: published(ChunkKind.Pcm),
        [ChunkKind.Opus]: published(ChunkKind.Opus),
        [ChunkKind.H264]: published(ChunkKind.H264),
      },
      keyframes: this.keyframes,
      sent,
      dropped,
      bytesSent,
    };
  }
}
