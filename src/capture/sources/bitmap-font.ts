/** A 5×7 bitmap font for the pictures wscam draws itself (test pattern, "no signal"). */
const GLYPHS: Record<string, string> = {
  '0': '01110100011001110101110011000101110',
  '1': '00100011000010000100001000010001110',
  '2': '01110100010000100010001000100011111',
  '3': '11111000100010000010000011000101110',
  '4': '00010001100101010010111110001000010',
  '5': '11111100001111000001000011000101110',
  '6': '00110010001000011110100011000101110',
  '7': '11111000010001000100010000100001000',
  '8': '01110100011000101110100011000101110',
  '9': '01110100011000101111000010001001100',
  ':': '00000011000110000000011000110000000',
  '/': '00001000010001000100010001000010000',
  ' ': '00000000000000000000000000000000000',
  '-': '00000000000000011111000000000000000',
  A: '01110100011000111111100011000110001',
  C: '01110100011000010000100001000101110',
  E: '11111100001000011110100001000011111',
  F: '11111100001000011110100001000010000',
  G: '01110100011000010111100011000101111',
  I: '01110001000010000100001000010001110',
  L: '10000100001000010000100001000011111',
  M: '10001110111010110101100011000110001',
  N: '10001100011100110101100111000110001',
  O: '01110100011000110001100011000101110',
  R: '11110100011000111110101001001010001',
  S: '01111100001000001110000010000111110',
  T: '11111001000010000100001000010000100',
  W: '10001100011000110101101011010101010',
};

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;

/** Width in pixels of `text` drawn at `scale` (one glyph column of spacing). */
export function textWidth(text: string, scale: number): number {
  return text.length * (GLYPH_WIDTH + 1) * scale - scale;
}

/** Draws upper-case text into an RGBA buffer; unknown characters draw as blanks. */
export function drawText(
  rgba: Uint8Array,
  imageWidth: number,
  text: string,
  x: number,
  y: number,
  scale: number,
  color: readonly [number, number, number],
): void {
  const imageHeight = rgba.length / 4 / imageWidth;
  for (let index = 0; index < text.length; index += 1) {
    const glyph = GLYPHS[text[index]!.toUpperCase()] ?? GLYPHS[' ']!;
    const left = x + index * (GLYPH_WIDTH + 1) * scale;
    for (let row = 0; row < GLYPH_HEIGHT; row += 1) {
      for (let column = 0; column < GLYPH_WIDTH; column += 1) {
        if (glyph[row * GLYPH_WIDTH + column] !== '1') continue;
        fillRect(rgba, imageWidth, imageHeight, left + column * scale, y + row * scale, scale, scale, color);
      }
    }
  }
}

/** Fills a rectangle, clipped to the image. */
export function fillRect(
  rgba: Uint8Array,
  imageWidth: number,
  imageHeight: number,
  x: number,
  y: number,
  width: number,
  height: number,
  color: readonly [number, number, number],
): void {
  const x0 = Math.max(0, Math.floor(x));
  const y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(imageWidth, Math.floor(x + width));
  const y1 = Math.min(imageHeight, Math.floor(y + height));
  for (let row = y0; row < y1; row += 1) {
    for (let column = x0; column < x1; column += 1) {
      const offset = (row * imageWidth + column) * 4;
      rgba[offset] = color[0];
      rgba[offset + 1] = color[1];
      rgba[offset + 2] = color[2];
      rgba[offset + 3] = 255;
    }
  }
}
