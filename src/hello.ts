import type { Config } from './config/schema.js';
import { PROTOCOL_VERSION, type HelloMessage } from './protocol/messages.js';

/** The hello every viewer gets first: what the streams are, from the config they were built with. */
export function helloFor(config: Config): HelloMessage {
  const { video, audio } = config;
  // The synthetic microphone always makes PCM; real capture encodes what audio.codec says.
  const audioCodec = audio.codec === 'opus' && audio.source !== 'test' ? 'opus' : 'pcm_s16le';
  return {
    type: 'hello',
    version: PROTOCOL_VERSION,
    video: { codec: 'jpeg', width: video.width, height: video.height, fps: video.fps },
    audio: audio.enabled ? { codec: audioCodec, sampleRate: audio.sampleRate, channels: audio.channels } : null,
  };
}
