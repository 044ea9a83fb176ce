import type { H264Player, H264PlayerEvents } from './h264-player.js';
import { NewestPicture } from './newest-picture.js';
import { wallClockMs } from './stats.js';

/**
 * H.264 through WebCodecs `VideoDecoder` (Annex B, no description: SPS/PPS come with every keyframe)
 * onto the canvas. The newest decoded frame is drawn on the next animation frame; older ones are
 * closed unseen, so a burst (a new viewer's GOP) costs decoding but never delay.
 */
export class WebCodecsPlayer implements H264Player {
  private readonly decoder: VideoDecoder;
  private readonly context: CanvasRenderingContext2D;
  private readonly newest: NewestPicture<VideoFrame>;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    codecString: string,
    private readonly events: H264PlayerEvents,
  ) {
    const context = canvas.getContext('2d', { alpha: false });
    if (!context) throw new Error('wscam: no 2D canvas context');
    this.context = context;
    this.newest = new NewestPicture<VideoFrame>(
      (frame) => this.draw(frame),
      () => events.onDropped(),
    );
    this.decoder = new VideoDecoder({
      output: (frame) => this.keep(frame),
      error: (error) => this.events.onDecoderError(`VideoDecoder: ${error.message}`),
    });
    this.decoder.configure({ codec: codecString, optimizeForLatency: true });
  }

  push(accessUnit: Uint8Array<ArrayBuffer>, keyframe: boolean, captureTimeMs: number): void {
    if (this.decoder.state !== 'configured') return;
    try {
      // The capture time rides along as the timestamp, so the output frame says when it was taken.
      this.decoder.decode(
        new EncodedVideoChunk({ type: keyframe ? 'key' : 'delta', timestamp: Math.round(captureTimeMs * 1000), data: accessUnit }),
      );
    } catch (error) {
      this.events.onDecoderError(`VideoDecoder: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  close(): void {
    this.newest.clear();
    if (this.decoder.state !== 'closed') this.decoder.close();
  }

  private keep(frame: VideoFrame): void {
    if (this.decoder.state === 'closed') {
      frame.close();
      return;
    }
    this.newest.offer(frame);
  }

  private draw(frame: VideoFrame): void {
    if (this.decoder.state === 'closed') {
      frame.close();
      return;
    }
    if (this.canvas.width !== frame.displayWidth) this.canvas.width = frame.displayWidth;
    if (this.canvas.height !== frame.displayHeight) this.canvas.height = frame.displayHeight;
    this.context.drawImage(frame, 0, 0);
    const captureTimeMs = frame.timestamp / 1000;
    frame.close();
    this.events.onDisplayed(captureTimeMs, wallClockMs());
  }
}
