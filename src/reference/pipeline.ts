// What the detector references (face-m4.ts, face-qvga.ts, face-fast.ts) share: layer records with
// checksums and ranges, typed access to model arrays, and the first layer's parameters.
import { ModelError, array, define, scalar, type Model } from '../model/format.js';
import { tensorChecksum } from './checksum.js';
import { convOutSize, type Conv2dCbrParams } from './conv.js';
import { mbconvOutSize, type MBConvParams } from './mbconv.js';

export type LayerDtype = 'q7' | 'q15';

export interface LayerResult {
  id: number;
  name: string;
  /** FNV-1a 32-bit of the tensor's little-endian bytes (src/reference/checksum.ts). */
  checksum: number;
  /** NHWC without N; for head layers [H, W, 6]: conf (H x W x 2) followed by loc (H x W x 4), see `parts`. */
  shape: number[];
  dtype: LayerDtype;
  tensor: Int8Array | Int16Array;
  min: number;
  max: number;
  /** Fraction of values at the dtype's limits (-128/127 or -32768/32767). */
  saturatedFraction?: number;
  /** Head layers: where conf and loc are inside `tensor`. */
  parts?: { name: 'conf' | 'loc'; shape: number[]; offset: number; length: number }[];
}

export const LIMITS: Record<LayerDtype, [number, number]> = { q7: [-128, 127], q15: [-32768, 32767] };

export const modelFail = (model: Model, where: string, msg: string): never => {
  throw new ModelError(`${model.name}: ${where}: ${msg}`);
};

export function q15Array(model: Model, header: string, name: string): Int16Array {
  const a = array(model, header, name);
  if (!(a instanceof Int16Array)) modelFail(model, `${header}: arrays.${name}`, 'expected Q15_T');
  return a as Int16Array;
}

export function q7Array(model: Model, header: string, name: string): Int8Array {
  const a = array(model, header, name);
  if (!(a instanceof Int8Array)) modelFail(model, `${header}: arrays.${name}`, 'expected Q7_T');
  return a as Int8Array;
}

/** A layer record: checksum, range and saturation of `tensor`. */
export function makeLayer(
  id: number,
  name: string,
  shape: number[],
  tensor: Int8Array | Int16Array,
  parts?: LayerResult['parts'],
): LayerResult {
  const dtype: LayerDtype = tensor instanceof Int8Array ? 'q7' : 'q15';
  const [lo, hi] = LIMITS[dtype];
  let min = Infinity;
  let max = -Infinity;
  let sat = 0;
  for (let i = 0; i < tensor.length; i++) {
    const v = tensor[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    if (v === lo || v === hi) sat++;
  }
  const layer: LayerResult = {
    id,
    name,
    checksum: tensorChecksum(tensor),
    shape,
    dtype,
    tensor,
    min: tensor.length ? min : 0,
    max: tensor.length ? max : 0,
    saturatedFraction: tensor.length ? sat / tensor.length : 0,
  };
  if (parts) layer.parts = parts;
  return layer;
}

/** The conv2D.h parameters of the first layer (conv → bias → per-channel scale → ReLU6), as EdgeML names them. */
export function convParamsFromModel(model: Model): {
  conv: Conv2dCbrParams;
  out: { H: number; W: number; C: number };
} {
  const h = 'conv2D.h';
  const d = (n: string) => define(model, h, n);
  const s = (n: string) => scalar(model, h, n);
  const conv = {
    H: d('CBR1F_H'),
    W: d('CBR1F_W'),
    CIn: d('CBR1F_CIN'),
    HF: d('CBR1F_HF'),
    WF: d('CBR1F_WF'),
    CF: d('CBR1F_CF'),
    COut: d('CONV2D_COUT'),
    G: d('CBR1F_G'),
    HPadU: d('CBR1F_HPADL'),
    HPadD: d('CBR1F_HPADR'),
    WPadL: d('CBR1F_WPADL'),
    WPadR: d('CBR1F_WPADR'),
    HStride: d('CBR1F_HSTRIDE'),
    WStride: d('CBR1F_WSTRIDE'),
    HDilation: d('CBR1F_HDILATION'),
    WDilation: d('CBR1F_WDILATION'),
    scinput: s('CBR1F_Scinput'),
    scoutput: s('CBR1F_Scoutput'),
    demote: s('CBR1F_Demote'),
  };
  const channels = conv.G * conv.COut;
  // conv2dCbr implements CBR1W as a per-channel multiplier: a grouped 1x1 convolution, one channel per group.
  const w = (n: string) => d(`CBR1W_${n}`);
  const cbr1wOk =
    w('HF') === 1 &&
    w('WF') === 1 &&
    w('CF') === 1 &&
    w('COUT') === 1 &&
    w('G') === channels &&
    w('HPADL') + w('HPADR') + w('WPADL') + w('WPADR') === 0 &&
    w('HSTRIDE') === 1 &&
    w('WSTRIDE') === 1;
  if (!cbr1wOk)
    modelFail(model, `${h}: CBR1W`, `must be a 1x1 grouped convolution with G = ${channels}, CF = COUT = 1`);
  const { HOut, WOut } = convOutSize(conv);
  if (HOut !== d('CONV2D_HOUT') || WOut !== d('CONV2D_WOUT')) {
    modelFail(
      model,
      h,
      `CBR1F gives ${HOut}x${WOut}, CONV2D_HOUT x CONV2D_WOUT is ${d('CONV2D_HOUT')}x${d('CONV2D_WOUT')}`,
    );
  }
  return {
    conv: {
      conv,
      filter: q15Array(model, h, 'CBR1F'),
      bias: q15Array(model, h, 'CBR1B'),
      biasScten: s('CBR1B_Scten'),
      biasScvec: s('CBR1B_Scvec'),
      biasScret: s('CBR1B_Scret'),
      scale: q15Array(model, h, 'CBR1W'),
      scaleScinput: s('CBR1W_Scinput'),
      scaleScoutput: s('CBR1W_Scoutput'),
      scaleDemote: s('CBR1W_Demote'),
      limit: s('CONV2D_Limit'),
      div: s('CONV2D_Div'),
    },
    out: { H: HOut, W: WOut, C: channels },
  };
}

/**
 * makeLayer by layer name, with the id the architecture's descriptor (src/architectures) gives it, as
 * the C pipeline uses the generated LAYER_<NAME>.
 */
export function namedLayer(
  layers: readonly { id: number; name: string }[],
  name: string,
  shape: number[],
  tensor: Int8Array | Int16Array,
  parts?: LayerResult['parts'],
): LayerResult {
  const layer = layers.find((l) => l.name === name);
  if (!layer) throw new Error(`no layer ${name} in the architecture's layer list`);
  return makeLayer(layer.id, name, shape, tensor, parts);
}

/** A Q15 array as is, a Q7 array widened to Int16Array (same values). */
export function widened(model: Model, header: string, name: string, want: 'q7' | 'q15'): Int16Array {
  const a = array(model, header, name);
  const ok = want === 'q7' ? a instanceof Int8Array : a instanceof Int16Array;
  if (!ok) modelFail(model, `${header}: arrays.${name}`, `expected ${want === 'q7' ? 'Q7_T' : 'Q15_T'}`);
  return a instanceof Int16Array ? a : Int16Array.from(a);
}

/**
 * MBConv layer n (mbconv<n>.h, L<n>_*) as mbconvQ7xQ15Q15 / mbconvQ15 take it; `weights: 'q7'` reads
 * Q7 F and W arrays (EdgeML's q15xq7_q15 blocks) widened to Int16Array, values unchanged.
 */
export function mbconvParamsFromModel(model: Model, n: number, weights: 'q7' | 'q15' = 'q15'): MBConvParams {
  const h = `mbconv${n}.h`;
  const p = `L${n}_`;
  const d = (s: string) => define(model, h, p + s);
  const s = (x: string) => scalar(model, h, p + x);
  const wt = (x: string) => widened(model, h, p + x, weights);
  const a = (x: string) => q15Array(model, h, p + x);
  const params: MBConvParams = {
    H: d('H'),
    W: d('W'),
    CIn: d('CIN'),
    CTemp: d('CTEMP'),
    COut: d('COUT'),
    HF: d('HF'),
    WF: d('WF'),
    HPadU: d('HPADL'),
    HPadD: d('HPADR'),
    WPadL: d('WPADL'),
    WPadR: d('WPADR'),
    HStride: d('HSTRIDE'),
    WStride: d('WSTRIDE'),
    F1: wt('F1'),
    W1: wt('W1'),
    B1: a('B1'),
    F2: wt('F2'),
    W2: wt('W2'),
    B2: a('B2'),
    F3: wt('F3'),
    W3: wt('W3'),
    B3: a('B3'),
    limit1: s('Limit1'),
    limit2: s('Limit2'),
    shrU1: s('ShRU1'),
    shrX1: s('ShRX1'),
    shrU2: s('ShRU2'),
    shrX2: s('ShRX2'),
    shrU3: s('ShRU3'),
    shrW3: s('ShRW3'),
    shlU1: s('ShLU1'),
    shlX1: s('ShLX1'),
    shlU2: s('ShLU2'),
    shlX2: s('ShLX2'),
    shlU3: s('ShLU3'),
    shlW3: s('ShLW3'),
  };
  const { HOut, WOut } = mbconvOutSize(params);
  if (HOut !== d('HOUT') || WOut !== d('WOUT')) {
    modelFail(model, h, `the block gives ${HOut}x${WOut}, ${p}HOUT x ${p}WOUT is ${d('HOUT')}x${d('WOUT')}`);
  }
  return params;
}
