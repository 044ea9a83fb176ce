/** Sample rate and channel count of the stream's audio, from the hello message. */
export interface AudioFormat {
  sampleRate: number;
  channels: number;
}

export function sameFormat(a: AudioFormat | null, b: AudioFormat | null): boolean {
  return a !== null && b !== null && a.sampleRate === b.sampleRate && a.channels === b.channels;
}

/** Interleaved signed 16-bit little-endian PCM → one float array per channel. */
export function pcmS16leToPlanes(payload: Uint8Array, channels: number): Float32Array[] {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const frames = Math.floor(payload.byteLength / (2 * channels));
  const planes = Array.from({ length: channels }, () => new Float32Array(frames));
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) planes[c]![i] = view.getInt16((i * channels + c) * 2, true) / 32768;
  }
  return planes;
}
