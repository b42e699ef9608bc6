// Bit-exact TypeScript twin of firmware/kernels/mbconv_q7.c: EdgeML's MBConv blocks with Q7 weights
// (quantized_mbconv.c, DIV build) that the face-2 pipeline runs as L10–L14:
//   mbconvQ15xQ7Q15 (q15xq7_q15_mbconv_block), mbconvQ15xQ7Q7 (q15xq7_q7_mbconv_block): Q15 input,
//     Q7 filters and BN weights, Q15 biases, int32 sums, Q15 intermediate tensors;
//   mbconvQ7 (q7_mbconv_block): everything Q7, int32 sums, int16 intermediates narrowed as the C does.
// The C streams expanded rows through a ring; this reference expands the whole tensor first (same
// arithmetic, a different order of work), so agreement also checks the streaming.
import { cdiv, wrap16, wrap32, wrap8 } from './quantized.js';

export interface MBConvQ7WParams {
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
  /** Expand: F1[CIn][CTemp] (Q7), W1[CTemp] (Q7), B1[CTemp] (Q15 for q15xq7, Q7 for q7). */
  F1: Int8Array;
  W1: Int8Array;
  B1: Int16Array | Int8Array;
  /** Depthwise: F2[CTemp][HF][WF]. */
  F2: Int8Array;
  W2: Int8Array;
  B2: Int16Array | Int8Array;
  /** Project: F3[CTemp][COut]. */
  F3: Int8Array;
  W3: Int8Array;
  B3: Int16Array | Int8Array;
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

type Kind = 'q15xq7' | 'q7';

function axis(size: number, f: number, padLo: number, padHi: number, stride: number) {
  const lo = ((f - 1) >> 1) - padLo;
  const hi = size - ((f >> 1) - padHi);
  return { lo, hi, count: lo >= hi ? 0 : Math.floor((hi - lo + stride - 1) / stride) };
}

export function mbconvQ7WOutSize(p: MBConvQ7WParams): { HOut: number; WOut: number } {
  return {
    HOut: axis(p.H, p.HF, p.HPadU, p.HPadD, p.HStride).count,
    WOut: axis(p.W, p.WF, p.WPadL, p.WPadR, p.WStride).count,
  };
}

const relu = (x: number, limit: number) => (x > limit ? limit : x < 0 ? 0 : x);

/** Expand / depthwise element before the narrowing store. */
function stage(
  kind: Kind,
  sum: number,
  shl: number,
  shr: number,
  b: number,
  w: number,
  limit: number,
  shlx: number,
  shrx: number,
): number {
  if (kind === 'q15xq7') {
    const x = relu(Math.imul(wrap32(cdiv(Math.imul(sum, shl), shr) + b), w), limit);
    return cdiv(Math.imul(x, shlx), shrx);
  }
  const t = wrap16(cdiv(Math.imul(sum, shl), shr) + b);
  const x = relu(wrap16(t * w), wrap16(limit));
  return cdiv(Math.imul(x, shlx), shrx);
}

function project(
  kind: Kind,
  sum: number,
  shl: number,
  shr: number,
  b: number,
  w: number,
  shlw: number,
  shrw: number,
) {
  const t =
    kind === 'q15xq7'
      ? wrap32(cdiv(Math.imul(sum, shl), shr) + b)
      : wrap16(cdiv(Math.imul(sum, shl), shr) + b);
  return cdiv(Math.imul(Math.imul(t, w), shlw), shrw);
}

function block(
  input: ArrayLike<number>,
  p: MBConvQ7WParams,
  kind: Kind,
  outQ7: boolean,
): Int16Array | Int8Array {
  const { H, W, CIn, CTemp, COut, HF, WF } = p;
  const narrowMid = kind === 'q7' ? wrap8 : wrap16;
  const expanded = new Int16Array(H * W * CTemp);
  for (let px = 0; px < H * W; px++) {
    for (let k = 0; k < CTemp; k++) {
      let sum = 0;
      for (let l = 0; l < CIn; l++) sum = (sum + input[px * CIn + l] * p.F1[l * CTemp + k]) | 0;
      expanded[px * CTemp + k] = narrowMid(
        stage(kind, sum, p.shlU1, p.shrU1, p.B1[k], p.W1[k], p.limit1, p.shlX1, p.shrX1),
      );
    }
  }
  const ha = axis(H, HF, p.HPadU, p.HPadD, p.HStride);
  const wa = axis(W, WF, p.WPadL, p.WPadR, p.WStride);
  const flh = (HF - 1) >> 1;
  const flw = (WF - 1) >> 1;
  const n = ha.count * wa.count * COut;
  const out = outQ7 ? new Int8Array(n) : new Int16Array(n);
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
            sum = (sum + expanded[(hi * W + wi) * CTemp + g] * p.F2[(g * HF + hf + flh) * WF + wf + flw]) | 0;
          }
        }
        dw[g] = narrowMid(stage(kind, sum, p.shlU2, p.shrU2, p.B2[g], p.W2[g], p.limit2, p.shlX2, p.shrX2));
      }
      for (let i = 0; i < COut; i++) {
        let sum = 0;
        for (let g = 0; g < CTemp; g++) sum = (sum + dw[g] * p.F3[g * COut + i]) | 0;
        out[o++] = project(kind, sum, p.shlU3, p.shrU3, p.B3[i], p.W3[i], p.shlW3, p.shrW3); // typed store wraps
      }
    }
  }
  return out;
}

/** EdgeML q15xq7_q15_mbconv_block (face-2 L10, L11). */
export function mbconvQ15xQ7Q15(input: Int16Array, p: MBConvQ7WParams): Int16Array {
  return block(input, p, 'q15xq7', false) as Int16Array;
}

/** EdgeML q15xq7_q7_mbconv_block (face-2 L12). */
export function mbconvQ15xQ7Q7(input: Int16Array, p: MBConvQ7WParams): Int8Array {
  return block(input, p, 'q15xq7', true) as Int8Array;
}

/** EdgeML q7_mbconv_block (face-2 L13, L14). */
export function mbconvQ7(input: Int8Array, p: MBConvQ7WParams): Int8Array {
  return block(input, p, 'q7', true) as Int8Array;
}

/** The Q7 residual connection, EdgeML q7_t_add(a = block input, b = block output). */
export function residualAddQ7(
  a: Int8Array,
  b: Int8Array,
  scten1: number,
  scten2: number,
  scret: number,
): Int8Array {
  const s1 = Math.imul(scten1, scret);
  const s2 = Math.imul(scten2, scret);
  return a.map((v, i) => wrap8(cdiv(v, s1) + cdiv(b[i], s2)));
}
