/** Messages between run.ts and the viewers process (over the fork IPC channel). */

/** How viewers read: binary WebSocket on /ws, or multipart MJPEG over HTTP on /stream.mjpg. */
export type Transport = 'ws' | 'mjpeg';

export type ViewerCommand =
  | { cmd: 'connect'; transport: Transport; host: string; port: number; path: string; fast: number; stalled: number }
  | { cmd: 'status' }
  | { cmd: 'start' }
  | { cmd: 'stop' }
  | { cmd: 'exit' };

export interface ViewerStatus {
  ev: 'status';
  open: number;
  fastWithVideo: number;
  closed: number;
}

/** Figures over the measured window (start → stop), fast viewers unless said otherwise. */
export interface ViewerResult {
  ev: 'result';
  windowSeconds: number;
  fastOpen: number;
  fastClosed: number;
  /** Video frames per second, one entry per fast viewer. */
  videoFps: number[];
  audioPerSecond: number[];
  videoFrames: number;
  audioChunks: number;
  videoGaps: number;
  audioGaps: number;
  /** A chunk with a sequence not newer than the last one: must never happen. */
  outOfOrder: number;
  bytes: number;
  /** Latency in µs, capture time → last byte arrived. */
  videoLatencyUs: { p50: number; p99: number; max: number; count: number };
  audioLatencyUs: { p50: number; p99: number; max: number; count: number };
  stalledOpen: number;
  stalledFramesBeforeStall: number;
  stalledGaps: number;
  /** Errors seen (parse errors, unexpected closes), at most a few kept. */
  errors: string[];
}

export type ViewerEvent =
  | { ev: 'connected'; fast: number; stalled: number; failed: number; errors: string[] }
  | ViewerStatus
  | { ev: 'started' }
  | ViewerResult
  | { ev: 'error'; message: string };
