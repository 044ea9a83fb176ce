import type { SharedChunk } from '../../src/hub/shared-chunk.js';
import type { ViewerSink } from '../../src/hub/viewer.js';
import { ChunkKind } from '../../src/protocol/header.js';

/** A transport the test drives, like a viewer on a slow link: written bytes stay queued until `drain()`. */
export class TestSink implements ViewerSink {
  queued = 0;
  readonly written: SharedChunk[] = [];
  /** The kinds the viewer subscribed to; every kind unless a test removes some. */
  readonly wanted = new Set<ChunkKind>([ChunkKind.Jpeg, ChunkKind.Pcm, ChunkKind.Opus, ChunkKind.H264]);
  private drainCallbacks: Array<() => void> = [];

  bufferedBytes(): number {
    return this.queued;
  }

  write(chunk: SharedChunk): number {
    this.written.push(chunk);
    this.queued += chunk.byteLength;
    return chunk.byteLength;
  }

  wants(kind: ChunkKind): boolean {
    return this.wanted.has(kind);
  }

  whenDrained(callback: () => void): void {
    this.drainCallbacks.push(callback);
  }

  /** Drain callbacks waiting now. */
  get drainRequests(): number {
    return this.drainCallbacks.length;
  }

  /** The kernel took everything: the queue empties and the waiting drain callbacks run once. */
  drain(): void {
    this.queued = 0;
    const callbacks = this.drainCallbacks;
    this.drainCallbacks = [];
    for (const callback of callbacks) callback();
  }

  /** Sequence numbers written of one kind, in order. */
  sequences(kind: ChunkKind): number[] {
    return this.written.filter((chunk) => chunk.kind === kind).map((chunk) => chunk.sequence);
  }
}
