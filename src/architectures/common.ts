// What the RNNPool face architectures share: the layer kinds with their shape and MAC formulas, the
// header schema their pipelines read (the names EdgeML's c_reference/models/quantized_face_detection*.c
// pass), the heads' rows and columns from the MBConv feeding each, and the box decoder (one C file,
// firmware/app/boxes.c, serves every pipeline). A descriptor is made with rnnpoolFace(), which adds the
// header requirements and the box decoder to the architecture's facts.
//
// MACs count the multiply-accumulates of the convolutions and the FastGRNN matrix-vector products;
// bias adds, per-channel scales (CBR1W, BN weights, DxNW), L2 norms, residual adds, nonlinearities and
// the box decoding are not counted.
// Imports at run time only modules that import no descriptor (errors.ts, postprocess.ts): the
// descriptors call this module while they load, and model/format.ts imports the descriptors.
import { ModelError } from '../model/errors.js';
import type { HeadSpec as ModelHead, Model } from '../model/format.js';
import { detect, type Box, type Head } from '../reference/postprocess.js';
import type {
  ArchitectureDescriptor,
  BoxOptions,
  HeaderRequirement,
  LayerSpec,
  TensorDtype,
} from './types.js';

// ---------------------------------------------------------------------------------------------------------
// Layer kinds.

/** A #define of a model header (format.ts's `define`, here for the import rule above). */
function define(m: Model, header: string, name: string): number {
  const v = m.files[header]?.defines[name];
  if (v === undefined) throw new ModelError(`${m.name}: ${header}: defines.${name}: missing define`);
  return v;
}

/**
 * Stage 1, conv 3x3 (conv2D.h): every output value is HF·WF·CF taps, so
 * MACs = CONV2D_HOUT · CONV2D_WOUT · (CBR1F_G · CONV2D_COUT) · CBR1F_HF · CBR1F_WF · CBR1F_CF.
 */
export function convLayer(id: number, live: readonly string[]): LayerSpec {
  const c = (m: Model, n: string) => define(m, 'conv2D.h', n);
  const channels = (m: Model) => c(m, 'CBR1F_G') * c(m, 'CONV2D_COUT');
  return {
    id,
    name: 'conv',
    dtype: 'q7',
    live,
    shape: (m) => [c(m, 'CONV2D_HOUT'), c(m, 'CONV2D_WOUT'), channels(m)],
    macs: (m) =>
      c(m, 'CONV2D_HOUT') *
      c(m, 'CONV2D_WOUT') *
      channels(m) *
      c(m, 'CBR1F_HF') *
      c(m, 'CBR1F_WF') *
      c(m, 'CBR1F_CF'),
  };
}

/** The RNNPool patch grid over the conv output: P = PATCH_DIM, stride P/2 (EdgeML's pipelines). */
function rnnpoolGrid(m: Model): { rows: number; cols: number } {
  const p = define(m, 'rnn1.h', 'PATCH_DIM');
  const stride = p >> 1;
  const c = (n: string) => define(m, 'conv2D.h', n);
  return {
    rows: Math.floor((c('CONV2D_HOUT') - p) / stride) + 1,
    cols: Math.floor((c('CONV2D_WOUT') - p) / stride) + 1,
  };
}

/**
 * Stage 2, RNNPool (rnn1.h, rnn2.h) over rows x cols patches of P x P (P = PATCH_DIM, C =
 * INPUT_CHANNELS, H1 = HIDDEN_DIM1, H2 = HIDDEN_DIM2), output (rows + 1) x (cols + 1) x 4·H2 (the last
 * row and column replicated). A FastGRNN step with an n-value input and a k-value state costs k·n (W·x)
 * + k·k (U·h). Per patch RNN1 runs over the P rows and the P columns (2P sequences of P steps, input C)
 * and RNN2 over the row summaries and the column summaries, each both ways (4 sequences of P steps,
 * input H1): MACs = rows · cols · (2P · P · (H1·C + H1·H1) + 4 · P · (H2·H1 + H2·H2)).
 */
export function rnnpoolLayer(id: number, live: readonly string[]): LayerSpec {
  return {
    id,
    name: 'rnnpool',
    dtype: 'q7',
    live,
    shape: (m) => {
      const g = rnnpoolGrid(m);
      return [g.rows + 1, g.cols + 1, 4 * define(m, 'rnn2.h', 'HIDDEN_DIM2')];
    },
    macs: (m) => {
      const { rows, cols } = rnnpoolGrid(m);
      const p = define(m, 'rnn1.h', 'PATCH_DIM');
      const c = define(m, 'rnn1.h', 'INPUT_CHANNELS');
      const h1 = define(m, 'rnn1.h', 'HIDDEN_DIM1');
      const h2 = define(m, 'rnn2.h', 'HIDDEN_DIM2');
      return rows * cols * (2 * p * p * (h1 * c + h1 * h1) + 4 * p * (h2 * h1 + h2 * h2));
    },
  };
}

/** MBConv block n's MACs (mbconv<n>.h, L<n>_*): H·W·CIN·CTEMP (1x1 expansion) + HOUT·WOUT·(HF·WF·CTEMP (depthwise) + CTEMP·COUT (1x1 projection)). */
export function mbconvMacs(m: Model, n: number): number {
  const d = (s: string) => define(m, `mbconv${n}.h`, `L${n}_${s}`);
  return (
    d('H') * d('W') * d('CIN') * d('CTEMP') +
    d('HOUT') * d('WOUT') * (d('HF') * d('WF') * d('CTEMP') + d('CTEMP') * d('COUT'))
  );
}

/**
 * MBConv blocks first..last run as one layer (`mbconv<n>` for one block, `mbconv<first>-<last>` for a
 * run), publishing the last block's output HOUT x WOUT x COUT; MACs: the sum of mbconvMacs.
 */
export function mbconvLayer(
  id: number,
  blocks: readonly [number, number],
  dtype: TensorDtype,
  live: readonly string[],
): LayerSpec {
  const [first, last] = blocks;
  const d = (m: Model, s: string) => define(m, `mbconv${last}.h`, `L${last}_${s}`);
  return {
    id,
    name: first === last ? `mbconv${first}` : `mbconv${first}-${last}`,
    dtype,
    live,
    shape: (m) => [d(m, 'HOUT'), d(m, 'WOUT'), d(m, 'COUT')],
    macs: (m) => {
      let n = 0;
      for (let b = first; b <= last; b++) n += mbconvMacs(m, b);
      return n;
    },
  };
}

/** Detection head n's MACs: its cells · Σ over the conf (DnCW) and loc (DnLW) convolutions of HF·WF·CF·G·COUT. */
function headMacs(m: Model, n: number): number {
  const h = m.heads[n - 1];
  if (!h) throw new ModelError(`${m.name}: heads: no head H${n}`);
  const d = (s: string) => define(m, `detection${n}.h`, `D${n}${s}`);
  const conv = (p: string) => d(`${p}_HF`) * d(`${p}_WF`) * d(`${p}_CF`) * d(`${p}_G`) * d(`${p}_COUT`);
  return h.rows * h.cols * (conv('CW') + conv('LW'));
}

const headCells = (m: Model, n: number): [number, number] => {
  const h = m.heads[n - 1];
  if (!h) throw new ModelError(`${m.name}: heads: no head H${n}`);
  return [h.rows, h.cols];
};

/**
 * Detection head n (detection<n>.h) publishing int16 conf (2 per cell: background, face) followed by
 * loc (4 per cell): shape rows x cols x 6, as outputLayout lays the head out.
 */
export function headLayer(id: number, n: number, live: readonly string[]): LayerSpec {
  return {
    id,
    name: `head${n}`,
    dtype: 'q15',
    live,
    shape: (m) => [...headCells(m, n), 6],
    macs: (m) => headMacs(m, n),
  };
}

/** A head whose conf is int8 and loc int16 (face-2's head 4): the published bytes, rows·cols·(2 + 2·4). */
export function headQ7ConfLayer(id: number, n: number, live: readonly string[]): LayerSpec {
  return {
    id,
    name: `head${n}`,
    dtype: 'q7',
    live,
    shape: (m) => {
      const [rows, cols] = headCells(m, n);
      return [rows * cols * (2 + 2 * 4)];
    },
    macs: (m) => headMacs(m, n),
  };
}

/** The output vector (conf of every head, then loc), model.outputs.count int16; no MACs. */
export function outputsLayer(id: number, live: readonly string[]): LayerSpec {
  return { id, name: 'outputs', dtype: 'q15', live, shape: (m) => [m.outputs.count], macs: () => 0 };
}

/** Post-processing: up to maxBoxes pp_box records (x1 y1 x2 y2 score prior, int16 each); no MACs. */
export function boxesLayer(id: number, maxBoxes: number, live: readonly string[]): LayerSpec {
  return { id, name: 'boxes', dtype: 'pp_box', live, shape: () => [maxBoxes, 6], macs: () => 0 };
}

// ---------------------------------------------------------------------------------------------------------
// Header requirements (EdgeML's names; the validator in src/model/format.ts accepts nothing else).

const CONV_PARAMS = ['HF', 'WF', 'CF', 'COUT', 'HPADL', 'HPADR', 'WPADL', 'WPADR'];
const CONV_PARAMS2 = ['HSTRIDE', 'WSTRIDE', 'HDILATION', 'WDILATION', 'G'];
const convDefines = (p: string): string[] => [...CONV_PARAMS, ...CONV_PARAMS2].map((s) => `${p}_${s}`);
const convScales = (p: string): string[] => [`${p}_Scinput`, `${p}_Scoutput`, `${p}_Demote`];
const biasScales = (p: string): string[] => [`${p}_Scten`, `${p}_Scvec`, `${p}_Scret`];
const MBCONV_DEFINES = [
  'N',
  'H',
  'W',
  'CIN',
  'CTEMP',
  'HF',
  'WF',
  'COUT',
  'HOUT',
  'WOUT',
  'HPADL',
  'HPADR',
  'WPADL',
  'WPADR',
  'HSTRIDE',
  'WSTRIDE',
];
const MBCONV_SCALES = [
  'Limit1',
  'Limit2',
  'ShRU1',
  'ShRX1',
  'ShRU2',
  'ShRX2',
  'ShRU3',
  'ShRW3',
  'ShLU1',
  'ShLX1',
  'ShLU2',
  'ShLX2',
  'ShLU3',
  'ShLW3',
];

type Facts = Omit<ArchitectureDescriptor, 'headers' | 'boxes'>;

/** conv2D.h, rnn1.h, rnn2.h, mbconv1..n.h, detection1..k.h and what the pipeline reads from each. */
function rnnpoolFaceHeaders(a: Pick<Facts, 'mbconvs' | 'residual' | 'heads'>): HeaderRequirement[] {
  const reqs: HeaderRequirement[] = [
    {
      header: 'conv2D.h',
      defines: [
        'CONV2D_N',
        'CBR1F_H',
        'CBR1F_W',
        'CBR1F_CIN',
        'CONV2D_COUT',
        'CONV2D_HOUT',
        'CONV2D_WOUT',
        ...convDefines('CBR1F').filter((d) => d !== 'CBR1F_COUT'),
        ...convDefines('CBR1W'),
      ],
      arrays: ['CBR1F', 'CBR1W', 'CBR1B'],
      scalars: [
        'CONV2D_Limit',
        'CONV2D_Div',
        ...convScales('CBR1F'),
        ...biasScales('CBR1B'),
        ...convScales('CBR1W'),
      ],
      structs: [],
    },
  ];
  for (const k of [1, 2]) {
    reqs.push({
      header: `rnn${k}.h`,
      defines: k === 1 ? ['INPUT_CHANNELS', 'PATCH_DIM', 'HIDDEN_DIM1'] : ['HIDDEN_DIM2'],
      arrays: [`W${k}`, `U${k}`, `Bg${k}`, `Bh${k}`],
      scalars: [`ShR${k}`, `ShL${k}`],
      structs: [`RNN${k}_PARAMS`, `RNN${k}_BUFFERS`, `RNN${k}_SCALES`],
    });
  }
  for (let n = 1; n <= a.mbconvs; n++) {
    const p = `L${n}_`;
    const scalars = MBCONV_SCALES.map((s) => p + s);
    if (a.residual.includes(n)) scalars.push(`${p}Scten1`, `${p}Scten2`, `${p}Scret`);
    reqs.push({
      header: `mbconv${n}.h`,
      defines: MBCONV_DEFINES.map((s) => p + s),
      arrays: ['F1', 'F2', 'F3', 'W1', 'W2', 'W3', 'B1', 'B2', 'B3'].map((s) => p + s),
      scalars,
      structs: [],
    });
  }
  a.heads.forEach((head, i) => {
    const d = `D${i + 1}`;
    const parts = head.l2norm ? ['NW', 'CW', 'LW'] : ['CW', 'LW'];
    reqs.push({
      header: `detection${i + 1}.h`,
      defines: parts.flatMap((s) => convDefines(d + s)),
      arrays: [...parts.map((s) => d + s), `${d}CB`, `${d}LB`],
      scalars: [
        ...(head.l2norm ? [`${d}_ScaleIn`, `${d}_ScaleOut`, ...convScales(`${d}NW`)] : []),
        ...convScales(`${d}CW`),
        ...biasScales(`${d}CB`),
        ...convScales(`${d}LW`),
        ...biasScales(`${d}LB`),
      ],
      structs: [],
    });
  });
  return reqs;
}

// ---------------------------------------------------------------------------------------------------------
// Heads and boxes.

/** The model's heads for an architecture, rows/cols from the defines of the MBConv feeding each. */
export function architectureHeads(
  a: Pick<ArchitectureDescriptor, 'heads'>,
  defines: (name: string) => number | undefined,
): ModelHead[] {
  return a.heads.map((g, i): ModelHead => {
    const rows = defines(`L${g.layer}_HOUT`);
    const cols = defines(`L${g.layer}_WOUT`);
    if (rows === undefined || cols === undefined) {
      throw new ModelError(`mbconv${g.layer}.h: defines.L${g.layer}_HOUT/L${g.layer}_WOUT: missing define`);
    }
    const h: ModelHead = { name: `H${i + 1}`, rows, cols, step: g.step, anchor: g.anchor };
    if (g.confScale !== undefined) h.confScale = g.confScale;
    if (g.locScale !== undefined) h.locScale = g.locScale;
    return h;
  });
}

/** Per head, the real-value shifts of its raw conf and loc outputs: the model's, else the architecture's default. */
export function outputShifts(
  a: Pick<ArchitectureDescriptor, 'defaultOutputShift'>,
  model: Model,
): { conf: number; loc: number }[] {
  return model.heads.map((h) => ({
    conf: h.confShift ?? a.defaultOutputShift,
    loc: h.locShift ?? a.defaultOutputShift,
  }));
}

/** Default box score threshold: Q15 0.5. */
export const DEFAULT_THRESHOLD_Q15 = 16384;

/**
 * Boxes from the raw outputs with src/reference/postprocess.ts, as firmware/app/boxes.c: the model's
 * head geometry, shifts from outputShifts, the frame size, at most min(maxBoxes, the firmware's cap).
 */
function decodeBoxes(a: Facts, model: Model, outputs: Int16Array, opts: BoxOptions = {}): Box[] {
  const shifts = outputShifts(a, model);
  const heads: Head[] = model.heads.map((h, i) => ({
    rows: h.rows,
    cols: h.cols,
    step: h.step,
    anchor: h.anchor,
    confShift: shifts[i]!.conf,
    locShift: shifts[i]!.loc,
  }));
  const priors = heads.reduce((n, h) => n + h.rows * h.cols, 0);
  if (outputs.length !== 6 * priors) {
    throw new RangeError(`${a.name} boxes: need ${6 * priors} outputs, got ${outputs.length}`);
  }
  return detect(
    {
      heads,
      imageWidth: model.input.width,
      imageHeight: model.input.height,
      scoreThreshold: opts.threshold ?? DEFAULT_THRESHOLD_Q15,
      maxBoxes: Math.min(opts.maxBoxes ?? a.maxBoxes, a.maxBoxes),
    },
    outputs.subarray(0, 2 * priors),
    outputs.subarray(2 * priors),
  );
}

/** A descriptor from an RNNPool face architecture's facts: adds its header requirements and box decoder. */
export function rnnpoolFace<N extends string>(
  facts: Omit<ArchitectureDescriptor<N>, 'headers' | 'boxes'>,
): ArchitectureDescriptor<N> {
  return {
    ...facts,
    headers: rnnpoolFaceHeaders(facts),
    boxes: (model, outputs, opts) => decodeBoxes(facts, model, outputs, opts),
  };
}
