import type { H264Format } from '../source.js';

/** What wscam reads from a sequence parameter set (ITU-T H.264 7.3.2.1.1). */
export interface H264Sps extends H264Format {
  profileIdc: number;
  /** constraint_set0..5 flags and the two reserved bits, as the byte that follows profile_idc. */
  constraintFlags: number;
  levelIdc: number;
  spsId: number;
  chromaFormatIdc: number;
  frameMbsOnly: boolean;
}

export type SpsResult = { ok: true; sps: H264Sps } | { ok: false; error: string };

/** Profiles whose SPS carries chroma_format_idc, bit depths and scaling lists (7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Largest picture edge the parser accepts, in pixels; anything bigger is a corrupt SPS rather than a camera. */
const MAX_EDGE_PIXELS = 16384;

/** The RFC 6381 name browsers take for this stream, "avc1.PPCCLL" in uppercase hex. */
export function codecString(profileIdc: number, constraintFlags: number, levelIdc: number): string {
  const hex = (value: number): string => value.toString(16).toUpperCase().padStart(2, '0');
  return `avc1.${hex(profileIdc)}${hex(constraintFlags)}${hex(levelIdc)}`;
}

/** The RBSP inside a NAL unit: every 00 00 03 loses its 03 (emulation prevention, 7.4.1). */
export function unescapeRbsp(nal: Uint8Array): Uint8Array {
  let zeros = 0;
  let escaped = -1;
  for (let i = 0; i < nal.length; i += 1) {
    if (zeros >= 2 && nal[i] === 3) {
      escaped = i;
      break;
    }
    zeros = nal[i] === 0 ? zeros + 1 : 0;
  }
  if (escaped < 0) return nal;
  const out = new Uint8Array(nal.length);
  let length = 0;
  zeros = 0;
  for (let i = 0; i < nal.length; i += 1) {
    const b = nal[i]!;
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    out[length++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, length);
}

class Truncated extends Error {}

/** Reads bits, Exp-Golomb codes included (9.1), from an RBSP; running past the end throws Truncated. */
class BitReader {
  private bit = 0;

  constructor(private readonly bytes: Uint8Array) {}

  u(count: number): number {
    let value = 0;
    for (let i = 0; i < count; i += 1) {
      const byte = this.bytes[this.bit >> 3];
      if (byte === undefined) throw new Truncated();
      value = value * 2 + ((byte >> (7 - (this.bit & 7))) & 1);
      this.bit += 1;
    }
    return value;
  }

  flag(): boolean {
    return this.u(1) === 1;
  }

  ue(): number {
    let leadingZeros = 0;
    while (this.u(1) === 0) {
      leadingZeros += 1;
      if (leadingZeros > 31) throw new Truncated();
    }
    return 2 ** leadingZeros - 1 + this.u(leadingZeros);
  }

  se(): number {
    const code = this.ue();
    return code % 2 === 1 ? (code + 1) / 2 : -code / 2;
  }
}

function skipScalingList(bits: BitReader, size: number): void {
  let lastScale = 8;
  let nextScale = 8;
  for (let j = 0; j < size; j += 1) {
    if (nextScale !== 0) nextScale = (lastScale + bits.se() + 256) % 256;
    lastScale = nextScale === 0 ? lastScale : nextScale;
  }
}

/** Parses a whole SPS NAL unit (header byte included, emulation prevention still in). */
export function parseSps(nal: Uint8Array): SpsResult {
  if (nal.length < 4) return { ok: false, error: `SPS of ${nal.length} bytes is too short` };
  if ((nal[0]! & 0x1f) !== 7) return { ok: false, error: `NAL unit type ${nal[0]! & 0x1f} is not an SPS (7)` };
  const bits = new BitReader(unescapeRbsp(nal.subarray(1)));
  try {
    return readSps(bits);
  } catch (error) {
    if (error instanceof Truncated) return { ok: false, error: 'SPS ends before its last field' };
    throw error;
  }
}

function readSps(bits: BitReader): SpsResult {
  const profileIdc = bits.u(8);
  const constraintFlags = bits.u(8);
  const levelIdc = bits.u(8);
  const spsId = bits.ue();
  if (spsId > 31) return { ok: false, error: `seq_parameter_set_id ${spsId} is over 31` };
  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = bits.ue();
    if (chromaFormatIdc > 3) return { ok: false, error: `chroma_format_idc ${chromaFormatIdc} is over 3` };
    if (chromaFormatIdc === 3) separateColourPlane = bits.flag();
    bits.ue(); // bit_depth_luma_minus8
    bits.ue(); // bit_depth_chroma_minus8
    bits.flag(); // qpprime_y_zero_transform_bypass_flag
    if (bits.flag()) {
      const lists = chromaFormatIdc === 3 ? 12 : 8;
      for (let i = 0; i < lists; i += 1) if (bits.flag()) skipScalingList(bits, i < 6 ? 16 : 64);
    }
  }
  bits.ue(); // log2_max_frame_num_minus4
  const pocType = bits.ue();
  if (pocType === 0) {
    bits.ue(); // log2_max_pic_order_cnt_lsb_minus4
  } else if (pocType === 1) {
    bits.flag(); // delta_pic_order_always_zero_flag
    bits.se(); // offset_for_non_ref_pic
    bits.se(); // offset_for_top_to_bottom_field
    const cycle = bits.ue();
    if (cycle > 255) return { ok: false, error: `num_ref_frames_in_pic_order_cnt_cycle ${cycle} is over 255` };
    for (let i = 0; i < cycle; i += 1) bits.se();
  } else if (pocType !== 2) {
    return { ok: false, error: `pic_order_cnt_type ${pocType} is over 2` };
  }
  bits.ue(); // max_num_ref_frames
  bits.flag(); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = bits.ue() + 1;
  const heightMapUnits = bits.ue() + 1;
  const frameMbsOnly = bits.flag();
  if (!frameMbsOnly) bits.flag(); // mb_adaptive_frame_field_flag
  bits.flag(); // direct_8x8_inference_flag
  const crop = bits.flag()
    ? { left: bits.ue(), right: bits.ue(), top: bits.ue(), bottom: bits.ue() }
    : { left: 0, right: 0, top: 0, bottom: 0 };

  // Crop units from 7.4.2.1.1: luma samples when there is no chroma array, else chroma subsampling steps.
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const fieldFactor = frameMbsOnly ? 1 : 2;
  const cropUnitX = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const cropUnitY = (chromaArrayType === 1 ? 2 : 1) * fieldFactor;
  const width = widthMbs * 16 - cropUnitX * (crop.left + crop.right);
  const height = heightMapUnits * 16 * fieldFactor - cropUnitY * (crop.top + crop.bottom);
  if (width <= 0 || height <= 0 || width > MAX_EDGE_PIXELS || height > MAX_EDGE_PIXELS) {
    return { ok: false, error: `picture size ${width}x${height} after cropping is out of range` };
  }
  return {
    ok: true,
    sps: {
      codecString: codecString(profileIdc, constraintFlags, levelIdc),
      width,
      height,
      profileIdc,
      constraintFlags,
      levelIdc,
      spsId,
      chromaFormatIdc,
      frameMbsOnly,
    },
  };
}
