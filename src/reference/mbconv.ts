// Bit-exact TypeScript twin of firmware/kernels/mbconv.c (EdgeML's MBConv block, DIV build). The C
// streams expanded rows through a ring of HF rows; this reference expands the whole tensor first
// (a different order of work with the same arithmetic), so agreement also checks the streaming.
import { int64ToInt32 } from './conv.js';
import { cdiv, wrap16, wrap32 } from './quantized.js';

export interface MBConvParams {
  H: number;
  W: number;
  CIn: number;
  CTemp: number;
  COut: number;
  HF: number;
  WF: number;
  HPadU: number;
  HPadD: number;
  WPadL: number;
  WPadR: number;
  HStride: number;
  WStride: number;
  /** Expand: F1[CIn][CTemp], W1/B1[CTemp]. */
  F1: Int16Array;
  W1: Int16Array;
  B1: Int16Array;
  /** Depthwise: F2[CTemp][HF][WF], W2/B2[CTemp]. */
  F2: Int16Array;
  W2: Int16Array;
  B2: Int16Array;
  /** Project: F3[CTemp][COut], W3/B3[COut]. */
  F3: Int16Array;
  W3: Int16Array;
  B3: Int16Array;
  limit1: number;
  limit2: number;
  shrU1: number;
  shrX1: number;
  shrU2: number;
  shrX2: number;
  shrU3: number;
  shrW3: number;
  shlU1: number;
  shlX1: number;
  shlU2: number;
  shlX2: number;
  shlU3: number;
  shlW3: number;
}

/** Which accumulator EdgeML uses: int32 (q7xq15_q15_mbconv_block) or int64 (q15_mbconv_block). */
type Acc = 'q31' | 'q63';

function axis(size: number, f: number, padLo: number, padHi: number, stride: number) {
  const lo = ((f - 1) >> 1) - padLo;
  const hi = size - ((f >> 1) - padHi);
  return { lo, hi, count: lo >= hi ? 0 : Math.floor((hi - lo + stride - 1) / stride) };
}

export function mbconvOutSize(p: MBConvParams): { HOut: number; WOut: number } {
  return {
    HOut: axis(p.H, p.HF, p.HPadU, p.HPadD, p.HStride).count,
    WOut: axis(p.W, p.WF, p.WPadL, p.WPadR, p.WStride).count,
  };
}

/** (int32)((sum * shl) / shr + b) * w, with int32 wrap-around where C has it. */
function bn(acc: Acc, sum: number, shl: number, shr: number, b: number, w: number): number {
  const t =
    acc === 'q31' ? wrap32(cdiv(Math.imul(sum, shl), shr) + b) : int64ToInt32(cdiv(sum * shl, shr) + b);
  return Math.imul(t, w);
}

function clamp(x: number, limit: number): number {
  return x > limit ? limit : x < 0 ? 0 : x;
}

function mbconv(input: ArrayLike<number>, p: MBConvParams, acc: Acc): Int16Array {
  const { H, W, CIn, CTemp, COut, HF, WF } = p;
  const fold = (s: number) => (acc === 'q31' ? s | 0 : s);
  // Stage 1 on every row (EdgeML computes them as the stream reaches them; same values).
  const expanded = new Int16Array(H * W * CTemp);
  for (let px = 0; px < H * W; px++) {
    for (let k = 0; k < CTemp; k++) {
      let sum = 0;
      for (let l = 0; l < CIn; l++) sum = fold(sum + input[px * CIn + l] * p.F1[l * CTemp + k]);
      const x = clamp(bn(acc, sum, p.shlU1, p.shrU1, p.B1[k], p.W1[k]), p.limit1);
      expanded[px * CTemp + k] = wrap16(cdiv(Math.imul(x, p.shlX1), p.shrX1));
    }
  }
  const ha = axis(H, HF, p.HPadU, p.HPadD, p.HStride);
  const wa = axis(W, WF, p.WPadL, p.WPadR, p.WStride);
  const flh = (HF - 1) >> 1;
  const flw = (WF - 1) >> 1;
  const out = new Int16Array(ha.count * wa.count * COut);
  const dw = new Int16Array(CTemp);
  let o = 0;
  for (let h = ha.lo; h < ha.hi; h += p.HStride) {
    for (let w = wa.lo; w < wa.hi; w += p.WStride) {
      for (let g = 0; g < CTemp; g++) {
        let sum = 0;
        for (let hf = -flh; hf <= HF >> 1; hf++) {
          const hi = h + hf;
          if (hi < 0 || hi >= H) continue;
          for (let wf = -flw; wf <= WF >> 1; wf++) {
            const wi = w + wf;
            if (wi < 0 || wi >= W) continue;
            sum = fold(sum + expanded[(hi * W + wi) * CTemp + g] * p.F2[(g * HF + hf + flh) * WF + wf + flw]);
          }
        }
        const x = clamp(bn(acc, sum, p.shlU2, p.shrU2, p.B2[g], p.W2[g]), p.limit2);
        dw[g] = wrap16(cdiv(Math.imul(x, p.shlX2), p.shrX2));
      }
      for (let i = 0; i < COut; i++) {
        let sum = 0;
        for (let g = 0; g < CTemp; g++) sum = fold(sum + dw[g] * p.F3[g * COut + i]);
        const x = bn(acc, sum, p.shlU3, p.shrU3, p.B3[i], p.W3[i]);
        out[o++] = wrap16(cdiv(Math.imul(x, p.shlW3), p.shrW3));
      }
    }
  }
  return out;
}

/** EdgeML q7xq15_q15_mbconv_block (the detector's L1: Q7 input, int32 sums). */
export function mbconvQ7xQ15Q15(input: Int8Array, p: MBConvParams): Int16Array {
  return mbconv(input, p, 'q31');
}

/** EdgeML q15_mbconv_block (L2–L4: Q15 input, int64 sums). */
export function mbconvQ15(input: Int16Array, p: MBConvParams): Int16Array {
  return mbconv(input, p, 'q63');
}

/**
 * EdgeML q15xq7_q15_mbconv_block (the face-3 pipeline's L3/L4: Q15 input, Q7 weights, int32 sums);
 * C twin m4_mbconv_q15xq7_q15 (firmware/kernels/mbconv_fast.c). Pass the Q7 weight arrays widened to
 * Int16Array (same values): the arithmetic is that of the int32 path.
 */
export function mbconvQ15xQ7Q15(input: Int16Array, p: MBConvParams): Int16Array {
  return mbconv(input, p, 'q31');
}

/** The residual connection, EdgeML q15_t_add(a = block input, b = block output). */
export function residualAddQ15(
  a: Int16Array,
  b: Int16Array,
  scten1: number,
  scten2: number,
  scret: number,
): Int16Array {
  const s1 = Math.imul(scten1, scret);
  const s2 = Math.imul(scten2, scret);
  return a.map((v, i) => wrap16(cdiv(v, s1) + cdiv(b[i], s2)));
}
