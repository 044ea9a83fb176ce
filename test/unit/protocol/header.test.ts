import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkKind, decodeHeader, encodeHeader, HEADER_BYTES } from '../../../src/protocol/header.js';
import { CloseCode, parseClientMessage } from '../../../src/protocol/messages.js';

test('header round-trips every field, big-endian at the contract offsets', () => {
  const bytes = new Uint8Array(HEADER_BYTES + 3);
  const header = { kind: ChunkKind.Opus, flags: 0, sequence: 0xfedcba98, captureTimeUs: 1_764_000_000_123_456 };
  encodeHeader(header, bytes);
  assert.deepEqual(Array.from(bytes.subarray(0, 8)), [3, 0, 0, 0, 0xfe, 0xdc, 0xba, 0x98]);
  assert.equal(new DataView(bytes.buffer).getBigUint64(8), 1_764_000_000_123_456n);
  const decoded = decodeHeader(bytes);
  assert.ok(decoded.ok);
  assert.deepEqual(decoded.header, header);
  assert.equal(decoded.payloadOffset, 16);
});

test('header sequence wraps at 2^32 and offsets inside a larger buffer work', () => {
  const bytes = new Uint8Array(40);
  encodeHeader({ kind: ChunkKind.Jpeg, flags: 0, sequence: 2 ** 32 + 5, captureTimeUs: 1 }, bytes, 7);
  const decoded = decodeHeader(bytes.subarray(7));
  assert.ok(decoded.ok);
  assert.equal(decoded.header.sequence, 5);
  assert.equal(decoded.header.kind, ChunkKind.Jpeg);
});

test('decodeHeader refuses short messages and unknown kinds', () => {
  assert.equal(decodeHeader(new Uint8Array(15)).ok, false);
  const bytes = new Uint8Array(16);
  bytes[0] = 9;
  assert.equal(decodeHeader(bytes).ok, false);
});

test('client messages: subscribe accepted, everything else names its close code', () => {
  assert.deepEqual(parseClientMessage('{"type":"subscribe","video":false,"audio":true}'), {
    ok: true,
    message: { type: 'subscribe', video: false, audio: true },
  });
  assert.deepEqual(parseClientMessage('{"type":"subscribe"}'), { ok: true, message: { type: 'subscribe', video: true, audio: true } });
  const cases: Array<[string, number]> = [
    ['not json', CloseCode.UnsupportedData],
    ['[1,2]', CloseCode.PolicyViolation],
    ['null', CloseCode.PolicyViolation],
    ['{"type":"reboot"}', CloseCode.PolicyViolation],
    ['{"type":"subscribe","video":"yes"}', CloseCode.PolicyViolation],
    ['{"type":"subscribe","extra":1}', CloseCode.PolicyViolation],
    [`{"type":"subscribe","pad":"${'x'.repeat(5000)}"}`, CloseCode.MessageTooBig],
  ];
  for (const [text, code] of cases) {
    const result = parseClientMessage(text);
    assert.equal(result.ok, false, text.slice(0, 40));
    if (!result.ok) assert.equal(result.closeCode, code, text.slice(0, 40));
  }
});
