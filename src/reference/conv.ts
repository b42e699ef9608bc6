// Bit-exact TypeScript twins of firmware/kernels/conv.c: EdgeML's convolutions (DIV build: C `/`
// truncating toward zero, narrowing stores that wrap) and the detector's fused first layer.
// Tensors are NHWC (N = 1); filters F[G][HF][WF][CF][COut]; taps outside the image are skipped.
import { cdiv, wrap16, wrap8 } from './quantized.js';

/**
 * int64 value → int32 (C cast: keep the low 32 bits). ToInt32 (`| 0`) is exact modulo 2^32 for any
 * integral number, so this is right whenever x itself is exact (a safe integer), which is checked.
 */
export function int64ToInt32(x: number): number {
  if (!Number.isSafeInteger(x)) throw new RangeError(`int64 value ${x} is beyond 2^53`);
  return x | 0;
}

export interface ConvParams {
  H: number;
  W: number;
  CIn: number;
  HF: number;
  WF: number;
  CF: number;
  COut: number;
  G: number;
  HPadU: number;
  HPadD: number;
  WPadL: number;
  WPadR: number;
  HStride: number;
  WStride: number;
  HDilation: number;
  WDilation: number;
  /** Divisor = scinput * scoutput * demote (int32). */
  scinput: number;
  scoutput: number;
  demote: number;
}

interface Axis {
  lo: number;
  hi: number;
  count: number;
}

function axis(size: number, f: number, padLo: number, padHi: number, dil: number, stride: number): Axis {
  const lo = dil * ((f - 1) >> 1) - padLo;
  const hi = size - (dil * (f >> 1) - padHi);
  return { lo, hi, count: lo >= hi ? 0 : Math.floor((hi - lo + stride - 1) / stride) };
}

/** Output rows and columns: centres h = HDilation*((HF-1)>>1) - HPadU, +HStride, … < H - (HDilation*(HF>>1) - HPadD). */
export function convOutSize(p: ConvParams): { HOut: number; WOut: number } {
  return {
    HOut: axis(p.H, p.HF, p.HPadU, p.HPadD, p.HDilation, p.HStride).count,
    WOut: axis(p.W, p.WF, p.WPadL, p.WPadR, p.WDilation, p.WStride).count,
  };
}

/** Raw sums (exact integers) for every output element, in output order [HOut][WOut][G*COut]. */
function convSums(
  input: ArrayLike<number>,
  filter: ArrayLike<number>,
  p: ConvParams,
  wrapInt32: boolean,
): number[] {
  const ha = axis(p.H, p.HF, p.HPadU, p.HPadD, p.HDilation, p.HStride);
  const wa = axis(p.W, p.WF, p.WPadL, p.WPadR, p.WDilation, p.WStride);
  const flh = (p.HF - 1) >> 1;
  const flw = (p.WF - 1) >> 1;
  const sums: number[] = [];
  for (let h = ha.lo; h < ha.hi; h += p.HStride) {
    for (let w = wa.lo; w < wa.hi; w += p.WStride) {
      for (let g = 0; g < p.G; g++) {
        for (let c = 0; c < p.COut; c++) {
          let sum = 0;
          for (let hf = -flh; hf <= p.HF >> 1; hf++) {
            const hi = h + p.HDilation * hf;
            if (hi < 0 || hi >= p.H) continue;
            for (let wf = -flw; wf <= p.WF >> 1; wf++) {
              const wi = w + p.WDilation * wf;
              if (wi < 0 || wi >= p.W) continue;
              for (let cf = 0; cf < p.CF; cf++) {
                const x = input[(hi * p.W + wi) * p.CIn + g * p.CF + cf];
                const f = filter[(((g * p.HF + hf + flh) * p.WF + wf + flw) * p.CF + cf) * p.COut + c];
                sum += x * f;
                if (wrapInt32) sum |= 0;
              }
            }
          }
          sums.push(sum);
        }
      }
    }
  }
  return sums;
}

function convScale(p: ConvParams): number {
  return Math.imul(Math.imul(p.scinput, p.scoutput), p.demote);
}

/** EdgeML q7xq15_q7_convolution: int32 (wrapping) sums, int8 output. */
export function convQ7xQ15Q7(input: Int8Array, filter: Int16Array, p: ConvParams): Int8Array {
  const scale = convScale(p);
  return Int8Array.from(convSums(input, filter, p, true), (s) => wrap8(cdiv(s, scale)));
}

/** EdgeML q7xq15_q15_convolution: int32 (wrapping) sums, int16 output. */
export function convQ7xQ15Q15(input: Int8Array, filter: Int16Array, p: ConvParams): Int16Array {
  const scale = convScale(p);
  return Int16Array.from(convSums(input, filter, p, true), (s) => wrap16(cdiv(s, scale)));
}

/** EdgeML q15_convolution: int64 sums, int16 output. */
export function convQ15(input: Int16Array, filter: Int16Array, p: ConvParams): Int16Array {
  const scale = convScale(p);
  return Int16Array.from(convSums(input, filter, p, false), (s) => wrap16(cdiv(s, scale)));
}

/** The first layer (CBR1F → CBR1B → CBR1W → ReLU): see firmware/kernels/conv.h. */
export interface Conv2dCbrParams {
  conv: ConvParams;
  filter: Int16Array;
  /** G*COut entries, with q7xq15_q7_t_add_vec's scales. */
  bias: Int16Array;
  biasScten: number;
  biasScvec: number;
  biasScret: number;
  /** G*COut per-channel multipliers (EdgeML: a grouped 1x1 q7xq15_q7_convolution). */
  scale: Int16Array;
  scaleScinput: number;
  scaleScoutput: number;
  scaleDemote: number;
  /** q7_t_relu: min(max(v, 0), limit) / div. */
  limit: number;
  div: number;
}

export function conv2dCbr(image: Int8Array, p: Conv2dCbrParams): Int8Array {
  const conv = convQ7xQ15Q7(image, p.filter, p.conv);
  const channels = p.conv.G * p.conv.COut;
  const biasTen = Math.imul(p.biasScten, p.biasScret);
  const biasVec = Math.imul(p.biasScvec, p.biasScret);
  const wScale = Math.imul(Math.imul(p.scaleScinput, p.scaleScoutput), p.scaleDemote);
  return conv.map((v, i) => {
    const c = i % channels;
    const b = wrap8(cdiv(v, biasTen) + cdiv(p.bias[c], biasVec));
    const s = wrap8(cdiv(b * p.scale[c], wScale));
    const r = s > p.limit ? p.limit : s < 0 ? 0 : s;
    return wrap8(cdiv(r, p.div));
  });
}
