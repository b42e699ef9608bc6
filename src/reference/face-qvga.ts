// RNNPool-Face-QVGA (EdgeML's face-2, RPool_Face_QVGA_monochrome) in TypeScript: the reference the
// rnnpool-face-qvga firmware (firmware/app/face_qvga.c) is checked against, layer by layer (same ids,
// same FNV-1a checksums). It follows EdgeML's c_reference/models/quantized_face_detection.c stage by
// stage with the bit-exact kernels of src/reference, every parameter read from the model by the name
// EdgeML's pipeline passes. The pipeline has 22 stages; the ABI publishes at most 16 layers, so some
// MBConv runs are one layer each (the checksum is over the run's last output):
//
//   1 conv         conv 3x3 s2 + CBR1B + CBR1W + ReLU (as face-m4)              int8  120x160x4
//   2 rnnpool      29x39 RNNPool patches → Q7, last row/column replicated       int8  30x40x64
//   3 mbconv1      q7xq15_q15 L1                                                int16 30x40x32
//   4 mbconv2-4    q15 L2..L4, each + residual (q15_t_add)                      int16 30x40x32
//   5 head1        L2 norm, ×D1NW, conf (max of 3 background logits, face), loc  conf 30x40x2, loc 30x40x4
//   6 mbconv5-8    q15 L5..L8, each + residual                                  int16 30x40x32
//   7 head2        detection2.h                                                 conf 30x40x2, loc 30x40x4
//   8 mbconv9      q15 L9, stride 2                                             int16 15x20x96
//   9 mbconv10-11  q15xq7_q15 L10, L11, each + residual                         int16 15x20x96
//  10 head3        detection3.h                                                 conf 15x20x2, loc 15x20x4
//  11 mbconv12     q15xq7_q7 L12                                                int8  15x20x128
//  12 mbconv13     q7 L13 + residual (q7_t_add)                                 int8  15x20x128
//  13 mbconv14     q7 L14 + residual                                            int8  15x20x128
//  14 head4        no L2 norm: conf = q7xq15_q7 conv + q7xq15_q7 bias (int8),
//                  loc = q7xq15_q15 conv + q15 bias (int16); tensor = their bytes (int8 view)
//  15 outputs      EdgeML's final assembly: conf H1, conf H2 / 2, conf H3 / 2, conf H4 (int16) << 7,
//                  loc H1, loc H2, loc H3, loc H4 / 2 (C `/`): 18000 int16
// (16 boxes: post-processing, src/reference/postprocess.ts, as the firmware's boxes layer.)
import { FACE_QVGA } from '../architectures/face-qvga.js';
import { array, define, scalar, type Model } from '../model/format.js';
import { namedLayer, modelFail, q15Array, q7Array } from './pipeline.js';
import {
  conv2dCbr,
  convOutSize,
  convQ7xQ15Q15,
  convQ7xQ15Q7,
  type Conv2dCbrParams,
  type ConvParams,
} from './conv.js';
import {
  headParamsFromModel,
  mbconvParamsFromModel,
  rnnPoolModelFromModel,
  rnnpoolStage,
  type LayerResult,
  type RnnPoolStage,
} from './face-m4.js';
import { detectionHead } from './heads.js';
import {
  mbconvQ15xQ7Q15,
  mbconvQ15xQ7Q7,
  mbconvQ7,
  mbconvQ7WOutSize,
  residualAddQ7,
  type MBConvQ7WParams,
} from './mbconv-q7.js';
import { mbconvOutSize, mbconvQ15, mbconvQ7xQ15Q15, residualAddQ15 } from './mbconv.js';
import { cdiv, q15TAddVec, q7xq15Q7TAddVec } from './quantized.js';

export interface FaceQvgaResult {
  /** The 18000 int16 outputs (empty if stopped before the outputs layer). */
  outputs: Int16Array;
  layers: LayerResult[];
}

// The descriptor imports this module: it is read when a layer is made, never while the modules load.
const makeLayer = (
  name: string,
  shape: number[],
  tensor: Int8Array | Int16Array,
  parts?: LayerResult['parts'],
) => namedLayer(FACE_QVGA.layers, name, shape, tensor, parts);

function convStage(model: Model): Conv2dCbrParams {
  const h = 'conv2D.h';
  const d = (n: string) => define(model, h, n);
  const s = (n: string) => scalar(model, h, n);
  return {
    conv: {
      H: d('CBR1F_H'), W: d('CBR1F_W'), CIn: d('CBR1F_CIN'), HF: d('CBR1F_HF'), WF: d('CBR1F_WF'),
      CF: d('CBR1F_CF'), COut: d('CONV2D_COUT'), G: d('CBR1F_G'), HPadU: d('CBR1F_HPADL'),
      HPadD: d('CBR1F_HPADR'), WPadL: d('CBR1F_WPADL'), WPadR: d('CBR1F_WPADR'), HStride: d('CBR1F_HSTRIDE'),
      WStride: d('CBR1F_WSTRIDE'), HDilation: d('CBR1F_HDILATION'), WDilation: d('CBR1F_WDILATION'),
      scinput: s('CBR1F_Scinput'), scoutput: s('CBR1F_Scoutput'), demote: s('CBR1F_Demote'),
    },
    filter: q15Array(model, h, 'CBR1F'),
    bias: q15Array(model, h, 'CBR1B'),
    biasScten: s('CBR1B_Scten'), biasScvec: s('CBR1B_Scvec'), biasScret: s('CBR1B_Scret'),
    scale: q15Array(model, h, 'CBR1W'),
    scaleScinput: s('CBR1W_Scinput'), scaleScoutput: s('CBR1W_Scoutput'), scaleDemote: s('CBR1W_Demote'),
    limit: s('CONV2D_Limit'),
    div: s('CONV2D_Div'),
  }; // prettier-ignore
}

/** MBConv layer n with Q7 filters / BN weights (L10–L14) as the mbconv-q7 kernels take it. */
export function mbconvQ7WParamsFromModel(model: Model, n: number): MBConvQ7WParams {
  const h = `mbconv${n}.h`;
  const p = `L${n}_`;
  const d = (x: string) => define(model, h, p + x);
  const s = (x: string) => scalar(model, h, p + x);
  const a = (x: string) => q7Array(model, h, p + x);
  const b = (x: string) => array(model, h, p + x) as Int16Array | Int8Array;
  const params: MBConvQ7WParams = {
    H: d('H'), W: d('W'), CIn: d('CIN'), CTemp: d('CTEMP'), COut: d('COUT'), HF: d('HF'), WF: d('WF'),
    HPadU: d('HPADL'), HPadD: d('HPADR'), WPadL: d('WPADL'), WPadR: d('WPADR'),
    HStride: d('HSTRIDE'), WStride: d('WSTRIDE'),
    F1: a('F1'), W1: a('W1'), B1: b('B1'), F2: a('F2'), W2: a('W2'), B2: b('B2'), F3: a('F3'), W3: a('W3'), B3: b('B3'),
    limit1: s('Limit1'), limit2: s('Limit2'),
    shrU1: s('ShRU1'), shrX1: s('ShRX1'), shrU2: s('ShRU2'), shrX2: s('ShRX2'), shrU3: s('ShRU3'), shrW3: s('ShRW3'),
    shlU1: s('ShLU1'), shlX1: s('ShLX1'), shlU2: s('ShLU2'), shlX2: s('ShLX2'), shlU3: s('ShLU3'), shlW3: s('ShLW3'),
  }; // prettier-ignore
  const { HOut, WOut } = mbconvQ7WOutSize(params);
  if (HOut !== d('HOUT') || WOut !== d('WOUT')) modelFail(model, h, `the block gives ${HOut}x${WOut}`);
  return params;
}

const residualOf = (model: Model, n: number): [number, number, number] => {
  const h = `mbconv${n}.h`;
  return [
    scalar(model, h, `L${n}_Scten1`),
    scalar(model, h, `L${n}_Scten2`),
    scalar(model, h, `L${n}_Scret`),
  ];
};

/** Head 4's convolution n ('CW' or 'LW') over the L14 map. */
function head4Conv(model: Model, part: 'CW' | 'LW', map: { H: number; W: number; C: number }): ConvParams {
  const d = (x: string) => define(model, 'detection4.h', `D4${part}_${x}`);
  const s = (x: string) => scalar(model, 'detection4.h', `D4${part}_${x}`);
  return {
    H: map.H, W: map.W, CIn: map.C, HF: d('HF'), WF: d('WF'), CF: d('CF'), COut: d('COUT'), G: d('G'),
    HPadU: d('HPADL'), HPadD: d('HPADR'), WPadL: d('WPADL'), WPadR: d('WPADR'), HStride: d('HSTRIDE'),
    WStride: d('WSTRIDE'), HDilation: d('HDILATION'), WDilation: d('WDILATION'),
    scinput: s('Scinput'), scoutput: s('Scoutput'), demote: s('Demote'),
  }; // prettier-ignore
}

const headParts = (H: number, W: number, conf: number, loc: number): LayerResult['parts'] => [
  { name: 'conf', shape: [H, W, conf], offset: 0, length: H * W * conf },
  { name: 'loc', shape: [H, W, loc], offset: H * W * conf, length: H * W * loc },
];

export interface FaceQvgaOptions {
  /** Stop after the layer with this id; default: run every layer. */
  stopAfter?: number;
}

/** Runs the face-2 detector on one 320x240 int8 frame: the 18000 outputs and every layer. */
export function runFaceQvga(model: Model, frame: Int8Array, opts: FaceQvgaOptions = {}): FaceQvgaResult {
  if (model.architecture !== FACE_QVGA.name) {
    modelFail(model, 'architecture', `${model.architecture}, runFaceQvga needs ${FACE_QVGA.name}`);
  }
  const cbr = convStage(model);
  if (frame.length !== cbr.conv.H * cbr.conv.W * cbr.conv.CIn) {
    throw new RangeError(`runFaceQvga: the frame has ${frame.length} values`);
  }
  const stopAfter = opts.stopAfter ?? Infinity;
  const layers: LayerResult[] = [];
  const emit = (l: LayerResult) => {
    layers.push(l);
    return l.id >= stopAfter;
  };
  const done = (): FaceQvgaResult => ({ outputs: new Int16Array(0), layers });

  // 1 conv
  const { HOut: cH, WOut: cW } = convOutSize(cbr.conv);
  const cC = cbr.conv.G * cbr.conv.COut;
  const conv = conv2dCbr(frame, cbr);
  if (emit(makeLayer('conv', [cH, cW, cC], conv))) return done();

  // 2 rnnpool
  const rnn = rnnPoolModelFromModel(model);
  const patchStride = rnn.patchDim >> 1;
  const patchRows = Math.floor((cH - rnn.patchDim) / patchStride) + 1;
  const patchCols = Math.floor((cW - rnn.patchDim) / patchStride) + 1;
  const stage: RnnPoolStage = {
    model: rnn, inputRows: cH, inputCols: cW, patchStride, patchRows, patchCols,
    outRows: patchRows + 1, outCols: patchCols + 1,
  }; // prettier-ignore
  const pooled = rnnpoolStage(stage, conv);
  if (emit(makeLayer('rnnpool', [stage.outRows, stage.outCols, 4 * rnn.hiddenDims2], pooled))) return done();

  const q15Block = (x: Int16Array, n: number, residual: boolean): Int16Array => {
    const p = mbconvParamsFromModel(model, n);
    const y = mbconvQ15(x, p);
    if (!residual) return y;
    const [a, b, c] = residualOf(model, n);
    return residualAddQ15(x, y, a, b, c);
  };
  const shapeOf = (n: number) => {
    const d = (x: string) => define(model, `mbconv${n}.h`, `L${n}_${x}`);
    return [d('HOUT'), d('WOUT'), d('COUT')];
  };

  // 3 mbconv1
  let x = mbconvQ7xQ15Q15(pooled, mbconvParamsFromModel(model, 1));
  if (emit(makeLayer('mbconv1', shapeOf(1), x))) return done();
  // 4 mbconv2-4
  for (const n of [2, 3, 4]) x = q15Block(x, n, true);
  if (emit(makeLayer('mbconv2-4', shapeOf(4), x))) return done();

  const head = (i: number, map: Int16Array, layer: number) => {
    const [H, W, C] = shapeOf(layer);
    const out = detectionHead(map, headParamsFromModel(model, i, { H, W, C }, true));
    const t = new Int16Array(out.conf.length + out.loc.length);
    t.set(out.conf);
    t.set(out.loc, out.conf.length);
    const stop = emit(makeLayer(`head${i}`, [H, W, 6], t, headParts(H, W, 2, 4)));
    return { out, stop };
  };
  // 5 head1
  const h1 = head(1, x, 4);
  if (h1.stop) return done();
  // 6 mbconv5-8
  for (const n of [5, 6, 7, 8]) x = q15Block(x, n, true);
  if (emit(makeLayer('mbconv5-8', shapeOf(8), x))) return done();
  // 7 head2
  const h2 = head(2, x, 8);
  if (h2.stop) return done();
  // 8 mbconv9
  x = q15Block(x, 9, false);
  if (emit(makeLayer('mbconv9', shapeOf(9), x))) return done();
  // 9 mbconv10-11
  for (const n of [10, 11]) {
    const y = mbconvQ15xQ7Q15(x, mbconvQ7WParamsFromModel(model, n));
    const [a, b, c] = residualOf(model, n);
    x = residualAddQ15(x, y, a, b, c);
  }
  if (emit(makeLayer('mbconv10-11', shapeOf(11), x))) return done();
  // 10 head3
  const h3 = head(3, x, 11);
  if (h3.stop) return done();
  // 11 mbconv12
  let z = mbconvQ15xQ7Q7(x, mbconvQ7WParamsFromModel(model, 12));
  if (emit(makeLayer('mbconv12', shapeOf(12), z))) return done();
  // 12, 13 mbconv13, mbconv14
  for (const n of [13, 14]) {
    const y = mbconvQ7(z, mbconvQ7WParamsFromModel(model, n));
    const [a, b, c] = residualOf(model, n);
    z = residualAddQ7(z, y, a, b, c);
    if (emit(makeLayer(`mbconv${n}`, shapeOf(n), z))) return done();
  }
  // 14 head4
  const [H4, W4, C4] = shapeOf(14);
  const cw = head4Conv(model, 'CW', { H: H4, W: W4, C: C4 });
  const lw = head4Conv(model, 'LW', { H: H4, W: W4, C: C4 });
  const s4 = (n: string) => scalar(model, 'detection4.h', n);
  const conf4 = convQ7xQ15Q7(z, q15Array(model, 'detection4.h', 'D4CW'), cw);
  q7xq15Q7TAddVec(conf4, q15Array(model, 'detection4.h', 'D4CB'), 1, H4, W4, cw.COut, conf4, s4('D4CB_Scten'), s4('D4CB_Scvec'), s4('D4CB_Scret')); // prettier-ignore
  const loc4 = convQ7xQ15Q15(z, q15Array(model, 'detection4.h', 'D4LW'), lw);
  q15TAddVec(loc4, q15Array(model, 'detection4.h', 'D4LB'), 1, H4, W4, lw.COut, loc4, s4('D4LB_Scten'), s4('D4LB_Scvec'), s4('D4LB_Scret')); // prettier-ignore
  if (cw.COut !== 2 || lw.COut !== 4) modelFail(model, 'detection4.h', 'D4CW_COUT must be 2, D4LW_COUT 4');
  const h4bytes = new Int8Array(conf4.length + 2 * loc4.length);
  h4bytes.set(conf4);
  h4bytes.set(new Int8Array(loc4.buffer, loc4.byteOffset, loc4.byteLength), conf4.length);
  if (emit(makeLayer('head4', [h4bytes.length], h4bytes))) return done();

  // 15 outputs: EdgeML's final assembly (quantized_face_detection.c, instructions 157–173).
  const outputs = new Int16Array(model.outputs.count);
  const put = (at: number, src: ArrayLike<number>, f: (v: number) => number) => {
    for (let i = 0; i < src.length; i++) outputs[at + i] = f(src[i]);
  };
  const id = (v: number) => v;
  const half = (v: number) => cdiv(v, 2);
  const seg = (head: string, kind: 'conf' | 'loc') => {
    const s = model.outputs.order.find((o) => o.head === head && o.kind === kind);
    if (!s) return modelFail(model, 'outputs.order', `no ${kind} segment for ${head}`);
    return s.offset;
  };
  const names = model.heads.map((h) => h.name);
  put(seg(names[0], 'conf'), h1.out.conf, id);
  put(seg(names[1], 'conf'), h2.out.conf, half);
  put(seg(names[2], 'conf'), h3.out.conf, half);
  put(seg(names[3], 'conf'), conf4, (v) => v << 7);
  put(seg(names[0], 'loc'), h1.out.loc, id);
  put(seg(names[1], 'loc'), h2.out.loc, id);
  put(seg(names[2], 'loc'), h3.out.loc, id);
  put(seg(names[3], 'loc'), loc4, half);
  emit(makeLayer('outputs', [outputs.length], outputs));
  return { outputs, layers };
}

export { mbconvOutSize };
