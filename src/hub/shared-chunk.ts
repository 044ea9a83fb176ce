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

/** One format's bytes of a chunk and the socket writes still holding them. */
interface Encoding {
  readonly bytes: Buffer;
  /** From the pool and never handed out by as(): the bytes go back once no write holds them. */
  reusable: boolean;
  writes: number;
  readonly written: () => void;
}

/**
 * A captured chunk as it goes out: each transport's bytes are built on first use and the same
 * buffer is then written to every viewer of that transport. With a pool (JPEG frames), the bytes
 * return to it once the hub has superseded the chunk and every write of them has completed; a
 * write after that encodes the chunk again.
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
    encoding.writes += 1;
    socket.write(encoding.bytes, encoding.written);
    return encoding.bytes.length;
  }

  /** A newer chunk of the stream took this one's place: no new viewer will be offered it. */
  supersede(): void {
    if (this.superseded) return;
    this.superseded = true;
    for (const [format, encoding] of this.encoded) {
      if (encoding.writes === 0) this.release(format, encoding);
    }
  }

  private encoding(format: ChunkFormat): Encoding {
    const kept = this.encoded.get(format);
    if (kept !== undefined) return kept;
    const pool = this.pool;
    let taken: Buffer | undefined;
    const bytes = format.encode(this, pool === undefined ? allocateUnpooled : (length) => (taken = pool.take(length)));
    const encoding: Encoding = {
      bytes,
      // Only the pool's own memory goes back to it, never whatever else a format returned.
      reusable: taken !== undefined && bytes === taken,
      writes: 0,
      // Called once per write, when the socket has let go of the bytes (written, or the socket destroyed).
      written: () => {
        encoding.writes -= 1;
        if (encoding.writes === 0 && this.superseded) this.release(format, encoding);
      },
    };
    this.encoded.set(format, encoding);
    return encoding;
  }

  private release(format: ChunkFormat, encoding: Encoding): void {
    this.encoded.delete(format);
    if (encoding.reusable) this.pool!.give(encoding.bytes);
  }
}
