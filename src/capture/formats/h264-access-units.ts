import { ChunkKind } from '../../protocol/header.js';
import type { CapturedChunk, H264Format } from '../source.js';
import { parseSps } from './h264-sps.js';

/** Default bound on one access unit (and on bytes searched for a start code); larger ones are dropped. */
export const DEFAULT_MAX_ACCESS_UNIT_BYTES = 8 * 1024 * 1024;

/** NAL unit types (ITU-T H.264 table 7-1) the parser acts on. */
export const NalType = {
  Slice: 1,
  IdrSlice: 5,
  Sei: 6,
  Sps: 7,
  Pps: 8,
  AccessUnitDelimiter: 9,
} as const;

/** Counters of what the parser kept and what it threw away since it was created. */
export interface H264ParserStats {
  accessUnits: number;
  keyframes: number;
  /** Bytes before the first start code, or thrown away while resynchronising. */
  garbageBytes: number;
  oversizeAccessUnits: number;
  /** Access units dropped after a loss because they depend on a picture that was dropped. */
  skippedAccessUnits: number;
  /** SPS NAL units that did not parse (their access units go out without a videoFormat). */
  badSps: number;
}

/** One access unit as it comes out of the parser, in the shape the hub takes. */
export type H264Chunk = CapturedChunk & { kind: typeof ChunkKind.H264; keyframe: boolean };

/** Types that open a new access unit once the current one has a picture (7.4.1.2.3). */
function opensAccessUnit(type: number): boolean {
  return (
    type === NalType.Sei ||
    type === NalType.Sps ||
    type === NalType.Pps ||
    type === NalType.AccessUnitDelimiter ||
    (type >= 14 && type <= 18)
  );
}

function isVcl(type: number): boolean {
  return type === NalType.Slice || type === NalType.IdrSlice;
}

const START_CODE = Buffer.from([0, 0, 0, 1]);

/** The chunks that hold stream bytes from `start` on, so an access unit can be cut out of several reads. */
class ByteWindow {
  private pieces: Buffer[] = [];
  /** Stream offset of pieces[0][0]. */
  start = 0;
  /** Stream offset just past the last byte held. */
  end = 0;

  append(chunk: Buffer): void {
    this.pieces.push(chunk);
    this.end += chunk.length;
  }

  /** Bytes [from, to) of the stream; a subarray when they lie in one piece, else one copy. */
  slice(from: number, to: number): Buffer {
    const first = Math.max(from, this.start);
    let offset = this.start;
    const parts: Buffer[] = [];
    for (const piece of this.pieces) {
      const pieceEnd = offset + piece.length;
      if (pieceEnd > first && offset < to) parts.push(piece.subarray(Math.max(first - offset, 0), Math.min(to - offset, piece.length)));
      if (pieceEnd >= to) break;
      offset = pieceEnd;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, to - first);
  }

  dropBefore(offset: number): void {
    while (this.pieces.length > 0 && this.start + this.pieces[0]!.length <= offset) this.start += this.pieces.shift()!.length;
    if (this.pieces.length > 0 && offset > this.start) {
      this.pieces[0] = this.pieces[0]!.subarray(offset - this.start);
      this.start = offset;
    }
  }

  clear(): void {
    this.pieces = [];
    this.start = this.end;
  }
}

/**
 * Cuts an H.264 Annex B byte stream (as `ffmpeg -f h264` and `rpicam-vid --codec h264` write it) into access
 * units: one picture each, with the SPS/PPS/SEI in front of it. Reads may split a start code or a NAL header
 * anywhere. An access unit ends where the next begins: at an access unit delimiter, SPS, PPS or SEI after a
 * slice, or at the first slice of the next picture (first_mb_in_slice 0), so each one goes out when the first
 * bytes of the next arrive. An access unit inside one read is a subarray of it (no copy).
 */
export class H264AccessUnitParser {
  readonly stats: H264ParserStats = {
    accessUnits: 0,
    keyframes: 0,
    garbageBytes: 0,
    oversizeAccessUnits: 0,
    skippedAccessUnits: 0,
    badSps: 0,
  };
  private readonly window = new ByteWindow();
  /** Zero bytes right before the window's end (a start code in the making). */
  private zeroRun = 0;
  /** Whether a start code has been seen since the last loss: bytes belong to an access unit. */
  private synced = false;
  /** After a loss nothing goes out until an access unit with an IDR slice. */
  private awaitingKeyframe = true;
  private problem: string | null = null;
  /** The current read's stream offset and time, and the previous read's time. */
  private readBase = 0;
  private readTimeUs = 0;
  private previousReadTimeUs = 0;
  /** Garbage bytes since the last start code, and whether the log was told about them. */
  private garbageRun = 0;
  private garbageReported = false;

  /** Stream offset where the current access unit's first start code begins. */
  private unitStart = 0;
  private unitHasVcl = false;
  private unitHasIdr = false;
  private unitHasSps = false;
  private unitHasPps = false;
  private opensWithAud = false;
  /** Stream offset of the start code of the NAL after a leading AUD, where missing SPS/PPS are put; -1 without AUD. */
  private afterAud = -1;
  private nalCount = 0;

  /** Stream offsets of the current NAL's start code and of its first byte (the NAL header). */
  private nalCodeStart = 0;
  private nalStart = 0;
  /** Header bytes of the current NAL read so far: the type byte, then the one holding first_mb_in_slice. */
  private headerBytes = 0;
  private nalType = -1;

  private lastSps: Buffer | null = null;
  private lastPps: Buffer | null = null;
  private format: H264Format | undefined;

  constructor(private readonly maxAccessUnitBytes = DEFAULT_MAX_ACCESS_UNIT_BYTES) {}

  /**
   * Feeds the next bytes of the stream, read at `captureTimeUs`; returns the access units completed by them, in
   * order. Each unit is stamped with the time of the read that held its last byte, not of the read that completed it.
   */
  push(chunk: Buffer, captureTimeUs: number): H264Chunk[] {
    const out: H264Chunk[] = [];
    if (chunk.length === 0) return out;
    const base = this.window.end;
    this.previousReadTimeUs = this.readTimeUs;
    this.readTimeUs = captureTimeUs;
    this.readBase = base;
    this.window.append(chunk);
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.synced && this.headerBytes < this.headerNeeded()) {
        this.readHeaderByte(chunk[i]!, out);
        i += 1;
        continue;
      }
      const one = chunk.indexOf(1, i);
      if (one < 0) break;
      const zeros = this.zerosBefore(chunk, one, i);
      if (zeros >= 2) this.startCode(base + one, Math.min(zeros, 3));
      i = one + 1;
    }
    this.zeroRun = this.zerosBefore(chunk, n, 0);
    this.bound();
    return out;
  }

  /** Hands out the access unit in progress, for a stream that has ended. */
  end(): H264Chunk[] {
    const out: H264Chunk[] = [];
    if (this.synced) this.finishUnit(this.window.end - this.zeroRun, out);
    this.resync();
    return out;
  }

  /** Forgets any partial access unit, for a new encoder process whose stream starts afresh. */
  reset(): void {
    this.resync();
    this.zeroRun = 0;
    this.lastSps = null;
    this.lastPps = null;
    this.format = undefined;
  }

  /** The latest SPS's format, once one parsed. */
  get videoFormat(): H264Format | undefined {
    return this.format;
  }

  /** What went wrong since the last call (oversize unit, garbage, a bad SPS), for the log; null when nothing. */
  takeProblem(): string | null {
    const problem = this.problem;
    this.problem = null;
    return problem;
  }

  private headerNeeded(): number {
    return this.headerBytes === 0 || isVcl(this.nalType) ? 2 : 1;
  }

  /** Zero bytes right before index `at` of `chunk`, counting on into earlier reads when they reach `from` = 0. */
  private zerosBefore(chunk: Buffer, at: number, from: number): number {
    let k = at - 1;
    while (k >= from && chunk[k] === 0) k -= 1;
    const zeros = at - 1 - k;
    return k < 0 ? zeros + this.zeroRun : zeros;
  }

  /** A start code whose 01 byte is at stream offset `one`, after `zeros` (at most 3 kept) zero bytes. */
  private startCode(one: number, zeros: number): void {
    if (this.synced) this.endNal(one - zeros);
    else {
      this.stats.garbageBytes += Math.max(one - zeros - this.window.start, 0);
      this.garbageRun = 0;
      this.garbageReported = false;
      this.synced = true;
      this.unitStart = one - zeros;
    }
    this.nalCodeStart = one - zeros;
    this.nalStart = one + 1;
    this.headerBytes = 0;
    this.nalType = -1;
  }

  private readHeaderByte(byte: number, out: H264Chunk[]): void {
    this.headerBytes += 1;
    if (this.headerBytes === 1) {
      this.nalType = byte & 0x1f;
      if (!isVcl(this.nalType)) this.beginNal(false, out);
    } else {
      // first_mb_in_slice is the slice header's first ue(v): 0 is the single bit 1.
      this.beginNal((byte & 0x80) !== 0, out);
    }
  }

  /** The current NAL's header is known: it may close the access unit in progress before joining the next. */
  private beginNal(firstSliceOfPicture: boolean, out: H264Chunk[]): void {
    const type = this.nalType;
    if (this.unitHasVcl && (opensAccessUnit(type) || (isVcl(type) && firstSliceOfPicture))) {
      this.finishUnit(this.nalCodeStart, out);
      this.unitStart = this.nalCodeStart;
    }
    if (this.nalCount === 0) this.opensWithAud = type === NalType.AccessUnitDelimiter;
    if (this.nalCount === 1 && this.opensWithAud) this.afterAud = this.nalCodeStart;
    this.nalCount += 1;
    if (isVcl(type)) this.unitHasVcl = true;
    if (type === NalType.IdrSlice) this.unitHasIdr = true;
    if (type === NalType.Sps) this.unitHasSps = true;
    if (type === NalType.Pps) this.unitHasPps = true;
  }

  /** The current NAL ends at stream offset `end` (trailing zero bytes excluded). */
  private endNal(end: number): void {
    if (this.headerBytes > 0 && this.headerBytes < this.headerNeeded()) this.beginNal(false, []);
    if (this.nalType === NalType.Sps) {
      const sps = Buffer.from(this.window.slice(this.nalStart, end));
      const parsed = parseSps(sps);
      if (parsed.ok) {
        this.format = { codecString: parsed.sps.codecString, width: parsed.sps.width, height: parsed.sps.height };
        this.lastSps = sps;
      } else {
        this.stats.badSps += 1;
        this.problem = `an SPS did not parse (${parsed.error})`;
      }
    } else if (this.nalType === NalType.Pps) {
      this.lastPps = Buffer.from(this.window.slice(this.nalStart, end));
    }
  }

  /** Emits the access unit from unitStart to `end` if it holds a picture, and starts the next one empty. */
  private finishUnit(end: number, out: H264Chunk[]): void {
    // A unit that ended before this read began (the read only brought the next one's start) was read earlier.
    const captureTimeUs = end <= this.readBase ? this.previousReadTimeUs : this.readTimeUs;
    if (this.unitHasVcl && end - this.unitStart > this.maxAccessUnitBytes) {
      this.oversize();
    } else if (this.unitHasVcl) {
      const keyframe = this.unitHasIdr;
      if (keyframe) this.awaitingKeyframe = false;
      if (this.awaitingKeyframe) {
        this.stats.skippedAccessUnits += 1;
      } else {
        const payload = keyframe ? this.withParameterSets(end) : this.window.slice(this.unitStart, end);
        const chunk: H264Chunk = { kind: ChunkKind.H264, payload, keyframe, captureTimeUs };
        if (keyframe && this.format !== undefined) chunk.videoFormat = this.format;
        out.push(chunk);
        this.stats.accessUnits += 1;
        if (keyframe) this.stats.keyframes += 1;
      }
    }
    this.window.dropBefore(end);
    this.clearUnit();
  }

  private clearUnit(): void {
    this.unitHasVcl = false;
    this.unitHasIdr = false;
    this.unitHasSps = false;
    this.unitHasPps = false;
    this.opensWithAud = false;
    this.afterAud = -1;
    this.nalCount = 0;
  }

  /** A keyframe's bytes, with the latest SPS and PPS put in (after its AUD) when the encoder sent them earlier only. */
  private withParameterSets(end: number): Buffer {
    const missing: Buffer[] = [];
    if (!this.unitHasSps && this.lastSps !== null) missing.push(START_CODE, this.lastSps);
    if (!this.unitHasPps && this.lastPps !== null) missing.push(START_CODE, this.lastPps);
    if (missing.length === 0) return this.window.slice(this.unitStart, end);
    const at = this.afterAud >= 0 ? this.afterAud : this.unitStart;
    return Buffer.concat([this.window.slice(this.unitStart, at), ...missing, this.window.slice(at, end)]);
  }

  /** Keeps memory bounded: an access unit (or a search for a start code) past the limit is dropped. */
  private bound(): void {
    if (!this.synced) {
      this.dropGarbage();
      return;
    }
    if (this.window.end - this.unitStart <= this.maxAccessUnitBytes) return;
    this.oversize();
    this.garbageReported = true; // the rest of the oversize unit is not news
    this.resync();
  }

  private oversize(): void {
    this.stats.oversizeAccessUnits += 1;
    this.problem = `an access unit grew past ${this.maxAccessUnitBytes} bytes and was dropped; waiting for the next keyframe`;
    this.awaitingKeyframe = true;
  }

  /** Drops everything but the zero bytes at the end (they may begin a start code), counting it as garbage. */
  private dropGarbage(): void {
    const keep = this.window.end - Math.min(this.zeroRun, 3);
    const dropped = Math.max(keep - this.window.start, 0);
    this.stats.garbageBytes += dropped;
    this.garbageRun += dropped;
    this.window.dropBefore(keep);
    if (this.garbageRun > this.maxAccessUnitBytes && !this.garbageReported) {
      this.garbageReported = true;
      this.problem = `no start code in ${this.garbageRun} bytes: the input is not an H.264 Annex B stream`;
    }
  }

  /** After a loss: no access unit in progress, nothing out until the next keyframe. */
  private resync(): void {
    this.synced = false;
    this.awaitingKeyframe = true;
    this.clearUnit();
    this.headerBytes = 0;
    this.nalType = -1;
    this.dropGarbage();
  }
}
