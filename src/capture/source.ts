import type { ChunkKind } from '../protocol/header.js';

/** What an H.264 stream's SPS says: its RFC 6381 codec name and the picture size after cropping. */
export interface H264Format {
  codecString: string;
  width: number;
  height: number;
}

/** Every audio chunk is this long: PCM is cut to it, Opus is encoded with frames of it, the test tone ticks at it. */
export const AUDIO_CHUNK_MS = 20;

/** One captured unit: a whole JPEG frame, one H.264 access unit or one AUDIO_CHUNK_MS of audio. */
export interface CapturedChunk {
  kind: ChunkKind;
  payload: Buffer;
  /** H.264 only: an access unit a decoder can start from (IDR, with SPS and PPS in front). */
  keyframe?: boolean;
  /** H.264 keyframes only: what their SPS says, for the hello. */
  videoFormat?: H264Format;
  /** Wall-clock time the chunk was read from the device/pipe, microseconds since the Unix epoch. */
  captureTimeUs: number;
  /** A picture wscam made itself ("no signal"), not one from the camera. */
  placeholder?: boolean;
}

export type SourceState =
  { status: 'stopped' } | { status: 'starting' } | { status: 'running' } | { status: 'down'; reason: string; retryInMs: number };

/** What every capture source reports back to; the hub and health check listen here. */
export interface SourceListener {
  chunk(chunk: CapturedChunk): void;
  state(state: SourceState): void;
}

/** Anything capture starts and stops; both may be called repeatedly (capture runs on demand). */
export interface Lifecycle {
  /** Resolves once starting is under way (a child spawned or its retry scheduled), not at the first chunk. */
  start(): Promise<void>;
  /** Resolves once everything the thing ran (children, timers) has ended. */
  stop(): Promise<void>;
}

/** A video or audio source. */
export interface CaptureSource extends Lifecycle {
  readonly name: 'video' | 'audio';
  readonly state: SourceState;
  /** Times it went down since it was built (each retry of a child that failed again counts). */
  readonly restarts: number;
}

export function nowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}
