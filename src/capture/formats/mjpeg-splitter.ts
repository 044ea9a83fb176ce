/** Default bound on one JPEG; a "frame" longer than this is dropped and the splitter resyncs. */
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;

/** Counters of what the splitter kept and what it threw away since it was created. */
export interface MjpegSplitterStats {
  frames: number;
  /** Bytes outside any frame (between EOI and the next SOI). */
  garbageBytes: number;
  /** Frames cut short or malformed (for example a new SOI before EOI); their bytes are rescanned. */
  corruptFrames: number;
  oversizeFrames: number;
}

const Seek = 0; // looking for FF of an SOI
const SeekFF = 1; // saw FF outside a frame, D8 would start one
const MarkerFF = 2; // inside the header, the next byte must be FF
const MarkerCode = 3; // after FF: a marker code or fill FF
const LengthHi = 4;
const LengthLo = 5;
const SegmentData = 6; // skipping a segment's payload (APPn with EXIF thumbnails included)
const Entropy = 7; // scan data after SOS
const EntropyFF = 8; // FF inside scan data: 00 stuffing, RSTn, fill, or a marker

const FF_BYTE = Buffer.from([0xff]);

/**
 * Cuts an MJPEG byte stream (JPEG after JPEG, as `ffmpeg -f mjpeg` writes it) into whole frames by walking
 * the JPEG marker structure rather than searching for FFD8/FFD9, which also occur inside EXIF thumbnails.
 * A frame inside one input chunk is returned as a subarray (no copy); a frame spread over chunks is
 * concatenated once.
 */
export class MjpegSplitter {
  readonly stats: MjpegSplitterStats = { frames: 0, garbageBytes: 0, corruptFrames: 0, oversizeFrames: 0 };
  private state = Seek;
  private inFrame = false;
  /** Bytes of the current frame from earlier chunks. */
  private parts: Buffer[] = [];
  private partsBytes = 0;
  /** Index in the current chunk where the current frame's bytes begin (0 when it began in an earlier chunk). */
  private chunkBegin = 0;
  private segmentRemaining = 0;
  private segmentIsSos = false;
  private lengthHi = 0;
  /** Frame offsets of the FF of the marker being read and of the last accepted segment marker. */
  private markerOffset = 0;
  private segmentOffset = 0;

  constructor(private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /** Feeds the next bytes of the stream; returns the frames completed by them, in order. */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    const queue: Buffer[] = [chunk];
    while (queue.length > 0) {
      const next = queue.shift()!;
      if (next.length > 0) this.scan(next, frames, queue);
    }
    return frames;
  }

  /** Forgets any partial frame, for a new ffmpeg process whose stream starts afresh. */
  reset(): void {
    this.dropFrame();
    this.state = Seek;
  }

  private scan(buf: Buffer, frames: Buffer[], queue: Buffer[]): void {
    const n = buf.length;
    let i = 0;
    this.chunkBegin = 0;
    while (i < n) {
      switch (this.state) {
        case Seek: {
          const ff = buf.indexOf(0xff, i);
          const end = ff < 0 ? n : ff;
          this.stats.garbageBytes += end - i;
          i = ff < 0 ? n : ff + 1;
          if (ff >= 0) this.state = SeekFF;
          break;
        }
        case SeekFF: {
          const b = buf[i]!;
          if (b === 0xd8) {
            this.beginFrame(i);
            this.state = MarkerFF;
          } else if (b === 0xff) {
            this.stats.garbageBytes += 1;
          } else {
            this.stats.garbageBytes += 2;
            this.state = Seek;
          }
          i += 1;
          break;
        }
        case MarkerFF: {
          if (buf[i] !== 0xff) return this.corrupt(buf, i, this.segmentOffset + 2, queue);
          this.markerOffset = this.offsetOf(i);
          this.state = MarkerCode;
          i += 1;
          break;
        }
        case MarkerCode: {
          const b = buf[i]!;
          if (b === 0xff) {
            this.markerOffset = this.offsetOf(i);
          } else if (b === 0xd8) {
            // A new SOI before EOI: the current frame was cut short; start over at this SOI.
            return this.corrupt(buf, i, this.markerOffset, queue);
          } else if (b === 0xd9) {
            frames.push(this.endFrame(buf, i));
          } else if (b === 0x01 || (b >= 0xd0 && b <= 0xd7)) {
            this.state = MarkerFF;
          } else if (b === 0x00) {
            return this.corrupt(buf, i, this.segmentOffset + 2, queue);
          } else {
            this.beginSegment(b);
          }
          i += 1;
          break;
        }
        case LengthHi: {
          this.lengthHi = buf[i]!;
          this.state = LengthLo;
          i += 1;
          break;
        }
        case LengthLo: {
          const length = (this.lengthHi << 8) | buf[i]!;
          if (length < 2) return this.corrupt(buf, i, this.segmentOffset + 2, queue);
          this.segmentRemaining = length - 2;
          this.state = this.segmentRemaining > 0 ? SegmentData : this.afterSegment();
          i += 1;
          break;
        }
        case SegmentData: {
          const take = Math.min(this.segmentRemaining, n - i);
          i += take;
          this.segmentRemaining -= take;
          if (this.segmentRemaining === 0) this.state = this.afterSegment();
          break;
        }
        case Entropy: {
          let ff = buf.indexOf(0xff, i);
          // Stuffed FF00 and restart markers (one in a few hundred bytes of scan data) are skipped right here,
          // by native search, rather than each taking a round through the state machine.
          while (ff >= 0 && ff + 1 < n) {
            const b = buf[ff + 1]!;
            if (b !== 0x00 && (b < 0xd0 || b > 0xd7)) break;
            ff = buf.indexOf(0xff, ff + 2);
          }
          if (ff < 0) {
            i = n;
          } else {
            this.markerOffset = this.offsetOf(ff);
            this.state = EntropyFF;
            i = ff + 1;
          }
          break;
        }
        case EntropyFF: {
          const b = buf[i]!;
          if (b === 0x00 || (b >= 0xd0 && b <= 0xd7)) {
            this.state = Entropy; // byte stuffing or a restart marker: still scan data
          } else if (b === 0xff) {
            this.markerOffset = this.offsetOf(i); // fill byte
          } else if (b === 0xd9) {
            frames.push(this.endFrame(buf, i));
          } else if (b === 0xd8) {
            return this.corrupt(buf, i, this.markerOffset, queue);
          } else if (b === 0x01) {
            this.state = Entropy;
          } else {
            this.beginSegment(b); // DHT/SOS between progressive scans, DNL, …
          }
          i += 1;
          break;
        }
      }
      if (this.inFrame && this.offsetOf(i) > this.maxFrameBytes) {
        this.stats.oversizeFrames += 1;
        this.dropFrame();
        this.state = Seek;
      }
    }
    if (this.inFrame) {
      const tail = buf.subarray(this.chunkBegin);
      this.parts.push(tail);
      this.partsBytes += tail.length;
    }
  }

  /** Offset inside the current frame of index `i` of the current chunk. */
  private offsetOf(i: number): number {
    return this.partsBytes + i - this.chunkBegin;
  }

  /** Starts a frame whose D8 is at index `d8` (its FF is just before, possibly at the end of the previous chunk). */
  private beginFrame(d8: number): void {
    this.inFrame = true;
    this.segmentOffset = 0;
    if (d8 > 0) {
      this.parts = [];
      this.partsBytes = 0;
      this.chunkBegin = d8 - 1;
    } else {
      this.parts = [FF_BYTE];
      this.partsBytes = 1;
      this.chunkBegin = 0;
    }
  }

  private beginSegment(code: number): void {
    this.segmentOffset = this.markerOffset;
    this.segmentIsSos = code === 0xda;
    this.state = LengthHi;
  }

  private afterSegment(): number {
    return this.segmentIsSos ? Entropy : MarkerFF;
  }

  /** Completes the frame whose EOI ends at index `i`: a subarray when it lies in this chunk, else one concat. */
  private endFrame(buf: Buffer, i: number): Buffer {
    const frame =
      this.parts.length === 0
        ? buf.subarray(this.chunkBegin, i + 1)
        : Buffer.concat([...this.parts, buf.subarray(0, i + 1)], this.partsBytes + i + 1);
    this.stats.frames += 1;
    this.dropFrame();
    this.state = Seek;
    return frame;
  }

  /** Drops a malformed frame and rescans its bytes from `fromOffset` on, since they may hold the next SOI. */
  private corrupt(buf: Buffer, i: number, fromOffset: number, queue: Buffer[]): void {
    const seen = this.parts.length === 0 ? buf.subarray(this.chunkBegin, i + 1) : Buffer.concat([...this.parts, buf.subarray(0, i + 1)]);
    this.stats.corruptFrames += 1;
    this.dropFrame();
    this.state = Seek;
    queue.unshift(seen.subarray(fromOffset), buf.subarray(i + 1));
  }

  private dropFrame(): void {
    this.inFrame = false;
    this.parts = [];
    this.partsBytes = 0;
  }
}
