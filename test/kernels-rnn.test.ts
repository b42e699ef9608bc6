// The quantized utilities, FastGRNN and RNNPool kernels (firmware/kernels/{quantized,fastgrnn,rnnpool}.c)
// against their TypeScript twins (src/reference/), bit-exact, the C running in the emulator through the
// kernel-test ABI (test/firmware/kernels/rnn-test.c reads a command stream, see CommandWriter).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  FASTGRNN_SCALE_FIELDS,
  createQ15FastGrnnBuffers,
  createQ7xQ15FastGrnnBuffers,
  q15Fastgrnn,
  q7xq15Q15Fastgrnn,
  type FastGrnnScales,
  type Q15FastGrnnParams,
  type Q7xQ15FastGrnnParams,
} from '../src/reference/fastgrnn.js';
import {
  EXP_TABLE_A,
  EXP_TABLE_B,
  expBase16,
  q15MMulvec,
  q15SigmoidTable,
  q15TAdd,
  q15TAddVec,
  q15TanhTable,
  q15VAdd,
  q15VArgmax,
  q15VHadamard,
  q15VScalarAdd,
  q15VScalarMul,
  q15VScalarSub,
  q15VScaleDown,
  q15VScaleUp,
  q15VSigmoid,
  q15VSub,
  q15VTanh,
  q15xq7Q15MMulvec,
  q7TAdd,
  q7TRelu,
  q7VHadamard,
  q7VSub,
  q7xq15Q7TAddVec,
} from '../src/reference/quantized.js';
import { SHF_ALLOC, SHF_WRITE, parseElf } from '../src/elf/elf.js';
import { q15RnnpoolBlock, rnnpoolPatchQ7, type RnnPoolModel } from '../src/reference/rnnpool.js';
import { projectRoot } from '../src/toolchain/toolchain.js';
import { buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { runKernelFirmware } from './helpers/kernel.js';
import { mulberry32, randomInt } from './helpers/prng.js';

const KERNEL_SOURCES = [
  'firmware/kernels/quantized.c',
  'firmware/kernels/fastgrnn.c',
  'firmware/kernels/rnnpool.c',
];
const OUTPUT_BYTES = 128 * 1024;

// ---------------------------------------------------------------------------------------------------
// The command stream of rnn-test.c: int32 words and Q15 / Q7 arrays, each padded to 4 bytes.

class CommandWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  i32(...values: number[]): this {
    const b = new Uint8Array(4 * values.length);
    const view = new DataView(b.buffer);
    values.forEach((v, i) => view.setInt32(4 * i, v, true));
    return this.push(b);
  }
  q15(values: ArrayLike<number>): this {
    const b = new Uint8Array((2 * values.length + 3) & ~3);
    const view = new DataView(b.buffer);
    for (let i = 0; i < values.length; i++) view.setInt16(2 * i, values[i]!, true);
    return this.push(b);
  }
  q7(values: ArrayLike<number>): this {
    const b = new Uint8Array((values.length + 3) & ~3);
    for (let i = 0; i < values.length; i++) b[i] = values[i]! & 0xff;
    return this.push(b);
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length + 4); // + the end command (op 0)
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
  private push(b: Uint8Array): this {
    this.chunks.push(b);
    this.length += b.length;
    return this;
  }
}

class OutputReader {
  private at = 0;
  constructor(private readonly bytes: Uint8Array) {}
  q15(n: number): Int16Array {
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.at);
    const r = Int16Array.from({ length: n }, (_, i) => view.getInt16(2 * i, true));
    this.at += (2 * n + 3) & ~3;
    return r;
  }
  q7(n: number): Int8Array {
    const r = new Int8Array(
      this.bytes.buffer.slice(this.bytes.byteOffset + this.at, this.bytes.byteOffset + this.at + n),
    );
    this.at += (n + 3) & ~3;
    return r;
  }
  i32(): number {
    const v = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.at).getInt32(0, true);
    this.at += 4;
    return v;
  }
}

/** Asserts that every element matches, reporting the first mismatches (index, C, TS). */
function expectSame(got: ArrayLike<number>, want: ArrayLike<number>, inputs?: ArrayLike<number>): void {
  expect(got.length).toBe(want.length);
  const bad: string[] = [];
  let count = 0;
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) {
      count++;
      if (bad.length < 8) bad.push(`[${i}]${inputs ? ` in ${inputs[i]}` : ''}: C ${got[i]}, TS ${want[i]}`);
    }
  }
  expect({ mismatches: count, first: bad }).toEqual({ mismatches: 0, first: [] });
}

// ---------------------------------------------------------------------------------------------------
// Deterministic data with extremes.

const EXTREMES_Q15 = [-32768, 32767, -32767, -1, 0, 1, -16384, 16384];
const EXTREMES_Q7 = [-128, 127, -127, -1, 0, 1];

function randQ15(next: () => number, n: number, lo = -32768, hi = 32767): Int16Array {
  return Int16Array.from({ length: n }, (_, i) =>
    i < EXTREMES_Q15.length && lo === -32768 && hi === 32767
      ? EXTREMES_Q15[i]!
      : next() < 0.1
        ? [lo, hi][randomInt(next, 0, 1)]!
        : randomInt(next, lo, hi),
  );
}

function randQ7(next: () => number, n: number, lo = -128, hi = 127): Int8Array {
  return Int8Array.from({ length: n }, (_, i) =>
    i < EXTREMES_Q7.length && lo === -128 && hi === 127
      ? EXTREMES_Q7[i]!
      : next() < 0.1
        ? [lo, hi][randomInt(next, 0, 1)]!
        : randomInt(next, lo, hi),
  );
}

// ---------------------------------------------------------------------------------------------------
// FastGRNN / RNNPool models.

function scalesFrom(partial: Partial<FastGrnnScales>): FastGrnnScales {
  const s = Object.fromEntries(FASTGRNN_SCALE_FIELDS.map((f) => [f, 1])) as unknown as FastGrnnScales;
  return {
    ...s,
    div: 0,
    add: 0,
    sigmoidLimit: 0,
    qOne: 16384,
    useTableSigmoid: 1,
    useTableTanH: 1,
    ...partial,
  };
}

/** Scales of the shape of the trained M4 model's RNN1 (table sigmoid / tanh). */
const SYNTHETIC_SCALES_TABLES = scalesFrom({
  W: 8,
  normFeaturesMVW: 4,
  H1W: 4,
  U: 64,
  hiddenStateMVU: 32,
  H1U: 16,
  mV2AddMV1: 4,
  Bg: 8,
  Bh: 16,
  gateHDHiddenState: 64,
  hiddenStateHDGate: 128,
  sigmoidZeta: 128,
  sigmoidZetaMulQOneSubGate: 128,
  sigmoidNu: 4,
  sigmoidNuAddQOneSubGate: 2,
  sigmoidNuAddQOneSubGateHDUpdate: 128,
  updateHDSigmoidNuAddQOneSubGate: 128,
  pC3AddPC1: 2,
  input: 1,
  mean: 2,
  meanSub: 1,
  stdDev: 4,
  normFeaturesHDStdDev: 8,
});

/** Piecewise-linear sigmoid / tanh (use_tables = 0): Q11 in, Q14 out. */
const SYNTHETIC_SCALES_LINEAR = scalesFrom({
  ...SYNTHETIC_SCALES_TABLES,
  useTableSigmoid: 0,
  useTableTanH: 0,
  div: 2,
  add: 1024,
  sigmoidLimit: 2048,
  sigmoidScaleIn: 11,
  sigmoidScaleOut: 14,
  tanhScaleIn: 11,
  tanhScaleOut: 14,
});

function syntheticParams(next: () => number, hidden: number, inputDims: number, weightAbs: number) {
  return {
    W: randQ15(next, hidden * inputDims, -weightAbs, weightAbs),
    U: randQ15(next, hidden * hidden, -weightAbs, weightAbs),
    Bg: randQ15(next, hidden, -weightAbs, weightAbs),
    Bh: randQ15(next, hidden, -weightAbs, weightAbs),
    sigmoidZeta: randomInt(next, 8000, 32767),
    sigmoidNu: randomInt(next, 8000, 32767),
  };
}

function writeParams(
  w: CommandWriter,
  p: Omit<Q15FastGrnnParams, 'mean' | 'stdDev'> & {
    mean: ArrayLike<number> | null;
    stdDev: ArrayLike<number> | null;
  },
  q7norm: boolean,
): void {
  const norm = p.mean !== null && p.stdDev !== null;
  w.i32(p.sigmoidZeta, p.sigmoidNu, norm ? 1 : 0)
    .q15(p.W)
    .q15(p.U)
    .q15(p.Bg)
    .q15(p.Bh);
  if (norm) {
    if (q7norm) w.q7(p.mean!).q7(p.stdDev!);
    else w.q15(p.mean!).q15(p.stdDev!);
  }
}

function writeScales(w: CommandWriter, s: FastGrnnScales): void {
  w.i32(...FASTGRNN_SCALE_FIELDS.map((f) => s[f]));
}

/** The trained face-2 model's RNNPool from EdgeML (see /work/shared/models/edgeml/README.md). */
function edgemlModelPath(): string | null {
  const candidates = [
    process.env.M4SIM_EDGEML_MODEL,
    join(projectRoot(), 'models', 'edgeml', 'q_scut_head_b_face2_model.json'),
    '/work/shared/models/edgeml/q_scut_head_b_face2_model.json',
  ];
  return candidates.find((p): p is string => p !== undefined && existsSync(p)) ?? null;
}

interface HeaderJson {
  defines: Record<string, number>;
  arrays: Record<string, { values: number[] }>;
  structs: Record<string, { fields: Record<string, unknown> }>;
  variants: {
    DIV: {
      scalars: Record<string, { value: number }>;
      structs: Record<string, { fields: Record<string, number> }>;
    };
  };
}

function loadEdgemlRnnPool(path: string): RnnPoolModel {
  const files = (JSON.parse(readFileSync(path, 'utf8')) as { files: Record<string, HeaderJson> }).files;
  const rnn = (name: 'rnn1.h' | 'rnn2.h', n: 1 | 2) => {
    const h = files[name]!;
    const f = h.structs[`RNN${n}_PARAMS`]!.fields;
    const arr = (key: string) => Int16Array.from(h.arrays[(f[key] as { ref: string }).ref]!.values);
    const params = {
      mean: null,
      stdDev: null,
      W: arr('W'),
      U: arr('U'),
      Bg: arr('Bg'),
      Bh: arr('Bh'),
      sigmoidZeta: f.sigmoid_zeta as number,
      sigmoidNu: f.sigmoid_nu as number,
    };
    const scales = h.variants.DIV.structs[`RNN${n}_SCALES`]!.fields as unknown as FastGrnnScales;
    return { h, params, scales };
  };
  const r1 = rnn('rnn1.h', 1);
  const r2 = rnn('rnn2.h', 2);
  const sc = { ...r1.h.variants.DIV.scalars, ...r2.h.variants.DIV.scalars };
  return {
    inputDims: r1.h.defines.INPUT_CHANNELS!,
    patchDim: r1.h.defines.PATCH_DIM!,
    hiddenDims1: r1.h.defines.HIDDEN_DIM1!,
    hiddenDims2: r2.h.defines.HIDDEN_DIM2!,
    rnn1: { params: r1.params, scales: r1.scales },
    rnn2: { params: r2.params, scales: r2.scales },
    shR1: sc.ShR1!.value,
    shL1: sc.ShL1!.value,
    shR2: sc.ShR2!.value,
    shL2: sc.ShL2!.value,
  };
}

function syntheticRnnPool(seed: number, scales: FastGrnnScales): RnnPoolModel {
  const next = mulberry32(seed);
  return {
    inputDims: 4,
    patchDim: 8,
    hiddenDims1: 16,
    hiddenDims2: 16,
    rnn1: { params: { mean: null, stdDev: null, ...syntheticParams(next, 16, 4, 24000) }, scales },
    rnn2: { params: { mean: null, stdDev: null, ...syntheticParams(next, 16, 16, 12000) }, scales },
    shR1: 2,
    shL1: 4,
    shR2: 8,
    shL2: 2,
  };
}

function writeRnnPool(
  w: CommandWriter,
  op: 26 | 27,
  m: RnnPoolModel,
  stride: number,
  patch: ArrayLike<number>,
) {
  w.i32(op, m.inputDims, m.patchDim, stride, m.hiddenDims1, m.hiddenDims2, m.shR1, m.shL1, m.shR2, m.shL2);
  writeParams(w, m.rnn1.params, false);
  writeScales(w, m.rnn1.scales);
  writeParams(w, m.rnn2.params, false);
  writeScales(w, m.rnn2.scales);
  w.i32(patch.length);
  if (op === 26) w.q7(patch);
  else w.q15(patch);
}

/** A Q7 image region holding one patch with rows `stride` pixels apart. */
function patchLength(m: RnnPoolModel, stride: number): number {
  return ((m.patchDim - 1) * stride + m.patchDim) * m.inputDims;
}

// ---------------------------------------------------------------------------------------------------
// TS-only: the twin against the MODEL.md formulas.

describe('exp / sigmoid / tanh tables (TS) follow the MODEL.md formulas', () => {
  it('exp tables are round(16384 e^(-i/16)) for i < 256 and round(16384 e^(-j/2048)) for j < 128', () => {
    expect(EXP_TABLE_A.length).toBe(256);
    expect(EXP_TABLE_B.length).toBe(128);
    for (let i = 0; i < 256; i++) expect(EXP_TABLE_A[i]).toBe(Math.round(16384 * Math.exp(-i / 16)));
    for (let j = 0; j < 128; j++) expect(EXP_TABLE_B[j]).toBe(Math.round(16384 * Math.exp(-j / 2048)));
    // EdgeML's literal tables: A starts 16384, 15391, ...; its last non-zero entry is A[166] = 1; B ends 15399.
    expect([EXP_TABLE_A[1], EXP_TABLE_A[166], EXP_TABLE_A[167], EXP_TABLE_B[127]]).toEqual([
      15391, 1, 0, 15399,
    ]);
  });

  it('expBase16 on every x in [-32768, 0] is (A[v>>7] B[v%128]) >> 14, v = -x (32767 for -32768), within 2 of 16384 e^(x/2048)', () => {
    for (let x = -32768; x <= 0; x++) {
      const v = x === -32768 ? 32767 : -x;
      const a = Math.round(16384 * Math.exp(-(v >> 7) / 16));
      const b = Math.round(16384 * Math.exp(-(v % 128) / 2048));
      const want = Math.floor((a * b) / 16384);
      if (expBase16(x, 1) !== want) expect({ x, got: expBase16(x, 1) }).toEqual({ x, got: want });
      expect(Math.abs(want - 16384 * Math.exp(x / 2048))).toBeLessThan(2);
    }
  });

  it('table sigmoid on all 65536 inputs is the MODEL.md formula, within 32 of 16384 / (1 + e^(-x/2048))', () => {
    for (let w = -32768; w <= 32767; w++) {
      const want =
        w <= 0
          ? Math.trunc((expBase16(w, 1) * 16384) / (expBase16(w, 1) + 16384))
          : Math.trunc(267943936 / (16384 + expBase16(-w, 1)));
      const got = q15SigmoidTable(w);
      if (got !== want) expect({ w, got }).toEqual({ w, got: want });
      expect(Math.abs(got - 16384 / (1 + Math.exp(-w / 2048)))).toBeLessThan(32);
    }
  });

  it('table tanh on all 65536 inputs is the MODEL.md formula (w = sat16(2x)), within 3 of 16384 tanh(x/2048)', () => {
    for (let x = -32768; x <= 32767; x++) {
      const w = Math.max(-32768, Math.min(32767, 2 * x));
      const want =
        w <= 0
          ? Math.trunc(((expBase16(w, 1) - 16384) * 16384) / (expBase16(w, 1) + 16384))
          : Math.trunc(((16384 - expBase16(-w, 1)) * 16384) / (expBase16(-w, 1) + 16384));
      const got = q15TanhTable(x);
      if (got !== want) expect({ x, got }).toEqual({ x, got: want });
      expect(Math.abs(got - 16384 * Math.tanh(x / 2048))).toBeLessThan(3);
    }
  });

  it('sigmoid is 8192 at 0 and saturates at 16354 (EdgeML 267943936 = 16354 * 16384); tanh is odd-ish and bounded by 16384', () => {
    expect(q15SigmoidTable(0)).toBe(8192);
    expect(q15SigmoidTable(32767)).toBe(16354);
    expect(q15SigmoidTable(-32768)).toBe(0);
    expect(q15TanhTable(0)).toBe(0);
    expect(q15TanhTable(32767)).toBe(16384);
    expect(q15TanhTable(-32768)).toBe(-16384);
  });
});

// ---------------------------------------------------------------------------------------------------
// C in the emulator vs the TS twin.

describe.skipIf(!haveToolchain)(
  'quantized / FastGRNN / RNNPool kernels, C in the emulator vs TS, bit-exact',
  () => {
    let elf = '';
    const run = (w: CommandWriter) =>
      new OutputReader(runKernelFirmware(elf, w.bytes(), OUTPUT_BYTES).output);

    beforeAll(() => {
      elf = buildTestFirmware('kernels/rnn-test', { sources: KERNEL_SOURCES });
    });

    it('table sigmoid of every int16 input (65536 values) equals the TS twin', () => {
      const out = run(new CommandWriter().i32(14, -32768, 65536, 1));
      const want = Int16Array.from({ length: 65536 }, (_, i) => q15SigmoidTable(i - 32768));
      expectSame(
        out.q15(65536),
        want,
        Int16Array.from({ length: 65536 }, (_, i) => i - 32768),
      );
    });

    it('table tanh of every int16 input (65536 values, doubling saturates) equals the TS twin', () => {
      const out = run(new CommandWriter().i32(15, -32768, 65536, 1));
      const want = Int16Array.from({ length: 65536 }, (_, i) => q15TanhTable(i - 32768));
      expectSame(
        out.q15(65536),
        want,
        Int16Array.from({ length: 65536 }, (_, i) => i - 32768),
      );
    });

    it('exp_base_16 of every input in [-32768, 0] (scale 1) and of [-4096, 0] (scale 3) equals the TS twin', () => {
      const out = run(new CommandWriter().i32(13, -32768, 32769, 1).i32(13, -4096, 4097, 3));
      expectSame(
        out.q15(32769),
        Int16Array.from({ length: 32769 }, (_, i) => expBase16(i - 32768, 1)),
      );
      expectSame(
        out.q15(4097),
        Int16Array.from({ length: 4097 }, (_, i) => expBase16(i - 4096, 3)),
      );
    });

    it('fastgrnn_recip_q44 (flash) is ceil(2^44 / d) for every d in [16384, 32768] and divides exactly', () => {
      // Independent of the C: every entry against BigInt arithmetic, read from the linked image.
      const image = parseElf(readFileSync(elf));
      const sym = image.symbol('fastgrnn_recip_q44')!;
      expect(sym.size).toBe(16385 * 4);
      const section = image.sections[sym.shndx]!;
      expect(section.flags & (SHF_ALLOC | SHF_WRITE)).toBe(SHF_ALLOC); // read-only, not RAM data
      const bytes = image.readLoaded(sym.value, sym.size)!;
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const two44 = 1n << 44n;
      const next = mulberry32(0x4ec1f);
      let bad = 0;
      for (let d = 16384; d <= 32768; d++) {
        const m = BigInt(view.getUint32(4 * (d - 16384), true));
        const D = BigInt(d);
        if (m !== (two44 + D - 1n) / D) bad++;
        // The numerators of fast_sigmoid / fast_tanh lie in [0, 2^28]: ends, multiples and samples.
        const ns = [0, 1, d - 1, d, d + 1, 2 ** 28 - 1, 2 ** 28, 2 ** 29 - 1];
        for (let k = 0; k < 4; k++) ns.push(randomInt(next, 0, 2 ** 28));
        for (const n of ns) if ((BigInt(n) * m) >> 44n !== BigInt(n) / D) bad++;
      }
      expect(bad).toBe(0);
      expect(view.getUint32(0, true)).toBe(2 ** 30); // d = 2^14
      expect(view.getUint32(4 * 16384, true)).toBe(2 ** 29); // d = 2^15
      expect(view.getUint32(4 * 8192, true)).toBe(715827883); // d = 3 2^13: ceil(2^31 / 3)
    });

    describe('element-wise and matrix ops on random vectors with extremes (one emulator run)', () => {
      // Each case writes its command and returns a check to run on the output, in order.
      const cases: { name: string; check: (out: OutputReader) => void }[] = [];
      const w = new CommandWriter();
      const next = mulberry32(0x5eed1);
      const N = 200;

      for (const [s1, s2, sr, dm] of [
        [1, 1, 1, 1], // wraps: 32767 + 32767
        [2, 4, 1, 2],
        [1, 8, 2, 1],
      ] as const) {
        const a = randQ15(next, N);
        const b = randQ15(next, N);
        w.i32(1, N, s1, s2, sr, dm).q15(a).q15(b);
        const want = new Int16Array(N);
        q15VAdd(a, b, N, want, s1, s2, sr, dm);
        cases.push({
          name: `q15_v_add scales ${s1},${s2},${sr} demote ${dm}`,
          check: (o) => expectSame(o.q15(N), want),
        });
        w.i32(2, N, s1, s2, sr).q15(a).q15(b);
        const wantSub = new Int16Array(N);
        q15VSub(a, b, N, wantSub, s1, s2, sr);
        cases.push({
          name: `q15_v_sub scales ${s1},${s2},${sr}`,
          check: (o) => expectSame(o.q15(N), wantSub),
        });
      }
      for (const [s1, s2] of [
        [1, 1], // (-32768)^2 = 2^30, wraps to int16
        [64, 128],
        [256, 256],
      ] as const) {
        const a = randQ15(next, N);
        const b = randQ15(next, N);
        w.i32(3, N, s1, s2).q15(a).q15(b);
        const want = new Int16Array(N);
        q15VHadamard(a, b, N, want, s1, s2);
        cases.push({ name: `q15_v_hadamard scales ${s1},${s2}`, check: (o) => expectSame(o.q15(N), want) });
      }
      {
        const a = randQ15(next, N);
        w.i32(4, N, 2, 1024, 2048, 11, 14, 0).q15(a);
        const want = new Int16Array(N);
        q15VSigmoid(a, N, want, 2, 1024, 2048, 11, 14, 0);
        cases.push({
          name: 'q15_v_sigmoid piecewise-linear (div 2, add 1024, limit 2048, Q11->Q14)',
          check: (o) => expectSame(o.q15(N), want),
        });
        w.i32(4, N, 1, 30000, 32767, 0, 2, 0).q15(a);
        const wrapWant = new Int16Array(N);
        q15VSigmoid(a, N, wrapWant, 1, 30000, 32767, 0, 2, 0);
        cases.push({
          name: 'q15_v_sigmoid piecewise-linear with wrapping add and shift',
          check: (o) => expectSame(o.q15(N), wrapWant),
        });
        w.i32(4, N, 0, 0, 0, 0, 0, 1).q15(a);
        const tableWant = new Int16Array(N);
        q15VSigmoid(a, N, tableWant, 0, 0, 0, 0, 0, 1);
        cases.push({ name: 'q15_v_sigmoid with tables', check: (o) => expectSame(o.q15(N), tableWant) });
        w.i32(5, N, 11, 14, 0).q15(a);
        const tanhWant = new Int16Array(N);
        q15VTanh(a, N, tanhWant, 11, 14, 0);
        cases.push({
          name: 'q15_v_tanh piecewise-linear (clamp +-2048, Q11->Q14)',
          check: (o) => expectSame(o.q15(N), tanhWant),
        });
        w.i32(5, N, 11, 11, 1).q15(a);
        const tanhTableWant = new Int16Array(N);
        q15VTanh(a, N, tanhTableWant, 11, 11, 1);
        cases.push({ name: 'q15_v_tanh with tables', check: (o) => expectSame(o.q15(N), tanhTableWant) });
      }
      for (const [op, name] of [
        [6, 'q15_v_scalar_add'],
        [7, 'q15_v_scalar_sub'],
      ] as const) {
        for (const [scalar, ss, sv, sr] of [
          [32767, 1, 1, 1],
          [-32768, 2, 1, 1],
          [23611, 32767, 1, 1], // FastGRNN's nu with EdgeML's sigmoidNu divisor
          [16384, 1, 4, 2],
        ] as const) {
          const a = randQ15(next, N);
          w.i32(op, N, scalar, ss, sv, sr).q15(a);
          const want = new Int16Array(N);
          (op === 6 ? q15VScalarAdd : q15VScalarSub)(scalar, a, N, want, ss, sv, sr);
          cases.push({
            name: `${name} ${scalar} scales ${ss},${sv},${sr}`,
            check: (o) => expectSame(o.q15(N), want),
          });
        }
      }
      for (const [scalar, ss, sv] of [
        [-32768, 1, 1],
        [16384, 128, 128],
        [32767, 64, 2],
      ] as const) {
        const a = randQ15(next, N);
        w.i32(8, N, scalar, ss, sv).q15(a);
        const want = new Int16Array(N);
        q15VScalarMul(scalar, a, N, want, ss, sv);
        cases.push({
          name: `q15_v_scalar_mul ${scalar} scales ${ss},${sv}`,
          check: (o) => expectSame(o.q15(N), want),
        });
      }
      for (const s of [1, 2, 4, 256, 3]) {
        const a = randQ15(next, N);
        w.i32(9, N, s).q15(a);
        const up = new Int16Array(N);
        q15VScaleUp(a, N, up, s);
        cases.push({ name: `q15_v_scale_up by ${s} (wraps)`, check: (o) => expectSame(o.q15(N), up) });
        w.i32(10, N, s).q15(a);
        const down = new Int16Array(N);
        q15VScaleDown(a, N, down, s);
        cases.push({ name: `q15_v_scale_down by ${s}`, check: (o) => expectSame(o.q15(N), down) });
      }
      for (const [rows, cols, sm, sv, h1] of [
        [16, 4, 8, 4, 4],
        [16, 16, 64, 32, 16], // divisor 32768 (needs the int32 SCALE_T)
        [16, 16, 1, 1, 1], // int64 sums beyond int32, wrapping to int16
        [7, 33, 2, 1, 4],
      ] as const) {
        const mat = randQ15(next, rows * cols);
        const vec = randQ15(next, cols);
        w.i32(11, rows, cols, sm, sv, h1, 0).q15(mat).q15(vec);
        const want = new Int16Array(rows);
        q15MMulvec(mat, vec, rows, cols, want, sm, sv, h1, 0);
        cases.push({
          name: `q15_m_mulvec ${rows}x${cols} divisor ${sm * sv * h1}`,
          check: (o) => expectSame(o.q15(rows), want),
        });
        const vec7 = randQ7(next, cols);
        w.i32(12, rows, cols, sm, sv, h1, 0).q15(mat).q7(vec7);
        const want7 = new Int16Array(rows);
        q15xq7Q15MMulvec(mat, vec7, rows, cols, want7, sm, sv, h1, 0);
        cases.push({
          name: `q15xq7_q15_m_mulvec ${rows}x${cols} divisor ${sm * sv * h1}`,
          check: (o) => expectSame(o.q15(rows), want7),
        });
      }
      for (const [s1, s2, sr] of [
        [1, 1, 1],
        [2, 1, 4],
      ] as const) {
        const a = randQ7(next, N);
        const b = randQ7(next, N);
        w.i32(16, N, s1, s2, sr).q7(a).q7(b);
        const sub = new Int8Array(N);
        q7VSub(a, b, N, sub, s1, s2, sr);
        cases.push({
          name: `q7_v_sub scales ${s1},${s2},${sr} (wraps)`,
          check: (o) => expectSame(o.q7(N), sub),
        });
        w.i32(17, N, s1, s2, sr).q7(a).q7(b);
        const had = new Int8Array(N);
        q7VHadamard(a, b, N, had, s1, s2);
        cases.push({
          name: `q7_v_hadamard scales ${s1},${s2} (wraps)`,
          check: (o) => expectSame(o.q7(N), had),
        });
      }
      {
        const [nb, nr, nc, ch] = [1, 3, 5, 4];
        const len = nb * nr * nc * ch;
        for (const [s1, s2, sr] of [
          [1, 1, 1],
          [2, 4, 2],
        ] as const) {
          const a = randQ15(next, len);
          const b = randQ15(next, len);
          w.i32(18, nb, nr, nc, ch, s1, s2, sr).q15(a).q15(b);
          const t = new Int16Array(len);
          q15TAdd(a, b, nb, nr, nc, ch, t, s1, s2, sr);
          cases.push({ name: `q15_t_add scales ${s1},${s2},${sr}`, check: (o) => expectSame(o.q15(len), t) });
          const a7 = randQ7(next, len);
          const b7 = randQ7(next, len);
          w.i32(19, nb, nr, nc, ch, s1, s2, sr).q7(a7).q7(b7);
          const t7 = new Int8Array(len);
          q7TAdd(a7, b7, nb, nr, nc, ch, t7, s1, s2, sr);
          cases.push({ name: `q7_t_add scales ${s1},${s2},${sr}`, check: (o) => expectSame(o.q7(len), t7) });
          const v = randQ15(next, ch);
          w.i32(20, nb, nr, nc, ch, s1, s2, sr).q15(a).q15(v);
          const tv = new Int16Array(len);
          q15TAddVec(a, v, nb, nr, nc, ch, tv, s1, s2, sr);
          cases.push({
            name: `q15_t_add_vec scales ${s1},${s2},${sr}`,
            check: (o) => expectSame(o.q15(len), tv),
          });
          w.i32(21, nb, nr, nc, ch, s1, 256 * s2, sr)
            .q7(a7)
            .q15(v);
          const tv7 = new Int8Array(len);
          q7xq15Q7TAddVec(a7, v, nb, nr, nc, ch, tv7, s1, 256 * s2, sr);
          cases.push({
            name: `q7xq15_q7_t_add_vec scales ${s1},${256 * s2},${sr}`,
            check: (o) => expectSame(o.q7(len), tv7),
          });
        }
        for (const [limit, div] of [
          [127, 1],
          [96, 2],
        ] as const) {
          const a7 = randQ7(next, len);
          w.i32(22, nb, nr, nc, ch, limit, div).q7(a7);
          const r = new Int8Array(len);
          q7TRelu(a7, nb, nr, nc, ch, r, limit, div);
          cases.push({ name: `q7_t_relu limit ${limit} div ${div}`, check: (o) => expectSame(o.q7(len), r) });
        }
      }
      for (const a of [
        randQ15(next, 37),
        Int16Array.from([5, 9, 9, -3]),
        Int16Array.from([-32768, -32768]),
      ]) {
        w.i32(23, a.length).q15(a);
        const want = q15VArgmax(a, a.length);
        cases.push({
          name: `q15_v_argmax of ${a.length} values (first maximum)`,
          check: (o) => expect(o.i32()).toBe(want),
        });
      }

      let out: OutputReader | null = null;
      const results = new Map<string, () => void>();
      beforeAll(() => {
        out = run(w);
        // Read every case's output in order now; each `it` then asserts its own.
        for (const c of cases) {
          let error: unknown = null;
          try {
            c.check(out);
          } catch (e) {
            error = e;
          }
          results.set(c.name, () => {
            if (error) throw error;
          });
        }
      });
      for (const c of cases) it(c.name, () => results.get(c.name)!());
    });

    describe('FastGRNN', () => {
      const fastgrnnCommand = (
        w: CommandWriter,
        q7: boolean,
        hidden: number,
        inputDims: number,
        steps: number,
        backward: number,
        params: { mean: ArrayLike<number> | null; stdDev: ArrayLike<number> | null } & Omit<
          Q15FastGrnnParams,
          'mean' | 'stdDev'
        >,
        scales: FastGrnnScales,
        h0: Int16Array,
        input: Int16Array | Int8Array,
      ) => {
        w.i32(q7 ? 25 : 24, hidden, inputDims, steps, backward, params.mean ? 1 : 0);
        writeParams(w, params, q7);
        writeScales(w, scales);
        w.q15(h0);
        if (q7) w.q7(input);
        else w.q15(input);
      };

      it('FastGRNN step on 8 inputs of 4 channels, hidden 16 (synthetic weights and scales; Q7 and Q15 input, forward/backward, normalised, table and linear activations)', () => {
        const next = mulberry32(0xfa57);
        const w = new CommandWriter();
        const expected: Int16Array[] = [];
        const [hidden, inputDims, steps] = [16, 4, 8];
        for (const scales of [SYNTHETIC_SCALES_TABLES, SYNTHETIC_SCALES_LINEAR]) {
          for (const q7 of [true, false]) {
            for (const backward of [0, 1]) {
              for (const normalize of [false, true]) {
                const base = syntheticParams(next, hidden, inputDims, 32767);
                const h0 = randQ15(next, hidden);
                const n = steps * inputDims;
                if (q7) {
                  const params: Q7xQ15FastGrnnParams = {
                    ...base,
                    mean: normalize ? randQ7(next, n) : null,
                    stdDev: normalize ? randQ7(next, n) : null,
                  };
                  const input = randQ7(next, n);
                  fastgrnnCommand(w, true, hidden, inputDims, steps, backward, params, scales, h0, input);
                  const h = h0.slice();
                  q7xq15Q15Fastgrnn(
                    h,
                    hidden,
                    input,
                    inputDims,
                    steps,
                    params,
                    createQ7xQ15FastGrnnBuffers(hidden, inputDims),
                    scales,
                    backward,
                    normalize ? 1 : 0,
                  );
                  expected.push(h);
                } else {
                  const params: Q15FastGrnnParams = {
                    ...base,
                    mean: normalize ? randQ15(next, n) : null,
                    stdDev: normalize ? randQ15(next, n) : null,
                  };
                  const input = randQ15(next, n);
                  fastgrnnCommand(w, false, hidden, inputDims, steps, backward, params, scales, h0, input);
                  const h = h0.slice();
                  q15Fastgrnn(
                    h,
                    hidden,
                    input,
                    inputDims,
                    steps,
                    params,
                    createQ15FastGrnnBuffers(hidden, inputDims),
                    scales,
                    backward,
                    normalize ? 1 : 0,
                  );
                  expected.push(h);
                }
              }
            }
          }
        }
        const out = run(w);
        const distinct = new Set<number>();
        for (const want of expected) {
          const got = out.q15(hidden);
          expectSame(got, want);
          got.forEach((v) => distinct.add(v));
        }
        expect(distinct.size).toBeGreaterThan(50); // not all zero / saturated
      });

      const edgeml = edgemlModelPath();
      it.skipIf(!edgeml)(
        `FastGRNN RNN1 (8 Q7 inputs of 4 channels) and RNN2 (8 Q15 inputs of 16) with the trained EdgeML face-2 weights and DIV scales${edgeml ? '' : ' [skipped: q_scut_head_b_face2_model.json not found]'}`,
        () => {
          const m = loadEdgemlRnnPool(edgeml!);
          const next = mulberry32(0xed6e);
          const w = new CommandWriter();
          const expected: Int16Array[] = [];
          for (const backward of [0, 1]) {
            const x1 = randQ7(next, 8 * 4, 0, 127); // after ReLU6 in the pipeline
            const h1 = new Int16Array(16);
            fastgrnnCommand(w, true, 16, 4, 8, backward, m.rnn1.params, m.rnn1.scales, h1, x1);
            const r1 = h1.slice();
            q7xq15Q15Fastgrnn(
              r1,
              16,
              x1,
              4,
              8,
              m.rnn1.params,
              createQ7xQ15FastGrnnBuffers(16, 4),
              m.rnn1.scales,
              backward,
              0,
            );
            expected.push(r1);
            const x2 = randQ15(next, 8 * 16, -8192, 8192);
            const h2 = randQ15(next, 16, -4096, 4096);
            fastgrnnCommand(w, false, 16, 16, 8, backward, m.rnn2.params, m.rnn2.scales, h2, x2);
            const r2 = h2.slice();
            q15Fastgrnn(
              r2,
              16,
              x2,
              16,
              8,
              m.rnn2.params,
              createQ15FastGrnnBuffers(16, 16),
              m.rnn2.scales,
              backward,
              0,
            );
            expected.push(r2);
          }
          const out = run(w);
          for (const want of expected) expectSame(out.q15(16), want);
          expect(expected[0]!.some((v) => v !== 0)).toBe(true);
        },
      );
      if (!edgeml)
        console.log('kernels-rnn: trained EdgeML model not found; the tests with its weights are skipped');
    });

    describe('RNNPool', () => {
      it('RNNPool patch output, 64 values, 8x8x4 Q7 patch inside a 12-pixel-wide image (synthetic weights; table and linear activations) and a Q15 patch', () => {
        const next = mulberry32(0x9001);
        const w = new CommandWriter();
        const expected: Int16Array[] = [];
        for (const [seed, scales] of [
          [1, SYNTHETIC_SCALES_TABLES],
          [2, SYNTHETIC_SCALES_LINEAR],
        ] as const) {
          const m = syntheticRnnPool(seed, scales);
          const stride = 12;
          const patch = randQ7(next, patchLength(m, stride));
          writeRnnPool(w, 26, m, stride, patch);
          expected.push(rnnpoolPatchQ7(m, patch, stride));
          // Q15 patch through q15_rnnpool_block (RNN1 reading Q15).
          const patch15 = randQ15(next, patchLength(m, 8), -4096, 4096);
          writeRnnPool(w, 27, m, 8, patch15);
          const out15 = new Int16Array(64);
          const p1: Q15FastGrnnParams = { ...m.rnn1.params, mean: null, stdDev: null };
          q15RnnpoolBlock(
            patch15,
            4,
            8,
            8,
            q15Fastgrnn,
            16,
            p1,
            createQ15FastGrnnBuffers(16, 4),
            m.rnn1.scales,
            q15Fastgrnn,
            16,
            m.rnn2.params,
            createQ15FastGrnnBuffers(16, 16),
            m.rnn2.scales,
            out15,
            new Int16Array(128),
            m.shR1,
            m.shL1,
            m.shR2,
            m.shL2,
          );
          expected.push(out15);
        }
        const out = run(w);
        for (const want of expected) expectSame(out.q15(64), want);
        expect(new Set(expected.flatMap((e) => [...e])).size).toBeGreaterThan(20);
      });

      // q7xq15_q15_rnnpool_block_shared takes what a patch shares with the patch above and the one to
      // its left (RNN1 row / column states, W x of pixels) from its cache: every patch of a grid must
      // still equal the TS twin's whole-patch computation.
      const sharedGrid = (
        m: RnnPoolModel,
        rows: number,
        cols: number,
        step: number,
        image: Int8Array,
        stride: number,
        w: CommandWriter,
      ): Int16Array[] => {
        w.i32(
          28,
          m.inputDims,
          m.patchDim,
          stride,
          m.hiddenDims1,
          m.hiddenDims2,
          m.shR1,
          m.shL1,
          m.shR2,
          m.shL2,
        );
        writeParams(w, m.rnn1.params, false);
        writeScales(w, m.rnn1.scales);
        writeParams(w, m.rnn2.params, false);
        writeScales(w, m.rnn2.scales);
        w.i32(rows, cols, step, image.length);
        w.q7(image);
        const want: Int16Array[] = [];
        for (let r = 0; r < rows; r++)
          for (let c = 0; c < cols; c++)
            want.push(
              rnnpoolPatchQ7(m, image.subarray((r * step * stride + c * step) * m.inputDims), stride),
            );
        return want;
      };

      it('RNNPool over a 5 x 4 grid of 8x8 patches at stride 4 sharing rows, columns and W x with the neighbours (q7xq15_q15_rnnpool_block_shared: random, all-max, all-min and mixed-extreme images; table scales, and linear scales on the whole-patch fallback)', () => {
        const next = mulberry32(0x5ba4ed);
        const [rows, cols, step] = [5, 4, 4];
        const stride = (cols - 1) * step + 8; // image width in pixels
        const len = ((rows - 1) * step + 8) * stride * 4;
        const w = new CommandWriter();
        const expected: Int16Array[] = [];
        for (const [seed, scales] of [
          [3, SYNTHETIC_SCALES_TABLES],
          [4, SYNTHETIC_SCALES_LINEAR],
        ] as const) {
          const m = syntheticRnnPool(seed, scales);
          const extremes = Int8Array.from({ length: len }, () => (next() < 0.5 ? 127 : -128));
          for (const image of [
            randQ7(next, len),
            new Int8Array(len).fill(127),
            new Int8Array(len).fill(-128),
            extremes,
          ])
            expected.push(...sharedGrid(m, rows, cols, step, image, stride, w));
        }
        const out = run(w);
        for (const want of expected) expectSame(out.q15(64), want);
        expect(new Set(expected.flatMap((e) => [...e])).size).toBeGreaterThan(50);
      });

      const edgeml = edgemlModelPath();
      it.skipIf(!edgeml)(
        `RNNPool patch output, 64 values, with the trained EdgeML face-2 RNNPool (random, all-max, all-min and zero patches in a 160-pixel-wide image)${edgeml ? '' : ' [skipped: q_scut_head_b_face2_model.json not found]'}`,
        () => {
          const m = loadEdgemlRnnPool(edgeml!);
          expect([m.inputDims, m.patchDim, m.hiddenDims1, m.hiddenDims2]).toEqual([4, 8, 16, 16]);
          const next = mulberry32(0xface);
          const stride = 160; // CONV2D_WOUT: rows of the conv output
          const len = patchLength(m, stride);
          const patches = [
            randQ7(next, len, 0, 127),
            randQ7(next, len, 0, 127),
            randQ7(next, len),
            new Int8Array(len).fill(127),
            new Int8Array(len).fill(-128),
            new Int8Array(len),
          ];
          const w = new CommandWriter();
          for (const p of patches) writeRnnPool(w, 26, m, stride, p);
          const out = run(w);
          const results = patches.map((p) => rnnpoolPatchQ7(m, p, stride));
          for (const want of results) expectSame(out.q15(64), want);
          expect(results[0]!.some((v) => v !== 0)).toBe(true);
        },
      );
    });
  },
);
