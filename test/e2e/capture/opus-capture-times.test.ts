import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FfmpegAudioSource } from '../../../src/capture/sources/ffmpeg-audio-source.js';
import { opusPacketDurationUs } from '../../../src/capture/formats/opus-duration.js';
import { nowMicros, type CapturedChunk } from '../../../src/capture/source.js';
import { ConfigSchema } from '../../../src/config/schema.js';
import { ChunkKind } from '../../../src/protocol/header.js';
import { capturingLogger, RecordingListener } from './recording-listener.js';

const SINE = ['-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'];
/** Long enough for ffmpeg (-re, 50 packets a second) to queue many Opus pages in the pipe. */
const BLOCK_MS = 300;

test('the Opus TOC byte gives the packet duration (RFC 6716)', () => {
  const toc = (config: number, code: number) => (config << 3) | code;
  assert.equal(opusPacketDurationUs(Buffer.from([toc(31, 0)])), 20_000, 'CELT 20 ms');
  assert.equal(opusPacketDurationUs(Buffer.from([toc(16, 0)])), 2_500, 'CELT 2.5 ms');
  assert.equal(opusPacketDurationUs(Buffer.from([toc(1, 1)])), 40_000, 'SILK 2 x 20 ms');
  assert.equal(opusPacketDurationUs(Buffer.from([toc(3, 2)])), 120_000, 'SILK 2 x 60 ms');
  assert.equal(opusPacketDurationUs(Buffer.from([toc(13, 3), 3])), 60_000, 'hybrid 3 x 20 ms');
  assert.equal(opusPacketDurationUs(Buffer.from([toc(3, 3), 3])), undefined, 'more than 120 ms');
  assert.equal(opusPacketDurationUs(Buffer.from([toc(31, 3), 0])), undefined, 'no frames');
  assert.equal(opusPacketDurationUs(Buffer.from([toc(31, 3)])), undefined, 'count missing');
  assert.equal(opusPacketDurationUs(Buffer.alloc(0)), undefined);
});

test('opus: packets read in one pipe read get their own capture times, 20 ms apart, the last at the read', async (t) => {
  const config = ConfigSchema.parse({ audio: { source: 'ffmpeg', input: SINE, codec: 'opus', sampleRate: 48000, channels: 1 } });
  const reads: Array<{ atUs: number; packets: CapturedChunk[] }> = [];
  let current: { atUs: number; packets: CapturedChunk[] } | undefined;
  // packets handed over in one synchronous run came from one pipe read
  const listener = new RecordingListener();
  const chunk = listener.chunk.bind(listener);
  listener.chunk = (captured) => {
    if (captured.kind === ChunkKind.Opus) {
      if (current === undefined) {
        current = { atUs: nowMicros(), packets: [] };
        reads.push(current);
        setImmediate(() => (current = undefined));
      }
      current.packets.push(captured);
    }
    chunk(captured);
  };
  const source = new FfmpegAudioSource(config, listener, capturingLogger().log, { timing: { stallMs: 5000, killGraceMs: 1000 } });
  t.after(() => source.stop());
  void source.start();
  const opusCount = () => listener.chunks.filter((c) => c.kind === ChunkKind.Opus).length;
  await listener.until(() => opusCount() >= 10, 15_000, '10 opus packets');
  const before = reads.length;
  const until = performance.now() + BLOCK_MS;
  while (performance.now() < until) {
    // the event loop is held so that ffmpeg's pages pile up in the pipe
  }
  await listener.until(() => reads.length > before + 3, 15_000, 'reads after the block');
  const burst = reads.slice(before).reduce((a, b) => (b.packets.length > a.packets.length ? b : a));
  assert.ok(burst.packets.length >= 5, `one read after a ${BLOCK_MS} ms block brought ${burst.packets.length} packets`);
  // Each read ends at its read time and steps back 20 ms a packet, never to before the packet read last
  // (a read that was late makes the next one's early packets wait at that time).
  let previousUs = 0;
  for (const read of reads) {
    const times = read.packets.map((packet) => packet.captureTimeUs);
    assert.ok(times.at(-1)! <= read.atUs && times.at(-1)! > read.atUs - 50_000, 'the last packet of a read carries the read time');
    for (let i = times.length - 2; i >= 0; i -= 1)
      assert.equal(times[i], Math.max(previousUs, times[i + 1]! - 20_000), `times within one read: ${times.join(',')}`);
    previousUs = times.at(-1)!;
  }
  const distinct = new Set(burst.packets.map((packet) => packet.captureTimeUs)).size;
  assert.ok(distinct >= 3, `${distinct} capture times for the ${burst.packets.length} packets of one read`);
  const all = listener.chunks.filter((c) => c.kind === ChunkKind.Opus).map((c) => c.captureTimeUs);
  for (let i = 1; i < all.length; i += 1) assert.ok(all[i]! >= all[i - 1]!, 'capture times never go back');
});
