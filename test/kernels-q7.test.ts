// Bit-exact checks of the Q7-weight MBConv kernels of the face-2 pipeline (L10–L14): the C in
// firmware/kernels/mbconv_q7.c, run in the emulator, against src/reference/mbconv-q7.ts.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  mbconvQ15xQ7Q15,
  mbconvQ15xQ7Q7,
  mbconvQ7,
  mbconvQ7WOutSize,
  residualAddQ7,
  type MBConvQ7WParams,
} from '../src/reference/mbconv-q7.js';
import { residualAddQ15 } from '../src/reference/mbconv.js';
import { buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { runKernelFirmware, Writer } from './helpers/kernel.js';
import { mulberry32, randomInt } from './helpers/prng.js';

const asInt16 = (b: Uint8Array, offset: number, n: number) =>
  new Int16Array(b.slice(offset, offset + 2 * n).buffer);
const asInt8 = (b: Uint8Array, offset: number, n: number) =>
  new Int8Array(b.slice(offset, offset + n).buffer);

type Rng = () => number;
function ints(rng: Rng, n: number, lo: number, hi: number, extremes = 0.05): number[] {
  return Array.from({ length: n }, () => {
    const r = rng();
    if (r < extremes / 3) return lo;
    if (r < (2 * extremes) / 3) return hi;
    if (r < extremes) return 0;
    return randomInt(rng, lo, hi);
  });
}
const i16 = (rng: Rng, n: number, lo = -32768, hi = 32767, ex = 0.05) =>
  Int16Array.from(ints(rng, n, lo, hi, ex));
const i8 = (rng: Rng, n: number, lo = -128, hi = 127, ex = 0.05) => Int8Array.from(ints(rng, n, lo, hi, ex));

// The trained face-2 model, when present.
interface HeaderJson {
  defines: Record<string, number>;
  arrays: Record<string, { ctype: string; values: number[] }>;
  scalars: Record<string, { value: number }>;
  variants: { DIV: { scalars: Record<string, { value: number }> } };
}
const MODEL_PATH =
  process.env.M4SIM_EDGEML_FACE2 ?? '/work/shared/models/edgeml/q_scut_head_b_face2_model.json';
const face2: Record<string, HeaderJson> | null = existsSync(MODEL_PATH)
  ? (JSON.parse(readFileSync(MODEL_PATH, 'utf8')) as { files: Record<string, HeaderJson> }).files
  : null;
if (!face2) console.warn(`kernels-q7: ${MODEL_PATH} absent, skipping the tests on the trained face-2 model`);

/** Layer L<n> of face-2 with its real channel counts, on `rows` rows. */
function face2Block(n: number, rows: number): MBConvQ7WParams {
  const h = face2![`mbconv${n}.h`];
  const num = (k: string): number => {
    const v =
      h.defines[`L${n}_${k}`] ??
      h.scalars[`L${n}_${k}`]?.value ??
      h.variants.DIV.scalars[`L${n}_${k}`]?.value;
    if (v === undefined) throw new Error(`mbconv${n}.h: no L${n}_${k}`);
    return v;
  };
  const a8 = (k: string) => Int8Array.from(h.arrays[`L${n}_${k}`].values);
  const b = (k: string) => {
    const spec = h.arrays[`L${n}_${k}`];
    return spec.ctype === 'Q7_T' ? Int8Array.from(spec.values) : Int16Array.from(spec.values);
  };
  return {
    H: rows, W: num('W'), CIn: num('CIN'), CTemp: num('CTEMP'), COut: num('COUT'), HF: num('HF'), WF: num('WF'),
    HPadU: num('HPADL'), HPadD: num('HPADR'), WPadL: num('WPADL'), WPadR: num('WPADR'),
    HStride: num('HSTRIDE'), WStride: num('WSTRIDE'),
    F1: a8('F1'), W1: a8('W1'), B1: b('B1'), F2: a8('F2'), W2: a8('W2'), B2: b('B2'), F3: a8('F3'), W3: a8('W3'), B3: b('B3'),
    limit1: num('Limit1'), limit2: num('Limit2'),
    shrU1: num('ShRU1'), shrX1: num('ShRX1'), shrU2: num('ShRU2'), shrX2: num('ShRX2'), shrU3: num('ShRU3'), shrW3: num('ShRW3'),
    shlU1: num('ShLU1'), shlX1: num('ShLX1'), shlU2: num('ShLU2'), shlX2: num('ShLX2'), shlU3: num('ShLU3'), shlW3: num('ShLW3'),
  }; // prettier-ignore
}
const face2Residual = (n: number) => {
  const s = face2![`mbconv${n}.h`].variants.DIV.scalars;
  return { scten1: s[`L${n}_Scten1`].value, scten2: s[`L${n}_Scten2`].value, scret: s[`L${n}_Scret`].value };
};

interface Residual {
  scten1: number;
  scten2: number;
  scret: number;
}

/** op 0 q15xq7_q15, 1 q15xq7_q7, 2 q7. */
function runBlock(op: 0 | 1 | 2, input: Int16Array | Int8Array, p: MBConvQ7WParams, residual?: Residual) {
  const w = new Writer()
    .i32(op, residual ? 1 : 0, residual?.scten1 ?? 1, residual?.scten2 ?? 1, residual?.scret ?? 1)
    .i32(
      p.H,
      p.W,
      p.CIn,
      p.CTemp,
      p.COut,
      p.HF,
      p.WF,
      p.HPadU,
      p.HPadD,
      p.WPadL,
      p.WPadR,
      p.HStride,
      p.WStride,
    )
    .i32(p.limit1, p.limit2, p.shrU1, p.shrX1, p.shrU2, p.shrX2, p.shrU3, p.shrW3)
    .i32(p.shlU1, p.shlX1, p.shlU2, p.shlX2, p.shlU3, p.shlW3);
  const bias = (b: Int16Array | Int8Array) => (op === 2 ? w.i8(b) : w.i16(b));
  w.i8(p.F1).i8(p.W1);
  bias(p.B1);
  w.i8(p.F2).i8(p.W2);
  bias(p.B2);
  w.i8(p.F3).i8(p.W3);
  bias(p.B3);
  if (op === 2) w.i8(input);
  else w.i16(input);
  const { HOut, WOut } = mbconvQ7WOutSize(p);
  const n = HOut * WOut * p.COut;
  const size = op === 0 ? 2 : 1;
  const elf = buildTestFirmware('kernels/mbconv-q7-test', {
    sources: ['firmware/kernels/mbconv_q7.c', 'firmware/kernels/mbconv.c'],
  });
  const out = runKernelFirmware(elf, w.bytes(), size * n * (residual ? 2 : 1)).output;
  const read = (off: number) => (size === 2 ? asInt16(out, off, n) : asInt8(out, off, n));
  return { out: read(0), residual: residual ? read(size * n) : null };
}

function expectSame(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string) {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i])
      expect.fail(`${what}: element ${i} is ${actual[i]} in C, ${expected[i]} in TS`);
  }
}
const distinct = (a: ArrayLike<number>) => new Set(Array.from(a)).size;

function synth(rng: Rng, q7: boolean, over: Partial<MBConvQ7WParams>): MBConvQ7WParams {
  const base = { H: 6, W: 8, CIn: 8, CTemp: 12, COut: 8, HF: 3, WF: 3, ...over };
  const { CIn, CTemp, COut, HF, WF } = base;
  const bias = (n: number) => (q7 ? i8(rng, n, -128, 127) : i16(rng, n, -4000, 4000));
  return {
    HPadU: 1, HPadD: 1, WPadL: 1, WPadR: 1, HStride: 1, WStride: 1,
    F1: i8(rng, CIn * CTemp), W1: i8(rng, CTemp, 1, 127), B1: bias(CTemp),
    F2: i8(rng, CTemp * HF * WF), W2: i8(rng, CTemp, 1, 127), B2: bias(CTemp),
    F3: i8(rng, CTemp * COut), W3: i8(rng, COut, 1, 127), B3: bias(COut),
    limit1: q7 ? 12288 : 1572864, limit2: q7 ? 3072 : 393216,
    shrU1: q7 ? 64 : 128, shrX1: q7 ? 128 : 64, shrU2: q7 ? 64 : 128, shrX2: q7 ? 32 : 16, shrU3: 256, shrW3: 64,
    shlU1: 1, shlX1: 1, shlU2: 1, shlX2: 1, shlU3: 2, shlW3: 1,
    ...base,
  }; // prettier-ignore
}

describe.skipIf(!haveToolchain)(
  'Q7-weight MBConv (mbconv_q7.c streaming ring vs mbconv-q7.ts, in the emulator)',
  () => {
    it('q15xq7_q15: stride 1 with the Q15 residual add, and stride 2 on odd sizes', () => {
      const rng = mulberry32(701);
      const p = synth(rng, false, {});
      const input = i16(rng, p.H * p.W * p.CIn, -8000, 8000);
      const expected = mbconvQ15xQ7Q15(input, p);
      expect(distinct(expected)).toBeGreaterThan(30);
      const res = { scten1: 1, scten2: 2, scret: 1 };
      const run = runBlock(0, input, p, res);
      expectSame(run.out, expected, 'q15xq7_q15 s1');
      expectSame(run.residual!, residualAddQ15(input, expected, 1, 2, 1), 'q15 residual');

      const p2 = synth(rng, false, { H: 7, W: 9, HStride: 2, WStride: 2, COut: 5 });
      expect(mbconvQ7WOutSize(p2)).toEqual({ HOut: 4, WOut: 5 });
      const in2 = i16(rng, p2.H * p2.W * p2.CIn, -8000, 8000);
      expectSame(runBlock(0, in2, p2).out, mbconvQ15xQ7Q15(in2, p2), 'q15xq7_q15 s2');
    });

    it('q15xq7_q7: int8 output wraps; extreme inputs and weights wrap the int32 products', () => {
      const rng = mulberry32(702);
      const p = synth(rng, false, { H: 5, W: 6, shrW3: 16 });
      const input = i16(rng, p.H * p.W * p.CIn, -32768, 32767, 0.2);
      const expected = mbconvQ15xQ7Q7(input, p);
      expect(distinct(expected)).toBeGreaterThan(30);
      expectSame(runBlock(1, input, p).out, expected, 'q15xq7_q7');
      const wide = synth(rng, false, {
        H: 4,
        W: 5,
        limit1: 2 ** 31 - 1,
        limit2: 2 ** 31 - 1,
        shrU1: 1,
        shrX1: 1,
      });
      const in2 = i16(rng, wide.H * wide.W * wide.CIn, -32768, 32767, 0.3);
      expectSame(runBlock(1, in2, wide).out, mbconvQ15xQ7Q7(in2, wide), 'q15xq7_q7 extreme');
    });

    it('q7: int16 intermediates narrow (wrap) as in q7_mbconv_block, with the Q7 residual add', () => {
      const rng = mulberry32(703);
      const p = synth(rng, true, {});
      const input = i8(rng, p.H * p.W * p.CIn);
      const expected = mbconvQ7(input, p);
      expect(distinct(expected)).toBeGreaterThan(20);
      const res = { scten1: 1, scten2: 2, scret: 1 };
      const run = runBlock(2, input, p, res);
      expectSame(run.out, expected, 'q7');
      expectSame(run.residual!, residualAddQ7(input, expected, 1, 2, 1), 'q7 residual');
      // Small divisors: (int16) casts of the BN sums and products wrap.
      const p2 = synth(rng, true, {
        H: 5,
        W: 7,
        shrU1: 1,
        shrU2: 1,
        shrU3: 1,
        shrX1: 1,
        shrX2: 1,
        limit1: 32767,
        limit2: 32767,
      });
      const in2 = i8(rng, p2.H * p2.W * p2.CIn, -128, 127, 0.3);
      expectSame(runBlock(2, in2, p2).out, mbconvQ7(in2, p2), 'q7 wrapping');
    });

    it.skipIf(!face2)(
      'face-2 L10 (q15xq7_q15 + residual), L12 (q15xq7_q7), L13 (q7 + residual) on 4 rows',
      () => {
        const rng = mulberry32(704);
        const l10 = face2Block(10, 4);
        const in10 = i16(rng, l10.H * l10.W * l10.CIn, -3000, 6000, 0);
        const r10 = face2Residual(10);
        const e10 = mbconvQ15xQ7Q15(in10, l10);
        expect(distinct(e10)).toBeGreaterThan(50);
        const run10 = runBlock(0, in10, l10, r10);
        expectSame(run10.out, e10, 'face-2 L10');
        expectSame(
          run10.residual!,
          residualAddQ15(in10, e10, r10.scten1, r10.scten2, r10.scret),
          'L10 residual',
        );

        const l12 = face2Block(12, 3);
        const in12 = i16(rng, l12.H * l12.W * l12.CIn, -3000, 6000, 0);
        const e12 = mbconvQ15xQ7Q7(in12, l12);
        expect(distinct(e12)).toBeGreaterThan(20);
        expectSame(runBlock(1, in12, l12).out, e12, 'face-2 L12');

        const l13 = face2Block(13, 3);
        const in13 = i8(rng, l13.H * l13.W * l13.CIn, -40, 60, 0);
        const r13 = face2Residual(13);
        const e13 = mbconvQ7(in13, l13);
        expect(distinct(e13)).toBeGreaterThan(10);
        const run13 = runBlock(2, in13, l13, r13);
        expectSame(run13.out, e13, 'face-2 L13');
        expectSame(
          run13.residual!,
          residualAddQ7(in13, e13, r13.scten1, r13.scten2, r13.scret),
          'L13 residual',
        );
      },
    );
  },
);

// ---------------------------------------------------------------------------------------------
// m4_mbconv7_q15xq7_q15_residual_inplace / m4_mbconv7_q7_residual_inplace: the block and its residual
// add fused, each output pixel written over its own input pixel (face-2's L10, L11, L13, L14), against
// the TS block + residual add.

/** Runs an in-place kernel (op 0 q15xq7_q15, 2 q7); returns its return code and the tensor after the call. */
function runInplace(op: 0 | 2, input: Int16Array | Int8Array, p: MBConvQ7WParams, r: Residual) {
  const w = new Writer()
    .i32(op, r.scten1, r.scten2, r.scret)
    .i32(p.H, p.W, p.CIn, p.CTemp, p.COut, p.HF, p.WF, p.HPadU, p.HPadD, p.WPadL, p.WPadR, p.HStride, p.WStride)
    .i32(p.limit1, p.limit2, p.shrU1, p.shrX1, p.shrU2, p.shrX2, p.shrU3, p.shrW3)
    .i32(p.shlU1, p.shlX1, p.shlU2, p.shlX2, p.shlU3, p.shlW3); // prettier-ignore
  const bias = (b: Int16Array | Int8Array) => (op === 2 ? w.i8(b) : w.i16(b));
  w.i8(p.F1).i8(p.W1);
  bias(p.B1);
  w.i8(p.F2).i8(p.W2);
  bias(p.B2);
  w.i8(p.F3).i8(p.W3);
  bias(p.B3);
  if (op === 2) w.i8(input);
  else w.i16(input);
  const size = op === 2 ? 1 : 2;
  const elf = buildTestFirmware('kernels/mbconv-q7-inplace-test', {
    sources: ['firmware/kernels/mbconv_q7.c'],
  });
  const out = runKernelFirmware(elf, w.bytes(), 4 + size * input.length).output;
  const rc = new DataView(out.buffer, out.byteOffset).getInt32(0, true);
  return { rc, tensor: size === 2 ? asInt16(out, 4, input.length) : asInt8(out, 4, input.length) };
}

/** The fused in-place C equals the two-pass TS (block, then residual over the input). */
function expectInplace(
  op: 0 | 2,
  input: Int16Array | Int8Array,
  p: MBConvQ7WParams,
  r: Residual,
  what: string,
  minDistinct = 20,
) {
  const block = op === 2 ? mbconvQ7(input as Int8Array, p) : mbconvQ15xQ7Q15(input as Int16Array, p);
  expect(block.length, `${what}: output shape = input shape`).toBe(input.length);
  expect(distinct(block), `${what}: block output variety`).toBeGreaterThan(minDistinct);
  const expected =
    op === 2
      ? residualAddQ7(input as Int8Array, block as Int8Array, r.scten1, r.scten2, r.scret)
      : residualAddQ15(input as Int16Array, block as Int16Array, r.scten1, r.scten2, r.scret);
  const run = runInplace(op, input, p, r);
  expect(run.rc, `${what}: return code`).toBe(0);
  expectSame(run.tensor, expected, what);
}

const samePad = (HF: number, WF: number) => ({
  HF, WF, HPadU: (HF - 1) >> 1, HPadD: HF >> 1, WPadL: (WF - 1) >> 1, WPadR: WF >> 1,
}); // prettier-ignore

describe.skipIf(!haveToolchain)(
  'Q7-weight MBConv + residual in place (mbconv_q7.c *_residual_inplace vs mbconv-q7.ts + residual add)',
  () => {
    it('q15xq7_q15 and q7, 3x3, random data with extremes', () => {
      const rng = mulberry32(711);
      const a = synth(rng, false, { H: 7, W: 9 });
      expectInplace(
        0,
        i16(rng, 7 * 9 * 8, -32768, 32767, 0.1),
        a,
        { scten1: 1, scten2: 2, scret: 1 },
        'q15 7x9x8',
      );
      const b = synth(rng, false, { H: 5, W: 20, CIn: 24, CTemp: 48, COut: 24 });
      expectInplace(
        0,
        i16(rng, 5 * 20 * 24, -8000, 8000),
        b,
        { scten1: 2, scten2: 1, scret: 2 },
        'q15 5x20x24',
        50,
      );
      const c = synth(rng, true, { H: 7, W: 9 });
      expectInplace(2, i8(rng, 7 * 9 * 8), c, { scten1: 1, scten2: 2, scret: 1 }, 'q7 7x9x8');
      const d = synth(rng, true, { H: 5, W: 20, CIn: 24, CTemp: 48, COut: 24 });
      expectInplace(2, i8(rng, 5 * 20 * 24), d, { scten1: 2, scten2: 1, scret: 1 }, 'q7 5x20x24');
    });

    it('other filter shapes (1x1, 5x5, even 2x4 and 4x2, filter taller than the map)', () => {
      const rng = mulberry32(712);
      const cases: [number, number, number, number][] = [
        [1, 1, 4, 5],
        [5, 5, 6, 7],
        [2, 4, 5, 6],
        [4, 2, 6, 5],
        [5, 3, 2, 4],
      ];
      for (const [HF, WF, H, W] of cases) {
        const over = { H, W, CIn: 6, CTemp: 12, COut: 6, ...samePad(HF, WF) };
        const res = { scten1: 2, scten2: 1, scret: 1 };
        const p = synth(rng, false, over);
        expectInplace(
          0,
          i16(rng, H * W * 6, -32768, 32767, 0.1),
          p,
          res,
          `q15 HF ${HF} WF ${WF} on ${H}x${W}`,
          10,
        );
        const q = synth(rng, true, over);
        expectInplace(2, i8(rng, H * W * 6, -128, 127, 0.1), q, res, `q7 HF ${HF} WF ${WF} on ${H}x${W}`, 5);
      }
    });

    it('small divisors and extreme data: int16 / int8 narrowing and the residual sums wrap', () => {
      const rng = mulberry32(713);
      const wide = synth(rng, false, {
        H: 4,
        W: 5,
        limit1: 2 ** 31 - 1,
        limit2: 2 ** 31 - 1,
        shrU1: 1,
        shrX1: 1,
      });
      const res = { scten1: 1, scten2: 1, scret: 1 };
      expectInplace(0, i16(rng, 4 * 5 * 8, -32768, 32767, 0.3), wide, res, 'q15 extreme');
      const q = synth(rng, true, {
        H: 5, W: 7, shrU1: 1, shrU2: 1, shrU3: 1, shrX1: 1, shrX2: 1, limit1: 32767, limit2: 32767,
      }); // prettier-ignore
      expectInplace(2, i8(rng, 5 * 7 * 8, -128, 127, 0.3), q, res, 'q7 wrapping', 10);
    });

    it('refuses (returns -1, tensor untouched) stride 2, CIn != COut and padding that changes the shape', () => {
      const rng = mulberry32(714);
      const res = { scten1: 1, scten2: 1, scret: 1 };
      const bad: Partial<MBConvQ7WParams>[] = [
        { HStride: 2, WStride: 2 },
        { WStride: 2 },
        { COut: 5 },
        { HPadU: 0, HPadD: 0 },
        { WPadL: 1, WPadR: 0 },
        { HPadU: 2, HPadD: 0 },
      ];
      for (const op of [0, 2] as const) {
        const input = op === 2 ? i8(rng, 6 * 8 * 8) : i16(rng, 6 * 8 * 8, -20000, 20000);
        for (const over of bad) {
          const run = runInplace(op, input, synth(rng, op === 2, over), res);
          expect(run.rc, `op ${op} ${JSON.stringify(over)}`).toBe(-1);
          expectSame(run.tensor, input, `op ${op} refused ${JSON.stringify(over)}`);
        }
      }
    });

    it.skipIf(!face2)(
      'face-2 L10, L11 (q15xq7_q15) and L13, L14 (q7) with their residuals, on 4 rows',
      () => {
        const rng = mulberry32(715);
        for (const n of [10, 11]) {
          const p = face2Block(n, 4);
          const input = i16(rng, p.H * p.W * p.CIn, -3000, 6000, 0);
          expectInplace(0, input, p, face2Residual(n), `face-2 L${n}`, 50);
        }
        for (const n of [13, 14]) {
          const p = face2Block(n, 4);
          const input = i8(rng, p.H * p.W * p.CIn, -40, 60, 0);
          expectInplace(2, input, p, face2Residual(n), `face-2 L${n}`, 10);
        }
      },
    );
  },
);
