// The m4sim model file (`*.model.json`): EdgeML's "header as data" layout (one object per C header with
// its #defines, weight arrays, scalars, FastGRNN structs and scratch buffers) plus a small manifest
// (architecture, input, detection heads, output layout). Only the DIV build's scales are kept (C `/`,
// truncating toward zero), merged into each header's `scalars` / `structs`.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';

export const MODEL_FORMAT = 'm4sim-model';
export const MODEL_VERSION = 1;

export type Architecture = 'rnnpool-face-m4' | 'rnnpool-face-qvga' | 'rnnpool-face-fast';
export const ARCHITECTURES: readonly Architecture[] = [
  'rnnpool-face-m4',
  'rnnpool-face-qvga',
  'rnnpool-face-fast',
];

/** Element types of weight arrays and buffers. */
export type ArrayCType = 'Q7_T' | 'Q15_T';
/** Types of scalars and struct fields. */
export type ScalarCType = 'Q7_T' | 'Q15_T' | 'Q31_T' | 'SCALE_T' | 'ITER_T' | 'S_ITER_T';

/** Inclusive value ranges (EdgeML quantized_datatypes.h: SCALE_T is int32_t, ITER_T uint32_t). */
export const CTYPE_RANGES: Readonly<Record<ScalarCType, readonly [number, number]>> = {
  Q7_T: [-128, 127],
  Q15_T: [-32768, 32767],
  Q31_T: [-2147483648, 2147483647],
  SCALE_T: [-2147483648, 2147483647],
  ITER_T: [0, 4294967295],
  S_ITER_T: [-2147483648, 2147483647],
};
/** Bytes per element. */
export const CTYPE_BYTES: Readonly<Record<ScalarCType, number>> = {
  Q7_T: 1,
  Q15_T: 2,
  Q31_T: 4,
  SCALE_T: 4,
  ITER_T: 4,
  S_ITER_T: 4,
};

export interface ArraySpec {
  ctype: ArrayCType;
  /** Dimensions; their product is the number of values. */
  shape: number[];
  /** The C array size expression EdgeML uses (e.g. `1 * 1 * 1 * L1_CIN * L1_CTEMP`); optional. */
  shapeExpr?: string;
  values: number[];
}
export interface ScalarSpec {
  ctype: ScalarCType;
  value: number;
}
/** A struct field: an integer, `null` (C NULL) or a pointer to an array / buffer of the same header. */
export type StructField = number | null | { ref: string };
export interface StructSpec {
  ctype: StructCType;
  fields: Record<string, StructField>;
}
export interface BufferSpec {
  ctype: ArrayCType;
  length: number;
}
export interface HeaderSpec {
  defines: Record<string, number>;
  arrays: Record<string, ArraySpec>;
  scalars: Record<string, ScalarSpec>;
  structs: Record<string, StructSpec>;
  buffers: Record<string, BufferSpec>;
}
export interface HeadSpec {
  name: string;
  rows: number;
  cols: number;
  /** Prior box step in input pixels. */
  step: number;
  /** Square anchor size in input pixels. */
  anchor: number;
  /** Divisor (C `/`) applied to this head's conf values when they are written to the output; default 1. */
  confScale?: number;
  /** Divisor (C `/`) applied to this head's loc values when they are written to the output; default 1. */
  locScale?: number;
}
export interface OutputSegment {
  head: string;
  kind: 'conf' | 'loc';
  offset: number;
  length: number;
}
export interface Model {
  format: typeof MODEL_FORMAT;
  version: typeof MODEL_VERSION;
  name: string;
  architecture: Architecture;
  semantics: 'DIV';
  input: { width: number; height: number; channels: number };
  heads: HeadSpec[];
  /** Output vector: `count` Q15 values, laid out as `order` (conf of every head, then loc of every head). */
  outputs: { count: number; order: OutputSegment[] };
  provenance: Record<string, unknown>;
  /** C headers in include order. */
  files: Record<string, HeaderSpec>;
}

export class ModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelError';
  }
}

// ---------------------------------------------------------------------------------------------------------
// EdgeML structs (c_reference/include/quantized_fastgrnn.h; scale fields with the later names).

export type StructCType =
  | 'Q15_FastGRNN_Params'
  | 'Q7xQ15_FastGRNN_Params'
  | 'Q15_FastGRNN_Buffers'
  | 'Q7xQ15_FastGRNN_Buffers'
  | 'Q15_FastGRNN_Scales';

export type FieldType =
  | { kind: 'int'; ctype: ScalarCType }
  | { kind: 'ptr'; ctype: ArrayCType; target: 'array' | 'buffer'; nullable: boolean };

const ptr = (ctype: ArrayCType, target: 'array' | 'buffer', nullable = false): FieldType => ({
  kind: 'ptr',
  ctype,
  target,
  nullable,
});
const int = (ctype: ScalarCType): FieldType => ({ kind: 'int', ctype });

/** Fields of Q15_FastGRNN_Scales in declaration order (H2W/H2U, unused by the kernels, are not kept). */
export const FASTGRNN_SCALE_FIELDS: readonly string[] = [
  'input',
  'mean',
  'meanSub',
  'stdDev',
  'normFeaturesHDStdDev',
  'w',
  'normFeaturesMVW',
  'mVWOut',
  'u',
  'hiddenStateMVU',
  'mVUOut',
  'mV1AddMV2',
  'mV2AddMV1',
  'mV1AddMV2Out',
  'mV1AddMV2Demote',
  'pC1AddBg',
  'bg',
  'pC1AddBgOut',
  'pC1AddBgDemote',
  'sigmoidScaleIn',
  'sigmoidScaleOut',
  'pC1AddBh',
  'bh',
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

function scaleFieldType(field: string): FieldType {
  if (field === 'div' || field === 'add' || field === 'sigmoidLimit' || field === 'qOne') return int('Q15_T');
  if (field === 'useTableSigmoid' || field === 'useTableTanH') return int('ITER_T');
  return int('SCALE_T');
}

function paramsFields(meanType: ArrayCType): Record<string, FieldType> {
  return {
    mean: ptr(meanType, 'array', true),
    stdDev: ptr(meanType, 'array', true),
    W: ptr('Q15_T', 'array'),
    U: ptr('Q15_T', 'array'),
    Bg: ptr('Q15_T', 'array'),
    Bh: ptr('Q15_T', 'array'),
    sigmoid_zeta: int('Q15_T'),
    sigmoid_nu: int('Q15_T'),
  };
}
function buffersFields(normType: ArrayCType): Record<string, FieldType> {
  return {
    preComp1: ptr('Q15_T', 'buffer'),
    preComp2: ptr('Q15_T', 'buffer'),
    preComp3: ptr('Q15_T', 'buffer'),
    normFeatures: ptr(normType, 'buffer'),
  };
}

/** Every struct type a model may hold, with its fields (all required) in declaration order. */
export const STRUCT_TYPES: Readonly<Record<StructCType, Readonly<Record<string, FieldType>>>> = {
  Q15_FastGRNN_Params: paramsFields('Q15_T'),
  Q7xQ15_FastGRNN_Params: paramsFields('Q7_T'),
  Q15_FastGRNN_Buffers: buffersFields('Q15_T'),
  Q7xQ15_FastGRNN_Buffers: buffersFields('Q7_T'),
  Q15_FastGRNN_Scales: Object.fromEntries(FASTGRNN_SCALE_FIELDS.map((f) => [f, scaleFieldType(f)])),
};

// ---------------------------------------------------------------------------------------------------------
// What each architecture's pipeline reads (EdgeML c_reference/models/quantized_face_detection*.c).

export interface HeaderRequirement {
  header: string;
  defines: string[];
  arrays: string[];
  scalars: string[];
  structs: string[];
}

export interface ArchitectureInfo {
  mbconvs: number;
  /** MBConv layers followed by a residual add (need Scten1/Scten2/Scret). */
  residual: number[];
  /** For each detection head (1-based order), the MBConv layer feeding it. */
  headLayers: number[];
  /** Heads with an L2 norm (DxNW, Dx_ScaleIn/Out). */
  l2norm: number[];
  patchDim: number;
  /** Per head: step and anchor (pixels), output divisors. */
  heads: { step: number; anchor: number; confScale?: number; locScale?: number }[];
}

export const ARCHITECTURE_INFO: Readonly<Record<Architecture, ArchitectureInfo>> = {
  // quantized_face_detection_sparse.c (q_scut_head_b_face4_model): conf of H3 and loc of H4 are halved
  // when the output vector is assembled.
  'rnnpool-face-m4': {
    mbconvs: 4,
    residual: [2, 4],
    headLayers: [1, 2, 3, 4],
    l2norm: [1, 2, 3],
    patchDim: 8,
    heads: [
      { step: 8, anchor: 8 },
      { step: 8, anchor: 16 },
      { step: 16, anchor: 32, confScale: 2 },
      { step: 16, anchor: 48, locScale: 2 },
    ],
  },
  // quantized_face_detection.c (face-2): loc of H4 halved (its conf of H4 is a Q7 << 7, not expressible
  // as a divisor; see provenance of imported models).
  'rnnpool-face-qvga': {
    mbconvs: 14,
    residual: [2, 3, 4, 5, 6, 7, 8, 10, 11, 13, 14],
    headLayers: [4, 8, 11, 14],
    l2norm: [1, 2, 3],
    patchDim: 8,
    heads: [
      { step: 8, anchor: 8 },
      { step: 8, anchor: 16 },
      { step: 16, anchor: 32 },
      { step: 16, anchor: 48, locScale: 2 },
    ],
  },
  // quantized_face_detection_fast.c (face-3): conf of H2 and loc of H3 halved. Anchor sizes unverified.
  'rnnpool-face-fast': {
    mbconvs: 4,
    residual: [3],
    headLayers: [1, 3, 4],
    l2norm: [1, 2, 3],
    patchDim: 16,
    heads: [
      { step: 16, anchor: 32 },
      { step: 16, anchor: 48, confScale: 2 },
      { step: 16, anchor: 64, locScale: 2 },
    ],
  },
};

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

/** The headers, in include order, and what the architecture's pipeline reads from each. */
export function architectureRequirements(arch: Architecture): HeaderRequirement[] {
  const info = ARCHITECTURE_INFO[arch];
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
  for (let n = 1; n <= info.mbconvs; n++) {
    const p = `L${n}_`;
    const scalars = MBCONV_SCALES.map((s) => p + s);
    if (info.residual.includes(n)) scalars.push(`${p}Scten1`, `${p}Scten2`, `${p}Scret`);
    reqs.push({
      header: `mbconv${n}.h`,
      defines: MBCONV_DEFINES.map((s) => p + s),
      arrays: ['F1', 'F2', 'F3', 'W1', 'W2', 'W3', 'B1', 'B2', 'B3'].map((s) => p + s),
      scalars,
      structs: [],
    });
  }
  info.headLayers.forEach((_layer, i) => {
    const d = `D${i + 1}`;
    const norm = info.l2norm.includes(i + 1);
    const parts = norm ? ['NW', 'CW', 'LW'] : ['CW', 'LW'];
    reqs.push({
      header: `detection${i + 1}.h`,
      defines: parts.flatMap((s) => convDefines(d + s)),
      arrays: [...parts.map((s) => d + s), `${d}CB`, `${d}LB`],
      scalars: [
        ...(norm ? [`${d}_ScaleIn`, `${d}_ScaleOut`, ...convScales(`${d}NW`)] : []),
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

/** The heads and output layout of an architecture, with rows/cols from the model's defines. */
export function architectureHeads(
  arch: Architecture,
  defines: (name: string) => number | undefined,
): { heads: HeadSpec[]; outputs: { count: number; order: OutputSegment[] } } {
  const info = ARCHITECTURE_INFO[arch];
  const heads: HeadSpec[] = info.headLayers.map((layer, i) => {
    const rows = defines(`L${layer}_HOUT`);
    const cols = defines(`L${layer}_WOUT`);
    if (rows === undefined || cols === undefined) {
      throw new ModelError(`mbconv${layer}.h: defines.L${layer}_HOUT/L${layer}_WOUT: missing define`);
    }
    const h: HeadSpec = {
      name: `H${i + 1}`,
      rows,
      cols,
      step: info.heads[i].step,
      anchor: info.heads[i].anchor,
    };
    if (info.heads[i].confScale !== undefined) h.confScale = info.heads[i].confScale;
    if (info.heads[i].locScale !== undefined) h.locScale = info.heads[i].locScale;
    return h;
  });
  return { heads, outputs: outputLayout(heads) };
}

/** Conf of every head (2 per cell), then loc of every head (4 per cell). */
export function outputLayout(heads: HeadSpec[]): { count: number; order: OutputSegment[] } {
  const order: OutputSegment[] = [];
  let offset = 0;
  for (const kind of ['conf', 'loc'] as const) {
    for (const h of heads) {
      const length = h.rows * h.cols * (kind === 'conf' ? 2 : 4);
      order.push({ head: h.name, kind, offset, length });
      offset += length;
    }
  }
  return { count: offset, order };
}

// ---------------------------------------------------------------------------------------------------------
// Validation.

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** `D1_ScaleIn`/`D1_ScaleOut` are L2-norm exponents, not divisors; every other SCALE_T scalar divides. */
export function isDivScale(name: string, spec: ScalarSpec): boolean {
  return spec.ctype === 'SCALE_T' && !/_Scale(In|Out)$/.test(name);
}

const isPow2 = (v: number): boolean => v >= 1 && v <= 2 ** 30 && (v & (v - 1)) === 0;

/** Evaluates a product of integer literals and define names. */
export function evalShapeExpr(expr: string, lookup: (name: string) => number | undefined): number | string {
  let product = 1;
  for (const raw of expr.split('*')) {
    const t = raw.trim();
    if (/^\d+$/.test(t)) product *= Number(t);
    else {
      const v = lookup(t);
      if (v === undefined) return `unknown define ${t}`;
      product *= v;
    }
  }
  return product;
}

/** Validates a parsed model file; throws a one-line ModelError naming file, header and field. */
export function parseModel(json: unknown, name: string): Model {
  const fail = (where: string, msg: string): never => {
    throw new ModelError(`${name}: ${where}: ${msg}`);
  };
  if (!isObject(json)) return fail('(top level)', 'not a JSON object');
  if (json.format !== MODEL_FORMAT)
    fail('format', `expected "${MODEL_FORMAT}", got ${JSON.stringify(json.format)}`);
  if (json.version !== MODEL_VERSION) fail('version', `unsupported version ${JSON.stringify(json.version)}`);
  if (typeof json.name !== 'string' || json.name === '') fail('name', 'missing model name');
  if (!ARCHITECTURES.includes(json.architecture as Architecture)) {
    fail('architecture', `unknown architecture ${JSON.stringify(json.architecture)}`);
  }
  const arch = json.architecture as Architecture;
  if (json.semantics !== 'DIV')
    fail('semantics', `only "DIV" is supported, got ${JSON.stringify(json.semantics)}`);
  const input = json.input;
  if (!isObject(input) || !isInt(input.width) || !isInt(input.height) || !isInt(input.channels)) {
    fail('input', 'needs integer width, height and channels');
  }
  if (!isObject(json.provenance)) fail('provenance', 'missing provenance object');
  if (!isObject(json.files)) return fail('files', 'missing files object');
  const files = json.files;

  // Headers.
  const globalDefines = new Map<string, number>();
  for (const [header, h] of Object.entries(files)) {
    const at = (field: string): string => `${header}: ${field}`;
    if (!isObject(h)) fail(header, 'not an object');
    const hs = h as Json;
    for (const key of ['defines', 'arrays', 'scalars', 'structs', 'buffers']) {
      if (!isObject(hs[key])) fail(at(key), 'missing object');
    }
    for (const [d, v] of Object.entries(hs.defines as Json)) {
      if (!isInt(v)) fail(at(`defines.${d}`), `not an integer: ${JSON.stringify(v)}`);
      globalDefines.set(d, v as number);
    }
    for (const [a, spec] of Object.entries(hs.arrays as Json)) {
      const f = `arrays.${a}`;
      if (!isObject(spec)) return fail(at(f), 'not an object');
      if (spec.ctype !== 'Q7_T' && spec.ctype !== 'Q15_T')
        fail(at(f), `unknown ctype ${JSON.stringify(spec.ctype)}`);
      const range = CTYPE_RANGES[spec.ctype as ArrayCType];
      if (!Array.isArray(spec.shape) || !spec.shape.every((d) => isInt(d) && d > 0)) {
        fail(at(f), 'shape must be a list of positive integers');
      }
      const shape = spec.shape as number[];
      const want = shape.reduce((p, d) => p * d, 1);
      if (!Array.isArray(spec.values)) return fail(at(f), 'missing values');
      const values = spec.values as unknown[];
      if (values.length !== want) {
        fail(at(f), `${values.length} values, shape [${shape.join(', ')}] needs ${want}`);
      }
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (!isInt(v) || v < range[0] || v > range[1]) {
          fail(
            at(`${f}[${i}]`),
            `value ${JSON.stringify(v)} out of ${spec.ctype} range ${range[0]}..${range[1]}`,
          );
        }
      }
      if (spec.shapeExpr !== undefined) {
        if (typeof spec.shapeExpr !== 'string') fail(at(`${f}.shapeExpr`), 'not a string');
        const n = evalShapeExpr(spec.shapeExpr as string, (d) => globalDefines.get(d));
        if (typeof n === 'string') fail(at(`${f}.shapeExpr`), n);
        if (n !== want) fail(at(`${f}.shapeExpr`), `"${spec.shapeExpr}" = ${n}, shape product is ${want}`);
      }
    }
    for (const [s, spec] of Object.entries(hs.scalars as Json)) {
      const f = `scalars.${s}`;
      if (!isObject(spec)) return fail(at(f), 'not an object');
      if (!(typeof spec.ctype === 'string' && spec.ctype in CTYPE_RANGES)) {
        fail(at(f), `unknown ctype ${JSON.stringify(spec.ctype)}`);
      }
      const range = CTYPE_RANGES[spec.ctype as ScalarCType];
      if (!isInt(spec.value) || spec.value < range[0] || spec.value > range[1]) {
        fail(
          at(f),
          `value ${JSON.stringify(spec.value)} out of ${spec.ctype} range ${range[0]}..${range[1]}`,
        );
      }
      if (isDivScale(s, spec as unknown as ScalarSpec) && !isPow2(spec.value as number)) {
        fail(at(f), `DIV scale ${spec.value} is not a positive power of two`);
      }
    }
    for (const [b, spec] of Object.entries(hs.buffers as Json)) {
      const f = `buffers.${b}`;
      if (!isObject(spec)) return fail(at(f), 'not an object');
      if (spec.ctype !== 'Q7_T' && spec.ctype !== 'Q15_T')
        fail(at(f), `unknown ctype ${JSON.stringify(spec.ctype)}`);
      if (!isInt(spec.length) || spec.length <= 0) fail(at(f), 'length must be a positive integer');
    }
    const arrays = hs.arrays as Record<string, ArraySpec>;
    const buffers = hs.buffers as Record<string, BufferSpec>;
    for (const [s, spec] of Object.entries(hs.structs as Json)) {
      const f = `structs.${s}`;
      if (!isObject(spec)) return fail(at(f), 'not an object');
      const ctype = spec.ctype as StructCType;
      const fieldTypes = STRUCT_TYPES[ctype];
      if (!fieldTypes) fail(at(f), `unknown struct ctype ${JSON.stringify(spec.ctype)}`);
      if (!isObject(spec.fields)) return fail(at(`${f}.fields`), 'missing object');
      const fields = spec.fields;
      for (const k of Object.keys(fields)) {
        if (!(k in fieldTypes)) fail(at(`${f}.${k}`), `${ctype} has no field ${k}`);
      }
      for (const [k, t] of Object.entries(fieldTypes)) {
        const v = fields[k];
        const ff = at(`${f}.${k}`);
        if (v === undefined) fail(ff, ctype.endsWith('_Scales') ? 'missing scale' : 'missing field');
        if (t.kind === 'int') {
          const range = CTYPE_RANGES[t.ctype];
          if (!isInt(v) || v < range[0] || v > range[1]) {
            fail(ff, `value ${JSON.stringify(v)} out of ${t.ctype} range ${range[0]}..${range[1]}`);
          }
        } else if (v === null) {
          if (!t.nullable) fail(ff, 'may not be NULL');
        } else {
          if (!isObject(v) || typeof v.ref !== 'string') return fail(ff, 'expected {"ref": NAME} or null');
          const target = t.target === 'array' ? arrays[v.ref] : buffers[v.ref];
          if (!target) fail(ff, `refers to missing ${t.target} ${v.ref}`);
          else if (target.ctype !== t.ctype) fail(ff, `${v.ref} is ${target.ctype}, field needs ${t.ctype}*`);
        }
      }
    }
  }

  // What the architecture's pipeline needs.
  for (const req of architectureRequirements(arch)) {
    const h = files[req.header] as Json | undefined;
    if (!h) fail(req.header, `missing header (needed by ${arch})`);
    const hs = h as Json;
    for (const d of req.defines)
      if (!(d in (hs.defines as Json))) fail(`${req.header}: defines.${d}`, 'missing define');
    for (const a of req.arrays)
      if (!(a in (hs.arrays as Json))) fail(`${req.header}: arrays.${a}`, 'missing array');
    for (const s of req.scalars) {
      if (!(s in (hs.scalars as Json))) fail(`${req.header}: scalars.${s}`, 'missing scale');
    }
    for (const s of req.structs) {
      if (!(s in (hs.structs as Json))) fail(`${req.header}: structs.${s}`, 'missing struct');
    }
  }
  checkLayerShapes(arch, files as unknown as Record<string, HeaderSpec>, fail);

  // Heads and outputs.
  if (!Array.isArray(json.heads) || json.heads.length === 0) return fail('heads', 'missing list of heads');
  const expected = architectureHeads(arch, (d) => globalDefines.get(d));
  if (json.heads.length !== expected.heads.length) {
    fail('heads', `${arch} has ${expected.heads.length} heads, file lists ${json.heads.length}`);
  }
  json.heads.forEach((hd: unknown, i: number) => {
    const f = `heads[${i}]`;
    if (!isObject(hd) || typeof hd.name !== 'string') return fail(f, 'needs a name');
    for (const k of ['rows', 'cols', 'step', 'anchor']) {
      if (!isInt(hd[k]) || (hd[k] as number) <= 0) fail(`${f}.${k}`, 'must be a positive integer');
    }
    for (const k of ['confScale', 'locScale']) {
      if (hd[k] !== undefined && !(isInt(hd[k]) && isPow2(hd[k] as number))) {
        fail(`${f}.${k}`, 'must be a positive power of two');
      }
    }
    const e = expected.heads[i];
    if (hd.rows !== e.rows || hd.cols !== e.cols) {
      fail(`${f}`, `${hd.rows}x${hd.cols} cells, the layer feeding it gives ${e.rows}x${e.cols}`);
    }
  });
  const outputs = json.outputs;
  if (!isObject(outputs) || !isInt(outputs.count) || !Array.isArray(outputs.order)) {
    return fail('outputs', 'needs count and order');
  }
  const layout = outputLayout(json.heads as HeadSpec[]);
  if (outputs.count !== layout.count)
    fail('outputs.count', `${outputs.count}, the heads give ${layout.count}`);
  if (JSON.stringify(outputs.order) !== JSON.stringify(layout.order)) {
    fail('outputs.order', 'must be conf of every head, then loc of every head, contiguous');
  }
  return json as unknown as Model;
}

/** Per-layer consistency of array lengths with the layer's defines (all architectures). */
function checkLayerShapes(
  arch: Architecture,
  files: Record<string, HeaderSpec>,
  fail: (where: string, msg: string) => never,
): void {
  const info = ARCHITECTURE_INFO[arch];
  const len = (header: string, a: string): number => files[header].arrays[a].values.length;
  const expect = (header: string, a: string, want: number, why: string): void => {
    const got = len(header, a);
    if (got !== want) fail(`${header}: arrays.${a}`, `${got} values, ${why} needs ${want}`);
  };
  for (let n = 1; n <= info.mbconvs; n++) {
    const header = `mbconv${n}.h`;
    const d = (s: string): number => files[header].defines[`L${n}_${s}`];
    const [cin, ct, cout, k] = [d('CIN'), d('CTEMP'), d('COUT'), d('HF') * d('WF')];
    expect(header, `L${n}_F1`, cin * ct, `CIN*CTEMP = ${cin}*${ct}`);
    expect(header, `L${n}_F2`, ct * k, `CTEMP*HF*WF = ${ct}*${k}`);
    expect(header, `L${n}_F3`, ct * cout, `CTEMP*COUT = ${ct}*${cout}`);
    for (const a of ['W1', 'W2', 'B1', 'B2']) expect(header, `L${n}_${a}`, ct, `CTEMP = ${ct}`);
    for (const a of ['W3', 'B3']) expect(header, `L${n}_${a}`, cout, `COUT = ${cout}`);
  }
  info.headLayers.forEach((layer, i) => {
    const header = `detection${i + 1}.h`;
    const D = `D${i + 1}`;
    const defs = files[header].defines;
    const cin = files[`mbconv${layer}.h`].defines[`L${layer}_COUT`];
    for (const p of ['NW', 'CW', 'LW']) {
      if (!(`${D}${p}_G` in defs)) continue;
      const n = defs[`${D}${p}_G`] * defs[`${D}${p}_HF`] * defs[`${D}${p}_WF`] * defs[`${D}${p}_CF`];
      expect(header, `${D}${p}`, n * defs[`${D}${p}_COUT`], `G*HF*WF*CF*COUT`);
      const inCh =
        p === 'NW' ? defs[`${D}NW_G`] * defs[`${D}NW_CF`] : defs[`${D}${p}_CF`] * defs[`${D}${p}_G`];
      if (inCh !== cin)
        fail(`${header}: defines.${D}${p}_CF`, `takes ${inCh} channels, L${layer} gives ${cin}`);
    }
    expect(header, `${D}CB`, defs[`${D}CW_COUT`], `${D}CW_COUT`);
    expect(header, `${D}LB`, defs[`${D}LW_COUT`], `${D}LW_COUT`);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Files.

/** Reads and validates a `*.model.json` file. */
export function loadModel(path: string): Model {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ModelError(`${path}: cannot read: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ModelError(`${basename(path)}: not JSON: ${(e as Error).message}`);
  }
  return parseModel(json, basename(path));
}

/** JSON text of a model: 2-space indentation, each array's values on one line. */
export function serializeModel(model: Model): string {
  const write = (v: unknown, indent: string): string => {
    if (Array.isArray(v)) {
      if (v.every((x) => typeof x !== 'object' || x === null)) return JSON.stringify(v);
      const inner = indent + '  ';
      return `[\n${v.map((x) => inner + write(x, inner)).join(',\n')}\n${indent}]`;
    }
    if (isObject(v)) {
      const entries = Object.entries(v).filter(([, x]) => x !== undefined);
      if (entries.length === 0) return '{}';
      const inner = indent + '  ';
      return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${write(x, inner)}`).join(',\n')}\n${indent}}`;
    }
    return JSON.stringify(v);
  };
  return write(model, '') + '\n';
}

/** Validates and writes a model file. */
export function saveModel(model: Model, path: string): void {
  parseModel(JSON.parse(JSON.stringify(model)), basename(path));
  writeFileSync(path, serializeModel(model));
}

// ---------------------------------------------------------------------------------------------------------
// Accessors.

function headerOf(model: Model, header: string): HeaderSpec {
  const h = model.files[header];
  if (!h) throw new ModelError(`${model.name}: ${header}: no such header`);
  return h;
}

/** A weight array as Int16Array (Q15_T) or Int8Array (Q7_T); a fresh copy on each call. */
export function array(model: Model, header: string, name: string): Int16Array | Int8Array {
  const a = headerOf(model, header).arrays[name];
  if (!a) throw new ModelError(`${model.name}: ${header}: arrays.${name}: missing array`);
  return a.ctype === 'Q15_T' ? Int16Array.from(a.values) : Int8Array.from(a.values);
}
/** A Q15_T array; throws if it is not Q15_T. */
export function arrayQ15(model: Model, header: string, name: string): Int16Array {
  const a = array(model, header, name);
  if (!(a instanceof Int16Array)) throw new ModelError(`${model.name}: ${header}: arrays.${name}: not Q15_T`);
  return a;
}
/** A scalar's value (DIV scales included). */
export function scalar(model: Model, header: string, name: string): number {
  const s = headerOf(model, header).scalars[name];
  if (!s) throw new ModelError(`${model.name}: ${header}: scalars.${name}: missing scalar`);
  return s.value;
}
/** A #define of the given header. */
export function define(model: Model, header: string, name: string): number {
  const d = headerOf(model, header).defines[name];
  if (d === undefined) throw new ModelError(`${model.name}: ${header}: defines.${name}: missing define`);
  return d;
}
/** A #define from whichever header declares it. */
export function findDefine(model: Model, name: string): number | undefined {
  for (const h of Object.values(model.files)) if (name in h.defines) return h.defines[name];
  return undefined;
}
/** A struct (FastGRNN params, buffers or scales). */
export function struct(model: Model, header: string, name: string): StructSpec {
  const s = headerOf(model, header).structs[name];
  if (!s) throw new ModelError(`${model.name}: ${header}: structs.${name}: missing struct`);
  return s;
}
/** An integer field of a struct (e.g. `struct RNN1_SCALES`, field `mVWOut`). */
export function structInt(model: Model, header: string, name: string, field: string): number {
  const v = struct(model, header, name).fields[field];
  if (typeof v !== 'number') {
    throw new ModelError(`${model.name}: ${header}: structs.${name}.${field}: not an integer field`);
  }
  return v;
}

/** Total number of weight values (all arrays). */
export function parameterCount(model: Model): number {
  let n = 0;
  for (const h of Object.values(model.files)) for (const a of Object.values(h.arrays)) n += a.values.length;
  return n;
}

/**
 * Scale overrides: per header, `NAME` (a scalar) or `STRUCT.field` (e.g. `RNN1_SCALES.mVWOut`) → value.
 * The calibration step uses this to move scales; names must already exist.
 */
export type ScaleOverrides = Record<string, Record<string, number>>;

/** A copy of the model with the given scales changed, validated. */
export function applyScales(model: Model, overrides: ScaleOverrides): Model {
  const copy = JSON.parse(JSON.stringify(model)) as Model;
  for (const [header, entries] of Object.entries(overrides)) {
    const h = copy.files[header];
    if (!h) throw new ModelError(`${model.name}: ${header}: no such header (scale override)`);
    for (const [key, value] of Object.entries(entries)) {
      const dot = key.indexOf('.');
      if (dot < 0) {
        if (!h.scalars[key]) throw new ModelError(`${model.name}: ${header}: scalars.${key}: no such scale`);
        h.scalars[key].value = value;
      } else {
        const [s, f] = [key.slice(0, dot), key.slice(dot + 1)];
        const st = h.structs[s];
        if (!st || typeof st.fields[f] !== 'number') {
          throw new ModelError(`${model.name}: ${header}: structs.${key}: no such scale field`);
        }
        st.fields[f] = value;
      }
    }
  }
  return parseModel(copy, model.name);
}
