import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OggOpusReader } from '../../../src/capture/formats/ogg-opus.js';
import { feed, prng } from './jpeg-fixtures.js';
import { oggOpusStream, paginate } from '../../helpers/ogg-writer.js';

function packet(size: number, seed: number): Buffer {
  const next = prng(seed + 1);
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i += 1) bytes[i] = next();
  bytes[0] = 0xfc; // a plausible Opus TOC byte (CELT, 20 ms, one frame)
  return bytes;
}

// Sizes around the lacing boundaries: 255 needs a 0 terminator, 70000 spans pages even at 255 segments.
const sizes = [1, 60, 254, 255, 256, 509, 510, 511, 1000, 70_000, 80];
const packets = sizes.map((size, index) => packet(size, index));

function assertSamePackets(actual: Buffer[], expected: Buffer[]): void {
  assert.equal(actual.length, expected.length, 'packet count');
  actual.forEach((p, index) => assert.ok(p.equals(expected[index]!), `packet ${index} (${expected[index]!.length} bytes) differs`));
}

test('packets come back whole across lacing values of 255 and continued pages; headers are skipped', () => {
  const stream = oggOpusStream(packets, 1, 48000);
  for (const size of [stream.length, 1, 100, 4096]) {
    const reader = new OggOpusReader();
    assertSamePackets(
      feed(stream, size, (chunk) => reader.push(chunk)),
      packets,
    );
    assert.equal(reader.stats.garbageBytes, 0);
    assert.equal(reader.stats.droppedPackets, 0);
  }
});

test('a packet whose 255-lacing ends exactly at a page end is finished by the next page', () => {
  const exact = [packet(255 * 3, 50), packet(10, 51)];
  // Three segments per page: the 765-byte packet fills page one, its 0 terminator opens page two.
  const pages = paginate(exact, { maxSegments: 3 });
  assert.ok(pages.length >= 2);
  assertSamePackets(new OggOpusReader().push(Buffer.concat(pages)), exact);
});

test('garbage and fake capture patterns between pages are skipped', () => {
  const pages = paginate(packets, { maxSegments: 7 });
  const fake = Buffer.from('OggS\0\0 not a page at all, bad checksum 0123456789', 'latin1');
  const parts: Buffer[] = [Buffer.from('junk before')];
  pages.forEach((page, index) => parts.push(page, index % 3 === 0 ? fake : Buffer.from('Ogg', 'latin1')));
  const input = Buffer.concat(parts);
  for (const size of [input.length, 1, 37]) {
    const reader = new OggOpusReader();
    assertSamePackets(
      feed(input, size, (chunk) => reader.push(chunk)),
      packets,
    );
    assert.ok(reader.stats.garbageBytes > 0);
    assert.ok(reader.stats.badPages > 0);
  }
});

test('a lost page in the middle of a packet drops only that packet', () => {
  const few = [packet(100, 60), packet(2000, 61), packet(100, 62)];
  const pages = paginate(few, { maxSegments: 3 });
  // Page 0: first packet + start of the second; page 1 carries only its middle part.
  const input = Buffer.concat([pages[0]!, ...pages.slice(2)]);
  const reader = new OggOpusReader();
  assertSamePackets(reader.push(input), [few[0]!, few[2]!]);
  assert.equal(reader.stats.droppedPackets, 1);
});

test('a packet larger than the bound is dropped', () => {
  const reader = new OggOpusReader(1000);
  const input = Buffer.concat(paginate([packet(100, 70), packet(5000, 71), packet(100, 72)], { maxSegments: 2 }));
  assertSamePackets(reader.push(input), [packet(100, 70), packet(100, 72)]);
  assert.equal(reader.stats.droppedPackets, 1);
});
