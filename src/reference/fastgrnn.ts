// Quantized FastGRNN (dense W, U): the TypeScript twin of firmware/kernels/fastgrnn.c (EdgeML's
// q15_fastgrnn and q7xq15_q15_fastgrnn, DIV semantics), bit-exact.
import {
  q15MMulvec,
  q15VAdd,
  q15VHadamard,
  q15VScalarAdd,
  q15VScalarMul,
  q15VScalarSub,
  q15VSigmoid,
  q15VSub,
  q15VTanh,
  q15xq7Q15MMulvec,
  q7VHadamard,
  q7VSub,
} from './quantized.js';

/** Q15_FastGRNN_Params: W is hiddenDims x inputDims, U hiddenDims x hiddenDims, row-major. */
export interface Q15FastGrnnParams {
  /** inputDims * steps values, only used with normalize. */
  mean: Int16Array | null;
  /** Inverse standard deviations, as mean. */
  stdDev: Int16Array | null;
  W: Int16Array;
  U: Int16Array;
  Bg: Int16Array;
  Bh: Int16Array;
  sigmoidZeta: number;
  sigmoidNu: number;
}

/** Q7xQ15_FastGRNN_Params: Q7 input, Q7 normalisation vectors. */
export interface Q7xQ15FastGrnnParams extends Omit<Q15FastGrnnParams, 'mean' | 'stdDev'> {
  mean: Int8Array | null;
  stdDev: Int8Array | null;
}

/**
 * Q15_FastGRNN_Scales, EdgeML's field names and order (those of the SeeDot headers our model JSON
 * comes from; EdgeML later renamed W, U, Bg, Bh, H1W, H1U to w, u, bg, bh, mVWOut, mVUOut). Every
 * scale is a power-of-two divisor; H2W and H2U are unused.
 */
export interface FastGrnnScales {
  input: number;
  mean: number;
  meanSub: number;
  stdDev: number;
  normFeaturesHDStdDev: number;
  W: number;
  normFeaturesMVW: number;
  H1W: number;
  H2W: number;
  U: number;
  hiddenStateMVU: number;
  H1U: number;
  H2U: number;
  mV1AddMV2: number;
  mV2AddMV1: number;
  mV1AddMV2Out: number;
  mV1AddMV2Demote: number;
  pC1AddBg: number;
  Bg: number;
  pC1AddBgOut: number;
  pC1AddBgDemote: number;
  sigmoidScaleIn: number;
  sigmoidScaleOut: number;
  pC1AddBh: number;
  Bh: number;
  pC1AddBhOut: number;
  pC1AddBhDemote: number;
  tanhScaleIn: number;
  tanhScaleOut: number;
  gateHDHiddenState: number;
  hiddenStateHDGate: number;
  qOneScale: number;
  qOneSubGate: number;
  qOneSubGateOut: number;
  sigmoidZeta: number;
  sigmoidZetaMulQOneSubGate: number;
  sigmoidNu: number;
  sigmoidNuAddQOneSubGate: number;
  sigmoidNuAddQOneSubGateOut: number;
  sigmoidNuAddQOneSubGateHDUpdate: number;
  updateHDSigmoidNuAddQOneSubGate: number;
  pC3AddPC1: number;
  pC1AddPC3: number;
  hiddenStateOut: number;
  hiddenStateDemote: number;
  div: number;
  add: number;
  sigmoidLimit: number;
  qOne: number;
  useTableSigmoid: number;
  useTableTanH: number;
}

/** The fields of Q15_FastGRNN_Scales in the C struct's order. */
export const FASTGRNN_SCALE_FIELDS: readonly (keyof FastGrnnScales)[] = [
  'input',
  'mean',
  'meanSub',
  'stdDev',
  'normFeaturesHDStdDev',
  'W',
  'normFeaturesMVW',
  'H1W',
  'H2W',
  'U',
  'hiddenStateMVU',
  'H1U',
  'H2U',
  'mV1AddMV2',
  'mV2AddMV1',
  'mV1AddMV2Out',
  'mV1AddMV2Demote',
  'pC1AddBg',
  'Bg',
  'pC1AddBgOut',
  'pC1AddBgDemote',
  'sigmoidScaleIn',
  'sigmoidScaleOut',
  'pC1AddBh',
  'Bh',
  'pC1AddBhOut',
  'pC1AddBhDemote',
  'tanhScaleIn',
  'tanhScaleOut',
  'gateHDHiddenState',
  'hiddenStateHDGate',
  'qOneScale',
  'qOneSubGate',
  'qOneSubGateOut',
  'sigmoidZeta',
  'sigmoidZetaMulQOneSubGate',
  'sigmoidNu',
  'sigmoidNuAddQOneSubGate',
  'sigmoidNuAddQOneSubGateOut',
  'sigmoidNuAddQOneSubGateHDUpdate',
  'updateHDSigmoidNuAddQOneSubGate',
  'pC3AddPC1',
  'pC1AddPC3',
  'hiddenStateOut',
  'hiddenStateDemote',
  'div',
  'add',
  'sigmoidLimit',
  'qOne',
  'useTableSigmoid',
  'useTableTanH',
];

/** Q15_FastGRNN_Buffers: preComp1..3 of hiddenDims, normFeatures of inputDims. */
export interface Q15FastGrnnBuffers {
  preComp1: Int16Array;
  preComp2: Int16Array;
  preComp3: Int16Array;
  normFeatures: Int16Array;
}

/** Q7xQ15_FastGRNN_Buffers. */
export interface Q7xQ15FastGrnnBuffers {
  preComp1: Int16Array;
  preComp2: Int16Array;
  preComp3: Int16Array;
  normFeatures: Int8Array;
}

export function createQ15FastGrnnBuffers(hiddenDims: number, inputDims: number): Q15FastGrnnBuffers {
  return {
    preComp1: new Int16Array(hiddenDims),
    preComp2: new Int16Array(hiddenDims),
    preComp3: new Int16Array(hiddenDims),
    normFeatures: new Int16Array(inputDims),
  };
}

export function createQ7xQ15FastGrnnBuffers(hiddenDims: number, inputDims: number): Q7xQ15FastGrnnBuffers {
  return {
    preComp1: new Int16Array(hiddenDims),
    preComp2: new Int16Array(hiddenDims),
    preComp3: new Int16Array(hiddenDims),
    normFeatures: new Int8Array(inputDims),
  };
}

/** The step after the two matrix-vector products (preComp1 = W x, preComp2 = U h). */
function fastgrnnUpdate(
  hiddenState: Int16Array,
  hiddenDims: number,
  p: { Bg: Int16Array; Bh: Int16Array; sigmoidZeta: number; sigmoidNu: number },
  b: { preComp1: Int16Array; preComp2: Int16Array; preComp3: Int16Array },
  s: FastGrnnScales,
): void {
  const { preComp1, preComp2, preComp3 } = b;
  const n = hiddenDims;
  q15VAdd(preComp1, preComp2, n, preComp1, s.mV1AddMV2, s.mV2AddMV1, s.mV1AddMV2Out, s.mV1AddMV2Demote);
  q15VAdd(preComp1, p.Bg, n, preComp2, s.pC1AddBg, s.Bg, s.pC1AddBgOut, s.pC1AddBgDemote);
  q15VSigmoid(
    preComp2,
    n,
    preComp2,
    s.div,
    s.add,
    s.sigmoidLimit,
    s.sigmoidScaleIn,
    s.sigmoidScaleOut,
    s.useTableSigmoid,
  );
  q15VAdd(preComp1, p.Bh, n, preComp1, s.pC1AddBh, s.Bh, s.pC1AddBhOut, s.pC1AddBhDemote);
  q15VTanh(preComp1, n, preComp1, s.tanhScaleIn, s.tanhScaleOut, s.useTableTanH);
  q15VHadamard(preComp2, hiddenState, n, preComp3, s.gateHDHiddenState, s.hiddenStateHDGate);
  q15VScalarSub(s.qOne, preComp2, n, preComp2, s.qOneScale, s.qOneSubGate, s.qOneSubGateOut);
  q15VScalarMul(p.sigmoidZeta, preComp2, n, preComp2, s.sigmoidZeta, s.sigmoidZetaMulQOneSubGate);
  q15VScalarAdd(
    p.sigmoidNu,
    preComp2,
    n,
    preComp2,
    s.sigmoidNu,
    s.sigmoidNuAddQOneSubGate,
    s.sigmoidNuAddQOneSubGateOut,
  );
  q15VHadamard(
    preComp2,
    preComp1,
    n,
    preComp1,
    s.sigmoidNuAddQOneSubGateHDUpdate,
    s.updateHDSigmoidNuAddQOneSubGate,
  );
  q15VAdd(
    preComp3,
    preComp1,
    n,
    hiddenState,
    s.pC3AddPC1,
    s.pC1AddPC3,
    s.hiddenStateOut,
    s.hiddenStateDemote,
  );
}

/**
 * q15_fastgrnn: `steps` steps from hiddenState (updated in place); input holds steps vectors of
 * inputDims, consumed last-to-first when backward. Returns 0 (as C).
 */
export function q15Fastgrnn(
  hiddenState: Int16Array,
  hiddenDims: number,
  input: Int16Array,
  inputDims: number,
  steps: number,
  params: Q15FastGrnnParams,
  buffers: Q15FastGrnnBuffers,
  scales: FastGrnnScales,
  backward: number,
  normalize: number,
): number {
  const s = scales;
  const nf = buffers.normFeatures;
  for (let t = 0; t < steps; t++) {
    const offset = (backward ? steps - 1 - t : t) * inputDims;
    if (normalize) {
      if (!params.mean || !params.stdDev) throw new Error('q15Fastgrnn: normalize without mean/stdDev');
      q15VSub(
        input.subarray(offset),
        params.mean.subarray(offset),
        inputDims,
        nf,
        s.input,
        s.mean,
        s.meanSub,
      );
      q15VHadamard(params.stdDev.subarray(offset), nf, inputDims, nf, s.stdDev, s.normFeaturesHDStdDev);
    } else {
      nf.set(input.subarray(offset, offset + inputDims));
    }
    q15MMulvec(params.W, nf, hiddenDims, inputDims, buffers.preComp1, s.W, s.normFeaturesMVW, s.H1W, s.H2W);
    q15MMulvec(
      params.U,
      hiddenState,
      hiddenDims,
      hiddenDims,
      buffers.preComp2,
      s.U,
      s.hiddenStateMVU,
      s.H1U,
      s.H2U,
    );
    fastgrnnUpdate(hiddenState, hiddenDims, params, buffers, s);
  }
  return 0;
}

/** q7xq15_q15_fastgrnn: as q15Fastgrnn with a Q7 input. */
export function q7xq15Q15Fastgrnn(
  hiddenState: Int16Array,
  hiddenDims: number,
  input: Int8Array,
  inputDims: number,
  steps: number,
  params: Q7xQ15FastGrnnParams,
  buffers: Q7xQ15FastGrnnBuffers,
  scales: FastGrnnScales,
  backward: number,
  normalize: number,
): number {
  const s = scales;
  const nf = buffers.normFeatures;
  for (let t = 0; t < steps; t++) {
    const offset = (backward ? steps - 1 - t : t) * inputDims;
    if (normalize) {
      if (!params.mean || !params.stdDev) throw new Error('q7xq15Q15Fastgrnn: normalize without mean/stdDev');
      q7VSub(input.subarray(offset), params.mean.subarray(offset), inputDims, nf, s.input, s.mean, s.meanSub);
      q7VHadamard(params.stdDev.subarray(offset), nf, inputDims, nf, s.stdDev, s.normFeaturesHDStdDev);
    } else {
      nf.set(input.subarray(offset, offset + inputDims));
    }
    q15xq7Q15MMulvec(
      params.W,
      nf,
      hiddenDims,
      inputDims,
      buffers.preComp1,
      s.W,
      s.normFeaturesMVW,
      s.H1W,
      s.H2W,
    );
    q15MMulvec(
      params.U,
      hiddenState,
      hiddenDims,
      hiddenDims,
      buffers.preComp2,
      s.U,
      s.hiddenStateMVU,
      s.H1U,
      s.H2U,
    );
    fastgrnnUpdate(hiddenState, hiddenDims, params, buffers, s);
  }
  return 0;
}
