// Deterministic resizing to the detector's 320x240 input: exact integer arithmetic only, so the result
// is bit-identical on every machine and easy to reproduce in C.
//
// Policy (documented in README): the whole image is kept and its aspect ratio preserved. It is scaled to
// the largest size that fits 320x240 (the scaled side is rounded half up, at least 1 pixel), centred
// (the left/top margin gets the smaller half when the margin is odd) and the rest of the frame is
// filled with FILL_RGB = (123,117,104), the dataset mean colour, which preprocesses to exactly 0.
//
// Resampling is area averaging (a box filter over the exact source footprint of each output pixel),
// used for shrinking and enlarging alike. With the source W x H and the output w x h, source pixel x
// spans [x·w, (x+1)·w) and output pixel i spans [i·W, (i+1)·W) in the same integer units, so the
// horizontal weight of x in i is the integer length of the overlap; the weights sum to W (vertically,
// to H). Each output channel is round(Σ wx·wy·p / (W·H)), half up. All sums stay below 2^53 (at most
// 255·W·H with W·H ≤ 100 M), so JavaScript numbers hold them exactly.
//
// Alpha: each source pixel is first composited over the background colour (FILL_RGB unless given):
// c' = round((c·a + bg·(255 − a)) / 255), half up. Outputs are opaque (alpha 255).

import type { RgbaImage } from './errors.js';

export const FRAME_WIDTH = 320;
export const FRAME_HEIGHT = 240;

export type Rgb = readonly [number, number, number];

/** Letterbox and alpha background colour: EdgeML's per-channel means, i.e. gray 0 after preprocessing. */
export const FILL_RGB: Rgb = [123, 117, 104];

/** floor(a / b) for non-negative integers a, b < 2^53, exact. */
function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  if (q * b > a) q--;
  else if ((q + 1) * b <= a) q++;
  return q;
}

/** round(a / b), half up, for non-negative integers. */
const roundDiv = (a: number, b: number) => floorDiv(2 * a + b, 2 * b);

/** The placement of a srcW x srcH image scaled to fit boxW x boxH with its aspect ratio kept. */
export function fitRect(
  srcW: number,
  srcH: number,
  boxW: number = FRAME_WIDTH,
  boxH: number = FRAME_HEIGHT,
): { x: number; y: number; width: number; height: number } {
  let width: number;
  let height: number;
  if (srcW * boxH >= srcH * boxW) {
    width = boxW;
    height = Math.min(boxH, Math.max(1, roundDiv(srcH * boxW, srcW)));
  } else {
    height = boxH;
    width = Math.min(boxW, Math.max(1, roundDiv(srcW * boxH, srcH)));
  }
  return { x: floorDiv(boxW - width, 2), y: floorDiv(boxH - height, 2), width, height };
}

/** Per output index i: source indices first[i]… with integer overlap weights flat[start[i]…start[i+1]). */
function weights(src: number, dst: number): { first: Float64Array; start: Float64Array; flat: Float64Array } {
  const first = new Float64Array(dst);
  const start = new Float64Array(dst + 1);
  const flat = new Float64Array(src + dst);
  let n = 0;
  for (let i = 0; i < dst; i++) {
    const lo = i * src; // output i spans [i*src, (i+1)*src); source x spans [x*dst, (x+1)*dst)
    const hi = lo + src;
    first[i] = floorDiv(lo, dst);
    start[i] = n;
    for (let x = first[i]!; x * dst < hi; x++)
      flat[n++] = Math.min(hi, (x + 1) * dst) - Math.max(lo, x * dst);
  }
  start[dst] = n;
  return { first, start, flat };
}

/** Area-average resize to outW x outH, compositing alpha over `background`; the result is opaque. */
export function resizeArea(
  src: RgbaImage,
  outW: number,
  outH: number,
  background: Rgb = FILL_RGB,
): RgbaImage {
  const { width: W, height: H, rgba } = src;
  if (!(Number.isInteger(outW) && Number.isInteger(outH) && outW > 0 && outH > 0)) {
    throw new RangeError(`resizeArea: bad output size ${outW} x ${outH}`);
  }
  if (rgba.length !== W * H * 4 || W <= 0 || H <= 0) {
    throw new RangeError(`resizeArea: ${rgba.length} bytes for a ${W} x ${H} RGBA image`);
  }
  const hw = weights(W, outW);
  const acc = new Float64Array(outW * outH * 3);
  const row = new Float64Array(outW * 3);
  const line = new Uint8Array(W * 3);
  const [br, bg, bb] = background;
  for (let y = 0; y < H; y++) {
    // Composite the source row over the background.
    for (let x = 0, s = y * W * 4; x < W; x++, s += 4) {
      const a = rgba[s + 3]!;
      if (a === 255) {
        line[3 * x] = rgba[s]!;
        line[3 * x + 1] = rgba[s + 1]!;
        line[3 * x + 2] = rgba[s + 2]!;
      } else {
        line[3 * x] = roundDiv(rgba[s]! * a + br * (255 - a), 255);
        line[3 * x + 1] = roundDiv(rgba[s + 1]! * a + bg * (255 - a), 255);
        line[3 * x + 2] = roundDiv(rgba[s + 2]! * a + bb * (255 - a), 255);
      }
    }
    // Horizontal pass.
    for (let i = 0; i < outW; i++) {
      let x = hw.first[i]!;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = hw.start[i]!; k < hw.start[i + 1]!; k++, x++) {
        const w = hw.flat[k]!;
        r += w * line[3 * x]!;
        g += w * line[3 * x + 1]!;
        b += w * line[3 * x + 2]!;
      }
      row[3 * i] = r;
      row[3 * i + 1] = g;
      row[3 * i + 2] = b;
    }
    // Vertical accumulation: source row y spans [y*outH, (y+1)*outH), output row j [j*H, (j+1)*H).
    const lo = y * outH;
    const hi = lo + outH;
    for (let j = floorDiv(lo, H); j * H < hi; j++) {
      const w = Math.min(hi, (j + 1) * H) - Math.max(lo, j * H);
      const base = j * outW * 3;
      for (let k = 0; k < outW * 3; k++) acc[base + k]! += w * row[k]!;
    }
  }
  const out = new Uint8Array(outW * outH * 4);
  const area = W * H;
  for (let p = 0; p < outW * outH; p++) {
    out[4 * p] = roundDiv(acc[3 * p]!, area);
    out[4 * p + 1] = roundDiv(acc[3 * p + 1]!, area);
    out[4 * p + 2] = roundDiv(acc[3 * p + 2]!, area);
    out[4 * p + 3] = 255;
  }
  return { width: outW, height: outH, rgba: out };
}

/** A canvasW x canvasH opaque image filled with `fill`, with `src` (clipped) drawn at (x, y). */
export function placeOnCanvas(
  src: RgbaImage,
  canvasW: number,
  canvasH: number,
  x: number,
  y: number,
  fill: Rgb = FILL_RGB,
): RgbaImage {
  const out = new Uint8Array(canvasW * canvasH * 4);
  for (let p = 0; p < canvasW * canvasH; p++) {
    out[4 * p] = fill[0];
    out[4 * p + 1] = fill[1];
    out[4 * p + 2] = fill[2];
    out[4 * p + 3] = 255;
  }
  for (let sy = 0; sy < src.height; sy++) {
    const ty = y + sy;
    if (ty < 0 || ty >= canvasH) continue;
    for (let sx = 0; sx < src.width; sx++) {
      const tx = x + sx;
      if (tx < 0 || tx >= canvasW) continue;
      out.set(
        src.rgba.subarray((sy * src.width + sx) * 4, (sy * src.width + sx) * 4 + 4),
        (ty * canvasW + tx) * 4,
      );
    }
  }
  return { width: canvasW, height: canvasH, rgba: out };
}

/** Scales `src` to fit outW x outH with its aspect ratio kept, centred on `fill` (see the policy above). */
export function letterbox(
  src: RgbaImage,
  outW: number = FRAME_WIDTH,
  outH: number = FRAME_HEIGHT,
  fill: Rgb = FILL_RGB,
): RgbaImage {
  const r = fitRect(src.width, src.height, outW, outH);
  const scaled = resizeArea(src, r.width, r.height, fill);
  if (r.width === outW && r.height === outH) return scaled;
  return placeOnCanvas(scaled, outW, outH, r.x, r.y, fill);
}

/** The detector's 320x240 RGB(A) input from any decoded image: letterbox(src, 320, 240, FILL_RGB). */
export function resizeToFrame(src: RgbaImage): RgbaImage {
  return letterbox(src, FRAME_WIDTH, FRAME_HEIGHT, FILL_RGB);
}
