const EMPTY = Buffer.alloc(0);

/** Bytes of `ms` milliseconds of s16le audio. */
export function pcmBytesFor(ms: number, sampleRate: number, channels: number): number {
  return Math.round((sampleRate * ms) / 1000) * channels * 2;
}

/**
 * Re-cuts a PCM byte stream, whose pipe reads have arbitrary sizes, into chunks of exactly `chunkBytes`.
 * Whole chunks inside one read are subarrays; only a chunk straddling two reads is copied.
 */
export class PcmChunker {
  private pending: Buffer = EMPTY;

  constructor(readonly chunkBytes: number) {
    if (!Number.isInteger(chunkBytes) || chunkBytes <= 0) throw new RangeError(`chunkBytes must be a positive integer, got ${chunkBytes}`);
  }

  /** Bytes received but not yet part of a whole chunk. */
  get pendingBytes(): number {
    return this.pending.length;
  }

  /** Feeds the next bytes; returns the whole chunks they complete, in order. */
  push(data: Buffer): Buffer[] {
    const chunks: Buffer[] = [];
    let offset = 0;
    if (this.pending.length > 0) {
      const need = this.chunkBytes - this.pending.length;
      if (data.length < need) {
        this.pending = Buffer.concat([this.pending, data]);
        return chunks;
      }
      chunks.push(Buffer.concat([this.pending, data.subarray(0, need)], this.chunkBytes));
      offset = need;
    }
    while (data.length - offset >= this.chunkBytes) {
      chunks.push(data.subarray(offset, offset + this.chunkBytes));
      offset += this.chunkBytes;
    }
    this.pending = offset === data.length ? EMPTY : data.subarray(offset);
    return chunks;
  }

  /** Forgets a partial chunk, for a new ffmpeg process. */
  reset(): void {
    this.pending = EMPTY;
  }
}
