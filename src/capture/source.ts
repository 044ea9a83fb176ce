import type { ChunkKind } from '../protocol/header.js';

/** One captured unit: a whole JPEG frame or about 20 ms of audio. */
export interface CapturedChunk {
  kind: ChunkKind;
  payload: Buffer;
  /** Wall-clock time the chunk was read from the device/pipe, microseconds since the Unix epoch. */
  captureTimeUs: number;
  /** A picture wscam made itself ("no signal"), not one from the camera. */
  placeholder?: boolean;
}

export type SourceState =
  | { status: 'stopped' }
  | { status: 'starting' }
  | { status: 'running' }
  | { status: 'down'; reason: string; retryInMs: number };

/** What every capture source reports back to; the hub and health check listen here. */
export interface SourceListener {
  chunk(chunk: CapturedChunk): void;
  state(state: SourceState): void;
}

/** A video or audio source. start/stop may be called repeatedly (capture runs on demand). */
export interface CaptureSource {
  readonly name: 'video' | 'audio';
  start(): void;
  stop(): Promise<void>;
  readonly state: SourceState;
}

export function nowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}
