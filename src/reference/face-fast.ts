// The RNNPool face-3 ("fast") detector in TypeScript: the reference the face_fast.c firmware is checked
// against, layer by layer (same ids, same FNV-1a checksums). It follows EdgeML's
// c_reference/models/quantized_face_detection_fast.c stage by stage with the bit-exact kernels of
// src/reference, every parameter read from the model by the name EdgeML's pipeline passes:
//
//   1 conv      conv2dCbr (CBR1F → +CBR1B → ×CBR1W → ReLU(CONV2D_Limit) / CONV2D_Div)   int8  120x160x4
//   2 rnnpool   14x19 RNNPool patches (16x16, stride 8), Q15 narrowed to Q7 (wrapping), then
//               row 14 := row 13 and column 19 := column 18                               int8  15x20x64
//   3 mbconv1   q7xq15_q15 MBConv L1 (64 → 128 → 32)                                      int16 15x20x32
//   4 head1     L2 norm, ×D1NW, conf (4 → max of the 3 background logits, face), loc       conf 15x20x2, loc 15x20x4
//   5 mbconv2   q15 MBConv L2 (32 → 64 → 96, int64 sums)                                  int16 15x20x96
//   6 head2     detection2.h on L2's output
//   7 mbconv3   q15xq7_q15 MBConv L3 (96 → 192 → 96, Q7 weights, int32 sums) + residual add
//               q15_t_add(L2 out, L3 out, L3_Scten1, L3_Scten2, L3_Scret)                 int16 15x20x96
//   8 mbconv4   q15xq7_q15 MBConv L4 (96 → 192 → 128)                                     int16 15x20x128
//   9 head3     detection3.h on L4's output
//  10 outputs   conf H1..H3 then loc H1..H3, each C-divided by its head's confScale / locScale (EdgeML
//               halves H2 conf and H3 loc): 5400 int16
//
// A head layer's tensor is its conf values followed by its loc values (both int16, NHWC).
import { FACE_FAST } from '../architectures/face-fast.js';
import { scalar, type Model } from '../model/format.js';
import { convParamsFromModel, namedLayer, mbconvParamsFromModel, modelFail } from './pipeline.js';
import { conv2dCbr, type Conv2dCbrParams } from './conv.js';
import {
  headParamsFromModel,
  rnnPoolModelFromModel,
  rnnpoolStage,
  type LayerResult,
  type RnnPoolStage,
} from './face-m4.js';
import { detectionHead, type HeadParams } from './heads.js';
import {
  mbconvOutSize,
  mbconvQ15,
  mbconvQ15xQ7Q15,
  mbconvQ7xQ15Q15,
  residualAddQ15,
  type MBConvParams,
} from './mbconv.js';
import { cdiv } from './quantized.js';

// The descriptor imports this module: it is read when a layer is made, never while the modules load.
const makeLayer = (
  name: string,
  shape: number[],
  tensor: Int8Array | Int16Array,
  parts?: LayerResult['parts'],
) => namedLayer(FACE_FAST.layers, name, shape, tensor, parts);

export interface FaceFastParams {
  frameLength: number;
  conv: Conv2dCbrParams;
  convOut: { H: number; W: number; C: number };
  rnnpool: RnnPoolStage;
  mbconv: MBConvParams[];
  /** L3's residual add: [Scten1, Scten2, Scret]. */
  residual3: [number, number, number];
  heads: HeadParams[];
  outputScales: { conf: number; loc: number }[];
}

/** Reads and checks every parameter of an `rnnpool-face-fast` model. */
export function faceFastParams(model: Model): FaceFastParams {
  if (model.architecture !== FACE_FAST.name) {
    modelFail(model, 'architecture', `${model.architecture}, runFaceFast needs ${FACE_FAST.name}`);
  }
  const { conv, out: convOut } = convParamsFromModel(model);
  const rnn = rnnPoolModelFromModel(model);
  if (rnn.inputDims !== convOut.C)
    modelFail(model, 'rnn1.h: defines.INPUT_CHANNELS', `${rnn.inputDims}, conv gives ${convOut.C}`);
  const patchStride = rnn.patchDim >> 1;
  const patchRows = Math.floor((convOut.H - rnn.patchDim) / patchStride) + 1;
  const patchCols = Math.floor((convOut.W - rnn.patchDim) / patchStride) + 1;
  const mbconv = [
    mbconvParamsFromModel(model, 1, 'q15'),
    mbconvParamsFromModel(model, 2, 'q15'),
    mbconvParamsFromModel(model, 3, 'q7'),
    mbconvParamsFromModel(model, 4, 'q7'),
  ];
  const l1 = mbconv[0];
  if (l1.H !== patchRows + 1 || l1.W !== patchCols + 1 || l1.CIn !== 4 * rnn.hiddenDims2) {
    modelFail(
      model,
      'mbconv1.h',
      `L1 takes ${l1.H}x${l1.W}x${l1.CIn}, RNNPool gives ${patchRows + 1}x${patchCols + 1}x${4 * rnn.hiddenDims2}`,
    );
  }
  for (let n = 1; n < 4; n++) {
    const [a, b] = [mbconv[n - 1], mbconv[n]];
    const { HOut, WOut } = mbconvOutSize(a);
    if (b.H !== HOut || b.W !== WOut || b.CIn !== a.COut) {
      modelFail(
        model,
        `mbconv${n + 1}.h`,
        `L${n + 1} takes ${b.H}x${b.W}x${b.CIn}, L${n} gives ${HOut}x${WOut}x${a.COut}`,
      );
    }
  }
  const l3 = mbconv[2];
  const l3Out = mbconvOutSize(l3);
  if (l3.CIn !== l3.COut || l3Out.HOut !== l3.H || l3Out.WOut !== l3.W)
    modelFail(model, 'mbconv3.h', 'the residual add needs equal input and output shapes');
  const residual3: [number, number, number] = [
    scalar(model, 'mbconv3.h', 'L3_Scten1'),
    scalar(model, 'mbconv3.h', 'L3_Scten2'),
    scalar(model, 'mbconv3.h', 'L3_Scret'),
  ];
  const heads = FACE_FAST.heads.map((head, i) => {
    const p = mbconv[head.layer - 1];
    const { HOut, WOut } = mbconvOutSize(p);
    return headParamsFromModel(model, i + 1, { H: HOut, W: WOut, C: p.COut }, head.l2norm);
  });
  if (model.heads.length !== heads.length)
    modelFail(model, 'heads', `${model.heads.length} heads, the pipeline has ${heads.length}`);
  const outputScales = heads.map((_, i) => ({
    conf: model.heads[i]?.confScale ?? 1,
    loc: model.heads[i]?.locScale ?? 1,
  }));
  return {
    frameLength: conv.conv.H * conv.conv.W * conv.conv.CIn,
    conv,
    convOut,
    rnnpool: {
      model: rnn,
      inputRows: convOut.H,
      inputCols: convOut.W,
      patchStride,
      patchRows,
      patchCols,
      outRows: patchRows + 1,
      outCols: patchCols + 1,
    },
    mbconv,
    residual3,
    heads,
    outputScales,
  };
}

function headLayer(name: string, hp: HeadParams, out: { conf: Int16Array; loc: Int16Array }): LayerResult {
  const tensor = new Int16Array(out.conf.length + out.loc.length);
  tensor.set(out.conf);
  tensor.set(out.loc, out.conf.length);
  const confC = out.conf.length / (hp.H * hp.W);
  const locC = out.loc.length / (hp.H * hp.W);
  return makeLayer(name, [hp.H, hp.W, confC + locC], tensor, [
    { name: 'conf', shape: [hp.H, hp.W, confC], offset: 0, length: out.conf.length },
    { name: 'loc', shape: [hp.H, hp.W, locC], offset: out.conf.length, length: out.loc.length },
  ]);
}

export interface FaceFastOptions {
  /** Stop after the layer with this id; default: run every layer. Before the outputs layer, `outputs` is empty. */
  stopAfter?: number;
  onLayer?: (layer: LayerResult) => void;
}

export interface FaceFastResult {
  /** The 5400 int16 outputs (empty if stopped before the outputs layer). */
  outputs: Int16Array;
  layers: LayerResult[];
}

/** Runs the face-3 detector on one 320x240 int8 frame: the 5400 outputs and every layer. */
export function runFaceFast(model: Model, frame: Int8Array, opts: FaceFastOptions = {}): FaceFastResult {
  const P = faceFastParams(model);
  if (frame.length !== P.frameLength) {
    throw new RangeError(
      `runFaceFast: the frame has ${frame.length} values, the model takes ${P.frameLength}`,
    );
  }
  const stopAfter = opts.stopAfter ?? Infinity;
  const layers: LayerResult[] = [];
  const emit = (layer: LayerResult): boolean => {
    layers.push(layer);
    opts.onLayer?.(layer);
    return layer.id >= stopAfter;
  };
  const done = (): FaceFastResult => ({ outputs: new Int16Array(0), layers });
  const shape = (p: MBConvParams) => {
    const { HOut, WOut } = mbconvOutSize(p);
    return [HOut, WOut, p.COut];
  };
  const [L1, L2, L3, L4] = P.mbconv;
  const heads: { conf: Int16Array; loc: Int16Array }[] = [];

  const conv = conv2dCbr(frame, P.conv);
  if (emit(makeLayer('conv', [P.convOut.H, P.convOut.W, P.convOut.C], conv))) return done();

  const rp = P.rnnpool;
  const pooled = rnnpoolStage(rp, conv);
  if (emit(makeLayer('rnnpool', [rp.outRows, rp.outCols, 4 * rp.model.hiddenDims2], pooled))) return done();

  const x1 = mbconvQ7xQ15Q15(pooled, L1);
  if (emit(makeLayer('mbconv1', shape(L1), x1))) return done();
  heads.push(detectionHead(x1, P.heads[0]));
  if (emit(headLayer('head1', P.heads[0], heads[0]))) return done();

  const x2 = mbconvQ15(x1, L2);
  if (emit(makeLayer('mbconv2', shape(L2), x2))) return done();
  heads.push(detectionHead(x2, P.heads[1]));
  if (emit(headLayer('head2', P.heads[1], heads[1]))) return done();

  const [s1, s2, sr] = P.residual3;
  const x3 = residualAddQ15(x2, mbconvQ15xQ7Q15(x2, L3), s1, s2, sr);
  if (emit(makeLayer('mbconv3', shape(L3), x3))) return done();

  const x4 = mbconvQ15xQ7Q15(x3, L4);
  if (emit(makeLayer('mbconv4', shape(L4), x4))) return done();
  heads.push(detectionHead(x4, P.heads[2]));
  if (emit(headLayer('head3', P.heads[2], heads[2]))) return done();

  const total = heads.reduce((n, o) => n + o.conf.length + o.loc.length, 0);
  const outputs = new Int16Array(total);
  let at = 0;
  for (const kind of ['conf', 'loc'] as const) {
    heads.forEach((o, i) => {
      const div = P.outputScales[i][kind];
      const src = o[kind];
      for (let k = 0; k < src.length; k++) outputs[at + k] = div === 1 ? src[k] : cdiv(src[k], div);
      at += src.length;
    });
  }
  emit(makeLayer('outputs', [total], outputs));
  return { outputs, layers };
}
