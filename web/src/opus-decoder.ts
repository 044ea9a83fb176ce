import type { AudioFormat } from './audio-format.js';

/** Decoded audio: one array per channel, at `sampleRate`. */
export type PlanesHandler = (planes: Float32Array[], sampleRate: number) => void;

function decoderConfig(format: AudioFormat): AudioDecoderConfig {
  return { codec: 'opus', sampleRate: format.sampleRate, numberOfChannels: format.channels };
}

/** Whether this browser can decode the stream's Opus (WebCodecs exists only in secure contexts). */
export async function canDecodeOpus(format: AudioFormat): Promise<boolean> {
  if (!('AudioDecoder' in window)) return false;
  try {
    return (await AudioDecoder.isConfigSupported(decoderConfig(format))).supported === true;
  } catch {
    return false;
  }
}

/** WebCodecs Opus decoding of one packet per message into planar float chunks. */
export class OpusDecoder {
  private decoder: AudioDecoder | null = null;
  errors = 0;

  constructor(
    private readonly format: AudioFormat,
    private readonly onPlanes: PlanesHandler,
  ) {}

  decode(packet: Uint8Array<ArrayBuffer>, timestampUs: number): void {
    const decoder = this.ready();
    // A decoder that falls this far behind is stuck; dropping packets keeps latency bounded.
    if (decoder.decodeQueueSize > 10) return;
    decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp: timestampUs, data: packet }));
  }

  close(): void {
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = null;
  }

  private ready(): AudioDecoder {
    if (this.decoder && this.decoder.state !== 'closed') return this.decoder;
    this.decoder = new AudioDecoder({
      output: (data) => this.output(data),
      error: (error) => {
        this.errors++;
        console.warn('wscam: opus decoder error', error);
      },
    });
    this.decoder.configure(decoderConfig(this.format));
    return this.decoder;
  }

  private output(data: AudioData): void {
    try {
      const planes: Float32Array[] = [];
      for (let c = 0; c < data.numberOfChannels; c++) {
        const plane = new Float32Array(data.numberOfFrames);
        data.copyTo(plane, { planeIndex: c, format: 'f32-planar' });
        planes.push(plane);
      }
      this.onPlanes(planes, data.sampleRate);
    } finally {
      data.close();
    }
  }
}
