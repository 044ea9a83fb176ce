import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codecString, parseSps, unescapeRbsp } from '../../../src/capture/formats/h264-sps.js';
import { fixtures, nalUnits, type H264Fixture } from './h264-fixtures.js';

function firstSps(fixture: H264Fixture): Buffer {
  const sps = nalUnits(fixture.stream).find((nal) => (nal[0]! & 0x1f) === 7);
  assert.ok(sps, `${fixture.name} has an SPS`);
  return sps;
}

/** ffprobe's profile names for the profile_idc values libx264 writes. */
const PROFILE_IDC: Record<string, number> = {
  'Constrained Baseline': 66,
  High: 100,
  'High 4:2:2': 122,
  'High 4:4:4 Predictive': 244,
};

test('real SPSs from libx264 give the codec string, profile, level and the cropped size ffprobe reports', () => {
  const cases = [
    { fixture: fixtures.baselineAud(), chroma: 1, frameMbsOnly: true },
    { fixture: fixtures.highAud(), chroma: 1, frameMbsOnly: true },
    { fixture: fixtures.high444Cqm(), chroma: 3, frameMbsOnly: true },
    { fixture: fixtures.high422Interlaced(), chroma: 2, frameMbsOnly: false },
    { fixture: fixtures.encodeWide(), chroma: 1, frameMbsOnly: true },
  ];
  for (const { fixture, chroma, frameMbsOnly } of cases) {
    const nal = firstSps(fixture);
    const parsed = parseSps(nal);
    assert.ok(parsed.ok, `${fixture.name}: ${parsed.ok ? '' : parsed.error}`);
    const { sps } = parsed;
    assert.equal(sps.profileIdc, PROFILE_IDC[fixture.profile], `${fixture.name}: profile ${fixture.profile}`);
    assert.equal(sps.levelIdc, fixture.level, `${fixture.name}: level`);
    assert.equal(
      sps.codecString,
      `avc1.${nal.subarray(1, 4).toString('hex').toUpperCase()}`,
      `${fixture.name}: the three bytes after the header`,
    );
    assert.deepEqual(
      { width: sps.width, height: sps.height },
      { width: fixture.width, height: fixture.height },
      `${fixture.name}: cropped size`,
    );
    assert.equal(sps.chromaFormatIdc, chroma, `${fixture.name}: chroma_format_idc`);
    assert.equal(sps.frameMbsOnly, frameMbsOnly, `${fixture.name}: frame_mbs_only_flag`);
  }
});

test('the codec string is avc1 and three uppercase hex bytes', () => {
  assert.equal(codecString(66, 0xc0, 30), 'avc1.42C01E');
  assert.equal(codecString(100, 0, 40), 'avc1.640028');
});

test('emulation prevention: each 03 after two zero bytes goes, nothing else', () => {
  assert.deepEqual([...unescapeRbsp(Uint8Array.from([1, 0, 0, 3, 0, 0, 0, 3, 3, 0, 3]))], [1, 0, 0, 0, 0, 0, 3, 0, 3]);
  const plain = Uint8Array.from([0x42, 0, 1, 0, 3]);
  assert.equal(unescapeRbsp(plain), plain, 'no escape: the same bytes, no copy');
});

/** Writes fields MSB first, the way an SPS is laid out. */
class BitWriter {
  private bits: number[] = [];
  u(count: number, value: number): this {
    for (let i = count - 1; i >= 0; i -= 1) this.bits.push(Math.floor(value / 2 ** i) % 2);
    return this;
  }
  ue(value: number): this {
    const code = value + 1;
    const length = Math.floor(Math.log2(code));
    return this.u(length, 0).u(length + 1, code);
  }
  bytes(): Buffer {
    this.bits.push(1); // rbsp_stop_one_bit
    while (this.bits.length % 8 !== 0) this.bits.push(0);
    return Buffer.from(Array.from({ length: this.bits.length / 8 }, (_, i) => parseInt(this.bits.slice(i * 8, i * 8 + 8).join(''), 2)));
  }
}

function escape(rbsp: Buffer): Buffer {
  const out: number[] = [];
  let zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return Buffer.from(out);
}

test('an SPS whose fields span emulation-prevention bytes parses to the right size', () => {
  // Baseline 1920x1080 coded as 120x68 macroblocks, cropped by 8 rows; log2_max_frame_num_minus4 = 2^22 - 1
  // (out of range, but the parser skips it) writes 00 00 01 into the RBSP, which the NAL unit must escape.
  const rbsp = new BitWriter()
    .u(8, 66)
    .u(8, 0xc0)
    .u(8, 40)
    .ue(0) // seq_parameter_set_id
    .ue(2 ** 22 - 1)
    .ue(2) // pic_order_cnt_type
    .ue(1) // max_num_ref_frames
    .u(1, 0)
    .ue(119)
    .ue(67)
    .u(1, 1) // frame_mbs_only_flag
    .u(1, 1)
    .u(1, 1) // frame_cropping_flag
    .ue(0)
    .ue(0)
    .ue(0)
    .ue(4)
    .u(1, 0) // vui_parameters_present_flag
    .bytes();
  const escaped = escape(rbsp);
  assert.ok(escaped.length > rbsp.length, 'the fixture needed emulation prevention');
  const parsed = parseSps(Buffer.concat([Buffer.from([0x67]), escaped]));
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
  assert.deepEqual(
    { width: parsed.sps.width, height: parsed.sps.height, codec: parsed.sps.codecString },
    { width: 1920, height: 1080, codec: 'avc1.42C028' },
  );
});

test('a truncated or foreign NAL unit is an error value, not an exception', () => {
  const nal = firstSps(fixtures.highAud());
  for (const length of [0, 3, 5, 8]) {
    const parsed = parseSps(nal.subarray(0, length));
    assert.equal(parsed.ok, false, `${length} bytes`);
  }
  const pps = Buffer.from([0x68, 0xce, 0x0f, 0xc8]);
  assert.deepEqual(parseSps(pps), { ok: false, error: 'NAL unit type 8 is not an SPS (7)' });
});
