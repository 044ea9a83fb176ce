import type { Config } from '../../config/schema.js';
import type { Logger } from '../../log.js';
import { ChunkKind } from '../../protocol/header.js';
import { audioArgs } from '../process/ffmpeg-args.js';
import { FfmpegSupervisor, type SupervisorTiming } from '../process/ffmpeg-supervisor.js';
import { OggOpusReader } from '../formats/ogg-opus.js';
import { opusPacketDurationUs } from '../formats/opus-duration.js';
import { PcmChunker, pcmBytesFor } from '../formats/pcm-chunker.js';
import { AUDIO_CHUNK_MS, nowMicros, type SourceListener } from '../source.js';
import { SupervisedSource } from './supervised-source.js';

/** Knobs of the ffmpeg audio source that tests shorten; production uses the defaults. */
export interface FfmpegAudioSourceOptions {
  timing?: Partial<SupervisorTiming>;
}

/**
 * Audio from ALSA (source "alsa") or any ffmpeg input (source "ffmpeg") through one supervised ffmpeg
 * child, as exact 20 ms s16le chunks or as Opus packets. With Opus, the same child also writes the audio as
 * s16le to a second pipe, so every Opus packet stream comes with a PCM chunk stream of the same sound.
 */
export class FfmpegAudioSource extends SupervisedSource {
  readonly name = 'audio';
  protected readonly supervisor: FfmpegSupervisor;
  private readonly pcm: PcmChunker;
  private readonly opus = new OggOpusReader();
  private readonly bytesPerSecond: number;
  /** Capture time of the last PCM chunk, so read jitter never moves the next one back. */
  private lastPcmUs = 0;
  /** The same for Opus packets. */
  private lastOpusUs = 0;

  constructor(
    config: Pick<Config, 'audio' | 'ffmpeg'>,
    private readonly listener: SourceListener,
    log: Logger,
    options: FfmpegAudioSourceOptions = {},
  ) {
    super();
    const { sampleRate, channels } = config.audio;
    this.pcm = new PcmChunker(pcmBytesFor(AUDIO_CHUNK_MS, sampleRate, channels));
    this.bytesPerSecond = sampleRate * channels * 2;
    this.supervisor = new FfmpegSupervisor({
      log,
      ffmpegPath: config.ffmpeg.path,
      chunkName: 'audio chunk',
      args: () => audioArgs(config.audio),
      onSpawn: () => {
        this.pcm.reset();
        this.lastPcmUs = 0;
        this.lastOpusUs = 0;
        this.opus.reset();
      },
      onStdout: (data) => (config.audio.codec === 'pcm' ? this.onPcm(data) : this.onOgg(data)),
      // With Opus, fd 3 carries the same audio as s16le for viewers that ask for PCM.
      ...(config.audio.codec === 'opus' ? { extraOutputs: [(data: Buffer) => this.onPcm(data)] } : {}),
      onState: (state) => listener.state(state),
      timing: options.timing,
    });
  }

  private onPcm(data: Buffer): void {
    const readUs = nowMicros();
    const chunks = this.pcm.push(data);
    // Capture time: when the pipe read returned, moved back by the audio that followed each chunk in
    // that read, so chunks of one read get 20 ms-spaced times instead of one shared time. A read that comes
    // a little early after a late one would give a time before the previous chunk's: that chunk keeps the
    // previous time (nowMicros is monotonic, so this only evens out jitter).
    let bytesAfter = this.pcm.pendingBytes + chunks.length * this.pcm.chunkBytes;
    for (const payload of chunks) {
      bytesAfter -= payload.length;
      const captureTimeUs = Math.max(this.lastPcmUs, readUs - Math.round((bytesAfter * 1_000_000) / this.bytesPerSecond));
      this.lastPcmUs = captureTimeUs;
      this.supervisor.chunkArrived();
      this.listener.chunk({ kind: ChunkKind.Pcm, payload, captureTimeUs });
    }
  }

  private onOgg(data: Buffer): void {
    // Capture time as for PCM: the last packet of a read gets the read time, each one before it that
    // time less the audio of the packets after it (its own TOC says how long each is).
    const readUs = nowMicros();
    const packets = this.opus.push(data);
    const durations = packets.map((packet) => opusPacketDurationUs(packet) ?? AUDIO_CHUNK_MS * 1000);
    let audioAfterUs = durations.reduce((sum, duration) => sum + duration, 0);
    packets.forEach((payload, index) => {
      audioAfterUs -= durations[index]!;
      const captureTimeUs = Math.max(this.lastOpusUs, readUs - audioAfterUs);
      this.lastOpusUs = captureTimeUs;
      this.supervisor.chunkArrived();
      this.listener.chunk({ kind: ChunkKind.Opus, payload, captureTimeUs });
    });
  }
}
