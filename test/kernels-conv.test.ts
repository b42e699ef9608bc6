// Bit-exact checks of the detector's convolution kernels: the C in firmware/kernels/{conv,mbconv,
// l2norm,heads}.c, run in the emulator, against the TypeScript references in src/reference/.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  conv2dCbr,
  convOutSize,
  convQ15,
  convQ7xQ15Q15,
  convQ7xQ15Q7,
  type Conv2dCbrParams,
  type ConvParams,
} from '../src/reference/conv.js';
import { detectionHead, type HeadConv, type HeadParams } from '../src/reference/heads.js';
import { mbconvParamsFromModel } from '../src/reference/face-m4.js';
import { l2normPixelQ15, l2normQ15 } from '../src/reference/l2norm.js';
import {
  mbconvOutSize,
  mbconvQ15,
  mbconvQ7xQ15Q15,
  residualAddQ15,
  type MBConvParams,
} from '../src/reference/mbconv.js';
import { loadModel, scalar } from '../src/model/format.js';
import { projectRoot } from '../src/util/paths.js';
import { buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { runKernelFirmware, Writer } from './helpers/kernel.js';
import { mulberry32, randomInt } from './helpers/prng.js';

// ---------------------------------------------------------------------------------------------
// Input encoding (test/firmware/kernels/conv-io.h): int32 words, int16 / int8 arrays padded to 4 B.

const asInt16 = (b: Uint8Array, offset = 0, n = (b.length - offset) / 2) =>
  new Int16Array(b.slice(offset, offset + 2 * n).buffer);
const asInt8 = (b: Uint8Array) => new Int8Array(b.slice().buffer);

// ---------------------------------------------------------------------------------------------
// Deterministic data: uniform in [lo, hi], with a share of exact extremes (lo, hi, 0).

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
const i16 = (rng: Rng, n: number, lo = -32768, hi = 32767, extremes = 0.05) =>
  Int16Array.from(ints(rng, n, lo, hi, extremes));
const i8 = (rng: Rng, n: number, lo = -128, hi = 127, extremes = 0.05) =>
  Int8Array.from(ints(rng, n, lo, hi, extremes));

// ---------------------------------------------------------------------------------------------
// The trained EdgeML face-2 model (scales and weights), when present.

interface HeaderJson {
  defines: Record<string, number>;
  arrays: Record<string, { values: number[] }>;
  scalars: Record<string, { value: number }>;
  variants: { DIV: { scalars: Record<string, { value: number }> } };
}
const MODEL_PATH =
  process.env.M4SIM_EDGEML_FACE2 ?? '/work/shared/models/edgeml/q_scut_head_b_face2_model.json';
const face2: Record<string, HeaderJson> | null = existsSync(MODEL_PATH)
  ? (JSON.parse(readFileSync(MODEL_PATH, 'utf8')) as { files: Record<string, HeaderJson> }).files
  : null;
if (!face2)
  console.warn(`kernels-conv: ${MODEL_PATH} absent, skipping the tests on the trained face-2 model`);

function header(name: string) {
  const h = face2![name];
  const num = (k: string): number => {
    const v = h.defines[k] ?? h.scalars[k]?.value ?? h.variants.DIV.scalars[k]?.value;
    if (v === undefined) throw new Error(`${name}: no ${k}`);
    return v;
  };
  const arr = (k: string) => Int16Array.from(h.arrays[k].values);
  return { num, arr };
}

// ---------------------------------------------------------------------------------------------
// Runners: encode, run the C in the emulator, decode.

const CONV_SOURCES = ['firmware/kernels/conv.c'];
const convFields = (p: ConvParams) => [
  p.H, p.W, p.CIn, p.HF, p.WF, p.CF, p.COut, p.G, p.HPadU, p.HPadD, p.WPadL, p.WPadR, p.HStride,
  p.WStride, p.HDilation, p.WDilation, p.scinput, p.scoutput, p.demote,
]; // prettier-ignore

function runConv(op: 0 | 1 | 2, input: Int8Array | Int16Array, filter: Int16Array, p: ConvParams) {
  const w = new Writer().i32(op, ...convFields(p));
  if (op === 2) w.i16(input);
  else w.i8(input);
  w.i16(filter);
  const { HOut, WOut } = convOutSize(p);
  const n = HOut * WOut * p.G * p.COut;
  const elf = buildTestFirmware('kernels/conv-test', { sources: CONV_SOURCES });
  const out = runKernelFirmware(elf, w.bytes(), op === 0 ? n : 2 * n).output;
  return op === 0 ? asInt8(out) : asInt16(out);
}

function runCbr(image: Int8Array, p: Conv2dCbrParams): Int8Array {
  const w = new Writer()
    .i32(3, ...convFields(p.conv))
    .i8(image)
    .i16(p.filter)
    .i16(p.bias)
    .i32(p.biasScten, p.biasScvec, p.biasScret)
    .i16(p.scale)
    .i32(p.scaleScinput, p.scaleScoutput, p.scaleDemote, p.limit, p.div);
  const { HOut, WOut } = convOutSize(p.conv);
  const elf = buildTestFirmware('kernels/conv-test', { sources: CONV_SOURCES });
  return asInt8(runKernelFirmware(elf, w.bytes(), HOut * WOut * p.conv.G * p.conv.COut).output);
}

interface Residual {
  scten1: number;
  scten2: number;
  scret: number;
}

function runMBConv(input: Int8Array | Int16Array, p: MBConvParams, residual?: Residual) {
  const q7 = input instanceof Int8Array;
  const w = new Writer()
    .i32(q7 ? 0 : 1, residual ? 1 : 0, residual?.scten1 ?? 1, residual?.scten2 ?? 1, residual?.scret ?? 1)
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
  for (const a of [p.F1, p.W1, p.B1, p.F2, p.W2, p.B2, p.F3, p.W3, p.B3]) w.i16(a);
  if (q7) w.i8(input);
  else w.i16(input);
  const { HOut, WOut } = mbconvOutSize(p);
  const n = HOut * WOut * p.COut;
  const elf = buildTestFirmware('kernels/mbconv-test', { sources: ['firmware/kernels/mbconv.c'] });
  const out = runKernelFirmware(elf, w.bytes(), 2 * n * (residual ? 2 : 1)).output;
  return { out: asInt16(out, 0, n), residual: residual ? asInt16(out, 2 * n, n) : null };
}

function runL2norm(data: Int16Array, C: number, scaleIn: number, scaleOut: number) {
  const pixels = data.length / C;
  const w = new Writer().i32(pixels, C, scaleIn, scaleOut).i16(data);
  const elf = buildTestFirmware('kernels/l2norm-test', { sources: ['firmware/kernels/l2norm.c'] });
  const out = runKernelFirmware(elf, w.bytes(), 2 * (data.length + pixels)).output;
  return { out: asInt16(out, 0, data.length), inverse: asInt16(out, 2 * data.length, pixels) };
}

function runHead(input: Int16Array, p: HeadParams) {
  const convWords = (c: HeadConv) => [c.cout, c.scinput, c.scoutput, c.demote, c.scten, c.scvec, c.scret];
  const w = new Writer()
    .i32(p.H, p.W, p.C, p.HF, p.WF, p.l2norm ? 1 : 0, p.l2ScaleIn, p.l2ScaleOut, p.normW ? 1 : 0)
    .i32(p.normScinput, p.normScoutput, p.normDemote, ...convWords(p.conf), ...convWords(p.loc));
  if (p.normW) w.i16(p.normW);
  w.i16(p.conf.w).i16(p.conf.b).i16(p.loc.w).i16(p.loc.b).i16(input);
  const confN = p.H * p.W * (p.conf.cout === 4 ? 2 : p.conf.cout);
  const locN = p.H * p.W * p.loc.cout;
  const elf = buildTestFirmware('kernels/heads-test', {
    sources: ['firmware/kernels/heads.c', 'firmware/kernels/l2norm.c'],
  });
  const out = runKernelFirmware(elf, w.bytes(), 2 * (confN + locN)).output;
  return { conf: asInt16(out, 0, confN), loc: asInt16(out, 2 * confN, locN) };
}

/** Exact equality of every element, with the first difference in the message. */
function expectSame(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string) {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) {
      expect.fail(`${what}: element ${i} is ${actual[i]} in C, ${expected[i]} in TS`);
    }
  }
}

/** How many distinct values: guards against tests that only compare zeros. */
const distinct = (a: ArrayLike<number>) => new Set(Array.from(a)).size;

function convParams(over: Partial<ConvParams>): ConvParams {
  return {
    H: 6, W: 7, CIn: 4, HF: 3, WF: 3, CF: 4, COut: 3, G: 1, HPadU: 1, HPadD: 1, WPadL: 1, WPadR: 1,
    HStride: 1, WStride: 1, HDilation: 1, WDilation: 1, scinput: 4, scoutput: 8, demote: 16,
    ...over,
  }; // prettier-ignore
}

function synthMBConv(rng: Rng, over: Partial<MBConvParams>, range = 12000): MBConvParams {
  const base = { H: 6, W: 8, CIn: 4, CTemp: 8, COut: 4, HF: 3, WF: 3, ...over };
  const { CIn, CTemp, COut, HF, WF } = base;
  return {
    HPadU: 1, HPadD: 1, WPadL: 1, WPadR: 1, HStride: 1, WStride: 1,
    F1: i16(rng, CIn * CTemp, -range, range), W1: i16(rng, CTemp, 1000, 20000), B1: i16(rng, CTemp, -4000, 4000),
    F2: i16(rng, CTemp * HF * WF, -range, range), W2: i16(rng, CTemp, 1000, 20000), B2: i16(rng, CTemp, -4000, 4000),
    F3: i16(rng, CTemp * COut, -range, range), W3: i16(rng, COut, 1000, 20000), B3: i16(rng, COut, -4000, 4000),
    limit1: 402653184, limit2: 201326592,
    shrU1: 2048, shrX1: 16384, shrU2: 8192, shrX2: 8192, shrU3: 16384, shrW3: 16384,
    shlU1: 1, shlX1: 1, shlU2: 1, shlX2: 1, shlU3: 1, shlW3: 1,
    ...base,
  }; // prettier-ignore
}

// ---------------------------------------------------------------------------------------------

describe.skipIf(!haveToolchain)('convolutions (conv.c vs conv.ts, in the emulator)', () => {
  it('q15 convolution: groups, stride 2, dilation 2, asymmetric padding, int64 sums and int16 wrap', () => {
    const rng = mulberry32(101);
    const p = convParams({
      H: 9, W: 11, CIn: 6, CF: 3, COut: 4, G: 2, HPadU: 2, HPadD: 0, WPadL: 1, WPadR: 2,
      HStride: 2, WStride: 1, HDilation: 2, WDilation: 1, scinput: 2, scoutput: 4, demote: 32,
    }); // prettier-ignore
    const input = i16(rng, p.H * p.W * p.CIn, -32768, 32767, 0.2);
    const filter = i16(rng, p.G * p.HF * p.WF * p.CF * p.COut, -32768, 32767, 0.2);
    const expected = convQ15(input, filter, p);
    expect(distinct(expected)).toBeGreaterThan(50);
    expectSame(runConv(2, input, filter, p), expected, 'q15 conv');
  });

  it('q7xq15 convolutions: int8 and int16 outputs wrap, 1x3 filters with even-sized offsets', () => {
    const rng = mulberry32(102);
    for (const [i, p] of [
      convParams({ scinput: 1, scoutput: 2, demote: 8 }),
      convParams({
        HF: 1,
        WF: 4,
        HPadU: 0,
        HPadD: 0,
        WPadL: 2,
        WPadR: 1,
        WStride: 3,
        scinput: 1,
        scoutput: 1,
        demote: 2,
      }),
    ].entries()) {
      const input = i8(rng, p.H * p.W * p.CIn, -128, 127, 0.2);
      const filter = i16(rng, p.G * p.HF * p.WF * p.CF * p.COut, -32768, 32767, 0.2);
      const e7 = convQ7xQ15Q7(input, filter, p);
      const e15 = convQ7xQ15Q15(input, filter, p);
      expect(distinct(e7)).toBeGreaterThan(20);
      expectSame(runConv(0, input, filter, p), e7, `q7xq15_q7 #${i}`);
      expectSame(runConv(1, input, filter, p), e15, `q7xq15_q15 #${i}`);
    }
  });

  it('first layer (conv 3x3 s2 → bias → per-channel scale → ReLU6) with synthetic weights, wrap-around included', () => {
    const rng = mulberry32(103);
    const conv = convParams({
      H: 13,
      W: 18,
      CIn: 1,
      CF: 1,
      COut: 4,
      HStride: 2,
      WStride: 2,
      scinput: 2,
      scoutput: 4,
      demote: 512,
    });
    const p: Conv2dCbrParams = {
      conv,
      filter: i16(rng, 9 * 4, -32768, 32767, 0.2),
      bias: i16(rng, 4, -32768, 32767, 0.3),
      biasScten: 1, biasScvec: 256, biasScret: 1,
      scale: i16(rng, 4, -32768, 32767, 0.3),
      scaleScinput: 8, scaleScoutput: 8, scaleDemote: 64,
      limit: 96, div: 1,
    }; // prettier-ignore
    const image = i8(rng, conv.H * conv.W, -128, 127, 0.2);
    const expected = conv2dCbr(image, p);
    expect(distinct(expected)).toBeGreaterThan(10);
    expectSame(runCbr(image, p), expected, 'conv2d cbr');
  });

  // conv.c's fused first layer has a fast path (G = 1, COut even, power-of-two divisors): four
  // channels per pass for COut = 4 without dilation, two otherwise; the generic loop for the rest.
  it('first layer through each path: 4 channels, 2 channels with 2 input channels and dilation 2, 3 channels and a divisor 3 (generic)', () => {
    const rng = mulberry32(105);
    for (const [k, over] of [
      { COut: 4, CIn: 2, CF: 2 },
      { COut: 2, CIn: 2, CF: 2, HDilation: 2, WDilation: 2, HPadU: 2, HPadD: 2, WPadL: 2, WPadR: 2 },
      { COut: 3, CIn: 1, CF: 1 },
      { COut: 4, CIn: 1, CF: 1, demote: 3 },
    ].entries()) {
      const conv = convParams({
        H: 9,
        W: 10,
        HStride: 2,
        WStride: 1,
        scinput: 2,
        scoutput: 4,
        demote: 512,
        ...over,
      });
      const n = conv.COut;
      const p: Conv2dCbrParams = {
        conv,
        filter: i16(rng, 9 * conv.CF * n, -32768, 32767, 0.2),
        bias: i16(rng, n, -32768, 32767, 0.3),
        biasScten: 1, biasScvec: 256, biasScret: 1,
        scale: i16(rng, n, -32768, 32767, 0.3),
        scaleScinput: 8, scaleScoutput: 8, scaleDemote: 64,
        limit: 96, div: 2,
      }; // prettier-ignore
      const image = i8(rng, conv.H * conv.W * conv.CIn, -128, 127, 0.2);
      const expected = conv2dCbr(image, p);
      expect(distinct(expected)).toBeGreaterThan(5);
      expectSame(runCbr(image, p), expected, `conv2d cbr path ${k}`);
    }
  });

  it.skipIf(!face2)('first layer with the trained face-2 CBR1 weights and scales on a 24x32 image', () => {
    const h = header('conv2D.h');
    const conv = convParams({
      H: 24, W: 32, CIn: 1, HF: h.num('CBR1F_HF'), WF: h.num('CBR1F_WF'), CF: 1, COut: h.num('CONV2D_COUT'), G: 1,
      HPadU: h.num('CBR1F_HPADL'), HPadD: h.num('CBR1F_HPADR'), WPadL: h.num('CBR1F_WPADL'), WPadR: h.num('CBR1F_WPADR'),
      HStride: h.num('CBR1F_HSTRIDE'), WStride: h.num('CBR1F_WSTRIDE'),
      scinput: h.num('CBR1F_Scinput'), scoutput: h.num('CBR1F_Scoutput'), demote: h.num('CBR1F_Demote'),
    }); // prettier-ignore
    const p: Conv2dCbrParams = {
      conv,
      filter: h.arr('CBR1F'),
      bias: h.arr('CBR1B'),
      biasScten: h.num('CBR1B_Scten'), biasScvec: h.num('CBR1B_Scvec'), biasScret: h.num('CBR1B_Scret'),
      scale: h.arr('CBR1W'),
      scaleScinput: h.num('CBR1W_Scinput'), scaleScoutput: h.num('CBR1W_Scoutput'), scaleDemote: h.num('CBR1W_Demote'),
      limit: h.num('CONV2D_Limit'), div: h.num('CONV2D_Div'),
    }; // prettier-ignore
    // Preprocessed gray levels are about -58..68 (MODEL.md); add the int8 extremes.
    const image = i8(rng0(104), 24 * 32, -58, 68, 0.1);
    image[0] = -128;
    image[1] = 127;
    const expected = conv2dCbr(image, p);
    expect(distinct(expected)).toBeGreaterThan(5);
    expectSame(runCbr(image, p), expected, 'conv2d cbr face-2');
  });
});

function rng0(seed: number): Rng {
  return mulberry32(seed);
}

describe.skipIf(!haveToolchain)(
  'MBConv (mbconv.c streaming ring vs mbconv.ts whole tensor, in the emulator)',
  () => {
    it('MBConv stride 1, Q15 input (int64 sums), 6x8x4 → expand 8 → 4, with the residual add', () => {
      const rng = mulberry32(201);
      const p = synthMBConv(rng, {});
      const input = i16(rng, p.H * p.W * p.CIn, -20000, 20000);
      const expected = mbconvQ15(input, p);
      expect(distinct(expected)).toBeGreaterThan(30);
      const res = { scten1: 1, scten2: 2, scret: 1 };
      const run = runMBConv(input, p, res);
      expectSame(run.out, expected, 'mbconv q15 s1');
      expectSame(
        run.residual!,
        residualAddQ15(input, expected, res.scten1, res.scten2, res.scret),
        'residual',
      );
    });

    it('MBConv stride 2 on odd sizes (7x9): last output row/column read taps outside the image', () => {
      const rng = mulberry32(202);
      const p = synthMBConv(rng, { H: 7, W: 9, HStride: 2, WStride: 2, COut: 5 });
      expect(mbconvOutSize(p)).toEqual({ HOut: 4, WOut: 5 });
      const input = i16(rng, p.H * p.W * p.CIn, -20000, 20000);
      const expected = mbconvQ15(input, p);
      expect(distinct(expected)).toBeGreaterThan(30);
      expectSame(runMBConv(input, p).out, expected, 'mbconv q15 s2');
    });

    it('depthwise taps outside the image are skipped: 2x3 map, no padding on one side, 5x3 filter', () => {
      const rng = mulberry32(203);
      const p = synthMBConv(rng, { H: 2, W: 3, HF: 5, WF: 3, HPadU: 2, HPadD: 2, WPadL: 0, WPadR: 1 });
      const input = i16(rng, p.H * p.W * p.CIn, -20000, 20000);
      const expected = mbconvQ15(input, p);
      expect(mbconvOutSize(p)).toEqual({ HOut: 2, WOut: 2 });
      expectSame(runMBConv(input, p).out, expected, 'mbconv edges');
    });

    it('MBConv Q7 input sums in int32 and wraps; int32 products and int16 stores wrap (extreme weights)', () => {
      const rng = mulberry32(204);
      const p = synthMBConv(rng, { H: 5, W: 6 }, 32768);
      Object.assign(p, {
      W1: i16(rng, p.CTemp, -32768, 32767, 0.3), W2: i16(rng, p.CTemp, -32768, 32767, 0.3), W3: i16(rng, p.COut, -32768, 32767, 0.3),
      B1: i16(rng, p.CTemp, -32768, 32767, 0.3), B3: i16(rng, p.COut, -32768, 32767, 0.3),
      shrU1: 1, shrX1: 1, shrU2: 1, shrX2: 2, shrU3: 4, shrW3: 2, shlX1: 3, shlU3: 2,
      limit1: 2147483647, limit2: 1 << 30,
    }); // prettier-ignore
      const q7in = i8(rng, p.H * p.W * p.CIn, -128, 127, 0.3);
      const e7 = mbconvQ7xQ15Q15(q7in, p);
      expect(distinct(e7)).toBeGreaterThan(30);
      expectSame(runMBConv(q7in, p).out, e7, 'mbconv q7 extreme');
      const q15in = i16(rng, p.H * p.W * p.CIn, -32768, 32767, 0.3);
      const e15 = mbconvQ15(q15in, p);
      expect(distinct(e15)).toBeGreaterThan(30);
      expectSame(runMBConv(q15in, p).out, e15, 'mbconv q15 extreme');
    });

    // mbconv.c takes a fast path (shifts for the power-of-two divisors, SMLAL sums over int16 pairs,
    // 2 or 4 output channels per pass, an assembly loop when the sum length is a multiple of 8) when
    // CTemp and COut are even and CIn a multiple of 4 (Q7) or 2 (Q15), the generic loop otherwise:
    // these shapes run every branch of both against the TS twin.
    it('MBConv shapes through every fast-path branch and the generic loop, Q7 and Q15 input, extreme values', () => {
      const rng = mulberry32(207);
      const shapes: Array<Partial<MBConvParams>> = [
        { CIn: 8, CTemp: 12, COut: 6 }, // Q7: 4 channels per pass (CIn % 8, CTemp % 4); Q15: assembly loops
        { CIn: 12, CTemp: 10, COut: 2 }, // Q7: 2 channels per pass; Q15: C loops (12, 10 not multiples of 8)
        { CIn: 6, CTemp: 16, COut: 8, HF: 5, WF: 5, HPadU: 2, HPadD: 2, WPadL: 2, WPadR: 2 }, // 5 taps a row
        { CIn: 4, CTemp: 9, COut: 4 }, // odd CTemp: generic loop
        { CIn: 4, CTemp: 8, COut: 4, shrU1: 3 }, // a divisor that is no power of two: generic loop
        { CIn: 16, CTemp: 8, COut: 16, H: 3, W: 4, HStride: 2, WStride: 2 }, // stride 2, 1-row map edge
        { CIn: 8, CTemp: 6, COut: 4, H: 3, W: 3, shrU2: 1 << 30, shlU2: 1 << 16 }, // one pixel inside, shift 30
        { CIn: 8, CTemp: 34, COut: 2, H: 4, W: 5, shrU2: 1, shrX2: 1 }, // 17 pairs, no depthwise shifts
        { CIn: 16, CTemp: 128, COut: 2, H: 3, W: 3 }, // Q7: the 4-channel loop with a 256-byte row stride
      ];
      for (const [k, over] of shapes.entries()) {
        const p = synthMBConv(rng, { H: 5, W: 7, ...over }, 32768);
        Object.assign(p, over);
        const q7in = i8(rng, p.H * p.W * p.CIn, -128, 127, 0.3);
        const e7 = mbconvQ7xQ15Q15(q7in, p);
        expect(distinct(e7)).toBeGreaterThan(5);
        expectSame(runMBConv(q7in, p).out, e7, `mbconv q7 shape ${k}`);
        const q15in = i16(rng, p.H * p.W * p.CIn, -32768, 32767, 0.3);
        const e15 = mbconvQ15(q15in, p);
        expect(distinct(e15)).toBeGreaterThan(5);
        expectSame(runMBConv(q15in, p).out, e15, `mbconv q15 shape ${k}`);
      }
    });

    it.skipIf(!face2)(
      'MBConv L1 at the real channel counts (64 → 128 → 32, Q7 input) on 4 rows of 40',
      () => {
        const p = face2Block('mbconv1.h', 'L1', 4);
        const input = i8(rng0(205), p.H * p.W * p.CIn, -128, 127, 0.05);
        const expected = mbconvQ7xQ15Q15(input, p);
        expect(distinct(expected)).toBeGreaterThan(100);
        expectSame(runMBConv(input, p).out, expected, 'face-2 L1');
      },
    );

    it.skipIf(!face2)(
      'MBConv L2 (32 → 64 → 32) with the residual add, and L9 stride 2 (32 → 64 → 96), face-2 weights',
      () => {
        const rng = mulberry32(206);
        const l2 = face2Block('mbconv2.h', 'L2', 5);
        const in2 = i16(rng, l2.H * l2.W * l2.CIn, -6000, 6000, 0.02);
        const e2 = mbconvQ15(in2, l2);
        expect(distinct(e2)).toBeGreaterThan(100);
        const h2 = header('mbconv2.h');
        const res = { scten1: h2.num('L2_Scten1'), scten2: h2.num('L2_Scten2'), scret: h2.num('L2_Scret') };
        const run2 = runMBConv(in2, l2, res);
        expectSame(run2.out, e2, 'face-2 L2');
        expectSame(
          run2.residual!,
          residualAddQ15(in2, e2, res.scten1, res.scten2, res.scret),
          'face-2 L2 residual',
        );
        const l9 = face2Block('mbconv9.h', 'L9', 6);
        const in9 = i16(rng, l9.H * l9.W * l9.CIn, -6000, 6000, 0.02);
        const e9 = mbconvQ15(in9, l9);
        expect(mbconvOutSize(l9)).toEqual({ HOut: 3, WOut: 20 });
        expect(distinct(e9)).toBeGreaterThan(100);
        expectSame(runMBConv(in9, l9).out, e9, 'face-2 L9');
      },
    );
  },
);

/** A face-2 MBConv block on its first `rows` rows. */
function face2Block(file: string, L: string, rows: number): MBConvParams {
  const h = header(file);
  const n = (k: string) => h.num(`${L}_${k}`);
  const a = (k: string) => h.arr(`${L}_${k}`);
  return {
    H: rows, W: n('W'), CIn: n('CIN'), CTemp: n('CTEMP'), COut: n('COUT'), HF: n('HF'), WF: n('WF'),
    HPadU: n('HPADL'), HPadD: n('HPADR'), WPadL: n('WPADL'), WPadR: n('WPADR'), HStride: n('HSTRIDE'), WStride: n('WSTRIDE'),
    F1: a('F1'), W1: a('W1'), B1: a('B1'), F2: a('F2'), W2: a('W2'), B2: a('B2'), F3: a('F3'), W3: a('W3'), B3: a('B3'),
    limit1: n('Limit1'), limit2: n('Limit2'),
    shrU1: n('ShRU1'), shrX1: n('ShRX1'), shrU2: n('ShRU2'), shrX2: n('ShRX2'), shrU3: n('ShRU3'), shrW3: n('ShRW3'),
    shlU1: n('ShLU1'), shlX1: n('ShLX1'), shlU2: n('ShLU2'), shlX2: n('ShLX2'), shlU3: n('ShLU3'), shlW3: n('ShLW3'),
  }; // prettier-ignore
}

describe.skipIf(!haveToolchain)('L2 norm (l2norm.c vs l2norm.ts, in the emulator)', () => {
  it('L2 norm inverse by binary search: random, all-zero, tiny and extreme pixels, in place', () => {
    const rng = mulberry32(301);
    const C = 32;
    const pixels: number[][] = [
      new Array<number>(C).fill(0),
      new Array<number>(C).fill(-32768),
      new Array<number>(C).fill(32767),
      Array.from({ length: C }, (_, c) => (c === 5 ? 1 : 0)),
      Array.from({ length: C }, (_, c) => (c === 7 ? 300 : 0)),
    ];
    for (let i = 0; i < 40; i++) {
      const mag = i < 4 ? [50, 200, 600, 1200][i] : 1000 + i * 800;
      pixels.push(ints(rng, C, -mag, mag, 0.05));
    }
    const data = Int16Array.from(pixels.flat());
    for (const [scaleIn, scaleOut] of [
      [-12, 8],
      [-13, 6],
      [-14, 10],
    ]) {
      const expected = l2normQ15(data, C, scaleIn, scaleOut);
      const inverse = Int16Array.from(pixels, (_, i) =>
        l2normPixelQ15(data, i * C, C, new Int16Array(C), 0, scaleIn, scaleOut),
      );
      expect(distinct(inverse)).toBeGreaterThan(5);
      const run = runL2norm(data, C, scaleIn, scaleOut);
      expectSame(run.out, expected, `l2norm ${scaleIn}/${scaleOut}`);
      expectSame(run.inverse, inverse, `inverse norm ${scaleIn}/${scaleOut}`);
    }
  });

  it('L2 norm sum of squares wraps in int32 when scale_out is small (64 channels of -32768, scale_out 1)', () => {
    const C = 64;
    const data = Int16Array.from([
      ...new Array<number>(C).fill(-32768),
      ...ints(mulberry32(302), C, -32768, 32767, 0.3),
    ]);
    const expected = l2normQ15(data, C, -4, 1);
    expectSame(runL2norm(data, C, -4, 1).out, expected, 'l2norm wrap');
  });
});

function synthHeadConv(rng: Rng, C: number, cout: number): HeadConv {
  return {
    w: i16(rng, 9 * C * cout, -8000, 8000), cout, scinput: 16, scoutput: 32, demote: 512,
    b: i16(rng, cout, -32768, 32767, 0.3), scten: 1, scvec: 8, scret: 1,
  }; // prettier-ignore
}

describe.skipIf(!haveToolchain)(
  'detection heads (heads.c streaming vs heads.ts whole tensor, in the emulator)',
  () => {
    it('head with L2 norm + per-channel weight: conf 3x3 → 4 → max over the 3 background logits → 2, loc → 4', () => {
      const rng = mulberry32(401);
      const C = 8;
      const p: HeadParams = {
      H: 5, W: 6, C, HF: 3, WF: 3, l2norm: true, l2ScaleIn: -12, l2ScaleOut: 8,
      normW: i16(rng, C, 20000, 30000), normScinput: 32, normScoutput: 64, normDemote: 1,
      conf: synthHeadConv(rng, C, 4), loc: synthHeadConv(rng, C, 4),
    }; // prettier-ignore
      const input = i16(rng, p.H * p.W * C, -20000, 20000);
      const expected = detectionHead(input, p);
      expect(distinct(expected.conf)).toBeGreaterThan(20);
      const run = runHead(input, p);
      expectSame(run.conf, expected.conf, 'conf');
      expectSame(run.loc, expected.loc, 'loc');
    });

    // heads.c sums two output channels per pass when C and cout are even, one otherwise; cout 2 or 4
    // with a row of taps a multiple of 4 long (C = 2: 4 at a map edge, 6 inside) takes the assembly loop.
    it('head with an odd channel count (C = 5, the one-channel loop) and with C = 12, loc 6, at map edges, extreme inputs', () => {
      const rng = mulberry32(403);
      for (const [C, locOut] of [
        [5, 4],
        [12, 6],
        [2, 4],
      ] as const) {
        const p: HeadParams = {
          H: 3, W: 4, C, HF: 3, WF: 3, l2norm: false, l2ScaleIn: 0, l2ScaleOut: 0,
          normW: null, normScinput: 1, normScoutput: 1, normDemote: 1,
          conf: synthHeadConv(rng, C, 2), loc: synthHeadConv(rng, C, locOut),
        }; // prettier-ignore
        const input = i16(rng, p.H * p.W * C, -32768, 32767, 0.3);
        const expected = detectionHead(input, p);
        const run = runHead(input, p);
        expectSame(run.conf, expected.conf, `conf C=${C}`);
        expectSame(run.loc, expected.loc, `loc C=${C}`);
      }
    });

    it('head without L2 norm (H4): conf → 2 and loc → 4 read the feature map directly; ties keep the first max', () => {
      const rng = mulberry32(402);
      const C = 6;
      const p: HeadParams = {
      H: 4, W: 5, C, HF: 3, WF: 3, l2norm: false, l2ScaleIn: 0, l2ScaleOut: 0,
      normW: null, normScinput: 1, normScoutput: 1, normDemote: 1,
      conf: synthHeadConv(rng, C, 2), loc: synthHeadConv(rng, C, 4),
    }; // prettier-ignore
      const input = i16(rng, p.H * p.W * C, -32768, 32767, 0.2);
      const expected = detectionHead(input, p);
      const run = runHead(input, p);
      expectSame(run.conf, expected.conf, 'conf');
      expectSame(run.loc, expected.loc, 'loc');
      // Identical background filters: the max is the common value.
      const tie = { ...p, conf: synthHeadConv(rng, C, 4) };
      for (let i = 0; i < tie.conf.w.length; i += 4) tie.conf.w[i + 1] = tie.conf.w[i + 2] = tie.conf.w[i];
      tie.conf.b[1] = tie.conf.b[2] = tie.conf.b[0];
      expectSame(runHead(input, tie).conf, detectionHead(input, tie).conf, 'conf ties');
    });

    it.skipIf(!face2)('head D1 with the trained face-2 weights and scales on 6 rows of 40x32', () => {
      const h = header('detection1.h');
      const conv = (k: 'D1CW' | 'D1LW', b: 'D1CB' | 'D1LB'): HeadConv => ({
      w: h.arr(k), cout: h.num(`${k}_COUT`), scinput: h.num(`${k}_Scinput`), scoutput: h.num(`${k}_Scoutput`),
      demote: h.num(`${k}_Demote`), b: h.arr(b), scten: h.num(`${b}_Scten`), scvec: h.num(`${b}_Scvec`), scret: h.num(`${b}_Scret`),
    }); // prettier-ignore
      const p: HeadParams = {
      H: 6, W: 40, C: 32, HF: h.num('D1CW_HF'), WF: h.num('D1CW_WF'), l2norm: true,
      l2ScaleIn: h.num('D1_ScaleIn'), l2ScaleOut: h.num('D1_ScaleOut'),
      normW: h.arr('D1NW'), normScinput: h.num('D1NW_Scinput'), normScoutput: h.num('D1NW_Scoutput'), normDemote: h.num('D1NW_Demote'),
      conf: conv('D1CW', 'D1CB'), loc: conv('D1LW', 'D1LB'),
    }; // prettier-ignore
      const input = i16(rng0(403), p.H * p.W * p.C, -3000, 3000, 0.02);
      const expected = detectionHead(input, p);
      expect(distinct(expected.conf)).toBeGreaterThan(50);
      expect(distinct(expected.loc)).toBeGreaterThan(50);
      const run = runHead(input, p);
      expectSame(run.conf, expected.conf, 'D1 conf');
      expectSame(run.loc, expected.loc, 'D1 loc');
    });
  },
);

// ---------------------------------------------------------------------------------------------
// m4_mbconv_q15_residual_inplace: the block and its residual add fused, each output pixel written
// over its own input pixel (the detector's L2 and L4), against mbconvQ15 + residualAddQ15.

/** Runs the in-place kernel; returns its return code and the tensor after the call. */
function runMBConvInplace(input: Int16Array, p: MBConvParams, r: Residual) {
  const w = new Writer()
    .i32(r.scten1, r.scten2, r.scret)
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
  for (const a of [p.F1, p.W1, p.B1, p.F2, p.W2, p.B2, p.F3, p.W3, p.B3]) w.i16(a);
  w.i16(input);
  const elf = buildTestFirmware('kernels/mbconv-inplace-test', { sources: ['firmware/kernels/mbconv.c'] });
  const out = runKernelFirmware(elf, w.bytes(), 4 + 2 * input.length).output;
  return { rc: new DataView(out.buffer, out.byteOffset).getInt32(0, true), tensor: asInt16(out, 4) };
}

/** The fused in-place C equals the two-pass TS (block, then residual over the input). */
function expectInplace(input: Int16Array, p: MBConvParams, r: Residual, what: string, minDistinct = 30) {
  const block = mbconvQ15(input, p);
  expect(block.length, `${what}: output shape = input shape`).toBe(input.length);
  expect(distinct(block), `${what}: block output variety`).toBeGreaterThan(minDistinct);
  const expected = residualAddQ15(input, block, r.scten1, r.scten2, r.scret);
  const run = runMBConvInplace(input, p, r);
  expect(run.rc, `${what}: return code`).toBe(0);
  expectSame(run.tensor, expected, what);
}

describe.skipIf(!haveToolchain)(
  'MBConv + residual in place (m4_mbconv_q15_residual_inplace, in the emulator)',
  () => {
    it('7x9x8 → 16 → 8 and 5x40x32 → 64 → 32, 3x3, random data with extremes', () => {
      const rng = mulberry32(401);
      const a = synthMBConv(rng, { H: 7, W: 9, CIn: 8, CTemp: 16, COut: 8 });
      expectInplace(i16(rng, 7 * 9 * 8, -32768, 32767, 0.1), a, { scten1: 1, scten2: 2, scret: 1 }, '7x9x8');
      const b = synthMBConv(rng, { H: 5, W: 40, CIn: 32, CTemp: 64, COut: 32 });
      expectInplace(i16(rng, 5 * 40 * 32, -20000, 20000), b, { scten1: 2, scten2: 1, scret: 2 }, '5x40x32');
    });

    it('other filter heights and widths (1x1, 5x5, even 2x4 and 4x2, filter taller than the map)', () => {
      const rng = mulberry32(402);
      const same = (HF: number, WF: number) => ({
      HF, WF, HPadU: (HF - 1) >> 1, HPadD: HF >> 1, WPadL: (WF - 1) >> 1, WPadR: WF >> 1,
    }); // prettier-ignore
      const cases: [number, number, number, number][] = [
        [1, 1, 4, 5],
        [5, 5, 6, 7],
        [2, 4, 5, 6],
        [4, 2, 6, 5],
        [5, 3, 2, 4],
      ];
      for (const [HF, WF, H, W] of cases) {
        const p = synthMBConv(rng, { H, W, CIn: 6, CTemp: 12, COut: 6, ...same(HF, WF) });
        const input = i16(rng, H * W * 6, -32768, 32767, 0.1);
        expectInplace(input, p, { scten1: 2, scten2: 1, scret: 1 }, `HF ${HF} WF ${WF} on ${H}x${W}`, 10);
      }
    });

    it('extreme weights and inputs: int32 products, int16 stores and the residual sum wrap', () => {
      const rng = mulberry32(403);
      const p = synthMBConv(rng, { H: 6, W: 7, CIn: 8, CTemp: 16, COut: 8 }, 32768);
      Object.assign(p, {
      W1: i16(rng, p.CTemp, -32768, 32767, 0.3), W2: i16(rng, p.CTemp, -32768, 32767, 0.3), W3: i16(rng, p.COut, -32768, 32767, 0.3),
      B1: i16(rng, p.CTemp, -32768, 32767, 0.3), B3: i16(rng, p.COut, -32768, 32767, 0.3),
      shrU1: 1, shrX1: 1, shrU2: 1, shrX2: 1, shrU3: 1, shrW3: 1,
      limit1: 2147483647, limit2: 1 << 30,
    }); // prettier-ignore
      const input = i16(rng, p.H * p.W * p.CIn, -32768, 32767, 0.3);
      expectInplace(input, p, { scten1: 1, scten2: 1, scret: 1 }, 'extreme');
    });

    it('refuses (returns -1, tensor untouched) stride 2, CIn != COut and padding that changes the shape', () => {
      const rng = mulberry32(404);
      const input = i16(rng, 6 * 8 * 4, -20000, 20000);
      const res = { scten1: 1, scten2: 1, scret: 1 };
      const bad: Partial<MBConvParams>[] = [
        { HStride: 2, WStride: 2 },
        { WStride: 2 },
        { COut: 5 },
        { HPadU: 0, HPadD: 0 },
        { WPadL: 1, WPadR: 0 },
        { HPadU: 2, HPadD: 0 },
      ];
      for (const over of bad) {
        const run = runMBConvInplace(input, synthMBConv(rng, over), res);
        expect(run.rc, JSON.stringify(over)).toBe(-1);
        expectSame(run.tensor, input, `refused ${JSON.stringify(over)}`);
      }
    });

    it('the detector L2 (30x40, 32 → 64 → 32) and L4 (15x20, 64 → 128 → 64), synthetic model weights', () => {
      const model = loadModel(`${projectRoot()}/models/face-m4-synthetic.model.json`);
      const rng = mulberry32(405);
      for (const n of [2, 4]) {
        const p = mbconvParamsFromModel(model, n);
        const h = `mbconv${n}.h`;
        const res = {
          scten1: scalar(model, h, `L${n}_Scten1`),
          scten2: scalar(model, h, `L${n}_Scten2`),
          scret: scalar(model, h, `L${n}_Scret`),
        };
        const input = i16(rng, p.H * p.W * p.CIn, -8000, 8000, 0.02);
        expectInplace(input, p, res, `L${n}`, 100);
      }
    });
  },
);
