import { ChunkFlag, type ChunkHeader } from '../../src/protocol/header.js';
import type { VideoDescription } from '../../src/protocol/messages.js';
import { probeH264Support } from './decoder-support.js';
import { MsePlayer } from './h264-mse.js';
import type { H264Player, H264PlayerEvents } from './h264-player.js';
import { WebCodecsPlayer } from './h264-webcodecs.js';
import { KeyframeGate } from './keyframe-gate.js';
import { LatestGop } from './latest-gop.js';
import { choosePath, type VideoPath } from './video-path.js';

type H264Description = Extract<VideoDescription, { codec: 'h264' }>;

/** What the overlay and window.wscam.stats().video show of the H.264 paths. */
export interface H264Stats {
  decoderErrors: number;
  lastDecoderError: string | null;
  /** Times a sequence gap made the page wait for a keyframe. */
  keyframeWaits: number;
  /** Access units dropped while waiting for a keyframe. */
  skippedForKeyframe: number;
}

interface Held {
  header: ChunkHeader;
  payload: Uint8Array<ArrayBuffer>;
}

// A GOP's worth at 60 fps with 5 s keyframes; past this the page just waits for the next keyframe.
const maxHeld = 300;

/**
 * The H.264 side of the viewer: picks WebCodecs or MSE for a hello, feeds the player through the
 * keyframe gate, and replaces the player after a decoder error. Access units that arrive while the
 * browser is still being asked what it can decode are held from the newest keyframe on, so a new
 * viewer's first GOP is not lost to the question.
 */
export class H264Video {
  private readonly gate = new KeyframeGate();
  private player: H264Player | null = null;
  private description: H264Description | null = null;
  private path: VideoPath | null = null;
  private readonly held = new LatestGop<Held>(maxHeld);
  private choosing = false;
  private restartQueued = false;
  private generation = 0;
  private decoderErrors = 0;
  private lastDecoderError: string | null = null;
  private readonly playerEvents: H264PlayerEvents;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly video: HTMLVideoElement,
    events: Pick<H264PlayerEvents, 'onDisplayed' | 'onDropped'>,
  ) {
    this.playerEvents = {
      ...events,
      onDecoderError: (message) => {
        this.decoderErrors++;
        this.lastDecoderError = message;
        // Replaced after the failing call has unwound: jMuxer and VideoDecoder report from inside their own work.
        if (this.restartQueued) return;
        this.restartQueued = true;
        queueMicrotask(() => {
          this.restartQueued = false;
          this.restartPlayer();
        });
      },
    };
  }

  /** Chooses the path for a new hello (a new connection or a format change) and sets up its player. */
  async start(description: H264Description, forced: VideoPath | null): Promise<VideoPath> {
    this.stop();
    const generation = this.generation;
    this.description = description;
    this.choosing = true;
    const support = await probeH264Support(description.codecString);
    if (generation !== this.generation) return 'jpeg';
    this.choosing = false;
    this.path = choosePath(description, support, forced);
    if (this.path !== 'jpeg') this.restartPlayer();
    for (const { header, payload } of this.held.take()) this.receive(header, payload);
    return this.path;
  }

  /** Tears the player down (logout, a new hello, the page leaving the H.264 paths). */
  stop(): void {
    this.generation++;
    this.player?.close();
    this.player = null;
    this.description = null;
    this.path = null;
    this.held.take();
    this.choosing = false;
    this.gate.reset();
  }

  /** One kind 4 message. */
  receive(header: ChunkHeader, payload: Uint8Array<ArrayBuffer>): void {
    const keyframe = (header.flags & ChunkFlag.Keyframe) !== 0;
    if (this.choosing) {
      this.held.add({ header, payload }, keyframe);
      return;
    }
    if (!this.player) return;
    // A hidden tab shows nothing; decoding there would only burn the battery. Back in view, the next keyframe starts it.
    if (document.hidden) {
      this.gate.restart();
      return;
    }
    if (this.gate.accept(header.sequence, keyframe)) this.player.push(payload, keyframe, header.captureTimeUs / 1000);
  }

  stats(): H264Stats {
    return {
      decoderErrors: this.decoderErrors,
      lastDecoderError: this.lastDecoderError,
      keyframeWaits: this.gate.gapWaits,
      skippedForKeyframe: this.gate.skipped,
    };
  }

  private restartPlayer(): void {
    this.player?.close();
    this.player = null;
    this.gate.restart();
    const description = this.description;
    if (!description || this.path === null || this.path === 'jpeg') return;
    try {
      this.player =
        this.path === 'webcodecs'
          ? new WebCodecsPlayer(this.canvas, description.codecString, this.playerEvents)
          : new MsePlayer(this.video, description.fps, this.playerEvents);
    } catch (error) {
      this.decoderErrors++;
      this.lastDecoderError = error instanceof Error ? error.message : String(error);
    }
  }
}
