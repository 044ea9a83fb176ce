import jpeg from 'jpeg-js';
import { GLYPH_HEIGHT, drawText, textWidth } from './bitmap-font.js';

const TEXT = 'NO SIGNAL';
const BACKGROUND = 0x30;
const FOREGROUND = [0xd8, 0xd8, 0xd8] as const;
const QUALITY = 70;

const cache = new Map<string, Buffer>();

/** The "no signal" picture at the stream's size: dark grey with NO SIGNAL in the middle, encoded once per size. */
export function noSignalJpeg(width: number, height: number): Buffer {
  const key = `${width}x${height}`;
  let encoded = cache.get(key);
  if (encoded === undefined) {
    encoded = jpeg.encode({ width, height, data: renderRgba(width, height) }, QUALITY).data;
    cache.set(key, encoded);
  }
  return encoded;
}

function renderRgba(width: number, height: number): Buffer {
  const rgba = Buffer.alloc(width * height * 4, BACKGROUND);
  for (let alpha = 3; alpha < rgba.length; alpha += 4) rgba[alpha] = 0xff;
  // The text takes about 60% of the width, never so tall that it leaves the picture.
  const scale = Math.max(1, Math.min(Math.floor((width * 0.6) / textWidth(TEXT, 1)), Math.floor((height * 0.3) / GLYPH_HEIGHT)));
  const left = Math.max(0, Math.floor((width - textWidth(TEXT, scale)) / 2));
  const top = Math.max(0, Math.floor((height - GLYPH_HEIGHT * scale) / 2));
  drawText(rgba, width, TEXT, left, top, scale, FOREGROUND);
  return rgba;
}
