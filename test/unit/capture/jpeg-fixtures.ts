import jpeg from 'jpeg-js';

/** A real, decodable JPEG of a colour gradient. */
export function realJpeg(width: number, height: number, seed = 0, quality = 80): Buffer {
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const p = (y * width + x) * 4;
      rgba[p] = (x * 7 + seed * 31) & 0xff;
      rgba[p + 1] = (y * 5 + seed * 17) & 0xff;
      rgba[p + 2] = ((x ^ y) + seed) & 0xff;
      rgba[p + 3] = 0xff;
    }
  }
  return jpeg.encode({ width, height, data: rgba }, quality).data;
}

/** A marker segment: FF, code, 2-byte length (which counts itself), payload. */
export function segment(code: number, payload: Buffer): Buffer {
  const head = Buffer.from([0xff, code, ((payload.length + 2) >> 8) & 0xff, (payload.length + 2) & 0xff]);
  return Buffer.concat([head, payload]);
}

/** `main` with an APP1 EXIF segment inserted after its SOI that embeds `thumbnail` (its own FFD8…FFD9). */
export function withExifThumbnail(main: Buffer, thumbnail: Buffer): Buffer {
  const exif = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), Buffer.from('II*\0', 'latin1'), thumbnail]);
  return Buffer.concat([main.subarray(0, 2), segment(0xe1, exif), main.subarray(2)]);
}

/** A deterministic byte generator, so failures reproduce. */
export function prng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state & 0xff;
  };
}

/**
 * A structurally valid JPEG (not meant to decode) that exercises the awkward parts of the format:
 * FF00 stuffing, RST0-7 markers, FF fill bytes before markers, and two scans with a DHT between them.
 */
export function trickyJpeg(seed: number, entropyBytes = 600): Buffer {
  const next = prng(seed);
  const entropy = (): Buffer => {
    const out: number[] = [];
    let rst = 0;
    while (out.length < entropyBytes) {
      const b = next();
      out.push(b);
      if (b === 0xff) out.push(0x00); // stuffing
      if (out.length % 97 === 0) out.push(0xff, 0xd0 + (rst++ % 8)); // restart marker
      if (out.length % 211 === 0) out.push(0xff, 0xff, 0xff, 0xd0 + (rst++ % 8)); // fill bytes, then a restart marker
    }
    return Buffer.from(out);
  };
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    segment(0xe0, Buffer.from('JFIF\0\x01\x01\0\0\x01\0\x01\0\0', 'latin1')),
    segment(0xdb, Buffer.alloc(65, 3)),
    segment(0xdd, Buffer.from([0x00, 0x04])), // DRI
    Buffer.from([0xff, 0xff]), // fill bytes between header segments
    segment(0xc2, Buffer.from([8, 0, 16, 0, 16, 1, 1, 0x11, 0])),
    segment(0xc4, Buffer.alloc(30, 1)),
    segment(0xda, Buffer.from([1, 1, 0, 0, 63, 0])),
    entropy(),
    segment(0xc4, Buffer.alloc(20, 2)),
    segment(0xda, Buffer.from([1, 1, 0, 0, 63, 0])),
    entropy(),
    Buffer.from([0xff, 0xd9]),
  ]);
}

/** Feeds `stream` to `push` in pieces of `size` bytes (or sizes drawn from `size()`), returning everything pushed back. */
export function feed<T>(stream: Buffer, size: number | (() => number), push: (chunk: Buffer) => T[]): T[] {
  const out: T[] = [];
  let offset = 0;
  while (offset < stream.length) {
    const length = Math.max(1, typeof size === 'number' ? size : size());
    out.push(...push(stream.subarray(offset, offset + length)));
    offset += length;
  }
  return out;
}
