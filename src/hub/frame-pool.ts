/** Free buffers kept for reuse; more come back only after a burst (stalled viewers let go at once). */
const MAX_FREE_BUFFERS = 4;
/** New buffers are sized in whole pages with an eighth to spare, so the next, slightly larger frame fits too. */
const PAGE_BYTES = 4096;

/**
 * Memory for encoded JPEG frames, reused from frame to frame. A fresh buffer per frame is a malloc the
 * kernel may fault in page by page (hundreds of page faults a second at 720p), freed only when V8
 * collects its wrapper; a buffer from here is already resident. Holds free buffers only: whatever is
 * taken belongs to the taker until it gives it back, and one never given back is collected as usual.
 */
export class FramePool {
  private readonly free: ArrayBufferLike[] = [];

  /** `bytes` bytes over a free buffer big enough, or over a new one. */
  readonly take = (bytes: number): Buffer => {
    for (let index = this.free.length - 1; index >= 0; index -= 1) {
      const memory = this.free[index]!;
      if (memory.byteLength < bytes) continue;
      this.free[index] = this.free[this.free.length - 1]!;
      this.free.pop();
      return Buffer.from(memory, 0, bytes);
    }
    const capacity = Math.ceil((bytes + (bytes >>> 3)) / PAGE_BYTES) * PAGE_BYTES;
    return Buffer.from(Buffer.allocUnsafeSlow(capacity).buffer, 0, bytes);
  };

  /** Takes back what take() gave; nothing may read or write `buffer` after this. */
  give(buffer: Buffer): void {
    const memory = buffer.buffer;
    if (this.free.length < MAX_FREE_BUFFERS) {
      this.free.push(memory);
      return;
    }
    // Full: the largest are kept, as a scene with more detail makes every frame larger.
    let smallest = 0;
    for (let index = 1; index < this.free.length; index += 1) {
      if (this.free[index]!.byteLength < this.free[smallest]!.byteLength) smallest = index;
    }
    if (this.free[smallest]!.byteLength < memory.byteLength) this.free[smallest] = memory;
  }

  /** Bytes held in free buffers. */
  get freeBytes(): number {
    return this.free.reduce((sum, memory) => sum + memory.byteLength, 0);
  }
}
