/** CRC-32 of an Ogg page as RFC 3533 defines it: polynomial 0x04c11db7, not reflected, initial 0, no final xor. */

const TABLE = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i += 1) {
    let r = i << 24;
    for (let bit = 0; bit < 8; bit += 1) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
}

/** The byte offset of the checksum field inside an Ogg page header. */
export const OGG_CRC_OFFSET = 22;

/** The checksum of a whole page, computed as if its checksum field were zero (as the format requires). */
export function oggPageCrc(page: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < page.length; i += 1) {
    const byte = i >= OGG_CRC_OFFSET && i < OGG_CRC_OFFSET + 4 ? 0 : page[i]!;
    crc = (crc << 8) ^ TABLE[((crc >>> 24) ^ byte) & 0xff]!;
  }
  return crc >>> 0;
}
