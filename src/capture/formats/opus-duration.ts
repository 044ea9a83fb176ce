/** Frame sizes in µs by TOC configuration (RFC 6716, section 3.1): SILK 0–11, hybrid 12–15, CELT 16–31. */
function frameUs(config: number): number {
  if (config < 12) return [10_000, 20_000, 40_000, 60_000][config % 4]!;
  if (config < 16) return [10_000, 20_000][config % 2]!;
  return [2_500, 5_000, 10_000, 20_000][config % 4]!;
}

/** How much audio one Opus packet holds, in µs, read from its TOC byte; undefined for a malformed packet. */
export function opusPacketDurationUs(packet: Buffer): number | undefined {
  const toc = packet[0];
  if (toc === undefined) return undefined;
  const code = toc & 0x03;
  // code 0: one frame; 1 and 2: two frames; 3: the count is in the next byte
  const frames = code === 0 ? 1 : code < 3 ? 2 : (packet[1] ?? 0) & 0x3f;
  const duration = frames * frameUs(toc >> 3);
  // a packet holds at most 120 ms (RFC 6716, section 3.2.5)
  return frames === 0 || duration > 120_000 ? undefined : duration;
}
