/**
 * The 16-byte binary header in front of every media message on /ws (see docs/protocol.md).
 * Plain TypeScript on Uint8Array/DataView so the server and the browser viewer share this one file.
 */

export const HEADER_BYTES = 16;

/** Message kinds, byte 0 of the header. */
export const ChunkKind = {
  Jpeg: 1,
  Pcm: 2,
  Opus: 3,
  /** One H.264 access unit in Annex B; SPS and PPS come with every keyframe. */
  H264: 4,
} as const;
export type ChunkKind = (typeof ChunkKind)[keyof typeof ChunkKind];

/** Bits of header byte 1. */
export const ChunkFlag = {
  /** An H.264 access unit a decoder can start from (IDR with SPS/PPS). */
  Keyframe: 1,
} as const;

export interface ChunkHeader {
  kind: ChunkKind;
  flags: number;
  /** Per-kind counter, +1 per captured chunk; wraps at 2^32. */
  sequence: number;
  /** Wall-clock capture time in microseconds since the Unix epoch. */
  captureTimeUs: number;
}

export type DecodeResult = { ok: true; header: ChunkHeader; payloadOffset: number } | { ok: false; error: string };

function isChunkKind(value: number): value is ChunkKind {
  return value === ChunkKind.Jpeg || value === ChunkKind.Pcm || value === ChunkKind.Opus || value === ChunkKind.H264;
}

/** Writes the header into `target` at `offset`; the caller owns the 16 bytes. */
export function encodeHeader(header: ChunkHeader, target: Uint8Array, offset = 0): void {
  const view = new DataView(target.buffer, target.byteOffset + offset, HEADER_BYTES);
  view.setUint8(0, header.kind);
  view.setUint8(1, header.flags);
  view.setUint16(2, 0);
  view.setUint32(4, header.sequence >>> 0);
  view.setBigUint64(8, BigInt(Math.trunc(header.captureTimeUs)));
}

export function decodeHeader(bytes: Uint8Array): DecodeResult {
  if (bytes.byteLength < HEADER_BYTES) return { ok: false, error: `message shorter than ${HEADER_BYTES} bytes` };
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const kind = view.getUint8(0);
  if (!isChunkKind(kind)) return { ok: false, error: `unknown kind ${kind}` };
  return {
    ok: true,
    header: {
      kind,
      flags: view.getUint8(1),
      sequence: view.getUint32(4),
      captureTimeUs: Number(view.getBigUint64(8)),
    },
    payloadOffset: HEADER_BYTES,
  };
}
