import type { H264Format } from './capture/source.js';
import type { Config } from './config/schema.js';
import { PROTOCOL_VERSION, type HelloMessage } from './protocol/messages.js';

/**
 * The hello every viewer gets first: what the streams are, from the config they were built with.
 * In H.264 mode codecString, width and height come from the stream's SPS, which the config cannot know:
 * this hello carries the configured size and an empty codecString, and each viewer connection sends it
 * completed by withVideoFormat once a keyframe's format is known.
 */
export function helloFor(config: Config): HelloMessage {
  const { video, audio } = config;
  // The synthetic microphone always makes PCM; real capture encodes what audio.codec says.
  const audioCodec = audio.codec === 'opus' && audio.source !== 'test' ? 'opus' : 'pcm_s16le';
  const size = { width: video.width, height: video.height, fps: video.fps };
  return {
    type: 'hello',
    version: PROTOCOL_VERSION,
    video: video.codec === 'h264' ? { codec: 'h264', codecString: '', ...size } : { codec: 'jpeg', ...size },
    audio: audio.enabled ? { codec: audioCodec, sampleRate: audio.sampleRate, channels: audio.channels } : null,
  };
}

/** An H.264 hello with what the stream's SPS says; any other hello as it is. */
export function withVideoFormat(hello: HelloMessage, format: H264Format): HelloMessage {
  if (hello.video.codec !== 'h264') return hello;
  return { ...hello, video: { ...hello.video, codecString: format.codecString, width: format.width, height: format.height } };
}
