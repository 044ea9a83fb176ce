import type { Writable } from 'node:stream';
import type { H264Format } from '../capture/source.js';
import { ChunkFlag, HEADER_BYTES, type ChunkKind } from '../protocol/header.js';
import type { FramePool } from './frame-pool.js';

/** How a transport puts a chunk on its wire; each format is encoded at most once per chunk. */
export interface ChunkFormat {
  readonly name: string;
  /** Builds the chunk's bytes in a buffer of the length asked from `allocate`, and returns that buffer. */
  encode(chunk: SharedChunk, allocate: (bytes: number) => Buffer): Buffer;
}

const allocateUnpooled = (bytes: number): Buffer => Buffer.allocUnsafe(bytes);

/** One format's bytes of a chunk and the sockets that may still hold them. */
interface Encoding {
  readonly bytes: Buffer;
  /** From the pool and never handed out by as(): the bytes go back once no socket holds them. */
  reusable: boolean;
  /** Sockets whose write of the bytes had not completed when it returned. */
  readonly holders: Writable[];
}

/**
 * A captured chunk as it goes out: each transport's bytes are built on first use and the same
 * buffer is then written to every viewer of that transport. With a pool (JPEG frames), the bytes
 * return to it once the hub has superseded the chunk and no socket still holds them; a write after
 * that encodes the chunk again, outside the pool.
 */
export class SharedChunk {
  private readonly encoded = new Map<ChunkFormat, Encoding>();
  private superseded = false;

  constructor(
    readonly kind: ChunkKind,
    readonly sequence: number,
    readonly captureTimeUs: number,
    readonly payload: Buffer,
    /** H.264: an access unit a decoder can start from. */
    readonly keyframe = false,
    /** H.264 keyframes: what their SPS says. */
    readonly videoFormat?: H264Format,
    private readonly pool?: FramePool,
  ) {}

  /** Header byte 1. */
  get flags(): number {
    return this.keyframe ? ChunkFlag.Keyframe : 0;
  }

  /** The size of the chunk's message (16-byte header + payload), the measure the send policy uses. */
  get byteLength(): number {
    return HEADER_BYTES + this.payload.length;
  }

  /** This chunk in a transport's format, encoded once; the caller may keep the bytes, so they are never reused. */
  as(format: ChunkFormat): Buffer {
    const encoding = this.encoding(format);
    encoding.reusable = false;
    return encoding.bytes;
  }

  /** Writes this chunk in a transport's format to a socket; returns the bytes written. */
  writeTo(socket: Writable, format: ChunkFormat): number {
    const encoding = this.encoding(format);
    // No callback: Node then completes a write the kernel took at once without a tick or an allocation.
    socket.write(encoding.bytes);
    // Not taken at once: the socket's queue is empty again only when this write and every one before it completed.
    if (socket.writableLength > 0 && encoding.reusable) encoding.holders.push(socket);
    return encoding.bytes.length;
  }

  /**
   * A newer chunk of the stream took this one's place (no new viewer will be offered it): what no socket holds
   * goes back to the pool. True once nothing of it is held; else the hub asks again with releaseUnheld().
   */
  supersede(): boolean {
    this.superseded = true;
    return this.releaseUnheld();
  }

  /** After supersede(): gives back what no socket holds any more; true once nothing of this chunk is held. */
  releaseUnheld(): boolean {
    for (const [format, encoding] of this.encoded) {
      let held = 0;
      for (const socket of encoding.holders) {
        if (socket.writableLength > 0) encoding.holders[held++] = socket;
      }
      encoding.holders.length = held;
      if (held > 0) continue;
      this.encoded.delete(format);
      if (encoding.reusable) this.pool!.give(encoding.bytes);
    }
    return this.encoded.size === 0;
  }

  private encoding(format: ChunkFormat): Encoding {
    const kept = this.encoded.get(format);
    if (kept !== undefined) return kept;
    // Bytes first made after supersede() stay outside the pool: the hub may already have stopped asking about this chunk.
    const pool = this.superseded ? undefined : this.pool;
    let taken: Buffer | undefined;
    const bytes = format.encode(this, pool === undefined ? allocateUnpooled : (length) => (taken = pool.take(length)));
    // Only the pool's own memory goes back to it, never whatever else a format returned.
    const encoding: Encoding = { bytes, reusable: taken !== undefined && bytes === taken, holders: [] };
    this.encoded.set(format, encoding);
    return encoding;
  }
}
