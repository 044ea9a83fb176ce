import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FfmpegAudioSource } from '../../../src/capture/sources/ffmpeg-audio-source.js';
import { resolveFfmpeg } from '../../../src/capture/process/ffmpeg-path.js';
import { ChunkKind } from '../../../src/protocol/header.js';
import type { CapturedChunk } from '../../../src/capture/source.js';
import { ConfigSchema, type ConfigInput } from '../../../src/config/schema.js';
import { oggOpusStream } from '../../helpers/ogg-writer.js';
import { capturingLogger, RecordingListener } from './recording-listener.js';

const SINE = ['-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'];
const FAST = { backoffMs: [150, 300], stallMs: 3000, killGraceMs: 1000 };

function audioSource(audio: NonNullable<ConfigInput['audio']>, ffmpegPath: string | null = null) {
  const config = ConfigSchema.parse({ audio, ffmpeg: { path: ffmpegPath } });
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

function ofKind(chunks: readonly CapturedChunk[], kind: ChunkKind): CapturedChunk[] {
  return chunks.filter((c) => c.kind === kind);
}

/** Chunks per second between the `from`-th and the last chunk, by capture time. */
function ratePerSecond(chunks: readonly CapturedChunk[], from: number): number {
  const first = chunks[from]!.captureTimeUs;
  const last = chunks.at(-1)!.captureTimeUs;
  return ((chunks.length - 1 - from) * 1_000_000) / (last - first);
}

/** Sign changes per second of mono s16le: twice the frequency of a pure tone. */
function zeroCrossingsPerSecond(pcm: Buffer, sampleRate: number): number {
  let crossings = 0;
  const samples = Math.floor(pcm.length / 2);
  for (let i = 1; i < samples; i += 1) if (pcm.readInt16LE(i * 2 - 2) < 0 !== pcm.readInt16LE(i * 2) < 0) crossings += 1;
  return (crossings * sampleRate) / samples;
}

/** An executable "ffmpeg": a shell script `body` that ends by exec-ing the real one, "$REAL" "$@". */
async function wrappedFfmpeg(body: string): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const real = await resolveFfmpeg(null);
  assert.ok(real.ok);
  const dir = await mkdtemp(join(tmpdir(), 'wscam-ffmpeg-'));
  const path = join(dir, 'ffmpeg');
  await writeFile(path, `#!/bin/sh\nREAL='${real.path}'\n${body}\n`);
  await chmod(path, 0o755);
  return { path, cleanup: () => rm(dir, { recursive: true, force: true }) };
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
  void source.start();
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
  void source.start();
  await listener.until(() => ofKind(listener.chunks, ChunkKind.Opus).length >= 25, 10_000, '25 opus packets');
  await source.stop();
  const packets = ofKind(listener.chunks, ChunkKind.Opus).map((c) => c.payload);
  for (const packet of packets) {
    // RFC 6716 TOC byte: CELT-only configs 16..31 with size bits 3 mean 20 ms; code 0 is one frame.
    const config = packet[0]! >> 3;
    assert.ok(config >= 16 && (config & 3) === 3 && (packet[0]! & 3) === 0, `20 ms CELT packet, TOC 0x${packet[0]!.toString(16)}`);
  }
  const ogg = oggOpusStream(packets, 1, 48000);
  const pcm = await runFfmpeg(
    ['-hide_banner', '-loglevel', 'error', '-f', 'ogg', '-i', 'pipe:0', '-f', 's16le', '-ac', '1', '-ar', '48000', 'pipe:1'],
    ogg,
  );
  const expectedBytes = packets.length * 960 * 2;
  assert.ok(Math.abs(pcm.length - expectedBytes) <= 960 * 2, `decoded ${pcm.length} bytes, expected about ${expectedBytes}`);
  assert.ok(rms(pcm.subarray(pcm.length / 4)) > 1000, 'decoded audio is not silent');
});

test('an audio source with a missing input goes down and retries without throwing', async (t) => {
  const { source, listener } = audioSource({ source: 'ffmpeg', input: ['-i', '/nonexistent/audio.wav'], codec: 'pcm' });
  t.after(() => source.stop());
  void source.start();
  await listener.until(() => listener.states.filter((s) => s.status === 'down').length >= 2, 10_000, 'two failures');
  const down = listener.states.find((s) => s.status === 'down');
  assert.ok(down?.status === 'down');
  assert.match(down.reason, /audio\.wav: No such file or directory/);
  await source.stop();
  assert.equal(listener.chunks.length, 0);
});

test('opus also delivers the same audio as 20 ms PCM chunks from a second output, ~50/s each', async (t) => {
  const { source, listener } = audioSource({ source: 'ffmpeg', input: SINE, codec: 'opus', sampleRate: 48000, channels: 1 });
  t.after(() => source.stop());
  void source.start();
  const enough = (): boolean => ofKind(listener.chunks, ChunkKind.Opus).length >= 75 && ofKind(listener.chunks, ChunkKind.Pcm).length >= 75;
  await listener.until(enough, 10_000, '75 opus packets and 75 pcm chunks');
  await source.stop();
  assert.equal(listener.states.at(-1)?.status, 'stopped');
  const opus = ofKind(listener.chunks, ChunkKind.Opus);
  const pcm = ofKind(listener.chunks, ChunkKind.Pcm);
  for (const chunk of pcm) assert.equal(chunk.payload.length, 1920, '20 ms of 48 kHz mono s16le');
  for (const kind of [opus, pcm]) {
    for (let i = 1; i < kind.length; i += 1)
      assert.ok(kind[i]!.captureTimeUs >= kind[i - 1]!.captureTimeUs, `capture times never go back (kind ${kind[i]!.kind}, #${i})`);
  }
  // Skip the start, where ffmpeg may hand over what it buffered while opening in one read.
  const opusRate = ratePerSecond(opus, 20);
  const pcmRate = ratePerSecond(pcm, 20);
  assert.ok(opusRate > 40 && opusRate < 60, `opus packets at ${opusRate.toFixed(1)}/s`);
  assert.ok(pcmRate > 40 && pcmRate < 60, `pcm chunks at ${pcmRate.toFixed(1)}/s`);
  const sound = Buffer.concat(pcm.map((c) => c.payload));
  assert.ok(rms(sound) > 1000, 'the PCM tone is not silent');
  const hz = zeroCrossingsPerSecond(sound, 48000) / 2;
  assert.ok(Math.abs(hz - 440) < 10, `the PCM is the 440 Hz tone (${hz.toFixed(1)} Hz)`);
});

test('opus: kill -9 of the child restarts it with both outputs', async (t) => {
  const { source, listener } = audioSource({ source: 'ffmpeg', input: SINE, codec: 'opus', sampleRate: 48000, channels: 1 });
  t.after(() => source.stop());
  void source.start();
  const both = (from: number, n: number) => (): boolean => {
    const after = listener.chunks.slice(from);
    return ofKind(after, ChunkKind.Opus).length >= n && ofKind(after, ChunkKind.Pcm).length >= n;
  };
  await listener.until(both(0, 10), 10_000, 'both outputs before the kill');
  const pid = source.pid;
  assert.ok(pid !== undefined);
  process.kill(pid, 'SIGKILL');
  await listener.until(() => listener.states.some((s) => s.status === 'down'), 5000, 'down after the kill');
  const down = listener.states.find((s) => s.status === 'down');
  assert.ok(down?.status === 'down');
  assert.match(down.reason, /SIGKILL/);
  const mark = listener.chunks.length;
  await listener.until(both(mark, 10), 10_000, 'both outputs after the restart');
  assert.notEqual(source.pid, pid);
  assert.equal(source.restarts, 1);
  await source.stop();
  assert.equal(listener.states.at(-1)?.status, 'stopped');
});

test('opus: a PCM pipe that ends at once costs only the PCM; Opus goes on and stop() resolves', async (t) => {
  const fake = await wrappedFfmpeg('exec "$REAL" "$@" 3>/dev/null');
  t.after(fake.cleanup);
  const { source, listener } = audioSource({ source: 'ffmpeg', input: SINE, codec: 'opus', sampleRate: 48000, channels: 1 }, fake.path);
  t.after(() => source.stop());
  void source.start();
  await listener.until(() => ofKind(listener.chunks, ChunkKind.Opus).length >= 25, 10_000, '25 opus packets');
  assert.equal(ofKind(listener.chunks, ChunkKind.Pcm).length, 0);
  assert.equal(source.restarts, 0);
  await source.stop();
  assert.equal(listener.states.at(-1)?.status, 'stopped');
});

test('opus: a PCM pipe whose reader goes away makes ffmpeg fail; the source restarts it without throwing', async (t) => {
  // fd 3 reaches the daemon through `head` on a fifo, which exits after 0.5 s of audio: ffmpeg's next
  // write to pipe:3 fails (EPIPE) while Opus is still flowing. exec keeps ffmpeg the supervised process.
  const fake = await wrappedFfmpeg(
    [
      'dir=$(mktemp -d)',
      'mkfifo "$dir/pcm"',
      'head -c 48000 <"$dir/pcm" >&3 &',
      'exec 3>"$dir/pcm"',
      'rm -rf "$dir"',
      'exec "$REAL" "$@"',
    ].join('\n'),
  );
  t.after(fake.cleanup);
  const { source, listener } = audioSource({ source: 'ffmpeg', input: SINE, codec: 'opus', sampleRate: 48000, channels: 1 }, fake.path);
  t.after(() => source.stop());
  void source.start();
  await listener.until(() => listener.states.some((s) => s.status === 'down'), 10_000, 'a failure');
  const down = listener.states.find((s) => s.status === 'down');
  assert.ok(down?.status === 'down');
  assert.match(down.reason, /pipe:3|Broken pipe/);
  await listener.until(() => listener.states.filter((s) => s.status === 'running').length >= 2, 10_000, 'running again');
  assert.ok(ofKind(listener.chunks, ChunkKind.Pcm).length > 0);
  await source.stop();
  assert.equal(listener.states.at(-1)?.status, 'stopped');
});
