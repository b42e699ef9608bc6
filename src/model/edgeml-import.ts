// Import of EdgeML's trained, quantized RNNPool face models from the JSON form of their SeeDot C headers
// (`{ model, files: { "<header>.h": { defines, arrays, scalars, structs, buffers, variants } } }`):
// keeps arrays, defines, scalars, structs and buffers as they are, merges the DIV build's scales in and
// renames the FastGRNN scale fields to the names EdgeML's kernels use now.
import {
  architectureHeads,
  architectureNamed,
  architectures,
  type ArchitectureName,
} from '../architectures/index.js';
import {
  evalShapeExpr,
  MODEL_FORMAT,
  MODEL_VERSION,
  ModelError,
  outputLayout,
  parseModel,
  type ArrayCType,
  type ArraySpec,
  type BufferSpec,
  type HeaderSpec,
  type Model,
  type ScalarCType,
  type ScalarSpec,
  type StructCType,
  type StructField,
  type StructSpec,
} from './format.js';
import {
  HEADER_NAME,
  identifierProblem,
  MODEL_NAME,
  pathTo,
  printableFileName,
  quoted,
  SHAPE_EXPR,
} from './names.js';

/** Old (SeeDot header) → current EdgeML names of Q15_FastGRNN_Scales fields. */
export const FASTGRNN_SCALE_RENAMES: Readonly<Record<string, string>> = {
  W: 'w',
  U: 'u',
  Bg: 'bg',
  Bh: 'bh',
  H1W: 'mVWOut',
  H1U: 'mVUOut',
};
/** Old fields no kernel reads any more; dropped on import. */
export const FASTGRNN_SCALE_DROPPED: readonly string[] = ['H2W', 'H2U'];

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Which architecture a set of EdgeML headers describes: the one with as many MBConv and detection headers. */
export function detectArchitecture(headers: string[], name = 'model'): ArchitectureName {
  const has = (h: string): boolean => headers.includes(h);
  const count = (prefix: string): number => {
    let n = 0;
    while (has(`${prefix}${n + 1}.h`)) n++;
    return n;
  };
  const mbconvs = count('mbconv');
  const detections = count('detection');
  const base = ['conv2D.h', 'rnn1.h', 'rnn2.h'].filter((h) => !has(h));
  if (base.length > 0) throw new ModelError(`${name}: files: missing header ${base.join(', ')}`);
  const all = architectures();
  const match = all.find((a) => a.mbconvs === mbconvs && a.heads.length === detections);
  if (match) return match.name;
  throw new ModelError(
    `${name}: files: ${mbconvs} mbconv and ${detections} detection headers match no known architecture ` +
      `(${all.map((a) => `${a.mbconvs}+${a.heads.length} ${a.name}`).join(', ')})`,
  );
}

/**
 * The model name an import gets: EdgeML's `model` string when it is a valid name (it is refused when it
 * is not), else the file name with what the name grammar does not allow replaced by `_`.
 */
function importedName(
  json: Record<string, unknown>,
  file: string,
  fail: (w: string, m: string) => never,
): string {
  if (json.model !== undefined) {
    if (typeof json.model !== 'string' || !MODEL_NAME.test(json.model)) {
      return fail(
        'model',
        `expected a name of 1 to 64 letters, digits, spaces and ._+-, got ${quoted(json.model)}`,
      );
    }
    return json.model;
  }
  const cleaned = file
    .replace(/\.json$/i, '')
    .replace(/[^A-Za-z0-9 ._+-]/g, '_')
    .replace(/^[^A-Za-z0-9]+/, '');
  return cleaned.slice(0, 64) || 'model';
}

/**
 * Converts one EdgeML model object (the shared JSON format) to an m4sim model, validated by parseModel
 * like any model file. Names are checked before they appear in a message or a key.
 */
export function importEdgeML(json: unknown, name: string): Model {
  const file = printableFileName(name);
  const fail = (where: string, msg: string): never => {
    throw new ModelError(`${file}: ${where}: ${msg}`);
  };
  if (!isObject(json)) return fail('(top level)', 'not a JSON object');
  if (!isObject(json.files)) return fail('files', 'missing files object');
  const src = json.files;
  for (const header of Object.keys(src)) {
    if (!HEADER_NAME.test(header)) fail(pathTo('files', header), 'expected a header name like mbconv1.h');
  }
  const arch = detectArchitecture(Object.keys(src), file);
  const modelName = importedName(json, name, fail);

  const defines = new Map<string, number>();
  const files: Record<string, HeaderSpec> = {};
  const renamed: string[] = [];
  for (const [header, raw] of Object.entries(src)) {
    const at = (f: string): string => `${header}: ${f}`;
    if (!isObject(raw)) return fail(header, 'not an object');
    const out: HeaderSpec = { defines: {}, arrays: {}, scalars: {}, structs: {}, buffers: {} };
    const div = isObject(raw.variants) ? raw.variants.DIV : undefined;
    if (!isObject(div)) return fail(at('variants.DIV'), 'missing (the DIV scales are required)');
    const sections: [string, unknown][] = [
      ...['defines', 'arrays', 'scalars', 'structs', 'buffers'].map((k): [string, unknown] => [k, raw[k]]),
      ['variants.DIV.scalars', div.scalars],
      ['variants.DIV.structs', div.structs],
    ];
    for (const [section, v] of sections) {
      if (v !== undefined && !isObject(v)) fail(at(section), 'not an object');
      for (const n of Object.keys(v ?? {})) {
        const problem = identifierProblem(n);
        if (problem) fail(at(pathTo(section, n)), problem);
      }
    }
    for (const [d, v] of Object.entries((raw.defines as Json | undefined) ?? {})) {
      if (typeof v !== 'number') fail(at(`defines.${d}`), `not a number: ${quoted(v)}`);
      out.defines[d] = v as number;
      defines.set(d, v as number);
    }
    for (const [a, spec] of Object.entries((raw.arrays as Json | undefined) ?? {})) {
      const f = at(`arrays.${a}`);
      if (!isObject(spec)) return fail(f, 'not an object');
      if (!Array.isArray(spec.values)) return fail(f, 'missing values');
      const values = spec.values as number[];
      if (typeof spec.length === 'number' && spec.length !== values.length) {
        fail(f, `length says ${spec.length}, ${values.length} values given`);
      }
      let shape = [values.length];
      let shapeExpr: string | undefined;
      if (spec.shape_expr !== undefined) {
        if (typeof spec.shape_expr !== 'string' || !SHAPE_EXPR.test(spec.shape_expr)) {
          return fail(
            f,
            `shape_expr: expected integers and define names joined by *, got ${quoted(spec.shape_expr)}`,
          );
        }
        shapeExpr = spec.shape_expr;
        const factors = shapeExpr.split('*').map((t) => t.trim());
        shape = factors.map((t) => (/^\d+$/.test(t) ? Number(t) : (defines.get(t) ?? NaN)));
        const n = evalShapeExpr(shapeExpr, (d) => defines.get(d));
        if (typeof n === 'string') fail(f, `shape_expr ${quoted(shapeExpr)}: ${n}`);
        if (n !== values.length)
          fail(f, `shape_expr ${quoted(shapeExpr)} = ${n}, ${values.length} values given`);
      }
      const arr: ArraySpec = { ctype: spec.ctype as ArrayCType, shape, values: [...values] };
      if (shapeExpr !== undefined) arr.shapeExpr = shapeExpr;
      out.arrays[a] = arr;
    }
    for (const [s, spec] of Object.entries((raw.scalars as Json | undefined) ?? {})) {
      out.scalars[s] = scalarOf(spec, at(`scalars.${s}`), fail);
    }
    for (const [s, spec] of Object.entries((raw.structs as Json | undefined) ?? {})) {
      out.structs[s] = structOf(spec, at(`structs.${s}`), fail);
    }
    for (const [b, spec] of Object.entries((raw.buffers as Json | undefined) ?? {})) {
      if (!isObject(spec)) return fail(at(`buffers.${b}`), 'not an object');
      out.buffers[b] = { ctype: spec.ctype, length: spec.length } as BufferSpec;
    }

    // The DIV build's scales.
    for (const [s, spec] of Object.entries((div.scalars as Json | undefined) ?? {})) {
      if (Object.hasOwn(out.scalars, s)) fail(at(`variants.DIV.scalars.${s}`), 'also declared in scalars');
      out.scalars[s] = scalarOf(spec, at(`variants.DIV.scalars.${s}`), fail);
    }
    for (const [s, spec] of Object.entries((div.structs as Json | undefined) ?? {})) {
      const f = at(`variants.DIV.structs.${s}`);
      if (Object.hasOwn(out.structs, s)) fail(f, 'also declared in structs');
      const st = structOf(spec, f, fail);
      if (st.ctype === 'Q15_FastGRNN_Scales') {
        const fields: Record<string, StructField> = {};
        for (const [k, v] of Object.entries(st.fields)) {
          if (FASTGRNN_SCALE_DROPPED.includes(k)) continue;
          const nk = FASTGRNN_SCALE_RENAMES[k] ?? k;
          if (nk !== k) renamed.push(`${s}.${k}→${nk}`);
          if (nk in fields) fail(`${f}.${k}`, `duplicate of ${nk}`);
          fields[nk] = v;
        }
        st.fields = fields;
      }
      out.structs[s] = st;
    }
    files[header] = out;
  }

  const heads = architectureHeads(architectureNamed(arch), (d) => defines.get(d));
  const outputs = outputLayout(heads);
  const model: Model = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    name: modelName,
    architecture: arch,
    semantics: 'DIV',
    input: { width: 320, height: 240, channels: 1 },
    heads,
    outputs,
    provenance: {
      source: 'microsoft/EdgeML SeeDot-generated C headers (JSON form), DIV build',
      importedFrom: file,
      edgemlModel: json.model ?? null,
      scaleFieldRenames: FASTGRNN_SCALE_RENAMES,
      droppedScaleFields: FASTGRNN_SCALE_DROPPED,
      ...(arch === 'rnnpool-face-qvga'
        ? { note: "EdgeML's face-2 pipeline writes H4 conf as a Q7 value << 7; not expressed in heads" }
        : {}),
      ...(arch === 'rnnpool-face-fast' ? { note: 'anchor sizes of face-fast heads are assumed' } : {}),
    },
    files,
  };
  return parseModel(model, name);
}

function scalarOf(spec: unknown, where: string, fail: (w: string, m: string) => never): ScalarSpec {
  if (!isObject(spec) || typeof spec.ctype !== 'string' || typeof spec.value !== 'number') {
    return fail(where, 'expected {ctype, value}');
  }
  return { ctype: spec.ctype as ScalarCType, value: spec.value };
}

function structOf(spec: unknown, where: string, fail: (w: string, m: string) => never): StructSpec {
  if (!isObject(spec) || typeof spec.ctype !== 'string' || !isObject(spec.fields)) {
    return fail(where, 'expected {ctype, fields}');
  }
  const fields: Record<string, StructField> = {};
  for (const [k, v] of Object.entries(spec.fields)) {
    if (identifierProblem(k)) fail(pathTo(where, k), 'expected a field name');
    if (v === null || typeof v === 'number') fields[k] = v;
    else if (isObject(v) && typeof v.ref === 'string') fields[k] = { ref: v.ref };
    else fail(pathTo(where, k), `unsupported field value ${quoted(v)}`);
  }
  return { ctype: spec.ctype as StructCType, fields };
}
