import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  applyScales,
  array,
  define,
  generateHeaders,
  importEdgeML,
  loadModel,
  ModelError,
  mulberry32,
  parameterCount,
  parseModel,
  renderCheckSource,
  saveModel,
  scalar,
  serializeModel,
  struct,
  structInt,
  syntheticFaceM4,
  type Model,
} from '../src/model/index.js';
import { projectRoot } from '../src/util/paths.js';
import { findToolchain } from './helpers/toolchain.js';

const tmp = mkdtempSync(join(tmpdir(), 'm4sim-model-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Json = Record<string, { value: number }>;
const clone = (m: Model): Model => JSON.parse(JSON.stringify(m)) as Model;
const model = syntheticFaceM4(1);

/** Expects parseModel to reject the mutated model with a message containing every fragment. */
function rejects(mutate: (m: Model) => void, ...fragments: string[]): void {
  const m = clone(model);
  mutate(m);
  let err: unknown;
  try {
    parseModel(m, 'bad.model.json');
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ModelError);
  const msg = (err as Error).message;
  expect(msg).not.toContain('\n');
  for (const f of ['bad.model.json', ...fragments]) expect(msg).toContain(f);
}

describe('PRNG', () => {
  it('mulberry32 is deterministic and roughly uniform / normal', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 4000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 4000 }, () => b.next()));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.47);
    expect(mean).toBeLessThan(0.53);
    const n = mulberry32(7);
    const ys = Array.from({ length: 4000 }, () => n.normal());
    const m = ys.reduce((s, y) => s + y, 0) / ys.length;
    const v = ys.reduce((s, y) => s + (y - m) ** 2, 0) / ys.length;
    expect(Math.abs(m)).toBeLessThan(0.06);
    expect(v).toBeGreaterThan(0.9);
    expect(v).toBeLessThan(1.1);
  });
});

describe('synthetic RNNPool-Face-M4', () => {
  it('has the M4 parameter count, counted by hand from the architecture', () => {
    const conv = 3 * 3 * 1 * 4 + 4 + 4; // CBR1F, CBR1W (per-channel scale), CBR1B
    const rnn1 = 16 * 4 + 16 * 16 + 16 + 16; // W1, U1, Bg1, Bh1
    const rnn2 = 16 * 16 + 16 * 16 + 16 + 16;
    // MBConv cin→ctemp→cout: F1 cin·ctemp, F2 ctemp·9, F3 ctemp·cout, W1/B1/W2/B2 ctemp, W3/B3 cout.
    const mb = (cin: number, ct: number, cout: number) => cin * ct + ct * 9 + ct * cout + 4 * ct + 2 * cout;
    const mbconv = mb(64, 128, 32) + mb(32, 64, 32) + mb(32, 64, 64) + mb(64, 128, 64);
    // Head on c channels: L2-norm weight c (not H4), conf 3x3 c→k (+k bias), loc 3x3 c→4 (+4 bias).
    const head = (c: number, k: number, norm: boolean) => (norm ? c : 0) + 9 * c * k + k + 9 * c * 4 + 4;
    const heads = head(32, 4, true) + head(32, 2, true) + head(64, 2, true) + head(64, 2, false);
    expect([conv, rnn1, rnn2, mbconv, heads]).toEqual([44, 352, 544, 44288, 11098]);
    expect(parameterCount(model)).toBe(56_326);
    expect(conv + rnn1 + rnn2 + mbconv + heads).toBe(56_326);
  });

  it('has every header, head and output of the M4 pipeline', () => {
    expect(Object.keys(model.files)).toEqual([
      'conv2D.h',
      'rnn1.h',
      'rnn2.h',
      'mbconv1.h',
      'mbconv2.h',
      'mbconv3.h',
      'mbconv4.h',
      'detection1.h',
      'detection2.h',
      'detection3.h',
      'detection4.h',
    ]);
    expect(model.heads.map((h) => [h.rows, h.cols, h.step, h.anchor])).toEqual([
      [30, 40, 8, 8],
      [30, 40, 8, 16],
      [15, 20, 16, 32],
      [15, 20, 16, 48],
    ]);
    expect(model.outputs.count).toBe(18_000);
    expect(model.outputs.order.map((s) => s.length)).toEqual([2400, 2400, 600, 600, 4800, 4800, 1200, 1200]);
    expect(define(model, 'mbconv3.h', 'L3_HSTRIDE')).toBe(2);
    expect(define(model, 'mbconv3.h', 'L3_HOUT')).toBe(15);
    expect(array(model, 'detection1.h', 'D1CW').length).toBe(1152);
    expect(model.files['detection4.h'].arrays.D4NW).toBeUndefined();
    expect(scalar(model, 'mbconv2.h', 'L2_Scten2')).toBe(2);
    expect(scalar(model, 'mbconv4.h', 'L4_Scret')).toBe(1);
    expect(struct(model, 'rnn1.h', 'RNN1_PARAMS').ctype).toBe('Q7xQ15_FastGRNN_Params');
    expect(structInt(model, 'rnn1.h', 'RNN1_SCALES', 'mVWOut')).toBe(4);
  });

  it('draws arrays with the magnitudes of trained weights', () => {
    const stats = (a: ArrayLike<number>) => {
      const xs = Array.from(a);
      const m = xs.reduce((s, x) => s + x, 0) / xs.length;
      return [m, Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length)];
    };
    const [m1, s1] = stats(array(model, 'mbconv1.h', 'L1_F1')); // face2: mean -29, std 2670
    expect(Math.abs(m1)).toBeLessThan(150);
    expect(s1).toBeGreaterThan(2400);
    expect(s1).toBeLessThan(2950);
    const [m2] = stats(array(model, 'detection1.h', 'D1NW')); // face2: mean 29354
    expect(m2).toBeGreaterThan(28000);
  });

  it('is deterministic in its seed', () => {
    expect(serializeModel(syntheticFaceM4(1))).toBe(serializeModel(model));
    const other = syntheticFaceM4(2);
    expect(other.files['rnn1.h'].arrays.W1.values).not.toEqual(model.files['rnn1.h'].arrays.W1.values);
  });

  it('takes scale overrides', () => {
    const m = syntheticFaceM4(1, {
      scales: { 'mbconv1.h': { L1_ShRU1: 256 }, 'rnn1.h': { 'RNN1_SCALES.mVWOut': 8 } },
    });
    expect(scalar(m, 'mbconv1.h', 'L1_ShRU1')).toBe(256);
    expect(structInt(m, 'rnn1.h', 'RNN1_SCALES', 'mVWOut')).toBe(8);
    expect(scalar(model, 'mbconv1.h', 'L1_ShRU1')).toBe(128);
    expect(() => applyScales(model, { 'mbconv1.h': { L1_Nope: 2 } })).toThrow(/mbconv1\.h: scalars\.L1_Nope/);
    expect(() => applyScales(model, { 'mbconv1.h': { L1_ShRU1: 3 } })).toThrow(/power of two/);
  });

  it('matches models/face-m4-synthetic.model.json (seed 1)', () => {
    const path = join(projectRoot(), 'models', 'face-m4-synthetic.model.json');
    if (!existsSync(path)) {
      console.log(`skipped: ${path} not generated yet (node scripts/make-synthetic-model.mjs)`);
      return;
    }
    const saved = loadModel(path);
    expect(saved.files).toEqual(syntheticFaceM4(1, { name: saved.name }).files);
  });
});

describe('model file', () => {
  it('round-trips through save and load', () => {
    const path = join(tmp, 'rt.model.json');
    saveModel(model, path);
    const back = loadModel(path);
    expect(back).toEqual(model);
    expect(serializeModel(back)).toBe(readFileSync(path, 'utf8'));
    const w = array(back, 'rnn2.h', 'W2');
    expect(w).toBeInstanceOf(Int16Array);
    expect(Array.from(w)).toEqual(model.files['rnn2.h'].arrays.W2.values);
  });

  it('names file, header and field in validation errors', () => {
    rejects(
      (m) => delete (m.files['mbconv2.h'].arrays as Record<string, unknown>).L2_F1,
      'mbconv2.h',
      'arrays.L2_F1',
      'missing array',
    );
    rejects(
      (m) => m.files['rnn1.h'].arrays.U1.values.pop(),
      'rnn1.h',
      'arrays.U1',
      '255 values',
      'needs 256',
    );
    rejects(
      (m) => (m.files['conv2D.h'].arrays.CBR1F.values[5] = 40000),
      'conv2D.h',
      'arrays.CBR1F[5]',
      'Q15_T range',
    );
    rejects(
      (m) => ((m.files['conv2D.h'].arrays.CBR1B as { ctype: string }).ctype = 'Q11_T'),
      'arrays.CBR1B',
      'unknown ctype',
    );
    rejects(
      (m) => delete m.files['detection3.h'].scalars.D3LB_Scvec,
      'detection3.h',
      'scalars.D3LB_Scvec',
      'missing scale',
    );
    rejects(
      (m) => delete m.files['rnn2.h'].structs.RNN2_SCALES.fields.mVUOut,
      'rnn2.h',
      'RNN2_SCALES.mVUOut',
      'missing scale',
    );
    rejects((m) => (m.files['rnn2.h'].structs.RNN2_SCALES.fields.H2W = 0), 'RNN2_SCALES.H2W', 'has no field');
    rejects(
      (m) => (m.files['rnn1.h'].structs.RNN1_PARAMS.fields.W = { ref: 'W9' }),
      'RNN1_PARAMS.W',
      'missing array W9',
    );
    rejects(
      (m) => (m.files['mbconv1.h'].scalars.L1_ShRX1.value = 0),
      'mbconv1.h',
      'scalars.L1_ShRX1',
      'power of two',
    );
    rejects(
      (m) => ((m.files['mbconv1.h'].scalars.L1_Limit1 as { ctype: string }).ctype = 'Q9_T'),
      'L1_Limit1',
      'unknown ctype',
    );
    rejects((m) => delete m.files['detection4.h'], 'detection4.h', 'missing header');
    rejects((m) => (m.files['mbconv4.h'].defines.L4_CIN = 32), 'mbconv4.h', 'arrays.L4_F1');
    rejects((m) => ((m as { semantics: string }).semantics = 'SHIFT'), 'semantics');
    rejects((m) => (m.outputs.count = 17999), 'outputs.count');
  });

  it('reports unreadable and non-JSON files', () => {
    // A missing file is an InputFileError (status 66), not a ModelError (65).
    expect(() => loadModel(join(tmp, 'nope.model.json'))).toThrow(/nope\.model\.json: no such file/);
    const bad = join(tmp, 'bad.model.json');
    writeFileSync(bad, '{ not json');
    expect(() => loadModel(bad)).toThrow(/bad\.model\.json: not valid JSON/);
  });
});

describe('EdgeML import', () => {
  const dir = '/work/shared/models/edgeml';
  const cases = [
    {
      file: 'q_scut_head_b_face2_model.json',
      arch: 'rnnpool-face-qvga',
      values: 338_534,
      arrays: 156,
      out: 18000,
    },
    {
      file: 'q_scut_head_b_face3_model.json',
      arch: 'rnnpool-face-fast',
      values: 124_160,
      arrays: 62,
      out: 5400,
    },
  ];
  for (const c of cases) {
    it(`imports ${c.file}`, () => {
      const path = join(dir, c.file);
      if (!existsSync(path)) {
        console.log(`skipped: ${path} not present`);
        return;
      }
      const json = JSON.parse(readFileSync(path, 'utf8')) as { files: Record<string, { arrays: object }> };
      const m = importEdgeML(json, c.file);
      expect(m.architecture).toBe(c.arch);
      expect(parameterCount(m)).toBe(c.values);
      expect(Object.values(m.files).reduce((n, h) => n + Object.keys(h.arrays).length, 0)).toBe(c.arrays);
      expect(m.outputs.count).toBe(c.out);
      const scales = struct(m, 'rnn1.h', 'RNN1_SCALES').fields;
      expect(scales.w).toBe(8);
      expect(scales.mVWOut).toBe(4);
      expect(scales.W).toBeUndefined();
      expect(scales.H2W).toBeUndefined();
      const div = (json as unknown as { files: Record<string, { variants: { DIV: { scalars: Json } } }> })
        .files;
      expect(scalar(m, 'conv2D.h', 'CBR1F_Demote')).toBe(
        div['conv2D.h'].variants.DIV.scalars.CBR1F_Demote.value,
      );
      // Lossless: values survive a save/load.
      const out = join(tmp, `${c.arch}.model.json`);
      saveModel(m, out);
      expect(loadModel(out).files).toEqual(m.files);

      // Clear errors for broken inputs.
      const broken = JSON.parse(JSON.stringify(json)) as Record<
        string,
        Record<string, Record<string, unknown>>
      >;
      delete broken.files['mbconv1.h'].variants;
      expect(() => importEdgeML(broken, c.file)).toThrow(/mbconv1\.h: variants\.DIV: missing/);
      const short = JSON.parse(JSON.stringify(json)) as {
        files: Record<string, { arrays: Record<string, { values: number[] }> }>;
      };
      short.files['rnn2.h'].arrays.U2.values.pop();
      expect(() => importEdgeML(short, c.file)).toThrow(/rnn2\.h: arrays\.U2: length says 256, 255 values/);
    });
  }
});

describe('C code generation', () => {
  const tc = findToolchain();
  const stub = join(projectRoot(), 'test', 'firmware', 'model-types-stub.h');

  it('writes one header per model header plus model.h', () => {
    const out = join(tmp, 'gen0');
    const files = generateHeaders(model, out, { includes: ['model-types-stub.h'] });
    expect(files.map((f) => f.slice(out.length + 1))).toEqual([...Object.keys(model.files), 'model.h']);
    const rnn1 = readFileSync(join(out, 'rnn1.h'), 'utf8');
    expect(rnn1).toContain('static const Q15_T W1[HIDDEN_DIM1 * INPUT_CHANNELS] = {');
    expect(rnn1).toContain('static Q7xQ15_FastGRNN_Params RNN1_PARAMS = {');
    expect(rnn1).toContain('.W = (Q15_T *)W1');
    expect(rnn1).toContain('.mVWOut = 4');
    expect(rnn1).toContain('static Q7_T normFeatures1[4];');
    const mb = readFileSync(join(out, 'mbconv1.h'), 'utf8');
    expect(mb).toContain('#define L1_CTEMP 128');
    expect(mb).toContain('static const Q31_T L1_Limit1 = 402653184L;');
    expect(mb).toContain('static const SCALE_T L1_ShRU1 = 128;');
  });

  for (const variant of ['plain', 'const-params'] as const) {
    it(`compiles with arm-none-eabi-gcc -Wall -Wextra -Werror (${variant} FastGRNN params)`, (ctx) => {
      if (typeof tc === 'string') {
        console.log(`skipped: ${tc}`);
        ctx.skip();
        return;
      }
      for (const [label, m] of [['synthetic', model], ...importedForCodegen()] as [string, Model][]) {
        const out = join(tmp, `gen-${variant}-${label}`);
        generateHeaders(m, out, { includes: ['model-types-stub.h'] });
        writeFileSync(join(out, 'model-types-stub.h'), readFileSync(stub));
        writeFileSync(join(out, 'check.c'), renderCheckSource(m));
        const args = [
          '-mcpu=cortex-m4',
          '-mthumb',
          '-std=c11',
          '-Wall',
          '-Wextra',
          '-Werror',
          '-fsyntax-only',
        ];
        if (variant === 'const-params') args.push('-DSTUB_CONST_PARAMS');
        execFileSync(tc.gcc, [...args, '-I', out, join(out, 'check.c')], { stdio: 'pipe' });
        // A wrong length is caught by the static asserts.
        const wrong = renderCheckSource(m).replace('sizeof(W1[0]) == 64', 'sizeof(W1[0]) == 65');
        expect(wrong).not.toBe(renderCheckSource(m));
        writeFileSync(join(out, 'wrong.c'), wrong);
        expect(() =>
          execFileSync(tc.gcc, [...args, '-I', out, join(out, 'wrong.c')], { stdio: 'pipe' }),
        ).toThrow();
      }
    });
  }

  it('compiles against the kernel headers in firmware/kernels (when present)', (ctx) => {
    const kernels = join(projectRoot(), 'firmware', 'kernels');
    const fastgrnn = join(kernels, 'fastgrnn.h');
    if (typeof tc === 'string' || !existsSync(fastgrnn)) {
      console.log('skipped: no toolchain or no firmware/kernels/fastgrnn.h');
      ctx.skip();
      return;
    }
    // Use whichever Q15_FastGRNN_Scales field names the kernels declare.
    const names = /SCALE_T\s+mVWOut\s*;/.test(readFileSync(fastgrnn, 'utf8')) ? 'current' : 'seedot';
    const out = join(tmp, 'gen-kernels');
    generateHeaders(model, out, { scaleFieldNames: names });
    writeFileSync(join(out, 'check.c'), renderCheckSource(model));
    const args = ['-mcpu=cortex-m4', '-mthumb', '-std=c11', '-Wall', '-Wextra', '-Werror', '-fsyntax-only'];
    execFileSync(tc.gcc, [...args, '-I', out, '-I', kernels, join(out, 'check.c')], { stdio: 'pipe' });
    if (names === 'seedot') expect(readFileSync(join(out, 'rnn1.h'), 'utf8')).toContain('.H1W = 4');
  });

  it('reports the generated flash size of the synthetic model', (ctx) => {
    if (typeof tc === 'string') {
      ctx.skip();
      return;
    }
    const out = join(tmp, 'gen-size');
    generateHeaders(model, out, { includes: ['model-types-stub.h'] });
    writeFileSync(join(out, 'model-types-stub.h'), readFileSync(stub));
    writeFileSync(join(out, 'check.c'), renderCheckSource(model));
    const obj = join(out, 'check.o');
    execFileSync(tc.gcc, [
      '-mcpu=cortex-m4',
      '-mthumb',
      '-Os',
      '-c',
      '-I',
      out,
      join(out, 'check.c'),
      '-o',
      obj,
    ]);
    const size = execFileSync(tc.tool('size'), ['-A', obj], { encoding: 'utf8' });
    const rodata = Number(/\.rodata\s+(\d+)/.exec(size)?.[1] ?? 0);
    // 56,326 Q15 weights = 112,652 bytes, plus scalars.
    expect(rodata).toBeGreaterThanOrEqual(112_652);
    expect(rodata).toBeLessThan(112_652 + 4096);
  });
});

function importedForCodegen(): [string, Model][] {
  const path = '/work/shared/models/edgeml/q_scut_head_b_face3_model.json';
  if (!existsSync(path)) return [];
  return [['face3', importEdgeML(JSON.parse(readFileSync(path, 'utf8')), 'face3')]];
}
