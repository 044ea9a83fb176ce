import type { H264Format } from '../capture/source.js';
import { ChunkFlag, HEADER_BYTES, type ChunkKind } from '../protocol/header.js';

/** How a transport puts a chunk on its wire; each format is encoded at most once per chunk. */
export interface ChunkFormat {
  readonly name: string;
  encode(chunk: SharedChunk): Buffer;
}

/**
 * A captured chunk as it goes out: each transport's bytes are built on first use and the same
 * buffer is then written to every viewer of that transport.
 */
export class SharedChunk {
  private readonly encoded = new Map<ChunkFormat, Buffer>();

  constructor(
    readonly kind: ChunkKind,
    readonly sequence: number,
    readonly captureTimeUs: number,
    readonly payload: Buffer,
    /** H.264: an access unit a decoder can start from. */
    readonly keyframe = false,
    /** H.264 keyframes: what their SPS says. */
    readonly videoFormat?: H264Format,
  ) {}

  /** Header byte 1. */
  get flags(): number {
    return this.keyframe ? ChunkFlag.Keyframe : 0;
  }

  /** The size of the chunk's message (16-byte header + payload), the measure the send policy uses. */
  get byteLength(): number {
    return HEADER_BYTES + this.payload.length;
  }

  /** This chunk in a transport's format, encoded once and shared by every viewer of that format. */
  as(format: ChunkFormat): Buffer {
    let bytes = this.encoded.get(format);
    if (bytes === undefined) {
      bytes = format.encode(this);
      this.encoded.set(format, bytes);
    }
    return bytes;
  }
}
