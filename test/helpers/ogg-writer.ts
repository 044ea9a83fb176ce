import { OGG_CRC_OFFSET, oggPageCrc } from '../../src/capture/formats/ogg-crc.js';

export interface OggPage {
  continued?: boolean;
  bos?: boolean;
  eos?: boolean;
  granule?: bigint;
  serial?: number;
  sequence: number;
  lacing: number[];
  body: Buffer;
}

/** One Ogg page with a correct checksum. */
export function oggPage(page: OggPage): Buffer {
  const header = Buffer.alloc(27 + page.lacing.length);
  header.write('OggS', 0, 'latin1');
  header[4] = 0;
  header[5] = (page.continued ? 1 : 0) | (page.bos ? 2 : 0) | (page.eos ? 4 : 0);
  header.writeBigInt64LE(page.granule ?? -1n, 6);
  header.writeUInt32LE(page.serial ?? 0x5ca1ab1e, 14);
  header.writeUInt32LE(page.sequence, 18);
  header[26] = page.lacing.length;
  page.lacing.forEach((value, index) => (header[27 + index] = value));
  const bytes = Buffer.concat([header, page.body]);
  bytes.writeUInt32LE(oggPageCrc(bytes), OGG_CRC_OFFSET);
  return bytes;
}

/** Lacing values of one packet: 255s and a final value below 255 (0 when the size is a multiple of 255). */
export function lacingOf(size: number): number[] {
  const values = new Array<number>(Math.floor(size / 255)).fill(255);
  values.push(size % 255);
  return values;
}

export interface PaginateOptions {
  /** At most this many lacing values per page (the format allows 255); small values force continuations. */
  maxSegments?: number;
  firstSequence?: number;
  serial?: number;
  /** Granule position to write on a page where packet `index` ends (last packet ending on the page). */
  granuleAfter?: (index: number) => bigint;
  bos?: boolean;
  eos?: boolean;
}

/** Lays packets out on pages, splitting lacing across pages (with the continued flag) where they do not fit. */
export function paginate(packets: Buffer[], options: PaginateOptions = {}): Buffer[] {
  const maxSegments = options.maxSegments ?? 255;
  const pages: Buffer[] = [];
  let sequence = options.firstSequence ?? 0;
  let lacing: number[] = [];
  let bodies: Buffer[] = [];
  let continued = false;
  let lastEnded = -1;
  const flush = (nextContinued: boolean, last: boolean): void => {
    const granule = lastEnded >= 0 && options.granuleAfter ? options.granuleAfter(lastEnded) : -1n;
    pages.push(
      oggPage({
        continued,
        bos: options.bos === true && sequence === (options.firstSequence ?? 0),
        eos: options.eos === true && last,
        granule,
        serial: options.serial,
        sequence,
        lacing,
        body: Buffer.concat(bodies),
      }),
    );
    sequence += 1;
    lacing = [];
    bodies = [];
    continued = nextContinued;
    lastEnded = -1;
  };
  packets.forEach((packet, index) => {
    let offset = 0;
    const values = lacingOf(packet.length);
    values.forEach((value, valueIndex) => {
      if (lacing.length === maxSegments) flush(lacing[lacing.length - 1] === 255, false);
      lacing.push(value);
      bodies.push(packet.subarray(offset, offset + value));
      offset += value;
      if (valueIndex === values.length - 1) lastEnded = index;
    });
  });
  if (lacing.length > 0) flush(false, true);
  return pages;
}

/** A complete Ogg Opus stream (RFC 7845): OpusHead page, OpusTags page, then the packets, 20 ms each. */
export function oggOpusStream(packets: Buffer[], channels: number, inputSampleRate: number): Buffer {
  const preSkip = 312;
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'latin1');
  head[8] = 1;
  head[9] = channels;
  head.writeUInt16LE(preSkip, 10);
  head.writeUInt32LE(inputSampleRate, 12);
  head.writeInt16LE(0, 16);
  head[18] = 0;
  const vendor = Buffer.from('wscam-test', 'latin1');
  const tags = Buffer.alloc(8 + 4 + vendor.length + 4);
  tags.write('OpusTags', 0, 'latin1');
  tags.writeUInt32LE(vendor.length, 8);
  vendor.copy(tags, 12);
  tags.writeUInt32LE(0, 12 + vendor.length);
  return Buffer.concat([
    ...paginate([head], { firstSequence: 0, bos: true, granuleAfter: () => 0n }),
    ...paginate([tags], { firstSequence: 1, granuleAfter: () => 0n }),
    ...paginate(packets, { firstSequence: 2, maxSegments: 50, eos: true, granuleAfter: (index) => BigInt((index + 1) * 960) }),
  ]);
}
