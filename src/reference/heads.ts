// Bit-exact TypeScript twin of firmware/kernels/heads.c: one detection head of EdgeML's face pipeline
// (L2 norm → per-channel weight → conf / loc convolutions + bias → max over the background logits).
// Built from the whole-tensor operations (l2normQ15, convQ15) as EdgeML's pipeline calls them; the C
// streams the prepared map through a ring of HF rows instead.
import { convQ15, type ConvParams } from './conv.js';
import { cdiv, wrap16 } from './quantized.js';
import { l2normQ15 } from './l2norm.js';

export interface HeadConv {
  /** F[1][HF][WF][C][cout]. */
  w: Int16Array;
  cout: number;
  scinput: number;
  scoutput: number;
  demote: number;
  /** Bias [cout] added with q15_t_add_vec's scales. */
  b: Int16Array;
  scten: number;
  scvec: number;
  scret: number;
}

export interface HeadParams {
  H: number;
  W: number;
  C: number;
  /** Odd kernel size; 'same' zero padding, stride 1. */
  HF: number;
  WF: number;
  l2norm: boolean;
  l2ScaleIn: number;
  l2ScaleOut: number;
  /** Per-channel weight [C] (EdgeML D*NW), or null. */
  normW: Int16Array | null;
  normScinput: number;
  normScoutput: number;
  normDemote: number;
  conf: HeadConv;
  loc: HeadConv;
}

export interface HeadOutput {
  /** [H][W][conf.cout === 4 ? 2 : conf.cout] */
  conf: Int16Array;
  /** [H][W][loc.cout] */
  loc: Int16Array;
}

function sameConv(
  p: HeadParams,
  cin: number,
  hf: number,
  wf: number,
  cout: number,
  g: number,
): Omit<ConvParams, 'scinput' | 'scoutput' | 'demote'> {
  return {
    H: p.H,
    W: p.W,
    CIn: cin,
    HF: hf,
    WF: wf,
    CF: cin / g,
    COut: cout,
    G: g,
    HPadU: (hf - 1) >> 1,
    HPadD: (hf - 1) >> 1,
    WPadL: (wf - 1) >> 1,
    WPadR: (wf - 1) >> 1,
    HStride: 1,
    WStride: 1,
    HDilation: 1,
    WDilation: 1,
  };
}

/** q15_t_add_vec: v / (scten*scret) + vec[c] / (scvec*scret), int16. */
function addVec(t: Int16Array, hc: HeadConv): Int16Array {
  const st = Math.imul(hc.scten, hc.scret);
  const sv = Math.imul(hc.scvec, hc.scret);
  return t.map((v, i) => wrap16(cdiv(v, st) + cdiv(hc.b[i % hc.cout], sv)));
}

export function detectionHead(input: Int16Array, p: HeadParams): HeadOutput {
  let x = p.l2norm ? l2normQ15(input, p.C, p.l2ScaleIn, p.l2ScaleOut) : input;
  if (p.normW) {
    x = convQ15(x, p.normW, {
      ...sameConv(p, p.C, 1, 1, 1, p.C),
      scinput: p.normScinput,
      scoutput: p.normScoutput,
      demote: p.normDemote,
    });
  }
  const run = (hc: HeadConv) =>
    addVec(
      convQ15(x, hc.w, {
        ...sameConv(p, p.C, p.HF, p.WF, hc.cout, 1),
        scinput: hc.scinput,
        scoutput: hc.scoutput,
        demote: hc.demote,
      }),
      hc,
    );
  const confRaw = run(p.conf);
  let conf = confRaw;
  if (p.conf.cout === 4) {
    conf = new Int16Array(p.H * p.W * 2);
    for (let i = 0; i < p.H * p.W; i++) {
      // q15_v_argmax over the 3 background logits: the first maximum wins.
      let best = confRaw[i * 4];
      for (let k = 1; k < 3; k++) if (best < confRaw[i * 4 + k]) best = confRaw[i * 4 + k];
      conf[i * 2] = best;
      conf[i * 2 + 1] = confRaw[i * 4 + 3];
    }
  }
  return { conf, loc: run(p.loc) };
}
