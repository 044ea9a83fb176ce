import { createAudioSink, type AudioSink } from './audio-sink.js';
import { pcmS16leToPlanes, sameFormat, type AudioFormat } from './audio-format.js';
import { OpusDecoder } from './opus-decoder.js';
import type { JitterBufferStats } from './jitter-buffer.js';

export interface AudioPlayerStats {
  contextState: AudioContextState | 'none';
  contextRate: number | null;
  sink: AudioSink['kind'] | null;
  buffer: JitterBufferStats | null;
  chunks: number;
  decodeErrors: number;
  /** Opus arrived but this browser has no decoder for it (and the daemon sent no PCM). */
  cannotDecode: boolean;
  volume: number;
  muted: boolean;
}

/**
 * The listening chain: decoded chunks → jitter-buffer sink → analyser → gain (volume, mute) → speakers.
 * The analyser sits before the gain so level meters and tests see the signal even when muted.
 */
export class AudioPlayer {
  audioContext: AudioContext | null = null;
  analyser: AnalyserNode | null = null;
  private gain: GainNode | null = null;
  private sink: AudioSink | null = null;
  private sinkFormat: AudioFormat | null = null;
  private building: Promise<void> | null = null;
  private opus: OpusDecoder | null = null;
  private chunks = 0;
  private cannotDecode = false;
  private volume = 1;
  private muted = false;

  get started(): boolean {
    return this.audioContext !== null;
  }

  /**
   * Call from a user gesture: browsers only let a page start sound in one. Running the context at
   * the stream's rate lets the browser resample once, with its own filter, instead of us.
   */
  start(preferredRate?: number): void {
    if (this.audioContext) {
      void this.audioContext.resume();
      return;
    }
    const context = createContext(preferredRate);
    void context.resume();
    this.audioContext = context;
    this.analyser = context.createAnalyser();
    this.analyser.fftSize = 2048;
    this.gain = context.createGain();
    this.applyGain();
    this.analyser.connect(this.gain).connect(context.destination);
  }

  /** Prepares the player for the stream's format; chunks that arrive before it is ready are dropped. */
  setFormat(format: AudioFormat): Promise<void> {
    const context = this.audioContext;
    if (!context || !this.analyser) return Promise.resolve();
    if (sameFormat(this.sinkFormat, format) || this.building) return this.building ?? Promise.resolve();
    this.dropSink();
    this.sinkFormat = format;
    this.building = createAudioSink(context, {
      channels: format.channels,
      inputRate: format.sampleRate,
      outputRate: context.sampleRate,
    })
      .then((sink) => {
        if (this.audioContext !== context || !sameFormat(this.sinkFormat, format)) return sink.disconnect();
        sink.node.connect(this.analyser!);
        this.sink = sink;
      })
      .finally(() => {
        this.building = null;
      });
    return this.building;
  }

  pushPcm(payload: Uint8Array): void {
    if (!this.sink || !this.sinkFormat) return;
    this.chunks++;
    this.sink.push(pcmS16leToPlanes(payload, this.sinkFormat.channels));
  }

  pushOpus(packet: Uint8Array<ArrayBuffer>, timestampUs: number, format: AudioFormat): void {
    if (!this.audioContext) return;
    if (!('AudioDecoder' in window)) {
      this.cannotDecode = true;
      return;
    }
    this.opus ??= new OpusDecoder(format, (planes, sampleRate) => this.pushPlanes(planes, sampleRate));
    this.opus.decode(packet, timestampUs);
  }

  /** Forgets buffered audio, e.g. after a reconnect, so playback restarts at low latency. */
  clear(): void {
    this.sink?.clear();
    this.opus?.close();
    this.opus = null;
  }

  setVolume(volume: number): void {
    this.volume = Math.max(0, Math.min(1, volume));
    this.applyGain();
  }

  setMuted(muted: boolean): void {
    this.muted = muted;
    this.applyGain();
  }

  get isMuted(): boolean {
    return this.muted;
  }

  get currentVolume(): number {
    return this.volume;
  }

  stats(): AudioPlayerStats {
    return {
      contextState: this.audioContext?.state ?? 'none',
      contextRate: this.audioContext?.sampleRate ?? null,
      sink: this.sink?.kind ?? null,
      buffer: this.sink?.stats() ?? null,
      chunks: this.chunks,
      decodeErrors: this.opus?.errors ?? 0,
      cannotDecode: this.cannotDecode,
      volume: this.volume,
      muted: this.muted,
    };
  }

  private pushPlanes(planes: Float32Array[], sampleRate: number): void {
    const channels = planes.length;
    if (!sameFormat(this.sinkFormat, { sampleRate, channels })) {
      void this.setFormat({ sampleRate, channels });
      return;
    }
    this.chunks++;
    this.sink?.push(planes);
  }

  private dropSink(): void {
    this.sink?.disconnect();
    this.sink = null;
    this.sinkFormat = null;
  }

  private applyGain(): void {
    if (!this.gain || !this.audioContext) return;
    this.gain.gain.setTargetAtTime(this.muted ? 0 : this.volume, this.audioContext.currentTime, 0.015);
  }
}

function createContext(sampleRate?: number): AudioContext {
  try {
    return new AudioContext({ latencyHint: 'interactive', ...(sampleRate ? { sampleRate } : {}) });
  } catch {
    return new AudioContext({ latencyHint: 'interactive' });
  }
}
