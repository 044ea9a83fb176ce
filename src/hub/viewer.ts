import { ChunkKind } from '../protocol/header.js';
import type { SharedChunk } from './shared-chunk.js';

/** How the hub reaches one client, whatever its transport (WebSocket, MJPEG over HTTP). */
export interface ViewerSink {
  /** Bytes written but not yet taken by the kernel. */
  bufferedBytes(): number;
  write(chunk: SharedChunk): void;
  /** Wanted kinds may change while connected (subscribe). */
  wants(kind: ChunkKind): boolean;
}

/** Audio may queue behind a video frame; this bounds it per viewer. */
export const AUDIO_BUFFER_BUDGET = 128 * 1024;

export interface ViewerCounters {
  sent: number;
  dropped: number;
  bytesSent: number;
}

/**
 * The per-viewer send policy: send the newest chunk the viewer can take now, keep at most one
 * waiting chunk per kind (replaced by newer ones), never an older one after a newer one.
 */
export class HubViewer {
  readonly counters: ViewerCounters = { sent: 0, dropped: 0, bytesSent: 0 };
  private readonly waiting = new Map<ChunkKind, SharedChunk>();
  private readonly lastSequence = new Map<ChunkKind, number>();

  constructor(
    readonly sink: ViewerSink,
    private readonly onDrop: (count: number) => void = () => {},
  ) {}

  offer(chunk: SharedChunk): void {
    if (!this.sink.wants(chunk.kind)) return;
    if (this.waiting.has(chunk.kind)) this.drop(1);
    this.waiting.set(chunk.kind, chunk);
    this.flush();
  }

  /** Called when the transport drained; sends what waited if there is room now. */
  flush(): void {
    for (const [kind, chunk] of this.waiting) {
      if (!this.sink.wants(kind)) {
        this.waiting.delete(kind);
        continue;
      }
      if (!this.hasRoomFor(chunk)) continue;
      this.waiting.delete(kind);
      const previous = this.lastSequence.get(kind);
      if (previous !== undefined && previous >= chunk.sequence) continue;
      this.lastSequence.set(kind, chunk.sequence);
      this.sink.write(chunk);
      this.counters.sent += 1;
      this.counters.bytesSent += chunk.byteLength;
    }
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
