import { OGG_CRC_OFFSET, oggPageCrc } from './ogg-crc.js';

/** Counters of what the Ogg reader accepted and rejected since it was created. */
export interface OggOpusStats {
  pages: number;
  packets: number;
  /** Bytes skipped while looking for the "OggS" capture pattern. */
  garbageBytes: number;
  /** Candidate pages rejected for a bad version or checksum. */
  badPages: number;
  /** Packets lost because a page in their middle was missing or they grew past the bound. */
  droppedPackets: number;
}

const CAPTURE_PATTERN = Buffer.from('OggS', 'latin1');
const HEADER_BYTES = 27;
const CONTINUED = 0x01;
const OPUS_HEAD = Buffer.from('OpusHead', 'latin1');
const OPUS_TAGS = Buffer.from('OpusTags', 'latin1');
const EMPTY = Buffer.alloc(0);

/**
 * Reads an Ogg Opus byte stream (as `ffmpeg -f ogg` writes it) and yields each Opus packet:
 * pages are found by their capture pattern and checksum, packets are joined across lacing values
 * of 255 and across pages, and the OpusHead/OpusTags header packets are skipped.
 */
export class OggOpusReader {
  readonly stats: OggOpusStats = { pages: 0, packets: 0, garbageBytes: 0, badPages: 0, droppedPackets: 0 };
  private buffered: Buffer = EMPTY;
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** True while the rest of a packet whose start was lost is being skipped. */
  private skipping = false;
  private nextSequence: number | null = null;

  constructor(private readonly maxPacketBytes = 1024 * 1024) {}

  /** Feeds the next bytes of the stream; returns the Opus packets completed by them, in order. */
  push(chunk: Buffer): Buffer[] {
    const buf = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const packets: Buffer[] = [];
    let pos = 0;
    for (;;) {
      const start = buf.indexOf(CAPTURE_PATTERN, pos);
      if (start < 0) {
        // Keep up to 3 bytes: they may be the start of a capture pattern split across chunks.
        const keep = Math.max(pos, buf.length - (CAPTURE_PATTERN.length - 1));
        this.stats.garbageBytes += keep - pos;
        pos = keep;
        break;
      }
      this.stats.garbageBytes += start - pos;
      pos = start;
      const page = pageAt(buf, pos);
      if (page === 'bad') {
        // Garbage that happens to contain "OggS", or a damaged page: look further.
        this.stats.badPages += 1;
        this.stats.garbageBytes += 1;
        pos += 1;
        continue;
      }
      if (page === 'incomplete') {
        // A fake header can claim up to 64 KiB; a whole valid page after it proves it fake without waiting.
        const later = nextValidPage(buf, pos + 1);
        if (later < 0) break;
        this.stats.badPages += 1;
        this.stats.garbageBytes += later - pos;
        pos = later;
        continue;
      }
      this.readPage(page, packets);
      pos += page.length;
    }
    this.buffered = pos === buf.length ? EMPTY : buf.subarray(pos);
    return packets;
  }

  /** Forgets buffered bytes and any partial packet, for a new ffmpeg process. */
  reset(): void {
    this.buffered = EMPTY;
    this.clearPartial();
    this.skipping = false;
    this.nextSequence = null;
  }

  private readPage(page: Buffer, packets: Buffer[]): void {
    this.stats.pages += 1;
    const segments = page[26]!;
    const continued = (page[5]! & CONTINUED) !== 0;
    const sequence = page.readUInt32LE(18);
    const pageLost = this.nextSequence !== null && sequence !== this.nextSequence;
    this.nextSequence = (sequence + 1) >>> 0;
    // A packet in progress survives only onto the next page in sequence that says it continues one.
    const alreadyCounted = this.skipping || this.partialBytes > 0;
    if (this.partialBytes > 0 && (pageLost || !continued)) {
      this.stats.droppedPackets += 1;
      this.clearPartial();
    }
    if (pageLost || !continued) this.skipping = false;
    if (continued && this.partialBytes === 0 && !this.skipping) {
      // The rest of a packet whose start we never saw (or just dropped).
      if (!alreadyCounted) this.stats.droppedPackets += 1;
      this.skipping = true;
    }
    let pieceStart = HEADER_BYTES + segments;
    let pieceEnd = pieceStart;
    for (let s = 0; s < segments; s += 1) {
      const lacing = page[HEADER_BYTES + s]!;
      pieceEnd += lacing;
      if (lacing === 255) continue;
      // A lacing value below 255 ends a packet.
      const piece = page.subarray(pieceStart, pieceEnd);
      pieceStart = pieceEnd;
      if (this.skipping) {
        this.skipping = false;
        continue;
      }
      const packet = this.partialBytes === 0 ? piece : Buffer.concat([...this.partial, piece]);
      this.clearPartial();
      if (packet.length > 0 && !isOpusHeader(packet)) {
        this.stats.packets += 1;
        packets.push(packet);
      }
    }
    if (pieceEnd > pieceStart && !this.skipping) {
      this.partial.push(page.subarray(pieceStart, pieceEnd));
      this.partialBytes += pieceEnd - pieceStart;
      if (this.partialBytes > this.maxPacketBytes) {
        this.stats.droppedPackets += 1;
        this.clearPartial();
        this.skipping = true;
      }
    }
  }

  private clearPartial(): void {
    this.partial = [];
    this.partialBytes = 0;
  }
}

/** OpusHead and OpusTags are the two header packets of every Ogg Opus stream (RFC 7845); they carry no audio. */
function isOpusHeader(packet: Buffer): boolean {
  return packet.length >= 8 && (packet.subarray(0, 8).equals(OPUS_HEAD) || packet.subarray(0, 8).equals(OPUS_TAGS));
}

/** The whole page at `pos` if it is complete and valid; "incomplete" if more bytes are needed to tell. */
function pageAt(buf: Buffer, pos: number): Buffer | 'bad' | 'incomplete' {
  if (buf.length - pos < HEADER_BYTES) return 'incomplete';
  // Version 0, and only the three defined header-type flags.
  if (buf[pos + 4] !== 0 || buf[pos + 5]! > 7) return 'bad';
  const segments = buf[pos + 26]!;
  const headerBytes = HEADER_BYTES + segments;
  if (buf.length - pos < headerBytes) return 'incomplete';
  let bodyBytes = 0;
  for (let s = 0; s < segments; s += 1) bodyBytes += buf[pos + HEADER_BYTES + s]!;
  if (buf.length - pos < headerBytes + bodyBytes) return 'incomplete';
  const page = buf.subarray(pos, pos + headerBytes + bodyBytes);
  return page.readUInt32LE(OGG_CRC_OFFSET) === oggPageCrc(page) ? page : 'bad';
}

/** Offset of the first complete, valid page at or after `from`, or -1. */
function nextValidPage(buf: Buffer, from: number): number {
  for (let at = buf.indexOf(CAPTURE_PATTERN, from); at >= 0; at = buf.indexOf(CAPTURE_PATTERN, at + 1)) {
    if (typeof pageAt(buf, at) !== 'string') return at;
  }
  return -1;
}
