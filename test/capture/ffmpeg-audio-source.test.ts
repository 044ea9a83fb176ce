import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { FfmpegAudioSource } from '../../src/capture/ffmpeg-audio-source.js';
import { resolveFfmpeg } from '../../src/capture/ffmpeg-path.js';
import { ChunkKind } from '../../src/protocol/header.js';
import { ConfigSchema, type ConfigInput } from '../../src/config/schema.js';
import { oggOpusStream } from './ogg-writer.js';
import { capturingLogger, RecordingListener } from './recording-listener.js';

const SINE = ['-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'];
const FAST = { backoffMs: [150, 300], stallMs: 3000, killGraceMs: 1000 };

function audioSource(audio: NonNullable<ConfigInput['audio']>) {
  const config = ConfigSchema.parse({ audio });
  const listener = new RecordingListener();
  const source = new FfmpegAudioSource(config, listener, capturingLogger().log, { timing: FAST });
  return { source, listener };
}

function rms(pcm: Buffer): number {
  let sum = 0;
  const samples = Math.floor(pcm.length / 2);
  for (let i = 0; i < samples; i += 1) sum += pcm.readInt16LE(i * 2) ** 2;
  return Math.sqrt(sum / Math.max(1, samples));
}

/** Runs the resolved ffmpeg with `args`, feeding `input` on stdin; resolves with stdout. */
async function runFfmpeg(args: string[], input: Buffer): Promise<Buffer> {
  const ffmpeg = await resolveFfmpeg(null);
  assert.ok(ffmpeg.ok);
  const child = spawn(ffmpeg.path, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let errors = '';
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => (errors += d.toString()));
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  assert.equal(code, 0, errors);
  return Buffer.concat(out);
}

test('pcm: exact 20 ms chunks of s16le with 20 ms-spaced capture times', async (t) => {
  const { source, listener } = audioSource({ source: 'ffmpeg', input: SINE, codec: 'pcm', sampleRate: 16000, channels: 2 });
  t.after(() => source.stop());
  source.start();
  await listener.until(() => listener.chunks.length >= 30, 10_000, '30 pcm chunks');
  await source.stop();
  assert.equal(listener.states.at(-1)?.status, 'stopped');
  for (const chunk of listener.chunks) {
    assert.equal(chunk.kind, ChunkKind.Pcm);
    assert.equal(chunk.payload.length, (16000 / 50) * 2 * 2);
  }
  const times = listener.chunks.map((c) => c.captureTimeUs);
  for (let i = 1; i < times.length; i += 1) assert.ok(times[i]! >= times[i - 1]!, 'capture times never go back');
  assert.ok(rms(Buffer.concat(listener.chunks.map((c) => c.payload))) > 1000, 'the tone is not silent');
});

test('opus: 20 ms packets that a real decoder turns back into the tone', async (t) => {
  const { source, listener } = audioSource({ source: 'ffmpeg', input: SINE, codec: 'opus', sampleRate: 48000, channels: 1 });
  t.after(() => source.stop());
  source.start();
  await listener.until(() => listener.chunks.length >= 25, 10_000, '25 opus packets');
  await source.stop();
  const packets = listener.chunks.map((c) => c.payload);
  for (const chunk of listener.chunks) assert.equal(chunk.kind, ChunkKind.Opus);
  for (const packet of packets) {
    // RFC 6716 TOC byte: CELT-only configs 16..31 with size bits 3 mean 20 ms; code 0 is one frame.
    const config = packet[0]! >> 3;
    assert.ok(config >= 16 && (config & 3) === 3 && (packet[0]! & 3) === 0, `20 ms CELT packet, TOC 0x${packet[0]!.toString(16)}`);
  }
  const ogg = oggOpusStream(packets, 1, 48000);
  const pcm = await runFfmpeg(['-hide_banner', '-loglevel', 'error', '-f', 'ogg', '-i', 'pipe:0', '-f', 's16le', '-ac', '1', '-ar', '48000', 'pipe:1'], ogg);
  const expectedBytes = packets.length * 960 * 2;
  assert.ok(Math.abs(pcm.length - expectedBytes) <= 960 * 2, `decoded ${pcm.length} bytes, expected about ${expectedBytes}`);
  assert.ok(rms(pcm.subarray(pcm.length / 4)) > 1000, 'decoded audio is not silent');
});

test('an audio source with a missing input goes down and retries without throwing', async (t) => {
  const { source, listener } = audioSource({ source: 'ffmpeg', input: ['-i', '/nonexistent/audio.wav'], codec: 'pcm' });
  t.after(() => source.stop());
  source.start();
  await listener.until(() => listener.states.filter((s) => s.status === 'down').length >= 2, 10_000, 'two failures');
  const down = listener.states.find((s) => s.status === 'down');
  assert.ok(down?.status === 'down');
  assert.match(down.reason, /audio\.wav: No such file or directory/);
  await source.stop();
  assert.equal(listener.chunks.length, 0);
});
