import { EventEmitter } from 'node:events';
import type { CapturedChunk } from '../capture/source.js';
import { ChunkKind } from '../protocol/header.js';
import { SharedChunk } from './shared-chunk.js';
import { HubViewer, type ViewerSink } from './viewer.js';

export interface HubTotals {
  published: Record<ChunkKind, number>;
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

export interface FrameHubOptions {
  /** Monotonic clock in ms; injectable for tests. Default performance.now. */
  now?: () => number;
}

interface HubEvents {
  /** Number of attached viewers changed; capture runs on demand from this. */
  viewers: [count: number];
}

/**
 * The broadcast hub: keeps the latest chunk per kind and offers every new chunk to every
 * attached viewer, each of which takes it or skips it by its own send policy.
 */
export class FrameHub extends EventEmitter<HubEvents> {
  private readonly viewers = new Set<HubViewer>();
  private readonly latestByKind = new Map<ChunkKind, Kept>();
  private readonly nextSequence = new Map<ChunkKind, number>();
  private readonly waiters = new Set<{ kind: ChunkKind; resolve: (chunk: SharedChunk) => void }>();
  private readonly totals = { sent: 0, dropped: 0, bytesSent: 0 };
  private readonly now: () => number;

  constructor(options: FrameHubOptions = {}) {
    super();
    this.now = options.now ?? (() => performance.now());
  }

  publish(chunk: CapturedChunk): SharedChunk {
    const sequence = this.nextSequence.get(chunk.kind) ?? 0;
    this.nextSequence.set(chunk.kind, sequence + 1);
    const shared = new SharedChunk(chunk.kind, sequence, chunk.captureTimeUs, chunk.payload);
    const publishedAtMs = this.now();
    const previous = this.latestByKind.get(chunk.kind);
    const intervalMs = previous === undefined ? 0 : Math.min(publishedAtMs - previous.publishedAtMs, MAX_FRESH_INTERVAL_MS);
    this.latestByKind.set(chunk.kind, { chunk: shared, publishedAtMs, intervalMs });
    for (const viewer of this.viewers) viewer.offer(shared);
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
    this.latestByKind.clear();
  }

  attach(sink: ViewerSink): HubViewer {
    const viewer = new HubViewer(sink);
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
      sent,
      dropped,
      bytesSent,
    };
  }
}
