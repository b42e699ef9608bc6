// Bit-exact TypeScript twin of firmware/kernels/l2norm.c: EdgeML's q15_t_l2_norm (DIV build).
import { cdiv, wrap16 } from './quantized.js';

/**
 * One pixel: sum of (x*x) >> (2*scaleOut) in int32, binary search for the inverse norm on
 * [1, (int16)(1 << (scaleOut-1))) against 1 << -(2*scaleIn + 2), then (x / 2^scaleOut) * inverse.
 * Returns the inverse norm; writes C values into out at outOffset.
 */
export function l2normPixelQ15(
  input: ArrayLike<number>,
  offset: number,
  C: number,
  out: Int16Array,
  outOffset: number,
  scaleIn: number,
  scaleOut: number,
): number {
  let sum = 0;
  for (let c = 0; c < C; c++) {
    const x = input[offset + c];
    sum = (sum + ((x * x) >> (2 * scaleOut))) | 0;
  }
  let low = 1;
  let high = wrap16(1 << (scaleOut - 1));
  const one = 1 << -(2 * scaleIn + 2);
  while (low + 1 < high) {
    const mid = (high + low) >> 1;
    // sum * mid is exact (< 2^46); the last product may round above 2^53, but rounding is monotonic
    // and `one` is exact, so the comparison is the exact one.
    if (sum * mid * mid > one) high = mid;
    else low = mid;
  }
  const div = 1 << scaleOut;
  for (let c = 0; c < C; c++) out[outOffset + c] = wrap16(cdiv(input[offset + c], div) * low);
  return low;
}

/** pixels * C values (NHWC, any H*W = pixels). */
export function l2normQ15(input: Int16Array, C: number, scaleIn: number, scaleOut: number): Int16Array {
  const out = new Int16Array(input.length);
  for (let i = 0; i < input.length; i += C) l2normPixelQ15(input, i, C, out, i, scaleIn, scaleOut);
  return out;
}
