// The whole RNNPool-Face-M4 detector in TypeScript: the reference the detector firmware is checked
// against, layer by layer (same layer ids, same FNV-1a checksums). It follows EdgeML's
// c_reference/models/quantized_face_detection_sparse.c stage by stage, calling the bit-exact kernels of
// src/reference (each with a C twin in firmware/kernels), with every parameter taken from the model by
// the name EdgeML's pipeline passes:
//
//   1 conv      conv2dCbr (CBR1F → +CBR1B → ×CBR1W → ReLU(CONV2D_Limit) / CONV2D_Div)   int8  120x160x4
//   2 rnnpool   29x39 RNNPool patches (8x8, stride 4), each Q15 value narrowed to Q7 (wrapping), then
//               row 29 := row 28 and column 39 := column 38                               int8  30x40x64
//   3 mbconv1   q7xq15_q15 MBConv L1                                                      int16 30x40x32
//   4 head1     L2 norm, ×D1NW, conf (4 → max of the 3 background logits, face) and loc   conf 30x40x2, loc 30x40x4
//   5 mbconv2   q15 MBConv L2 + residual add (L2_Scten1, L2_Scten2, L2_Scret)             int16 30x40x32
//   6 head2     as head1 with detection2.h
//   7 mbconv3   q15 MBConv L3, stride 2                                                   int16 15x20x64
//   8 head3     detection3.h
//   9 mbconv4   q15 MBConv L4 + residual add (L4_*)                                       int16 15x20x64
//  10 head4     detection4.h: no L2 norm, no per-channel weight
//  11 outputs   conf H1..H4 then loc H1..H4, each C-divided by its head's confScale / locScale: 18000 int16
//
// A head layer's tensor is its conf values followed by its loc values (both int16, NHWC). Layer ids,
// names, shapes and the head geometry: the descriptor, src/architectures/face-m4.ts.
import { FACE_M4 } from '../architectures/face-m4.js';
import { array, define, scalar, struct, type Model } from '../model/format.js';
import { FASTGRNN_SCALE_RENAMES } from '../model/edgeml-import.js';
import {
  LIMITS,
  convParamsFromModel,
  type LayerDtype,
  namedLayer,
  mbconvParamsFromModel,
  modelFail,
  q15Array,
  type LayerResult,
} from './pipeline.js';
import { conv2dCbr, type Conv2dCbrParams } from './conv.js';
import {
  FASTGRNN_SCALE_FIELDS,
  createQ15FastGrnnBuffers,
  createQ7xQ15FastGrnnBuffers,
  q15Fastgrnn,
  q7xq15Q15Fastgrnn,
  type FastGrnnScales,
  type Q15FastGrnnParams,
  type Q7xQ15FastGrnnParams,
} from './fastgrnn.js';
import { detectionHead, type HeadConv, type HeadParams } from './heads.js';
import { mbconvOutSize, mbconvQ15, mbconvQ7xQ15Q15, residualAddQ15, type MBConvParams } from './mbconv.js';
import { cdiv } from './quantized.js';
import { q7xq15Q15RnnpoolBlock, type RnnPoolModel } from './rnnpool.js';

export type { LayerDtype, LayerResult } from './pipeline.js';
export { mbconvParamsFromModel } from './pipeline.js';

// The descriptor imports this module: it is read when a layer is made, never while the modules load.
const makeLayer = (
  name: string,
  shape: number[],
  tensor: Int8Array | Int16Array,
  parts?: LayerResult['parts'],
) => namedLayer(FACE_M4.layers, name, shape, tensor, parts);

export interface FaceM4Options {
  /** Stop after the layer with this id; default: run every layer. Before the outputs layer, `outputs` is empty. */
  stopAfter?: number;
  /** Called as each layer completes. */
  onLayer?: (layer: LayerResult) => void;
}

export interface FaceM4Result {
  /** The 18000 int16 outputs (empty if stopped before the outputs layer). */
  outputs: Int16Array;
  layers: LayerResult[];
}

/** Geometry of the RNNPool stage (EdgeML: 29 x 39 patches, stride 4, output grid 30 x 40). */
export interface RnnPoolStage {
  model: RnnPoolModel;
  /** The conv output the patches are read from: rows x cols x channels (= model.inputDims). */
  inputRows: number;
  inputCols: number;
  /** Patch top-left step (pixels) in both directions: patchDim / 2. */
  patchStride: number;
  patchRows: number;
  patchCols: number;
  /** The stage's output grid: patchRows + 1 x patchCols + 1 (last row and column replicated). */
  outRows: number;
  outCols: number;
}

/** Every kernel's parameters, read from the model once. */
export interface FaceM4Params {
  frameLength: number;
  conv: Conv2dCbrParams;
  convOut: { H: number; W: number; C: number };
  rnnpool: RnnPoolStage;
  mbconv: MBConvParams[];
  /** [Scten1, Scten2, Scret] for the MBConv layers with a residual connection (index = layer - 1). */
  residual: ([number, number, number] | null)[];
  heads: HeadParams[];
  /** Per head, the output divisors (model.heads[i].confScale / locScale, default 1). */
  outputScales: { conf: number; loc: number }[];
}

/** Q15_FastGRNN_Scales of the model (EdgeML's current names) → the kernels' FastGrnnScales (SeeDot names). */
export function fastGrnnScalesFromModel(model: Model, header: string, name: string): FastGrnnScales {
  const fields = struct(model, header, name).fields;
  const out: Record<string, number> = {};
  for (const f of FASTGRNN_SCALE_FIELDS) {
    const v = fields[FASTGRNN_SCALE_RENAMES[f] ?? f];
    if (f === 'H2W' || f === 'H2U')
      out[f] = typeof v === 'number' ? v : 1; // unused by the kernels
    else if (typeof v !== 'number') modelFail(model, `${header}: structs.${name}.${f}`, 'missing scale');
    else out[f] = v;
  }
  return out as unknown as FastGrnnScales;
}

function fastGrnnParams(model: Model, header: string, name: string, meanQ7: boolean) {
  const s = struct(model, header, name);
  const ref = (field: string): Int16Array | Int8Array | null => {
    const v = s.fields[field];
    if (v === null) return null;
    if (typeof v !== 'object')
      return modelFail(model, `${header}: structs.${name}.${field}`, 'expected a pointer');
    return array(model, header, v.ref);
  };
  const req = (field: string): Int16Array => {
    const a = ref(field);
    if (!(a instanceof Int16Array))
      return modelFail(model, `${header}: structs.${name}.${field}`, 'expected Q15_T*');
    return a;
  };
  const int = (field: string): number => {
    const v = s.fields[field];
    if (typeof v !== 'number')
      return modelFail(model, `${header}: structs.${name}.${field}`, 'expected an integer');
    return v;
  };
  const mean = ref('mean');
  const stdDev = ref('stdDev');
  const base = {
    W: req('W'),
    U: req('U'),
    Bg: req('Bg'),
    Bh: req('Bh'),
    sigmoidZeta: int('sigmoid_zeta'),
    sigmoidNu: int('sigmoid_nu'),
  };
  // mean / stdDev are only read with normalize, which RNNPool never sets.
  if (meanQ7) {
    return {
      ...base,
      mean: mean instanceof Int8Array ? mean : null,
      stdDev: stdDev instanceof Int8Array ? stdDev : null,
    } satisfies Q7xQ15FastGrnnParams;
  }
  return {
    ...base,
    mean: mean instanceof Int16Array ? mean : null,
    stdDev: stdDev instanceof Int16Array ? stdDev : null,
  } satisfies Q15FastGrnnParams;
}

/** The RNNPool layer (rnn1.h, rnn2.h) as the kernels take it. */
export function rnnPoolModelFromModel(model: Model): RnnPoolModel {
  const r1 = fastGrnnParams(model, 'rnn1.h', 'RNN1_PARAMS', true) as Q7xQ15FastGrnnParams;
  const r2 = fastGrnnParams(model, 'rnn2.h', 'RNN2_PARAMS', false) as Q15FastGrnnParams;
  return {
    inputDims: define(model, 'rnn1.h', 'INPUT_CHANNELS'),
    patchDim: define(model, 'rnn1.h', 'PATCH_DIM'),
    hiddenDims1: define(model, 'rnn1.h', 'HIDDEN_DIM1'),
    hiddenDims2: define(model, 'rnn2.h', 'HIDDEN_DIM2'),
    rnn1: { params: r1, scales: fastGrnnScalesFromModel(model, 'rnn1.h', 'RNN1_SCALES') },
    rnn2: { params: r2, scales: fastGrnnScalesFromModel(model, 'rnn2.h', 'RNN2_SCALES') },
    shR1: scalar(model, 'rnn1.h', 'ShR1'),
    shL1: scalar(model, 'rnn1.h', 'ShL1'),
    shR2: scalar(model, 'rnn2.h', 'ShR2'),
    shL2: scalar(model, 'rnn2.h', 'ShL2'),
  };
}

/** Detection head i (1-based, detection<i>.h) on an H x W x C map, as detectionHead takes it. */
export function headParamsFromModel(
  model: Model,
  i: number,
  map: { H: number; W: number; C: number },
  l2norm: boolean,
): HeadParams {
  const h = `detection${i}.h`;
  const D = `D${i}`;
  const d = (s: string) => define(model, h, s);
  const s = (x: string) => scalar(model, h, x);
  const HF = d(`${D}CW_HF`);
  const WF = d(`${D}CW_WF`);
  // detectionHead computes 'same' stride-1 convolutions of the whole map: check the model asks for that.
  for (const part of ['CW', 'LW']) {
    const q = (x: string) => d(`${D}${part}_${x}`);
    const same =
      q('HF') === HF &&
      q('WF') === WF &&
      HF % 2 === 1 &&
      WF % 2 === 1 &&
      q('HPADL') === (HF - 1) >> 1 &&
      q('HPADR') === (HF - 1) >> 1 &&
      q('WPADL') === (WF - 1) >> 1 &&
      q('WPADR') === (WF - 1) >> 1 &&
      q('HSTRIDE') === 1 &&
      q('WSTRIDE') === 1 &&
      q('HDILATION') === 1 &&
      q('WDILATION') === 1 &&
      q('G') === 1 &&
      q('CF') === map.C;
    if (!same) {
      modelFail(
        model,
        `${h}: ${D}${part}`,
        `must be an odd ${HF}x${WF} 'same' stride-1 convolution over ${map.C} channels`,
      );
    }
  }
  const headConv = (w: string, b: string): HeadConv => ({
    w: q15Array(model, h, w),
    cout: d(`${w}_COUT`),
    scinput: s(`${w}_Scinput`),
    scoutput: s(`${w}_Scoutput`),
    demote: s(`${w}_Demote`),
    b: q15Array(model, h, b),
    scten: s(`${b}_Scten`),
    scvec: s(`${b}_Scvec`),
    scret: s(`${b}_Scret`),
  });
  const conf = headConv(`${D}CW`, `${D}CB`);
  if (conf.cout !== 2 && conf.cout !== 4) modelFail(model, `${h}: defines.${D}CW_COUT`, 'must be 2 or 4');
  const loc = headConv(`${D}LW`, `${D}LB`);
  if (loc.cout !== 4) modelFail(model, `${h}: defines.${D}LW_COUT`, 'must be 4');
  if (l2norm) {
    const nw = (x: string) => d(`${D}NW_${x}`);
    if (nw('HF') !== 1 || nw('WF') !== 1 || nw('CF') !== 1 || nw('COUT') !== 1 || nw('G') !== map.C) {
      modelFail(model, `${h}: ${D}NW`, `must be a 1x1 grouped convolution with G = ${map.C}, CF = COUT = 1`);
    }
  }
  return {
    H: map.H,
    W: map.W,
    C: map.C,
    HF,
    WF,
    l2norm,
    l2ScaleIn: l2norm ? s(`${D}_ScaleIn`) : 0,
    l2ScaleOut: l2norm ? s(`${D}_ScaleOut`) : 0,
    normW: l2norm ? q15Array(model, h, `${D}NW`) : null,
    normScinput: l2norm ? s(`${D}NW_Scinput`) : 1,
    normScoutput: l2norm ? s(`${D}NW_Scoutput`) : 1,
    normDemote: l2norm ? s(`${D}NW_Demote`) : 1,
    conf,
    loc,
  };
}

/** Reads and checks every parameter of an `rnnpool-face-m4` model. */
export function faceM4Params(model: Model): FaceM4Params {
  if (model.architecture !== FACE_M4.name) {
    modelFail(model, 'architecture', `${model.architecture}, runFaceM4 needs ${FACE_M4.name}`);
  }
  const info = FACE_M4;
  const { conv, out: convOut } = convParamsFromModel(model);
  const rnn = rnnPoolModelFromModel(model);
  if (rnn.inputDims !== convOut.C)
    modelFail(model, 'rnn1.h: defines.INPUT_CHANNELS', `${rnn.inputDims}, conv gives ${convOut.C}`);
  const patchStride = rnn.patchDim >> 1;
  const patchRows = Math.floor((convOut.H - rnn.patchDim) / patchStride) + 1;
  const patchCols = Math.floor((convOut.W - rnn.patchDim) / patchStride) + 1;
  const mbconv = Array.from({ length: info.mbconvs }, (_, i) => mbconvParamsFromModel(model, i + 1));
  const l1 = mbconv[0];
  if (l1.H !== patchRows + 1 || l1.W !== patchCols + 1 || l1.CIn !== 4 * rnn.hiddenDims2) {
    modelFail(
      model,
      'mbconv1.h',
      `L1 takes ${l1.H}x${l1.W}x${l1.CIn}, RNNPool gives ${patchRows + 1}x${patchCols + 1}x${4 * rnn.hiddenDims2}`,
    );
  }
  for (let n = 1; n < mbconv.length; n++) {
    const [a, b] = [mbconv[n - 1], mbconv[n]];
    const [HOut, WOut] = [mbconvOutSize(a).HOut, mbconvOutSize(a).WOut];
    if (b.H !== HOut || b.W !== WOut || b.CIn !== a.COut) {
      modelFail(
        model,
        `mbconv${n + 1}.h`,
        `L${n + 1} takes ${b.H}x${b.W}x${b.CIn}, L${n} gives ${HOut}x${WOut}x${a.COut}`,
      );
    }
  }
  const residual = mbconv.map((p, i): [number, number, number] | null => {
    const n = i + 1;
    if (!info.residual.includes(n)) return null;
    const { HOut, WOut } = mbconvOutSize(p);
    if (p.CIn !== p.COut || HOut !== p.H || WOut !== p.W)
      modelFail(model, `mbconv${n}.h`, 'residual needs equal shapes');
    const h = `mbconv${n}.h`;
    return [
      scalar(model, h, `L${n}_Scten1`),
      scalar(model, h, `L${n}_Scten2`),
      scalar(model, h, `L${n}_Scret`),
    ];
  });
  const heads = info.heads.map((head, i) => {
    const p = mbconv[head.layer - 1];
    const { HOut, WOut } = mbconvOutSize(p);
    return headParamsFromModel(model, i + 1, { H: HOut, W: WOut, C: p.COut }, head.l2norm);
  });
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
    residual,
    heads,
    outputScales,
  };
}

/**
 * Stage 2: every patch through the RNNPool block, each Q15 output narrowed to Q7 as C's `(Q7_T)` cast
 * (wrapping), at [px][py][*] of an outRows x outCols grid; then the last row and column are replicated.
 */
export function rnnpoolStage(stage: RnnPoolStage, convOut: Int8Array): Int8Array {
  const m = stage.model;
  const { inputDims, patchDim, hiddenDims1: h1, hiddenDims2: h2 } = m;
  const c = 4 * h2;
  const { outRows, outCols } = stage;
  const out = new Int8Array(outRows * outCols * c);
  const result = new Int16Array(c);
  const buffer = new Int16Array(h1 * patchDim);
  const b1 = createQ7xQ15FastGrnnBuffers(h1, inputDims);
  const b2 = createQ15FastGrnnBuffers(h2, h1);
  for (let px = 0; px < stage.patchRows; px++) {
    for (let py = 0; py < stage.patchCols; py++) {
      const start = (stage.patchStride * px * stage.inputCols + stage.patchStride * py) * inputDims;
      q7xq15Q15RnnpoolBlock(
        convOut.subarray(start),
        inputDims,
        patchDim,
        stage.inputCols,
        q7xq15Q15Fastgrnn,
        h1,
        m.rnn1.params,
        b1,
        m.rnn1.scales,
        q15Fastgrnn,
        h2,
        m.rnn2.params,
        b2,
        m.rnn2.scales,
        result,
        buffer,
        m.shR1,
        m.shL1,
        m.shR2,
        m.shL2,
      );
      out.set(result, (px * outCols + py) * c); // Int16 → Int8 stores keep the low byte, as (Q7_T)
    }
  }
  const row = outCols * c;
  out.copyWithin((outRows - 1) * row, (outRows - 2) * row, (outRows - 1) * row);
  for (let r = 0; r < outRows; r++) {
    const at = r * row + (outCols - 1) * c;
    out.copyWithin(at, at - c, at);
  }
  return out;
}

/**
 * Runs the detector on one 320x240 int8 frame (row-major, as src/image produces it). Returns the 18000
 * outputs and every layer's tensor and checksum.
 */
export function runFaceM4(model: Model, frame: Int8Array, opts: FaceM4Options = {}): FaceM4Result {
  const P = faceM4Params(model);
  if (frame.length !== P.frameLength) {
    throw new RangeError(`runFaceM4: the frame has ${frame.length} values, the model takes ${P.frameLength}`);
  }
  const stopAfter = opts.stopAfter ?? Infinity;
  const layers: LayerResult[] = [];
  const emit = (layer: LayerResult): boolean => {
    layers.push(layer);
    opts.onLayer?.(layer);
    return layer.id >= stopAfter;
  };
  const done = (): FaceM4Result => ({ outputs: new Int16Array(0), layers });

  // conv
  const conv = conv2dCbr(frame, P.conv);
  if (emit(makeLayer('conv', [P.convOut.H, P.convOut.W, P.convOut.C], conv))) return done();

  // rnnpool
  const rp = P.rnnpool;
  const pooled = rnnpoolStage(rp, conv);
  if (emit(makeLayer('rnnpool', [rp.outRows, rp.outCols, 4 * rp.model.hiddenDims2], pooled))) return done();

  const headOutputs: { conf: Int16Array; loc: Int16Array }[] = [];
  let x: Int16Array = new Int16Array(0);
  for (let n = 1; n <= P.mbconv.length; n++) {
    // MBConv (+ residual), then its head
    const p = P.mbconv[n - 1];
    let y = n === 1 ? mbconvQ7xQ15Q15(pooled, p) : mbconvQ15(x, p);
    const res = P.residual[n - 1];
    if (res) y = residualAddQ15(x, y, res[0], res[1], res[2]);
    x = y;
    const { HOut, WOut } = mbconvOutSize(p);
    if (emit(makeLayer(`mbconv${n}`, [HOut, WOut, p.COut], x))) return done();

    const hp = P.heads[n - 1];
    const out = detectionHead(x, hp);
    headOutputs.push(out);
    const tensor = new Int16Array(out.conf.length + out.loc.length);
    tensor.set(out.conf);
    tensor.set(out.loc, out.conf.length);
    const confC = out.conf.length / (hp.H * hp.W);
    const locC = out.loc.length / (hp.H * hp.W);
    const parts: LayerResult['parts'] = [
      { name: 'conf', shape: [hp.H, hp.W, confC], offset: 0, length: out.conf.length },
      { name: 'loc', shape: [hp.H, hp.W, locC], offset: out.conf.length, length: out.loc.length },
    ];
    if (emit(makeLayer(`head${n}`, [hp.H, hp.W, confC + locC], tensor, parts))) return done();
  }

  // outputs
  const total = headOutputs.reduce((s, o) => s + o.conf.length + o.loc.length, 0);
  const outputs = new Int16Array(total);
  let at = 0;
  for (const kind of ['conf', 'loc'] as const) {
    headOutputs.forEach((o, i) => {
      const div = P.outputScales[i][kind];
      const src = o[kind];
      for (let k = 0; k < src.length; k++) outputs[at + k] = div === 1 ? src[k] : cdiv(src[k], div);
      at += src.length;
    });
  }
  emit(makeLayer('outputs', [total], outputs));
  return { outputs, layers };
}

export interface LayerStats {
  id: number;
  name: string;
  dtype: LayerDtype;
  shape: number[];
  count: number;
  min: number;
  max: number;
  meanAbs: number;
  /** Fraction of values at the dtype's limits. */
  saturatedFraction: number;
  zeroFraction: number;
  checksum: number;
}

/** Activation statistics per layer (for `m4sim model stats`). */
export function layerStats(layers: readonly LayerResult[]): LayerStats[] {
  return layers.map((l) => {
    const [lo, hi] = LIMITS[l.dtype];
    const t = l.tensor;
    let sumAbs = 0;
    let sat = 0;
    let zero = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < t.length; i++) {
      const v = t[i];
      sumAbs += Math.abs(v);
      if (v === lo || v === hi) sat++;
      if (v === 0) zero++;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const n = t.length || 1;
    return {
      id: l.id,
      name: l.name,
      dtype: l.dtype,
      shape: l.shape,
      count: t.length,
      min: t.length ? min : 0,
      max: t.length ? max : 0,
      meanAbs: sumAbs / n,
      saturatedFraction: sat / n,
      zeroFraction: zero / n,
      checksum: l.checksum,
    };
  });
}

/** A fixed-width text table of layerStats. */
export function formatLayerStats(stats: readonly LayerStats[]): string {
  const pct = (f: number) => `${(100 * f).toFixed(1)}%`;
  const rows = [['id', 'layer', 'type', 'shape', 'min', 'max', 'mean|x|', 'at limit', 'zero', 'checksum']];
  for (const s of stats) {
    rows.push([
      String(s.id),
      s.name,
      s.dtype,
      s.shape.join('x'),
      String(s.min),
      String(s.max),
      s.meanAbs.toFixed(1),
      pct(s.saturatedFraction),
      pct(s.zeroFraction),
      `0x${s.checksum.toString(16).padStart(8, '0')}`,
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) => r.map((v, c) => (c <= 3 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  '))
    .join('\n');
}
