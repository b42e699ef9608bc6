// Deterministic synthetic weights for RNNPool-Face-M4 (EdgeML's q_scut_head_b_face4_model layout and
// names), for running the detector end to end when the trained M4 weights are not available.
//
// Magnitudes: every array is drawn (seeded PRNG, approximately normal) with the mean and standard
// deviation of the analogous array of EdgeML's trained face-2 model (SCUT-HEAD part B), measured once and
// hard-coded below; conv weights whose fan-in differs from their analogue are rescaled by
// sqrt(fan-in of analogue / fan-in). Scales: the DIV scales of the analogous face-2 headers. Analogues:
// conv2D, rnn1, rnn2, mbconv1, mbconv2, detection1..4 ← the same face-2 headers; mbconv3 (32→64→64,
// stride 2) ← face-2 mbconv9 (32→64→96, stride 2); mbconv4 (64→128→64, residual) ← face-2 mbconv8
// (32→64→32, residual, Q15). A calibration step (TS reference) is expected to adjust the scales through
// `options.scales` / `applyScales` so every layer uses its range.
import { architectureHeads, architectureNamed } from '../architectures/index.js';
import {
  applyScales,
  MODEL_FORMAT,
  MODEL_VERSION,
  outputLayout,
  parseModel,
  type ArrayCType,
  type HeaderSpec,
  type Model,
  type ScalarCType,
  type ScaleOverrides,
  type StructField,
} from './format.js';
import { mulberry32, type Prng } from './prng.js';

/** [mean, standard deviation] of the analogous face-2 array (values rounded; face-2 names in comments). */
export const FACE2_ARRAY_STATS: Readonly<Record<string, readonly [number, number]>> = {
  CBR1F: [337, 11493], // face2 CBR1F, rms 11498
  CBR1W: [14983, 3731], // face2 CBR1W, rms 15441
  CBR1B: [11848, 8434], // face2 CBR1B, rms 14544
  W1: [859, 8440], // face2 W1, rms 8484
  U1: [-402, 5926], // face2 U1, rms 5940
  Bg1: [4474, 5661], // face2 Bg1, rms 7216
  Bh1: [7556, 9545], // face2 Bh1, rms 12174
  W2: [-58, 6737], // face2 W2, rms 6737
  U2: [-79, 4910], // face2 U2, rms 4911
  Bg2: [18316, 7237], // face2 Bg2, rms 19694
  Bh2: [12361, 5831], // face2 Bh2, rms 13667
  L1_F1: [-29, 2670], // face2 L1_F1, rms 2670
  L1_F2: [598, 4218], // face2 L1_F2, rms 4260
  L1_F3: [-152, 5692], // face2 L1_F3, rms 5694
  L1_W1: [10241, 2841], // face2 L1_W1, rms 10628
  L1_W2: [5081, 2459], // face2 L1_W2, rms 5645
  L1_W3: [13387, 2023], // face2 L1_W3, rms 13539
  L1_B1: [640, 5040], // face2 L1_B1, rms 5080
  L1_B2: [146, 891], // face2 L1_B2, rms 903
  L1_B3: [342, 2332], // face2 L1_B3, rms 2357
  L2_F1: [431, 6024], // face2 L2_F1, rms 6040
  L2_F2: [1166, 6652], // face2 L2_F2, rms 6754
  L2_F3: [-241, 5362], // face2 L2_F3, rms 5367
  L2_W1: [10607, 3079], // face2 L2_W1, rms 11045
  L2_W2: [6089, 3923], // face2 L2_W2, rms 7243
  L2_W3: [18854, 3085], // face2 L2_W3, rms 19105
  L2_B1: [115, 1041], // face2 L2_B1, rms 1047
  L2_B2: [370, 1998], // face2 L2_B2, rms 2032
  L2_B3: [1120, 2464], // face2 L2_B3, rms 2706
  L3_F1: [248, 7016], // face2 L9_F1, rms 7020
  L3_F2: [1107, 10102], // face2 L9_F2, rms 10163
  L3_F3: [57, 4767], // face2 L9_F3, rms 4768
  L3_W1: [14198, 3154], // face2 L9_W1, rms 14544
  L3_W2: [9431, 3329], // face2 L9_W2, rms 10002
  L3_W3: [13919, 1653], // face2 L9_W3, rms 14017
  L3_B1: [129, 308], // face2 L9_B1, rms 334
  L3_B2: [60, 543], // face2 L9_B2, rms 546
  L3_B3: [-81, 877], // face2 L9_B3, rms 881
  L4_F1: [283, 7675], // face2 L8_F1, rms 7681
  L4_F2: [641, 5426], // face2 L8_F2, rms 5464
  L4_F3: [-61, 3506], // face2 L8_F3, rms 3506
  L4_W1: [14776, 4779], // face2 L8_W1, rms 15530
  L4_W2: [7376, 3248], // face2 L8_W2, rms 8059
  L4_W3: [14200, 2725], // face2 L8_W3, rms 14460
  L4_B1: [-40, 999], // face2 L8_B1, rms 1000
  L4_B2: [-153, 733], // face2 L8_B2, rms 749
  L4_B3: [177, 951], // face2 L8_B3, rms 967
  D1NW: [29354, 1037], // face2 D1NW, rms 29373
  D1CW: [-32, 5200], // face2 D1CW, rms 5200
  D1LW: [-31, 2898], // face2 D1LW, rms 2898
  D1CB: [140, 19205], // face2 D1CB, rms 19205
  D1LB: [-6516, 8182], // face2 D1LB, rms 10459
  D2NW: [24079, 235], // face2 D2NW, rms 24080
  D2CW: [-26, 4236], // face2 D2CW, rms 4236
  D2LW: [-298, 4927], // face2 D2LW, rms 4936
  D2CB: [26, 29846], // face2 D2CB, rms 29847
  D2LB: [-4739, 16039], // face2 D2LB, rms 16725
  D3NW: [30925, 338], // face2 D3NW, rms 30926
  D3CW: [-4, 6727], // face2 D3CW, rms 6727
  D3LW: [-13, 3871], // face2 D3LW, rms 3871
  D3CB: [18, 29318], // face2 D3CB, rms 29318
  D3LB: [3804, 20356], // face2 D3LB, rms 20708
  D4CW: [-66, 5114], // face2 D4CW, rms 5115
  D4LW: [-113, 3978], // face2 D4LW, rms 3980
  D4CB: [-46, 19661], // face2 D4CB, rms 19661
  D4LB: [-7164, 9259], // face2 D4LB, rms 11707
};

/** [fan-in of the face-2 analogue, fan-in here] for weights whose fan-in differs. */
const FAN_IN: Readonly<Record<string, readonly [number, number]>> = {
  L4_F1: [32, 64], // face2 L8: CIN 32; here CIN 64
  L4_F3: [64, 128], // face2 L8: CTEMP 64; here CTEMP 128
  D3CW: [96 * 9, 64 * 9], // face2 D3 reads 96 channels; here 64
  D3LW: [96 * 9, 64 * 9],
  D4CW: [128 * 9, 64 * 9], // face2 D4 reads 128 channels; here 64
  D4LW: [128 * 9, 64 * 9],
};

/**
 * Scalars of each header: the DIV scales (SCALE_T unless noted) and other constants of the face-2
 * analogue (renamed L9_/L8_ → L3_/L4_ for mbconv3/4).
 */
export const FACE_M4_DEFAULT_SCALARS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  // face2 conv2D.h (CONV2D_Limit, CONV2D_Div: Q7_T)
  'conv2D.h': {
    CONV2D_Limit: 96,
    CONV2D_Div: 1,
    CBR1F_Scinput: 2,
    CBR1F_Scoutput: 4,
    CBR1F_Demote: 4096,
    CBR1B_Scten: 1,
    CBR1B_Scvec: 1024,
    CBR1B_Scret: 1,
    CBR1W_Scinput: 8,
    CBR1W_Scoutput: 8,
    CBR1W_Demote: 256,
  },
  'rnn1.h': { ShR1: 1, ShL1: 2 }, // face2 rnn1.h
  'rnn2.h': { ShR2: 256, ShL2: 1 }, // face2 rnn2.h
  // face2 mbconv1.h (Limits: Q31_T)
  'mbconv1.h': {
    L1_Limit1: 402653184,
    L1_Limit2: 100663296,
    L1_ShRU1: 128,
    L1_ShRX1: 16384,
    L1_ShRU2: 8192,
    L1_ShRX2: 4096,
    L1_ShRU3: 32768,
    L1_ShRW3: 32768, // calibrated: 16384 put mbconv1's output within 200 of int16's limit on the default photo
    L1_ShLU1: 1,
    L1_ShLX1: 1,
    L1_ShLU2: 1,
    L1_ShLX2: 1,
    L1_ShLU3: 1,
    L1_ShLW3: 1,
  },
  // face2 mbconv2.h
  'mbconv2.h': {
    L2_Limit1: 402653184,
    L2_Limit2: 201326592,
    L2_ShRU1: 32768,
    L2_ShRX1: 16384,
    L2_ShRU2: 8192,
    L2_ShRX2: 8192,
    L2_ShRU3: 16384,
    L2_ShRW3: 32768, // calibrated: 16384 brought the residual sum within 11 of int16's limit on the default photo
    L2_ShLU1: 1,
    L2_ShLX1: 1,
    L2_ShLU2: 1,
    L2_ShLX2: 1,
    L2_ShLU3: 1,
    L2_ShLW3: 1,
    L2_Scten1: 1,
    L2_Scten2: 2,
    L2_Scret: 1,
  },
  // face2 mbconv9.h
  'mbconv3.h': {
    L3_Limit1: 201326592,
    L3_Limit2: 100663296,
    L3_ShRU1: 65536,
    L3_ShRX1: 8192,
    L3_ShRU2: 65536,
    L3_ShRX2: 4096,
    L3_ShRU3: 32768,
    L3_ShRW3: 16384,
    L3_ShLU1: 1,
    L3_ShLX1: 1,
    L3_ShLU2: 1,
    L3_ShLX2: 1,
    L3_ShLU3: 1,
    L3_ShLW3: 1,
  },
  // face2 mbconv8.h
  'mbconv4.h': {
    L4_Limit1: 402653184,
    L4_Limit2: 100663296,
    L4_ShRU1: 32768,
    L4_ShRX1: 16384,
    L4_ShRU2: 16384,
    L4_ShRX2: 4096,
    L4_ShRU3: 16384,
    L4_ShRW3: 16384,
    L4_ShLU1: 1,
    L4_ShLX1: 1,
    L4_ShLU2: 1,
    L4_ShLX2: 1,
    L4_ShLU3: 1,
    L4_ShLW3: 1,
    L4_Scten1: 1,
    L4_Scten2: 2,
    L4_Scret: 1,
  },
  // face2 detection1.h (D1_ScaleIn/Out: L2-norm exponents)
  'detection1.h': {
    D1_ScaleIn: -12,
    D1_ScaleOut: 8,
    D1NW_Scinput: 32,
    D1NW_Scoutput: 64,
    D1NW_Demote: 1,
    D1CW_Scinput: 16,
    D1CW_Scoutput: 32,
    D1CW_Demote: 512,
    D1CB_Scten: 1,
    D1CB_Scvec: 8,
    D1CB_Scret: 1,
    D1LW_Scinput: 8,
    D1LW_Scoutput: 16,
    D1LW_Demote: 512,
    D1LB_Scten: 1,
    D1LB_Scvec: 4,
    D1LB_Scret: 1,
  },
  // face2 detection2.h
  'detection2.h': {
    D2_ScaleIn: -10,
    D2_ScaleOut: 8,
    D2NW_Scinput: 16,
    D2NW_Scoutput: 16,
    D2NW_Demote: 1,
    D2CW_Scinput: 16,
    D2CW_Scoutput: 16,
    D2CW_Demote: 512,
    D2CB_Scten: 1,
    D2CB_Scvec: 4,
    D2CB_Scret: 1,
    D2LW_Scinput: 16,
    D2LW_Scoutput: 32,
    D2LW_Demote: 512,
    D2LB_Scten: 1,
    D2LB_Scvec: 16,
    D2LB_Scret: 1,
  },
  // face2 detection3.h
  'detection3.h': {
    D3_ScaleIn: -12,
    D3_ScaleOut: 8,
    D3NW_Scinput: 32,
    D3NW_Scoutput: 32,
    D3NW_Demote: 1,
    D3CW_Scinput: 16,
    D3CW_Scoutput: 32,
    D3CW_Demote: 1024,
    D3CB_Scten: 1,
    D3CB_Scvec: 4,
    D3CB_Scret: 1,
    D3LW_Scinput: 16,
    D3LW_Scoutput: 32,
    D3LW_Demote: 1024,
    D3LB_Scten: 1,
    D3LB_Scvec: 32,
    D3LB_Scret: 1,
  },
  // face2 detection4.h
  'detection4.h': {
    D4CW_Scinput: 1,
    D4CW_Scoutput: 1,
    D4CW_Demote: 262144,
    D4CB_Scten: 1,
    D4CB_Scvec: 1024,
    D4CB_Scret: 1,
    D4LW_Scinput: 1,
    D4LW_Scoutput: 1,
    D4LW_Demote: 1048576, // calibrated: 1024 (face-2 analogue) wrapped every loc output of head 4 on the default photo
    D4LB_Scten: 1,
    D4LB_Scvec: 8,
    D4LB_Scret: 1,
  },
};

/** Q15_FastGRNN_Scales (DIV) of face-2's rnn1.h / rnn2.h, with the current field names. */
export const FACE_M4_DEFAULT_RNN_SCALES: Readonly<
  Record<'RNN1_SCALES' | 'RNN2_SCALES', Record<string, number>>
> = {
  RNN1_SCALES: rnnScales(
    { w: 8, normFeaturesMVW: 4, mVWOut: 4, mV2AddMV1: 4, bg: 8, pC1AddBgOut: 1 },
    {
      pC1AddBgDemote: 1,
      bh: 16,
      pC1AddBhOut: 1,
      pC1AddBhDemote: 1,
      gateHDHiddenState: 64,
      sigmoidZetaMulQOneSubGate: 128,
      pC3AddPC1: 2,
    },
  ),
  RNN2_SCALES: rnnScales(
    { w: 64, normFeaturesMVW: 64, mVWOut: 16, mV2AddMV1: 1, bg: 2, pC1AddBgOut: 2 },
    {
      pC1AddBgDemote: 4,
      bh: 2,
      pC1AddBhOut: 2,
      pC1AddBhDemote: 4,
      gateHDHiddenState: 128,
      sigmoidZetaMulQOneSubGate: 64,
      pC3AddPC1: 1,
    },
  ),
};

/** The fields both face-2 RNNs share, plus the ones given. */
function rnnScales(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  return {
    input: 0,
    mean: 0,
    meanSub: 0,
    stdDev: 0,
    normFeaturesHDStdDev: 0,
    w: a.w,
    normFeaturesMVW: a.normFeaturesMVW,
    mVWOut: a.mVWOut,
    u: 64,
    hiddenStateMVU: 32,
    mVUOut: 16,
    mV1AddMV2: 1,
    mV2AddMV1: a.mV2AddMV1,
    mV1AddMV2Out: 1,
    mV1AddMV2Demote: 1,
    pC1AddBg: 1,
    bg: a.bg,
    pC1AddBgOut: a.pC1AddBgOut,
    pC1AddBgDemote: b.pC1AddBgDemote,
    sigmoidScaleIn: 0,
    sigmoidScaleOut: 0,
    pC1AddBh: 1,
    bh: b.bh,
    pC1AddBhOut: b.pC1AddBhOut,
    pC1AddBhDemote: b.pC1AddBhDemote,
    tanhScaleIn: 0,
    tanhScaleOut: 0,
    gateHDHiddenState: b.gateHDHiddenState,
    hiddenStateHDGate: 128,
    qOneScale: 1,
    qOneSubGate: 1,
    qOneSubGateOut: 1,
    sigmoidZeta: 128,
    sigmoidZetaMulQOneSubGate: b.sigmoidZetaMulQOneSubGate,
    sigmoidNu: 32767,
    sigmoidNuAddQOneSubGate: 1,
    sigmoidNuAddQOneSubGateOut: 1,
    sigmoidNuAddQOneSubGateHDUpdate: 128,
    updateHDSigmoidNuAddQOneSubGate: 128,
    pC3AddPC1: b.pC3AddPC1,
    pC1AddPC3: 1,
    hiddenStateOut: 1,
    hiddenStateDemote: 1,
    div: 0,
    add: 0,
    sigmoidLimit: 0,
    qOne: 16384,
    useTableSigmoid: 1,
    useTableTanH: 1,
  };
}

/** sigmoid_zeta / sigmoid_nu of face-2's FastGRNN params (Q15_T). */
const FACE2_ZETA = 16384;
const FACE2_NU = 23611;

const NON_SCALE_CTYPES: Record<string, ScalarCType> = { CONV2D_Limit: 'Q7_T', CONV2D_Div: 'Q7_T' };
const scalarCType = (name: string): ScalarCType =>
  NON_SCALE_CTYPES[name] ?? (/_Limit\d$/.test(name) ? 'Q31_T' : 'SCALE_T');

export interface SyntheticOptions {
  /** Scale overrides applied after generation (see `applyScales`). */
  scales?: ScaleOverrides;
  /** Model name (default `face-m4-synthetic-seed<seed>`). */
  name?: string;
}

/** Every header of the M4 pipeline, weights drawn from `seed`, scales from face-2 (then `options.scales`). */
export function syntheticFaceM4(seed: number, options: SyntheticOptions = {}): Model {
  const rng = mulberry32(seed);
  const files: Record<string, HeaderSpec> = {};
  const header = (name: string): HeaderSpec => {
    files[name] = { defines: {}, arrays: {}, scalars: {}, structs: {}, buffers: {} };
    return files[name];
  };
  const addArray = (
    h: HeaderSpec,
    name: string,
    shape: number[],
    shapeExpr: string,
    ctype: ArrayCType = 'Q15_T',
  ) => {
    h.arrays[name] = { ctype, shape, shapeExpr, values: draw(rng, name, shape, ctype) };
  };
  const addScalars = (h: HeaderSpec, file: string) => {
    for (const [k, v] of Object.entries(FACE_M4_DEFAULT_SCALARS[file]))
      h.scalars[k] = { ctype: scalarCType(k), value: v };
  };

  // conv2D.h: conv 3x3 stride 2, 1 → 4 channels, per-channel scale (CBR1W, depthwise 1x1) and bias.
  {
    const h = header('conv2D.h');
    Object.assign(h.defines, {
      CONV2D_N: 1,
      CBR1F_H: 240,
      CBR1F_W: 320,
      CBR1F_CIN: 1,
      CBR1F_HF: 3,
      CBR1F_WF: 3,
      CBR1F_CF: 1,
      CONV2D_COUT: 4,
      CONV2D_HOUT: 120,
      CONV2D_WOUT: 160,
      ...convDefines('CBR1F', { pad: 1, stride: 2, g: 1 }, ['HF', 'WF', 'CF', 'COUT']),
      ...convDefines('CBR1W', { hf: 1, cf: 1, cout: 1, pad: 0, stride: 1, g: 4 }),
    });
    addArray(h, 'CBR1F', [1, 3, 3, 1, 4], 'CBR1F_G * CBR1F_HF * CBR1F_WF * CBR1F_CF * CONV2D_COUT');
    addArray(h, 'CBR1W', [4], 'CONV2D_COUT');
    addArray(h, 'CBR1B', [4], 'CONV2D_COUT');
    addScalars(h, 'conv2D.h');
  }

  // rnn1.h, rnn2.h: FastGRNN cells, hidden 16 (RNN1 reads the Q7 image patch: Q7xQ15 types).
  for (const k of [1, 2] as const) {
    const h = header(`rnn${k}.h`);
    const hid = `HIDDEN_DIM${k}`;
    const inDim = k === 1 ? 'INPUT_CHANNELS' : 'HIDDEN_DIM1';
    const inLen = k === 1 ? 4 : 16;
    if (k === 1) Object.assign(h.defines, { INPUT_CHANNELS: 4, PATCH_DIM: 8, HIDDEN_DIM1: 16 });
    else h.defines.HIDDEN_DIM2 = 16;
    addArray(h, `W${k}`, [16, inLen], `${hid} * ${inDim}`);
    addArray(h, `U${k}`, [16, 16], `${hid} * ${hid}`);
    addArray(h, `Bg${k}`, [16], hid);
    addArray(h, `Bh${k}`, [16], hid);
    addScalars(h, `rnn${k}.h`);
    const q7 = k === 1;
    h.buffers[`preComp${k}1`] = { ctype: 'Q15_T', length: 16 };
    h.buffers[`preComp${k}2`] = { ctype: 'Q15_T', length: 16 };
    h.buffers[`preComp${k}3`] = { ctype: 'Q15_T', length: 16 };
    h.buffers[`normFeatures${k}`] = { ctype: q7 ? 'Q7_T' : 'Q15_T', length: inLen };
    const ref = (r: string): StructField => ({ ref: r });
    h.structs[`RNN${k}_PARAMS`] = {
      ctype: q7 ? 'Q7xQ15_FastGRNN_Params' : 'Q15_FastGRNN_Params',
      fields: {
        mean: null,
        stdDev: null,
        W: ref(`W${k}`),
        U: ref(`U${k}`),
        Bg: ref(`Bg${k}`),
        Bh: ref(`Bh${k}`),
        sigmoid_zeta: FACE2_ZETA,
        sigmoid_nu: FACE2_NU,
      },
    };
    h.structs[`RNN${k}_BUFFERS`] = {
      ctype: q7 ? 'Q7xQ15_FastGRNN_Buffers' : 'Q15_FastGRNN_Buffers',
      fields: {
        preComp1: ref(`preComp${k}1`),
        preComp2: ref(`preComp${k}2`),
        preComp3: ref(`preComp${k}3`),
        normFeatures: ref(`normFeatures${k}`),
      },
    };
    h.structs[`RNN${k}_SCALES`] = {
      ctype: 'Q15_FastGRNN_Scales',
      fields: { ...FACE_M4_DEFAULT_RNN_SCALES[`RNN${k}_SCALES`] },
    };
  }

  // mbconv1..4.h and detection1..4.h, in the pipeline's order of layers.
  const layers = [
    { n: 1, h: 30, w: 40, cin: 64, ctemp: 128, cout: 32, stride: 1 },
    { n: 2, h: 30, w: 40, cin: 32, ctemp: 64, cout: 32, stride: 1 },
    { n: 3, h: 30, w: 40, cin: 32, ctemp: 64, cout: 64, stride: 2 },
    { n: 4, h: 15, w: 20, cin: 64, ctemp: 128, cout: 64, stride: 1 },
  ];
  for (const L of layers) {
    const h = header(`mbconv${L.n}.h`);
    const p = `L${L.n}_`;
    const hout = Math.floor((L.h + 2 - 3) / L.stride) + 1;
    const wout = Math.floor((L.w + 2 - 3) / L.stride) + 1;
    Object.assign(h.defines, {
      [`${p}N`]: 1,
      [`${p}H`]: L.h,
      [`${p}W`]: L.w,
      [`${p}CIN`]: L.cin,
      [`${p}CTEMP`]: L.ctemp,
      [`${p}HF`]: 3,
      [`${p}WF`]: 3,
      [`${p}COUT`]: L.cout,
      [`${p}HOUT`]: hout,
      [`${p}WOUT`]: wout,
      [`${p}HPADL`]: 1,
      [`${p}HPADR`]: 1,
      [`${p}WPADL`]: 1,
      [`${p}WPADR`]: 1,
      [`${p}HSTRIDE`]: L.stride,
      [`${p}WSTRIDE`]: L.stride,
    });
    addArray(h, `${p}F1`, [1, 1, 1, L.cin, L.ctemp], `1 * 1 * 1 * ${p}CIN * ${p}CTEMP`);
    addArray(h, `${p}F2`, [L.ctemp, 3, 3, 1, 1], `${p}CTEMP * ${p}HF * ${p}WF * 1 * 1`);
    addArray(h, `${p}F3`, [1, 1, 1, L.ctemp, L.cout], `1 * 1 * 1 * ${p}CTEMP * ${p}COUT`);
    addArray(h, `${p}W1`, [L.ctemp], `${p}CTEMP`);
    addArray(h, `${p}W2`, [L.ctemp], `${p}CTEMP`);
    addArray(h, `${p}W3`, [L.cout], `${p}COUT`);
    addArray(h, `${p}B1`, [L.ctemp], `${p}CTEMP`);
    addArray(h, `${p}B2`, [L.ctemp], `${p}CTEMP`);
    addArray(h, `${p}B3`, [L.cout], `${p}COUT`);
    addScalars(h, `mbconv${L.n}.h`);
  }
  for (const L of layers) {
    const h = header(`detection${L.n}.h`);
    const D = `D${L.n}`;
    const c = L.cout;
    const confOut = L.n === 1 ? 4 : 2;
    if (L.n !== 4)
      Object.assign(h.defines, convDefines(`${D}NW`, { hf: 1, cf: 1, cout: 1, pad: 0, stride: 1, g: c }));
    Object.assign(h.defines, convDefines(`${D}CW`, { hf: 3, cf: c, cout: confOut, pad: 1, stride: 1, g: 1 }));
    Object.assign(h.defines, convDefines(`${D}LW`, { hf: 3, cf: c, cout: 4, pad: 1, stride: 1, g: 1 }));
    const expr = (s: string) => `${D}${s}_G * ${D}${s}_HF * ${D}${s}_WF * ${D}${s}_CF * ${D}${s}_COUT`;
    if (L.n !== 4) addArray(h, `${D}NW`, [c, 1, 1, 1, 1], expr('NW'));
    addArray(h, `${D}CW`, [1, 3, 3, c, confOut], expr('CW'));
    addArray(h, `${D}LW`, [1, 3, 3, c, 4], expr('LW'));
    addArray(h, `${D}CB`, [confOut], `${D}CW_COUT`);
    addArray(h, `${D}LB`, [4], `${D}LW_COUT`);
    addScalars(h, `detection${L.n}.h`);
  }

  // Headers in EdgeML's include order (conv2D, rnn1, rnn2, mbconv1..4, detection1..4).
  const ordered: Record<string, HeaderSpec> = {};
  for (const k of Object.keys(files).sort(headerOrder)) ordered[k] = files[k];
  const heads = architectureHeads(architectureNamed('rnnpool-face-m4'), (d) => {
    for (const h of Object.values(ordered)) if (d in h.defines) return h.defines[d];
    return undefined;
  });
  const outputs = outputLayout(heads);
  const model: Model = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    name: options.name ?? `face-m4-synthetic-seed${seed}`,
    architecture: 'rnnpool-face-m4',
    semantics: 'DIV',
    input: { width: 320, height: 240, channels: 1 },
    heads,
    outputs,
    provenance: {
      generator: 'm4sim syntheticFaceM4 (src/model/synthetic.ts)',
      seed,
      prng: 'mulberry32, Irwin-Hall(4) normal',
      weights: "per-array mean/std of the analogous array in EdgeML's trained face-2 model",
      scales: "DIV scales of the analogous face-2 headers (uncalibrated unless 'scalesOverridden')",
      analogues: { 'mbconv3.h': 'face2 mbconv9.h', 'mbconv4.h': 'face2 mbconv8.h' },
      scalesOverridden: options.scales !== undefined,
    },
    files: ordered,
  };
  const valid = parseModel(model, model.name);
  return options.scales ? applyScales(valid, options.scales) : valid;
}

function headerOrder(a: string, b: string): number {
  const rank = (h: string): number => {
    const m = /^(conv2D|rnn|mbconv|detection)(\d*)\.h$/.exec(h);
    if (!m) return 1e9;
    const base = { conv2D: 0, rnn: 100, mbconv: 200, detection: 300 }[m[1] as 'conv2D'];
    return base + Number(m[2] || 0);
  };
  return rank(a) - rank(b);
}

/** EdgeML's 13 defines of one convolution (filter HFxHF, CF in, COUT out, padding, stride, dilation, groups). */
function convDefines(
  p: string,
  o: { hf?: number; cf?: number; cout?: number; pad: number; stride: number; g: number },
  skip: string[] = [],
): Record<string, number> {
  const all: Record<string, number> = {
    HF: o.hf ?? 3,
    WF: o.hf ?? 3,
    CF: o.cf ?? 1,
    COUT: o.cout ?? 1,
    HPADL: o.pad,
    HPADR: o.pad,
    WPADL: o.pad,
    WPADR: o.pad,
    HSTRIDE: o.stride,
    WSTRIDE: o.stride,
    HDILATION: 1,
    WDILATION: 1,
    G: o.g,
  };
  return Object.fromEntries(
    Object.entries(all)
      .filter(([k]) => !skip.includes(k))
      .map(([k, v]) => [`${p}_${k}`, v]),
  );
}

/** Values of one array: mean + std·N(0,1), fan-in corrected, rounded, clamped to the ctype. */
function draw(rng: Prng, name: string, shape: number[], ctype: ArrayCType): number[] {
  const stats = FACE2_ARRAY_STATS[name];
  if (!stats) throw new Error(`synthetic: no statistics for ${name}`);
  const [mean, std0] = stats;
  const fan = FAN_IN[name];
  const std = fan ? std0 * Math.sqrt(fan[0] / fan[1]) : std0;
  const [lo, hi] = ctype === 'Q15_T' ? [-32768, 32767] : [-128, 127];
  const n = shape.reduce((p, d) => p * d, 1);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = Math.min(hi, Math.max(lo, Math.round(mean + std * rng.normal()))) | 0; // | 0: no -0
  return out;
}
