/** One of the two H.264 paths (WebCodecs to the canvas, MSE to a `<video>`), as main.ts drives it. */
export interface H264Player {
  /** One access unit the keyframe gate let through, in Annex B. */
  push(accessUnit: Uint8Array<ArrayBuffer>, keyframe: boolean, captureTimeMs: number): void;
  /** Stops decoding and lets go of the decoder or MediaSource. */
  close(): void;
}

export interface H264PlayerEvents {
  /** A frame reached the screen; both times are wall-clock milliseconds. */
  onDisplayed(captureTimeMs: number, displayedAtMs: number): void;
  /** A decoded frame was replaced by a newer one before it was drawn. */
  onDropped(): void;
  /** The decoder failed; the caller replaces the player and waits for a keyframe. */
  onDecoderError(message: string): void;
}
