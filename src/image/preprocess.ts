// EdgeML's preprocessing for the RNNPool face detector (MODEL.md, "Input"), in exact integer arithmetic:
//
//   int8 = trunc((299·(R − 123) + 587·(G − 117) + 114·(B − 104)) / 2000)
//
// i.e. subtract the per-channel means (123,117,104), gray = 0.299R' + 0.587G' + 0.114B' computed exactly
// (the weights are exact decimals, so gray = S / 1000 with the integer S above), then trunc(gray / 2).
// trunc is toward zero, like C's `/` on int32; since trunc(trunc(S / 1000) / 2) = trunc(S / 2000) for
// integers, truncating the gray value first gives the same result. S lies in −117312…137688, so the
// output lies in −58…68. Gray images have R = G = B. Alpha is not read here: resizing composites it
// over FILL_RGB first (resize.ts). In C: `int32_t s = 299*(r-123) + 587*(g-117) + 114*(b-104);
// int8_t v = (int8_t)(s / 2000);`.

import { readFileSync } from 'node:fs';
import { decodeImage } from './decode.js';
import { ImageError, type RgbaImage } from './errors.js';
import { FRAME_HEIGHT, FRAME_WIDTH, resizeToFrame } from './resize.js';

/** Bytes in a preprocessed frame: 320 x 240 int8, row-major. */
export const FRAME_BYTES = FRAME_WIDTH * FRAME_HEIGHT;

/** EdgeML's per-channel means (R, G, B). */
export const CHANNEL_MEANS = [123, 117, 104] as const;
/** Gray weights (R, G, B) in thousandths: 0.299, 0.587, 0.114. */
export const GRAY_WEIGHTS = [299, 587, 114] as const;
/** The divisor applied to the weighted sum: 1000 (the weights' scale) x 2 (the int8 step). */
export const GRAY_DIVISOR = 2000;

/** One pixel's int8 input value (see the formula above). */
export function preprocessPixel(r: number, g: number, b: number): number {
  const s = 299 * (r - 123) + 587 * (g - 117) + 114 * (b - 104);
  return Math.trunc(s / GRAY_DIVISOR) | 0; // | 0: no -0
}

/** Preprocesses every pixel of an RGBA image (alpha ignored) into int8 values, row-major. */
export function preprocess(img: RgbaImage): Int8Array {
  const n = img.width * img.height;
  const out = new Int8Array(n);
  const px = img.rgba;
  for (let p = 0; p < n; p++) out[p] = preprocessPixel(px[4 * p]!, px[4 * p + 1]!, px[4 * p + 2]!);
  return out;
}

/** Decode, letterbox to 320x240 and preprocess: the detector's 76,800-byte int8 input. */
export function frameFromImage(bytes: Uint8Array, name: string): Int8Array {
  return preprocess(resizeToFrame(decodeImage(bytes, name)));
}

/** frameFromImage on a file; read errors (ENOENT, EACCES …) propagate as Node errors. */
export function frameFromFile(path: string): Int8Array {
  return frameFromImage(readFileSync(path), path);
}

/** Checks that `bytes` is a raw frame (exactly 76,800 int8 values) and returns it as a copy. */
export function frameFromBytes(bytes: Uint8Array, name: string): Int8Array {
  if (bytes.length !== FRAME_BYTES) {
    throw new ImageError(
      `${name}: a frame file must be exactly ${FRAME_BYTES} bytes (320x240 int8, row-major), ` +
        `this one has ${bytes.length}`,
    );
  }
  return new Int8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

/** Reads a `--frame FILE`: exactly 76,800 bytes of int8, else an ImageError. */
export function readFrameFile(path: string): Int8Array {
  return frameFromBytes(readFileSync(path), path);
}

/**
 * An 8-bit gray picture of a frame for reports: clamp(2·v + 117, 0, 255) (117 ≈ the mean gray). It is a
 * visualisation, not an inverse: the truncations of preprocessing lose information.
 */
export function frameToGray(frame: Int8Array): Uint8Array {
  const out = new Uint8Array(frame.length);
  for (let i = 0; i < frame.length; i++) out[i] = Math.min(255, Math.max(0, 2 * frame[i]! + 117));
  return out;
}
