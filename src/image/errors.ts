// Errors and limits shared by the image readers.

/** A user-facing, one-line reason why an image (or a --frame file) cannot be used; the CLI exits 65. */
export class ImageError extends Error {
  constructor(message: string) {
    super(message.replace(/\s*\n\s*/g, ' '));
    this.name = 'ImageError';
  }
}

/** Largest image accepted, in pixels (width x height): 100 megapixels, about 400 MB as RGBA. */
export const MAX_PIXELS = 100_000_000;

/** An 8-bit-per-channel RGBA image, row-major, 4 bytes per pixel, no padding. */
export interface RgbaImage {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/** Throws an ImageError unless width x height is a sensible, non-empty image size. */
export function checkImageSize(width: number, height: number, name: string, what: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new ImageError(`${name}: ${what} image has no pixels (${width} x ${height})`);
  }
  if (width * height > MAX_PIXELS) {
    throw new ImageError(
      `${name}: ${what} image is ${width} x ${height} = ${((width * height) / 1e6).toFixed(1)} megapixels, ` +
        `more than the ${MAX_PIXELS / 1e6}-megapixel limit`,
    );
  }
}
