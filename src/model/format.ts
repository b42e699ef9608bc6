// The m4sim model file (`*.model.json`): EdgeML's "header as data" layout (one object per C header with
// its #defines, weight arrays, scalars, FastGRNN structs and scratch buffers) plus a small manifest
// (architecture, input, detection heads, output layout). Only the DIV build's scales are kept (C `/`,
// truncating toward zero), merged into each header's `scalars` / `structs`.
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import {
  architectureHeads,
  architectureNamed,
  architectures,
  isArchitectureName,
  type ArchitectureName,
  type HeaderRequirement,
} from '../architectures/index.js';
import { readInputText } from '../util/input-file.js';
import { JsonSyntaxError, parseJsonText } from '../util/json-text.js';
import {
  HEADER_NAME,
  identifierProblem,
  MAX_SHAPE_EXPR_LENGTH,
  MODEL_NAME,
  pathTo,
  printableFileName,
  quoted,
  SHAPE_EXPR,
} from './names.js';
import { ModelError } from './errors.js';

export { ModelError };

export const MODEL_FORMAT = 'm4sim-model';
export const MODEL_VERSION = 1;

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
  /** Real conf value = q / 2^confShift; default: the architecture's (src/architectures). */
  confShift?: number;
  /** Real loc value = q / 2^locShift; default: the architecture's. */
  locShift?: number;
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
  architecture: ArchitectureName;
  semantics: 'DIV';
  input: { width: number; height: number; channels: number };
  heads: HeadSpec[];
  /** Output vector: `count` Q15 values, laid out as `order` (conf of every head, then loc of every head). */
  outputs: { count: number; order: OutputSegment[] };
  provenance: Record<string, unknown>;
  /** C headers in include order. */
  files: Record<string, HeaderSpec>;
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
// Validation. A model file is data: every name it holds must be one the architecture's pipeline reads
// (or, for scratch buffers, a plain C identifier a struct points to), every number an integer in its
// range, so that nothing in it can become a path, a preprocessor line or code in the generated headers.

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** Bounds on what a model may declare, so that building and running it stays bounded in memory. */
export const MODEL_LIMITS = {
  /** Largest #define value: dimensions, paddings and strides (the shipped models' largest is 320). */
  defineMax: 65535,
  /** Values of one weight array (the shipped models' largest has 32,768). */
  arrayValues: 1 << 20,
  /** Dimensions of an array's shape (EdgeML's filters have 5). */
  shapeRank: 8,
  /** Elements of one scratch buffer (the shipped models' have 16). */
  bufferLength: 1 << 16,
  /** Elements of one layer's input or output tensor, H x W x C (the largest shipped is 153,600). */
  tensorElements: 1 << 22,
  /** Raw outputs of all heads together (the shipped models have 18,000 or 5,400). */
  outputs: 1 << 20,
  /** A head's step or anchor, in input pixels. */
  headPixels: 4096,
  /** Nesting depth of the free-form provenance object. */
  provenanceDepth: 16,
} as const;

/**
 * The frame the firmware ABI carries (firmware/app/m4sim_abi.h: 76,800 int8 values at m4sim_input, or
 * in rows through the camera, firmware/app/camera.h).
 */
export const MODEL_INPUT = { width: 320, height: 240, channels: 1 } as const;

const TOP_KEYS = [
  'format',
  'version',
  'name',
  'architecture',
  'semantics',
  'input',
  'heads',
  'outputs',
  'provenance',
  'files',
];
const HEADER_SECTIONS = ['defines', 'arrays', 'scalars', 'structs', 'buffers'] as const;
const HEAD_KEYS = [
  'name',
  'rows',
  'cols',
  'step',
  'anchor',
  'confScale',
  'locScale',
  'confShift',
  'locShift',
];

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
      if (v === undefined) return `unknown define ${quoted(t)}`;
      product *= v;
    }
  }
  return product;
}

type Fail = (where: string, msg: string) => never;

/** Whether every object and list inside v is nested at most `max` deep (iterative: no recursion). */
function nestedAtMost(v: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length > 0) {
    const [x, depth] = stack.pop()!;
    if (typeof x !== 'object' || x === null) continue;
    if (depth > max) return false;
    for (const y of Object.values(x)) stack.push([y, depth + 1]);
  }
  return true;
}

function checkKeys(obj: Json, allowed: readonly string[], where: string, fail: Fail): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) fail(pathTo(where, k), 'unknown field');
}

function checkIntRange(v: unknown, lo: number, hi: number, where: string, what: string, fail: Fail): void {
  if (!isInt(v) || v < lo || v > hi) fail(where, `${quoted(v)} out of ${what} range ${lo}..${hi}`);
}

/** Validates a parsed model file; throws a one-line ModelError naming file, header and field. */
export function parseModel(json: unknown, name: string): Model {
  const file = printableFileName(name);
  const fail: Fail = (where, msg) => {
    throw new ModelError(`${file}: ${where}: ${msg}`);
  };
  if (!isObject(json)) return fail('(top level)', 'not a JSON object');
  checkKeys(json, TOP_KEYS, '', fail);
  if (json.format !== MODEL_FORMAT) fail('format', `expected "${MODEL_FORMAT}", got ${quoted(json.format)}`);
  if (json.version !== MODEL_VERSION) fail('version', `unsupported version ${quoted(json.version)}`);
  if (typeof json.name !== 'string' || !MODEL_NAME.test(json.name)) {
    fail(
      'name',
      `expected 1 to 64 letters, digits, spaces and ._+- (a letter or digit first), got ${quoted(json.name)}`,
    );
  }
  if (!isArchitectureName(json.architecture)) {
    fail(
      'architecture',
      `unknown architecture ${quoted(json.architecture)} (known: ${architectures()
        .map((a) => a.name)
        .join(', ')})`,
    );
  }
  const arch = json.architecture as ArchitectureName;
  if (json.semantics !== 'DIV') fail('semantics', `only "DIV" is supported, got ${quoted(json.semantics)}`);
  const input = json.input;
  if (!isObject(input)) return fail('input', 'missing object');
  checkKeys(input, Object.keys(MODEL_INPUT), 'input', fail);
  for (const [k, want] of Object.entries(MODEL_INPUT)) {
    if (input[k] !== want)
      fail(`input.${k}`, `must be ${want} (the firmware's frame is 320x240x1), got ${quoted(input[k])}`);
  }
  if (!isObject(json.provenance)) fail('provenance', 'missing provenance object');
  if (!nestedAtMost(json.provenance, MODEL_LIMITS.provenanceDepth)) {
    fail('provenance', `nested more than ${MODEL_LIMITS.provenanceDepth} deep`);
  }
  if (!isObject(json.files)) return fail('files', 'missing files object');
  const files = json.files;

  const known = architectureNamed(arch).headers;
  for (const header of Object.keys(files)) {
    if (!HEADER_NAME.test(header) || !known.some((r) => r.header === header)) {
      fail(
        pathTo('files', header),
        `not a header of ${arch} (expected one of ${known.map((r) => r.header).join(', ')})`,
      );
    }
  }
  // In the file's order, which is model.h's include order: a shapeExpr sees the defines before it.
  const names = new Map<string, string>();
  const globalDefines = new Map<string, number>();
  for (const [header, h] of Object.entries(files)) {
    const req = known.find((r) => r.header === header)!;
    checkHeader(req, h, { arch, names, globalDefines, fail });
  }
  for (const req of known) {
    if (!has(files, req.header)) fail(req.header, `missing header (needed by ${arch})`);
  }
  checkLayerShapes(arch, files as unknown as Record<string, HeaderSpec>, fail);
  checkHeadsAndOutputs(json, arch, globalDefines, fail);
  return json as unknown as Model;
}

interface HeaderContext {
  arch: ArchitectureName;
  /** Every name declared so far → its header (one C namespace: a define would rewrite any use). */
  names: Map<string, string>;
  globalDefines: Map<string, number>;
  fail: Fail;
}

/** A name of `section` in `header`: a C identifier, not reserved, unique, and one the pipeline reads. */
function checkName(
  header: string,
  section: string,
  name: string,
  wanted: readonly string[] | null,
  ctx: HeaderContext,
): void {
  const where = `${header}: ${pathTo(section, name)}`;
  const problem = identifierProblem(name);
  if (problem) ctx.fail(where, problem);
  if (wanted && !wanted.includes(name)) ctx.fail(where, `not a name ${ctx.arch} reads from ${header}`);
  const other = ctx.names.get(name);
  if (other !== undefined) ctx.fail(where, `${name} is already declared in ${other}`);
  ctx.names.set(name, header);
}

function checkHeader(req: HeaderRequirement, h: unknown, ctx: HeaderContext): void {
  const { fail } = ctx;
  const header = req.header;
  const at = (field: string): string => `${header}: ${field}`;
  if (!isObject(h)) return fail(header, 'not an object');
  checkKeys(h, HEADER_SECTIONS, header, fail);
  for (const key of HEADER_SECTIONS) if (!isObject(h[key])) fail(at(key), 'missing object');
  const sections = h as Record<(typeof HEADER_SECTIONS)[number], Json>;

  for (const [d, v] of Object.entries(sections.defines)) {
    checkName(header, 'defines', d, req.defines, ctx);
    checkIntRange(v, 0, MODEL_LIMITS.defineMax, at(`defines.${d}`), 'define', fail);
    ctx.globalDefines.set(d, v as number);
  }
  for (const [a, spec] of Object.entries(sections.arrays)) {
    checkName(header, 'arrays', a, req.arrays, ctx);
    checkArray(at(`arrays.${a}`), spec, ctx);
  }
  for (const [s, spec] of Object.entries(sections.scalars)) {
    checkName(header, 'scalars', s, req.scalars, ctx);
    const f = at(`scalars.${s}`);
    if (!isObject(spec)) return fail(f, 'not an object');
    checkKeys(spec, ['ctype', 'value'], f, fail);
    if (!(typeof spec.ctype === 'string' && has(CTYPE_RANGES, spec.ctype))) {
      fail(f, `unknown ctype ${quoted(spec.ctype)}`);
    }
    const range = CTYPE_RANGES[spec.ctype as ScalarCType];
    checkIntRange(spec.value, range[0], range[1], f, spec.ctype as string, fail);
    if (isDivScale(s, spec as unknown as ScalarSpec) && !isPow2(spec.value as number)) {
      fail(f, `DIV scale ${spec.value} is not a positive power of two`);
    }
  }
  for (const [b, spec] of Object.entries(sections.buffers)) {
    checkName(header, 'buffers', b, null, ctx);
    const f = at(`buffers.${b}`);
    if (!isObject(spec)) return fail(f, 'not an object');
    checkKeys(spec, ['ctype', 'length'], f, fail);
    if (spec.ctype !== 'Q7_T' && spec.ctype !== 'Q15_T') fail(f, `unknown ctype ${quoted(spec.ctype)}`);
    checkIntRange(spec.length, 1, MODEL_LIMITS.bufferLength, `${f}.length`, 'buffer length', fail);
  }
  const referenced = new Set<string>();
  for (const [s, spec] of Object.entries(sections.structs)) {
    checkName(header, 'structs', s, req.structs, ctx);
    checkStruct(at(`structs.${s}`), spec, sections, referenced, fail);
  }
  for (const b of Object.keys(sections.buffers)) {
    if (!referenced.has(b)) fail(at(`buffers.${b}`), 'no struct of the header points to it');
  }
  // What the architecture's pipeline needs.
  const needs = [
    ['defines', req.defines, 'missing define'],
    ['arrays', req.arrays, 'missing array'],
    ['scalars', req.scalars, 'missing scale'],
    ['structs', req.structs, 'missing struct'],
  ] as const;
  for (const [section, list, missing] of needs) {
    for (const n of list) if (!has(sections[section], n)) fail(at(`${section}.${n}`), missing);
  }
}

function checkArray(f: string, spec: unknown, ctx: HeaderContext): void {
  const { fail } = ctx;
  if (!isObject(spec)) return fail(f, 'not an object');
  checkKeys(spec, ['ctype', 'shape', 'shapeExpr', 'values'], f, fail);
  if (spec.ctype !== 'Q7_T' && spec.ctype !== 'Q15_T') fail(f, `unknown ctype ${quoted(spec.ctype)}`);
  const range = CTYPE_RANGES[spec.ctype as ArrayCType];
  const shape = spec.shape;
  if (
    !Array.isArray(shape) ||
    shape.length === 0 ||
    shape.length > MODEL_LIMITS.shapeRank ||
    !shape.every((d) => isInt(d) && d > 0 && d <= MODEL_LIMITS.arrayValues)
  ) {
    return fail(f, `shape must be a list of 1 to ${MODEL_LIMITS.shapeRank} positive integers`);
  }
  const want = (shape as number[]).reduce((p, d) => p * d, 1);
  if (want > MODEL_LIMITS.arrayValues)
    fail(f, `shape gives ${want} values, more than ${MODEL_LIMITS.arrayValues}`);
  if (!Array.isArray(spec.values)) return fail(f, 'missing values');
  const values = spec.values as unknown[];
  if (values.length !== want) fail(f, `${values.length} values, shape [${shape.join(', ')}] needs ${want}`);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!isInt(v) || v < range[0] || v > range[1]) {
      fail(`${f}[${i}]`, `value ${quoted(v)} out of ${spec.ctype} range ${range[0]}..${range[1]}`);
    }
  }
  if (spec.shapeExpr !== undefined) {
    const e = spec.shapeExpr;
    const fe = `${f}.shapeExpr`;
    if (typeof e !== 'string' || e.length > MAX_SHAPE_EXPR_LENGTH || !SHAPE_EXPR.test(e)) {
      fail(fe, `expected integers and define names joined by *, got ${quoted(e)}`);
    }
    const n = evalShapeExpr(e as string, (d) => ctx.globalDefines.get(d));
    if (typeof n === 'string') fail(fe, n);
    if (n !== want) fail(fe, `${quoted(e)} = ${n}, shape product is ${want}`);
  }
}

function checkStruct(
  f: string,
  spec: unknown,
  sections: Record<'arrays' | 'buffers', Json>,
  referenced: Set<string>,
  fail: Fail,
): void {
  if (!isObject(spec)) return fail(f, 'not an object');
  checkKeys(spec, ['ctype', 'fields'], f, fail);
  const ctype = spec.ctype;
  if (typeof ctype !== 'string' || !has(STRUCT_TYPES, ctype)) {
    return fail(f, `unknown struct ctype ${quoted(ctype)}`);
  }
  const fieldTypes = STRUCT_TYPES[ctype as StructCType];
  if (!isObject(spec.fields)) return fail(`${f}.fields`, 'missing object');
  const fields = spec.fields;
  for (const k of Object.keys(fields)) {
    if (!has(fieldTypes, k)) fail(pathTo(f, k), `${ctype} has no field ${quoted(k)}`);
  }
  for (const [k, t] of Object.entries(fieldTypes)) {
    const v = fields[k];
    const ff = `${f}.${k}`;
    if (v === undefined) fail(ff, ctype.endsWith('_Scales') ? 'missing scale' : 'missing field');
    if (t.kind === 'int') {
      const range = CTYPE_RANGES[t.ctype];
      if (!isInt(v) || v < range[0] || v > range[1]) {
        fail(ff, `value ${quoted(v)} out of ${t.ctype} range ${range[0]}..${range[1]}`);
      }
    } else if (v === null) {
      if (!t.nullable) fail(ff, 'may not be NULL');
    } else {
      if (!isObject(v) || typeof v.ref !== 'string' || Object.keys(v).length !== 1) {
        return fail(ff, 'expected {"ref": NAME} or null');
      }
      if (identifierProblem(v.ref)) return fail(ff, `refers to ${quoted(v.ref)}, not a name`);
      const pool = t.target === 'array' ? sections.arrays : sections.buffers;
      const target = has(pool, v.ref) ? (pool[v.ref] as { ctype: string }) : undefined;
      if (!target) return fail(ff, `refers to missing ${t.target} ${v.ref}`);
      if (target.ctype !== t.ctype) fail(ff, `${v.ref} is ${target.ctype}, field needs ${t.ctype}*`);
      referenced.add(v.ref);
    }
  }
}

function checkHeadsAndOutputs(
  json: Json,
  arch: ArchitectureName,
  globalDefines: Map<string, number>,
  fail: Fail,
): void {
  if (!Array.isArray(json.heads) || json.heads.length === 0) return fail('heads', 'missing list of heads');
  const expected = architectureHeads(architectureNamed(arch), (d) => globalDefines.get(d));
  if (json.heads.length !== expected.length) {
    fail('heads', `${arch} has ${expected.length} heads, file lists ${json.heads.length}`);
  }
  json.heads.forEach((hd: unknown, i: number) => {
    const f = `heads[${i}]`;
    if (!isObject(hd)) return fail(f, 'not an object');
    checkKeys(hd, HEAD_KEYS, f, fail);
    if (hd.name !== `H${i + 1}`) fail(`${f}.name`, `must be "H${i + 1}", got ${quoted(hd.name)}`);
    for (const k of ['rows', 'cols']) {
      checkIntRange(hd[k], 1, MODEL_LIMITS.defineMax, `${f}.${k}`, 'head size', fail);
    }
    for (const k of ['step', 'anchor']) {
      checkIntRange(hd[k], 1, MODEL_LIMITS.headPixels, `${f}.${k}`, 'pixel', fail);
    }
    for (const k of ['confScale', 'locScale']) {
      if (hd[k] !== undefined && !(isInt(hd[k]) && isPow2(hd[k] as number) && (hd[k] as number) <= 32768)) {
        fail(`${f}.${k}`, 'must be a power of two from 1 to 32768');
      }
    }
    for (const k of ['confShift', 'locShift']) {
      if (hd[k] !== undefined) checkIntRange(hd[k], 0, 30, `${f}.${k}`, 'shift', fail);
    }
    const e = expected[i];
    if (hd.rows !== e.rows || hd.cols !== e.cols) {
      fail(`${f}`, `${hd.rows}x${hd.cols} cells, the layer feeding it gives ${e.rows}x${e.cols}`);
    }
  });
  const outputs = json.outputs;
  if (!isObject(outputs) || !isInt(outputs.count) || !Array.isArray(outputs.order)) {
    return fail('outputs', 'needs count and order');
  }
  checkKeys(outputs, ['count', 'order'], 'outputs', fail);
  const layout = outputLayout(json.heads as HeadSpec[]);
  if (layout.count > MODEL_LIMITS.outputs) {
    fail('outputs.count', `the heads give ${layout.count} outputs, more than ${MODEL_LIMITS.outputs}`);
  }
  if (outputs.count !== layout.count)
    fail('outputs.count', `${outputs.count}, the heads give ${layout.count}`);
  const order = outputs.order as unknown[];
  const same = (x: unknown, y: OutputSegment): boolean =>
    isObject(x) &&
    Object.keys(x).length === 4 &&
    x.head === y.head &&
    x.kind === y.kind &&
    x.offset === y.offset &&
    x.length === y.length;
  if (order.length !== layout.order.length || !layout.order.every((seg, i) => same(order[i], seg))) {
    fail('outputs.order', 'must be conf of every head, then loc of every head, contiguous');
  }
}

/** Per-layer consistency of array lengths with the layer's defines, and bounded tensors. */
function checkLayerShapes(arch: ArchitectureName, files: Record<string, HeaderSpec>, fail: Fail): void {
  const info = architectureNamed(arch);
  const len = (header: string, a: string): number => files[header].arrays[a].values.length;
  const expect = (header: string, a: string, want: number, why: string): void => {
    const got = len(header, a);
    if (got !== want) fail(`${header}: arrays.${a}`, `${got} values, ${why} needs ${want}`);
  };
  const bounded = (header: string, what: string, ...dims: number[]): void => {
    const n = dims.reduce((p, d) => p * d, 1);
    if (n > MODEL_LIMITS.tensorElements) {
      fail(
        `${header}: defines`,
        `${what} is ${dims.join('x')} = ${n} elements, more than ${MODEL_LIMITS.tensorElements}`,
      );
    }
  };
  const c = (s: string): number => files['conv2D.h'].defines[s];
  bounded('conv2D.h', 'the input', c('CBR1F_H'), c('CBR1F_W'), c('CBR1F_CIN'));
  bounded('conv2D.h', 'the output', c('CONV2D_HOUT'), c('CONV2D_WOUT'), c('CONV2D_COUT'), c('CBR1F_G'));
  // The pipeline's RNNPool loops are written for its patch size (firmware/app/front_end.c: 8x8).
  const patch = files['rnn1.h'].defines.PATCH_DIM;
  if (patch !== info.patchDim)
    fail('rnn1.h: defines.PATCH_DIM', `${patch}, ${arch} pools ${info.patchDim}x${info.patchDim} patches`);
  for (let n = 1; n <= info.mbconvs; n++) {
    const header = `mbconv${n}.h`;
    const d = (s: string): number => files[header].defines[`L${n}_${s}`];
    const [cin, ct, cout, k] = [d('CIN'), d('CTEMP'), d('COUT'), d('HF') * d('WF')];
    bounded(header, 'the input', d('H'), d('W'), Math.max(cin, ct));
    bounded(header, 'the output', d('HOUT'), d('WOUT'), Math.max(ct, cout));
    expect(header, `L${n}_F1`, cin * ct, `CIN*CTEMP = ${cin}*${ct}`);
    expect(header, `L${n}_F2`, ct * k, `CTEMP*HF*WF = ${ct}*${k}`);
    expect(header, `L${n}_F3`, ct * cout, `CTEMP*COUT = ${ct}*${cout}`);
    for (const a of ['W1', 'W2', 'B1', 'B2']) expect(header, `L${n}_${a}`, ct, `CTEMP = ${ct}`);
    for (const a of ['W3', 'B3']) expect(header, `L${n}_${a}`, cout, `COUT = ${cout}`);
  }
  info.heads.forEach(({ layer }, i) => {
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

/**
 * Reads and validates a `*.model.json` file. A missing, unreadable, special or oversized file is an
 * InputFileError (status 66 / 65); invalid content a ModelError (65). Neither echoes the file's text.
 */
export function loadModel(path: string): Model {
  const text = readInputText(path, 'model file');
  return parseModelText(text, basename(path));
}

/** Parses and validates the JSON text of a model; `name` (a file name) prefixes every error. */
export function parseModelText(text: string, name: string): Model {
  let json: unknown;
  try {
    json = parseJsonText(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new ModelError(`${printableFileName(name)}: ${e.message}`);
    throw e;
  }
  return parseModel(json, name);
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
