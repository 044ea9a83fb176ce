import { NewestPicture } from './newest-picture.js';

interface Decoded {
  frame: VideoFrame;
  bitmap: ImageBitmap;
  close(): void;
}

/** One JPEG as received, with the times the stats need. */
export interface VideoFrame {
  jpeg: Uint8Array<ArrayBuffer>;
  captureTimeMs: number;
}

export interface VideoRendererEvents {
  onDrawn(frame: VideoFrame): void;
  /** A frame was replaced by a newer one before it could be decoded or drawn. */
  onDropped(): void;
}

/**
 * Decodes JPEGs off the main thread and draws them on a canvas without ever falling behind: at most
 * one decode in flight, only the newest waiting frame kept, drawing on the next animation frame.
 */
export class VideoRenderer {
  private readonly context: CanvasRenderingContext2D;
  private decoding = false;
  private waiting: VideoFrame | null = null;
  private readonly decoded: NewestPicture<Decoded>;
  private shown: VideoFrame | null = null;
  // Bumped by clear(), so a decode still in flight cannot paint an old frame back.
  private generation = 0;
  decodeErrors = 0;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly events: VideoRendererEvents,
  ) {
    const context = canvas.getContext('2d', { alpha: false });
    if (!context) throw new Error('wscam: no 2D canvas context');
    this.context = context;
    this.decoded = new NewestPicture<Decoded>(
      (decoded) => this.draw(decoded),
      () => events.onDropped(),
    );
  }

  /** The frame on screen, for snapshots. */
  get currentFrame(): VideoFrame | null {
    return this.shown;
  }

  /** Sets the canvas to the stream's size; CSS letterboxes it to the viewport. */
  setSize(width: number, height: number): void {
    if (this.canvas.width !== width) this.canvas.width = width;
    if (this.canvas.height !== height) this.canvas.height = height;
  }

  /** Blanks the picture and forgets the frame, e.g. on logout, so nothing of the stream stays on screen. */
  clear(): void {
    this.generation++;
    this.waiting = null;
    this.decoded.clear();
    this.shown = null;
    this.context.fillStyle = '#000';
    this.context.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  push(frame: VideoFrame): void {
    if (this.decoding) {
      if (this.waiting) this.events.onDropped();
      this.waiting = frame;
      return;
    }
    void this.decode(frame);
  }

  private async decode(frame: VideoFrame): Promise<void> {
    this.decoding = true;
    const generation = this.generation;
    try {
      const bitmap = await createImageBitmap(new Blob([frame.jpeg], { type: 'image/jpeg' }));
      if (generation === this.generation) this.decoded.offer({ frame, bitmap, close: () => bitmap.close() });
      else bitmap.close();
    } catch {
      this.decodeErrors++;
    }
    this.decoding = false;
    const next = this.waiting;
    this.waiting = null;
    if (next) void this.decode(next);
  }

  private draw({ bitmap, frame }: Decoded): void {
    this.setSize(bitmap.width, bitmap.height);
    this.context.drawImage(bitmap, 0, 0);
    bitmap.close();
    this.shown = frame;
    this.events.onDrawn(frame);
  }
}
