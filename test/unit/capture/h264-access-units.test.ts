import assert from 'node:assert/strict';
import { test } from 'node:test';
import { H264AccessUnitParser, type H264Chunk } from '../../../src/capture/formats/h264-access-units.js';
import { ChunkKind } from '../../../src/protocol/header.js';
import { decodedFrames, fixtures, withHeadersOnce, type H264Fixture } from './h264-fixtures.js';
import { feed, prng } from './jpeg-fixtures.js';

const streams: H264Fixture[] = [
  fixtures.baselineAud(),
  fixtures.baselinePlain(),
  fixtures.highSlices(),
  fixtures.highAud(),
  fixtures.high422Interlaced(),
];
const CAPTURE_US = 1_700_000_000_000_000;

function parseAll(stream: Buffer, size: number | (() => number), parser = new H264AccessUnitParser()): H264Chunk[] {
  return [...feed(stream, size, (chunk) => parser.push(chunk, CAPTURE_US)), ...parser.end()];
}

function assertMatchesProbe(units: H264Chunk[], fixture: H264Fixture, how: string): void {
  assert.deepEqual(
    units.map((unit) => ({ size: unit.payload.length, keyframe: unit.keyframe })),
    fixture.packets,
    `${fixture.name}, ${how}: access units differ from ffprobe's packets`,
  );
  assert.ok(Buffer.concat(units.map((unit) => unit.payload)).equals(fixture.stream), `${fixture.name}, ${how}: bytes lost or reordered`);
}

test('fed whole, each real stream splits into exactly the access units ffprobe finds, keyframes included', () => {
  for (const fixture of streams) {
    assert.ok(fixture.packets.filter((packet) => packet.keyframe).length >= 3, `${fixture.name}: fixture has several GOPs`);
    const units = parseAll(fixture.stream, fixture.stream.length);
    assertMatchesProbe(units, fixture, 'whole');
    for (const unit of units) {
      assert.equal(unit.kind, ChunkKind.H264);
      assert.equal(unit.captureTimeUs, CAPTURE_US);
      if (unit.keyframe)
        assert.deepEqual(unit.videoFormat && { width: unit.videoFormat.width, height: unit.videoFormat.height }, {
          width: fixture.width,
          height: fixture.height,
        });
      else assert.equal(unit.videoFormat, undefined, 'videoFormat rides on keyframes only');
    }
  }
});

test('an access unit inside one read is a view of it, not a copy', () => {
  const fixture = streams[0]!;
  const units = parseAll(fixture.stream, fixture.stream.length);
  for (const unit of units) assert.equal(unit.payload.buffer, fixture.stream.buffer);
});

test('fed one byte at a time, every start code and NAL header split across reads, the access units are the same', () => {
  for (const fixture of streams) assertMatchesProbe(parseAll(fixture.stream, 1), fixture, 'byte by byte');
});

test('fed at random split points, the access units are the same', () => {
  const next = prng(12);
  for (const fixture of streams) {
    for (let round = 0; round < 10; round += 1) {
      const large = round % 2 === 0;
      assertMatchesProbe(
        parseAll(fixture.stream, () => (large ? next() * 40 : next() % 7)),
        fixture,
        `random splits round ${round}`,
      );
    }
  }
});

test('3-byte and 4-byte start codes both delimit NAL units', () => {
  const fixture = streams[2]!; // several slices per picture: x264 writes 3-byte start codes between them
  const four = Buffer.from([0, 0, 0, 1]);
  const three = Buffer.from([0, 0, 1]);
  const shortened = Buffer.from(fixture.stream.toString('latin1').split(four.toString('latin1')).join(three.toString('latin1')), 'latin1');
  const lengthened = Buffer.from(
    fixture.stream
      .toString('latin1')
      .split(four.toString('latin1'))
      .join(three.toString('latin1'))
      .split(three.toString('latin1'))
      .join(four.toString('latin1')),
    'latin1',
  );
  assert.ok(shortened.length < fixture.stream.length && lengthened.length > fixture.stream.length);
  for (const variant of [shortened, lengthened]) {
    for (const size of [variant.length, 1, 5]) {
      const units = parseAll(variant, size);
      assert.deepEqual(
        units.map((unit) => unit.keyframe),
        fixture.packets.map((packet) => packet.keyframe),
      );
      assert.ok(Buffer.concat(units.map((unit) => unit.payload)).equals(variant));
    }
    assert.equal(decodedFrames(variant), fixture.packets.length, 'the rewritten stream still decodes');
  }
});

test('the SPS, PPS and SEI in front of a picture belong to its access unit', () => {
  const fixture = streams[3]!; // high profile, AUD: the first access unit is AUD SPS PPS SEI IDR
  const [first, second] = parseAll(fixture.stream, 1);
  const types = (payload: Buffer): number[] => {
    const out: number[] = [];
    for (let i = 2; i < payload.length - 1; i += 1)
      if (payload[i] === 1 && payload[i - 1] === 0 && payload[i - 2] === 0) out.push(payload[i + 1]! & 0x1f);
    return out;
  };
  assert.deepEqual(types(first!.payload), [9, 7, 8, 6, 5]);
  assert.deepEqual(types(second!.payload), [9, 1]);
  assert.equal(first!.keyframe, true);
  assert.equal(second!.keyframe, false);
});

test('garbage before the first start code is skipped and counted', () => {
  const fixture = streams[0]!;
  const garbage = Buffer.from([0x41, 0x00, 0x01, 0x00, 0x00, 0x02, 0xff, 0x00]);
  for (const size of [1_000_000, 1, 3]) {
    const parser = new H264AccessUnitParser();
    const units = parseAll(Buffer.concat([garbage, fixture.stream]), size, parser);
    assertMatchesProbe(units, fixture, `after garbage, ${size}-byte reads`);
    assert.equal(parser.stats.garbageBytes, garbage.length);
  }
});

test('a stream joined mid-GOP gives nothing until its first keyframe', () => {
  const fixture = streams[1]!;
  const units = parseAll(fixture.stream, fixture.stream.length);
  const firstKeyframeAfterStart = units.findIndex((unit, index) => index > 0 && unit.keyframe);
  const midGop = Buffer.concat(units.slice(2).map((unit) => unit.payload));
  const parser = new H264AccessUnitParser();
  const joined = parseAll(midGop, 100, parser);
  assert.equal(joined[0]!.keyframe, true);
  assert.equal(joined.length, units.length - firstKeyframeAfterStart);
  assert.equal(parser.stats.skippedAccessUnits, firstKeyframeAfterStart - 2);
});

test('keyframes of a stream that sent SPS/PPS once get them put in, so a viewer can start at any keyframe', () => {
  const fixture = withHeadersOnce(streams[3]!);
  const units = parseAll(fixture.stream, 17);
  assert.deepEqual(
    units.map((unit) => unit.keyframe),
    fixture.packets.map((packet) => packet.keyframe),
  );
  const keyframes = units.map((unit, index) => (unit.keyframe ? index : -1)).filter((index) => index > 0);
  assert.ok(keyframes.length >= 2);
  for (const start of keyframes) {
    assert.ok(units[start]!.payload.length > fixture.packets[start]!.size, 'SPS and PPS were added');
    assert.equal(units[start]!.videoFormat?.width, fixture.width);
    const fromHere = Buffer.concat(units.slice(start).map((unit) => unit.payload));
    assert.equal(decodedFrames(fromHere), units.length - start, `decoding starts at access unit ${start}`);
  }
});

test('an access unit over the limit is dropped, and so is everything until the next keyframe', () => {
  const fixture = streams[0]!;
  const sizes = fixture.packets.map((packet) => packet.size);
  const limit = Math.max(...sizes.filter((_, index) => !fixture.packets[index]!.keyframe)) + 64;
  const keyframeIndexes = fixture.packets.map((packet, index) => (packet.keyframe ? index : -1)).filter((index) => index >= 0);
  assert.ok(sizes[keyframeIndexes[0]!]! > limit, 'keyframes are larger than the limit');
  for (const size of [1_000_000, 1, 500]) {
    const parser = new H264AccessUnitParser(limit);
    const units = parseAll(fixture.stream, size, parser);
    assert.ok(parser.stats.oversizeAccessUnits >= 1, `${size}-byte reads: an oversize unit was counted`);
    assert.equal(units.filter((unit) => unit.keyframe).length, 0, 'no keyframe fits, so nothing that depends on one goes out');
    assert.match(parser.takeProblem() ?? '', /grew past \d+ bytes/);
  }
});

test('a stream with no start code is refused with a clear problem and bounded memory', () => {
  const next = prng(3);
  const noise = Buffer.from(Array.from({ length: 300_000 }, () => next() | 0x10));
  const parser = new H264AccessUnitParser(64 * 1024);
  assert.deepEqual(parseAll(noise, 4096, parser), []);
  assert.equal(parser.stats.garbageBytes, noise.length);
  assert.match(parser.takeProblem() ?? '', /no start code in \d+ bytes: the input is not an H.264 Annex B stream/);
  assert.equal(parser.takeProblem(), null, 'said once');
  assertMatchesProbe(parseAll(streams[0]!.stream, 4096, parser), streams[0]!, 'after the noise');
});

test('a NAL unit that never ends is dropped once past the limit, with a problem to log', () => {
  const next = prng(4);
  const endless = Buffer.concat([Buffer.from([0, 0, 0, 1, 0x65, 0x88]), Buffer.from(Array.from({ length: 200_000 }, () => next() | 0x10))]);
  const fixture = streams[0]!;
  const parser = new H264AccessUnitParser(64 * 1024);
  const units = parseAll(Buffer.concat([endless, fixture.stream]), 4096, parser);
  assert.equal(parser.stats.oversizeAccessUnits, 1);
  assert.match(parser.takeProblem() ?? '', /grew past 65536 bytes and was dropped/);
  assert.equal(parser.takeProblem(), null);
  assertMatchesProbe(units, fixture, 'after an endless NAL');
});

test('reset() forgets a partial access unit and the parameter sets of the old stream', () => {
  const fixture = streams[0]!;
  const parser = new H264AccessUnitParser();
  parser.push(fixture.stream.subarray(0, 3000), CAPTURE_US);
  parser.reset();
  assert.equal(parser.videoFormat, undefined);
  assertMatchesProbe(parseAll(fixture.stream, 999, parser), fixture, 'after reset');
});

test('each access unit carries the time of the read that held its last byte, not of the read that completed it', () => {
  const fixture = streams[0]!;
  const whole = parseAll(fixture.stream, fixture.stream.length);
  const parser = new H264AccessUnitParser();
  const units: H264Chunk[] = [];
  // One read per access unit, as ffmpeg writes them: unit k is only known complete when read k + 1 starts the next.
  whole.forEach((unit, index) => units.push(...parser.push(unit.payload, 1000 * index)));
  units.push(...parser.end());
  assert.deepEqual(
    units.map((unit) => unit.captureTimeUs),
    whole.map((_, index) => 1000 * index),
  );
});
