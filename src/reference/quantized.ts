// Quantized (SeeDot / EdgeML) arithmetic utilities: the TypeScript twin of firmware/kernels/quantized.c,
// bit-exact. EdgeML's default (DIV) build: every scale is a power-of-two divisor applied with C's `/`
// (truncation toward zero, `cdiv`), int32 / int64 intermediates, and narrowing stores that wrap modulo
// 2^16 / 2^8 (what arm-none-eabi-gcc does) except where a function saturates explicitly.
//
// Plain JS numbers are exact integers below 2^53, so int64 sums of int16 products are exact here.
// Function names are the C names in camelCase; vectors are Int16Array / Int8Array and, as in C, `ret`
// may be one of the inputs (element-wise, in index order). Use `subarray` for pointer offsets.

/** Wraps to int8 (C conversion to int8_t). */
export function wrap8(x: number): number {
  return (x << 24) >> 24;
}

/** Wraps to int16 (C conversion to int16_t). Exact for any integer |x| < 2^53. */
export function wrap16(x: number): number {
  return (x << 16) >> 16;
}

/** Wraps to int32 (C conversion to int32_t). */
export function wrap32(x: number): number {
  return x | 0;
}

/**
 * C's integer `/` (truncates toward zero). Exact when |a| < 2^51 (the float quotient cannot round
 * across an integer); throws on division by zero, which traps (or is undefined) in C.
 */
export function cdiv(a: number, b: number): number {
  if (b === 0) throw new RangeError('integer division by zero');
  return Math.trunc(a / b);
}

/** q15_saturate: clamps to [-32768, 32767]. */
export function q15Saturate(x: number): number {
  return x > 32767 ? 32767 : x < -32768 ? -32768 : x;
}

/** q7_relu / q15_relu / q31_relu: clamps to [0, limit]. */
export function qRelu(x: number, limit: number): number {
  return x > limit ? limit : x < 0 ? 0 : x;
}

/** exp_table_A[i] = round(16384 e^(-i/16)), i < 256. */
export const EXP_TABLE_A: Int16Array = Int16Array.from({ length: 256 }, (_, i) =>
  Math.round(16384 * Math.exp(-i / 16)),
);
/** exp_table_B[j] = round(16384 e^(-j/2048)), j < 128. */
export const EXP_TABLE_B: Int16Array = Int16Array.from({ length: 128 }, (_, j) =>
  Math.round(16384 * Math.exp(-j / 2048)),
);

/**
 * exp_base_16: e^(inp / 2^11) in Q14 for inp <= 0 (-32768 taken as -32767):
 * (A[v >> 7] B[v % 128] / scale) >> 14 with v = -inp.
 */
export function expBase16(inp: number, scale: number): number {
  const val = inp === -32768 ? 32767 : wrap16(-inp);
  if (val < 0) throw new RangeError(`expBase16: input ${inp} > 0`);
  const ret = EXP_TABLE_A[val >> 7]! * EXP_TABLE_B[val % 128]!;
  return wrap16(cdiv(ret, scale) >> 14);
}

/** The table sigmoid of one Q11 value, Q14 result (q15_v_sigmoid with use_tables). */
export function q15SigmoidTable(w: number): number {
  if (w <= 0) {
    const e = expBase16(w, 1);
    return wrap16(cdiv(e * 16384, e + 16384));
  }
  return wrap16(cdiv(267943936, 16384 + expBase16(wrap16(-w), 1)));
}

/** The table tanh of one Q15 value x (Q11 after w = sat16(2x)), Q14 result (q15_v_tanh with use_tables). */
export function q15TanhTable(x: number): number {
  const w = q15Saturate(2 * x);
  if (w <= 0) {
    const e = expBase16(w, 1);
    return wrap16(cdiv((e - 16384) * 16384, e + 16384));
  }
  const e = expBase16(-w, 1);
  return wrap16(cdiv((16384 - e) * 16384, e + 16384));
}

type Q15 = Int16Array;
type Q7 = Int8Array;

/** q15_v_add: ret = (vec1 / (scvec1 scret) + vec2 / (scvec2 scret)) / demote. */
export function q15VAdd(
  vec1: Q15,
  vec2: Q15,
  len: number,
  ret: Q15,
  scvec1: number,
  scvec2: number,
  scret: number,
  demote: number,
): void {
  const s1 = wrap32(scvec1 * scret);
  const s2 = wrap32(scvec2 * scret);
  for (let i = 0; i < len; i++) ret[i] = wrap16(cdiv(cdiv(vec1[i]!, s1) + cdiv(vec2[i]!, s2), demote));
}

/** q15_v_sub: ret = vec1 / (scvec1 scret) - vec2 / (scvec2 scret). */
export function q15VSub(
  vec1: Q15,
  vec2: Q15,
  len: number,
  ret: Q15,
  scvec1: number,
  scvec2: number,
  scret: number,
): void {
  const s1 = wrap32(scvec1 * scret);
  const s2 = wrap32(scvec2 * scret);
  for (let i = 0; i < len; i++) ret[i] = wrap16(cdiv(vec1[i]!, s1) - cdiv(vec2[i]!, s2));
}

/** q7_v_sub. */
export function q7VSub(
  vec1: Q7,
  vec2: Q7,
  len: number,
  ret: Q7,
  scvec1: number,
  scvec2: number,
  scret: number,
): void {
  const s1 = wrap32(scvec1 * scret);
  const s2 = wrap32(scvec2 * scret);
  for (let i = 0; i < len; i++) ret[i] = wrap8(cdiv(vec1[i]!, s1) - cdiv(vec2[i]!, s2));
}

/** q15_v_hadamard: ret = (vec1 vec2) / (scvec1 scvec2). */
export function q15VHadamard(
  vec1: Q15,
  vec2: Q15,
  len: number,
  ret: Q15,
  scvec1: number,
  scvec2: number,
): void {
  const s = wrap32(scvec1 * scvec2);
  for (let i = 0; i < len; i++) ret[i] = wrap16(cdiv(vec1[i]! * vec2[i]!, s));
}

/** q7_v_hadamard. */
export function q7VHadamard(vec1: Q7, vec2: Q7, len: number, ret: Q7, scvec1: number, scvec2: number): void {
  const s = wrap32(scvec1 * scvec2);
  for (let i = 0; i < len; i++) ret[i] = wrap8(cdiv(vec1[i]! * vec2[i]!, s));
}

/** q15_v_sigmoid: table sigmoid (Q11 in, Q14 out) or clamp(vec / div + add, 0, limit) << (out - in). */
export function q15VSigmoid(
  vec: Q15,
  len: number,
  ret: Q15,
  div: number,
  add: number,
  sigmoidLimit: number,
  scaleIn: number,
  scaleOut: number,
  useTables: number,
): void {
  if (useTables) {
    for (let i = 0; i < len; i++) ret[i] = q15SigmoidTable(vec[i]!);
    return;
  }
  const shift = scaleOut - scaleIn;
  for (let i = 0; i < len; i++) {
    const w = wrap16(cdiv(vec[i]!, div) + add);
    const v = w <= 0 ? 0 : w >= sigmoidLimit ? sigmoidLimit : w;
    ret[i] = wrap16(v << shift);
  }
}

/** q15_v_tanh: table tanh (w = sat16(2 vec), Q11 in, Q14 out) or clamp(vec, +-2^in) << (out - in). */
export function q15VTanh(
  vec: Q15,
  len: number,
  ret: Q15,
  scaleIn: number,
  scaleOut: number,
  useTables: number,
): void {
  if (useTables) {
    for (let i = 0; i < len; i++) ret[i] = q15TanhTable(vec[i]!);
    return;
  }
  const limit = 1 << scaleIn;
  const mul = 1 << (scaleOut - scaleIn);
  for (let i = 0; i < len; i++) {
    const w = vec[i]!;
    const v = w >= limit ? limit : w <= -limit ? -limit : w;
    ret[i] = wrap16(v * mul);
  }
}

/** q15_v_scalar_add: ret = scalar / (scscalar scret) + vec / (scvec scret). */
export function q15VScalarAdd(
  scalar: number,
  vec: Q15,
  len: number,
  ret: Q15,
  scscalar: number,
  scvec: number,
  scret: number,
): void {
  const scaled = cdiv(scalar, wrap32(scscalar * scret));
  const s = wrap32(scvec * scret);
  for (let i = 0; i < len; i++) ret[i] = wrap16(scaled + cdiv(vec[i]!, s));
}

/** q15_v_scalar_sub: ret = scalar / (scscalar scret) - vec / (scvec scret). */
export function q15VScalarSub(
  scalar: number,
  vec: Q15,
  len: number,
  ret: Q15,
  scscalar: number,
  scvec: number,
  scret: number,
): void {
  const scaled = cdiv(scalar, wrap32(scscalar * scret));
  const s = wrap32(scvec * scret);
  for (let i = 0; i < len; i++) ret[i] = wrap16(scaled - cdiv(vec[i]!, s));
}

/** q15_v_scalar_mul: ret = (scalar vec) / (scscalar scvec). */
export function q15VScalarMul(
  scalar: number,
  vec: Q15,
  len: number,
  ret: Q15,
  scscalar: number,
  scvec: number,
): void {
  const s = wrap32(scscalar * scvec);
  for (let i = 0; i < len; i++) ret[i] = wrap16(cdiv(scalar * vec[i]!, s));
}

/** q15_v_argmax: index of the first largest element. */
export function q15VArgmax(vec: Q15, len: number): number {
  let maxValue = vec[0]!;
  let maxIndex = 0;
  for (let i = 1; i < len; i++) {
    if (maxValue < vec[i]!) {
      maxIndex = i;
      maxValue = vec[i]!;
    }
  }
  return maxIndex;
}

/** q15_v_scale_up: ret = vec scvec (wraps). */
export function q15VScaleUp(vec: Q15, len: number, ret: Q15, scvec: number): void {
  for (let i = 0; i < len; i++) ret[i] = wrap16(wrap32(vec[i]! * scvec));
}

/** q15_v_scale_down: ret = vec / scvec. */
export function q15VScaleDown(vec: Q15, len: number, ret: Q15, scvec: number): void {
  for (let i = 0; i < len; i++) ret[i] = wrap16(cdiv(vec[i]!, scvec));
}

/** q15_m_mulvec: ret[r] = (sum_c mat[r][c] vec[c]) / (scmat scvec H1), int64 sum; H2 unused. */
export function q15MMulvec(
  mat: Q15,
  vec: Q15,
  nrows: number,
  ncols: number,
  ret: Q15,
  scmat: number,
  scvec: number,
  h1: number,
  _h2: number,
): void {
  const scale = wrap32(wrap32(scmat * scvec) * h1);
  for (let row = 0, m = 0; row < nrows; row++) {
    let sum = 0;
    for (let col = 0; col < ncols; col++) sum += mat[m++]! * vec[col]!;
    ret[row] = wrap16(cdiv(sum, scale));
  }
}

/** q15xq7_q15_m_mulvec: as q15MMulvec with a Q7 vector and an int32 (wrapping) sum. */
export function q15xq7Q15MMulvec(
  mat: Q15,
  vec: Q7,
  nrows: number,
  ncols: number,
  ret: Q15,
  scmat: number,
  scvec: number,
  h1: number,
  _h2: number,
): void {
  const scale = wrap32(wrap32(scmat * scvec) * h1);
  for (let row = 0, m = 0; row < nrows; row++) {
    let sum = 0;
    for (let col = 0; col < ncols; col++) sum = wrap32(sum + mat[m++]! * vec[col]!);
    ret[row] = wrap16(cdiv(sum, scale));
  }
}

/** q15_t_add: ret = ten1 / (scten1 scret) + ten2 / (scten2 scret) over n h w c values. */
export function q15TAdd(
  ten1: Q15,
  ten2: Q15,
  nbatches: number,
  nrows: number,
  ncols: number,
  nchannels: number,
  ret: Q15,
  scten1: number,
  scten2: number,
  scret: number,
): void {
  const len = nbatches * nrows * ncols * nchannels;
  const s1 = wrap32(scten1 * scret);
  const s2 = wrap32(scten2 * scret);
  for (let i = 0; i < len; i++) ret[i] = wrap16(cdiv(ten1[i]!, s1) + cdiv(ten2[i]!, s2));
}

/** q7_t_add. */
export function q7TAdd(
  ten1: Q7,
  ten2: Q7,
  nbatches: number,
  nrows: number,
  ncols: number,
  nchannels: number,
  ret: Q7,
  scten1: number,
  scten2: number,
  scret: number,
): void {
  const len = nbatches * nrows * ncols * nchannels;
  const s1 = wrap32(scten1 * scret);
  const s2 = wrap32(scten2 * scret);
  for (let i = 0; i < len; i++) ret[i] = wrap8(cdiv(ten1[i]!, s1) + cdiv(ten2[i]!, s2));
}

/** q15_t_add_vec: per-channel bias, ret = ten / (scten scret) + vec[c] / (scvec scret). */
export function q15TAddVec(
  ten: Q15,
  vec: Q15,
  nbatches: number,
  nrows: number,
  ncols: number,
  nchannels: number,
  ret: Q15,
  scten: number,
  scvec: number,
  scret: number,
): void {
  const len = nbatches * nrows * ncols;
  const st = wrap32(scten * scret);
  const sv = wrap32(scvec * scret);
  for (let i = 0, k = 0; i < len; i++) {
    for (let c = 0; c < nchannels; c++, k++) ret[k] = wrap16(cdiv(ten[k]!, st) + cdiv(vec[c]!, sv));
  }
}

/** q7xq15_q7_t_add_vec: Q7 tensor + Q15 per-channel bias -> Q7. */
export function q7xq15Q7TAddVec(
  ten: Q7,
  vec: Q15,
  nbatches: number,
  nrows: number,
  ncols: number,
  nchannels: number,
  ret: Q7,
  scten: number,
  scvec: number,
  scret: number,
): void {
  const len = nbatches * nrows * ncols;
  const st = wrap32(scten * scret);
  const sv = wrap32(scvec * scret);
  for (let i = 0, k = 0; i < len; i++) {
    for (let c = 0; c < nchannels; c++, k++) ret[k] = wrap8(cdiv(ten[k]!, st) + cdiv(vec[c]!, sv));
  }
}

/** q7_t_relu: ret = clamp(ten, 0, limit) / div. */
export function q7TRelu(
  ten: Q7,
  nbatches: number,
  nrows: number,
  ncols: number,
  nchannels: number,
  ret: Q7,
  limit: number,
  div: number,
): void {
  const len = nbatches * nrows * ncols * nchannels;
  for (let i = 0; i < len; i++) ret[i] = wrap8(cdiv(qRelu(ten[i]!, limit), div));
}
