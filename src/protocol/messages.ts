/** JSON control messages on /ws, shared by the server and the viewer. */

export const PROTOCOL_VERSION = 1;
/** Largest client text message the server accepts (also the WebSocket maxPayload). */
export const MAX_CLIENT_MESSAGE_BYTES = 4096;

export type AudioCodecName = 'pcm_s16le' | 'opus';
export type VideoCodecName = 'jpeg' | 'h264';

export type VideoDescription =
  | { codec: 'jpeg'; width: number; height: number; fps: number }
  /** codecString is the RFC 6381 name read from the stream's SPS, e.g. "avc1.42E01F". */
  | { codec: 'h264'; codecString: string; width: number; height: number; fps: number };

export interface HelloMessage {
  type: 'hello';
  version: number;
  video: VideoDescription;
  audio: { codec: AudioCodecName; sampleRate: number; channels: number } | null;
}

/**
 * Client → server. `audioCodec` is our extension for browsers without an Opus decoder:
 * "pcm_s16le" asks for PCM when the daemon captures Opus (honoured when it can be).
 * `videoCodec` "jpeg" asks for JPEG frames when the daemon captures H.264 (a browser that cannot decode it).
 */
export interface SubscribeMessage {
  type: 'subscribe';
  video: boolean;
  audio: boolean;
  audioCodec?: AudioCodecName;
  videoCodec?: VideoCodecName;
}

/** WebSocket close codes the server uses for bad client input. */
export const CloseCode = {
  GoingAway: 1001,
  UnsupportedData: 1003,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  TryAgainLater: 1013,
} as const;

export type ClientMessageResult = { ok: true; message: SubscribeMessage } | { ok: false; closeCode: number; reason: string };

/** Parses one client text message; every failure names the close code the sender gets. */
export function parseClientMessage(text: string): ClientMessageResult {
  if (text.length > MAX_CLIENT_MESSAGE_BYTES) {
    return { ok: false, closeCode: CloseCode.MessageTooBig, reason: 'message too big' };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, closeCode: CloseCode.UnsupportedData, reason: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, closeCode: CloseCode.PolicyViolation, reason: 'not a JSON object' };
  }
  const record = value as Record<string, unknown>;
  if (record.type !== 'subscribe') {
    return { ok: false, closeCode: CloseCode.PolicyViolation, reason: 'unknown message type' };
  }
  for (const key of Object.keys(record)) {
    if (!['type', 'video', 'audio', 'audioCodec', 'videoCodec'].includes(key)) {
      return { ok: false, closeCode: CloseCode.PolicyViolation, reason: `unknown field ${key.slice(0, 32)}` };
    }
  }
  const video = record.video ?? true;
  const audio = record.audio ?? true;
  if (typeof video !== 'boolean' || typeof audio !== 'boolean') {
    return { ok: false, closeCode: CloseCode.PolicyViolation, reason: 'video and audio must be booleans' };
  }
  const audioCodec = record.audioCodec;
  if (audioCodec !== undefined && audioCodec !== 'pcm_s16le' && audioCodec !== 'opus') {
    return { ok: false, closeCode: CloseCode.PolicyViolation, reason: 'audioCodec must be "pcm_s16le" or "opus"' };
  }
  const videoCodec = record.videoCodec;
  if (videoCodec !== undefined && videoCodec !== 'jpeg' && videoCodec !== 'h264') {
    return { ok: false, closeCode: CloseCode.PolicyViolation, reason: 'videoCodec must be "jpeg" or "h264"' };
  }
  return {
    ok: true,
    message: { type: 'subscribe', video, audio, ...(audioCodec ? { audioCodec } : {}), ...(videoCodec ? { videoCodec } : {}) },
  };
}
