// PNG encoding for reports (pngjs): gray, RGB or RGBA 8-bit pixels.

import { lazyRequire } from '../util/lazy-require.js';

const pngjs = lazyRequire<typeof import('pngjs')>('pngjs');

/**
 * Encodes 8-bit pixels as a PNG. The layout follows from the length: width·height bytes = gray,
 * ×3 = RGB, ×4 = RGBA. Pixels are stored losslessly; the compressed bytes depend on Node's zlib.
 */
export function toPng(pixels: Uint8Array, width: number, height: number): Uint8Array {
  const n = width * height;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new RangeError(`toPng: bad size ${width} x ${height}`);
  }
  const channels = pixels.length / n;
  const colorType = channels === 1 ? 0 : channels === 3 ? 2 : channels === 4 ? 6 : undefined;
  if (colorType === undefined) {
    throw new RangeError(`toPng: ${pixels.length} bytes is not gray, RGB or RGBA for ${width} x ${height}`);
  }
  const { PNG } = pngjs();
  const png = new PNG({ width, height, colorType, inputColorType: colorType, inputHasAlpha: channels === 4 });
  png.data = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.length);
  const out = PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: channels === 4 });
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
