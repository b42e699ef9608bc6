// Detection post-processing: the C kernel (firmware/kernels/postprocess.c) running in the emulator
// against the TS reference (src/reference/postprocess.ts), hand-computed boxes, and the fixed-point
// decode against floating point.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_BOXES,
  DEFAULT_SCORE_THRESHOLD,
  EXP2_HI,
  EXP2_LO,
  decodeBox,
  decodeFloat,
  detect,
  numPriors,
  priors,
  scoreFloat,
  scoreQ15,
  type Box,
  type Head,
  type PostprocessConfig,
} from '../src/reference/postprocess.js';
import { projectRoot } from '../src/toolchain/toolchain.js';
import { buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { runKernelFirmware } from './helpers/kernel.js';
import { mulberry32, randomInt } from './helpers/prng.js';

const MAX_PRIORS = 3000; // as in test/firmware/kernels/postprocess-test.c
const W = 320;
const H = 240;

/** RNNPool-Face-M4's four heads on the 320x240 frame (rows x cols, step, anchor), with the given shifts. */
const m4Heads = (confShift: number, locShift: number): Head[] =>
  [
    { rows: 30, cols: 40, step: 8, anchor: 8 },
    { rows: 30, cols: 40, step: 8, anchor: 16 },
    { rows: 15, cols: 20, step: 16, anchor: 32 },
    { rows: 15, cols: 20, step: 16, anchor: 48 },
  ].map((h) => ({ ...h, confShift, locShift }));

const config = (heads: Head[], over: Partial<PostprocessConfig> = {}): PostprocessConfig => ({
  heads,
  imageWidth: W,
  imageHeight: H,
  scoreThreshold: DEFAULT_SCORE_THRESHOLD,
  maxBoxes: DEFAULT_MAX_BOXES,
  ...over,
});

/** The kernel-test input: header words, head words, conf, loc (all 16-bit little-endian). */
function encodeInput(cfg: PostprocessConfig, conf: Int16Array, loc: Int16Array): Uint8Array {
  const header = [
    cfg.heads.length,
    cfg.imageWidth,
    cfg.imageHeight,
    cfg.scoreThreshold,
    cfg.maxBoxes,
    cfg.iouNum ?? 3,
    cfg.iouDen ?? 10,
    cfg.clip ? 1 : 0,
    ...cfg.heads.flatMap((h) => [h.rows, h.cols, h.step, h.anchor, h.confShift, h.locShift]),
  ];
  const words = new Int16Array(header.length + conf.length + loc.length);
  words.set(header.map((v) => (v << 16) >> 16));
  words.set(conf, header.length);
  words.set(loc, header.length + conf.length);
  return new Uint8Array(words.buffer);
}

let elf: string | undefined;
const firmware = () =>
  (elf ??= buildTestFirmware('kernels/postprocess-test', { sources: ['firmware/kernels/postprocess.c'] }));

/** Runs pp_detect in the emulator; returns its result code, boxes and modeled cycles. */
function runC(cfg: PostprocessConfig, conf: Int16Array, loc: Int16Array) {
  const run = runKernelFirmware(firmware(), encodeInput(cfg, conf, loc), 4 + 12 * MAX_PRIORS);
  const view = new DataView(run.output.buffer, run.output.byteOffset, run.output.byteLength);
  const result = view.getInt32(0, true);
  const boxes: Box[] = [];
  for (let i = 0; i < result; i++) {
    const o = 4 + 12 * i;
    boxes.push({
      x1: view.getInt16(o, true),
      y1: view.getInt16(o + 2, true),
      x2: view.getInt16(o + 4, true),
      y2: view.getInt16(o + 6, true),
      score: view.getUint16(o + 8, true),
      prior: view.getUint16(o + 10, true),
    });
  }
  return { result, boxes, cycles: run.result.cycles };
}

/** Runs both implementations, asserts identical boxes, returns them. */
function both(cfg: PostprocessConfig, conf: Int16Array, loc: Int16Array): Box[] {
  const ts = detect(cfg, conf, loc);
  const c = runC(cfg, conf, loc);
  expect(c.result).toBe(ts.length);
  expect(c.boxes).toEqual(ts);
  return ts;
}

/** Outputs where every prior is confidently background (logit difference -10) and loc is zero. */
function blank(heads: Head[]) {
  const n = numPriors(heads);
  const conf = new Int16Array(2 * n);
  let p = 0;
  for (const h of heads) for (let c = 0; c < h.rows * h.cols; c++, p++) conf[2 * p] = 10 << h.confShift;
  return { conf, loc: new Int16Array(4 * n) };
}

/** Index of prior (row, col) of head `head`. */
const priorIndex = (heads: Head[], head: number, row: number, col: number) =>
  numPriors(heads.slice(0, head)) + row * heads[head]!.cols + col;

/** Sets prior p's logits so that face - background = diff (raw). */
function setFace(conf: Int16Array, p: number, diff: number) {
  conf[2 * p] = 0;
  conf[2 * p + 1] = diff;
}

const q4 = (px: number) => px * 16;

describe('post-processing, TS reference', () => {
  it('uses the same exp2 tables as the C kernel, each round(2^x * 2^24)', () => {
    const source = readFileSync(join(projectRoot(), 'firmware', 'kernels', 'postprocess.c'), 'utf8');
    const table = (name: string) =>
      [...new RegExp(`${name}\\[256\\] = \\{([^}]*)\\}`).exec(source)![1]!.matchAll(/(\d+)u/g)].map((m) =>
        Number(m[1]),
      );
    expect(table('EXP2_HI')).toEqual(EXP2_HI);
    expect(table('EXP2_LO')).toEqual(EXP2_LO);
    EXP2_HI.forEach((v, i) => expect(v).toBe(Math.round(2 ** (i / 256) * 2 ** 24)));
    EXP2_LO.forEach((v, i) => expect(v).toBe(Math.round(2 ** (i / 65536) * 2 ** 24)));
  });

  // Error: 0.5 LSB of the final rounding plus < 0.05 LSB from the exponent rounded to Q16.
  it('scores: 0.5 at d = 0, symmetric, saturating, within 0.55 LSB of the float sigmoid', () => {
    expect(scoreQ15(0, 0)).toBe(16384);
    expect(scoreQ15(32767, 0)).toBe(32768);
    expect(scoreQ15(-65535, 0)).toBe(0);
    const next = mulberry32(7);
    let worst = 0;
    for (let i = 0; i < 20000; i++) {
      const d = randomInt(next, -65535, 65535);
      const shift = randomInt(next, 0, 15);
      const s = scoreQ15(d, shift);
      expect(s + scoreQ15(-d, shift)).toBe(32768);
      worst = Math.max(worst, Math.abs(s - 32768 * scoreFloat(0, d / 2 ** shift)));
    }
    expect(worst).toBeLessThanOrEqual(0.55);
  });

  it('decodes within 1/16 px of the floating-point decode (unclamped range)', () => {
    const next = mulberry32(11);
    const heads = m4Heads(0, 0);
    const ps = priors(heads, W, H);
    const cfg = config(heads);
    let worst = 0;
    for (let i = 0; i < 50000; i++) {
      const p = randomInt(next, 0, ps.length - 1);
      let head = 0;
      let first = 0;
      while (p - first >= heads[head]!.rows * heads[head]!.cols)
        first += heads[head]!.rows * heads[head++]!.cols;
      const hd = { ...heads[head]!, locShift: randomInt(next, 11, 15) }; // |loc| <= 16: exponent in range
      const cell = p - first;
      const q = [0, 1, 2, 3].map(() => randomInt(next, -32768, 32767));
      const fixed = decodeBox(cfg, hd, Math.floor(cell / hd.cols), cell % hd.cols, q);
      const real = q.map((v) => v / 2 ** hd.locShift) as [number, number, number, number];
      const float = decodeFloat(ps[p]!, real, W, H);
      for (const k of ['x1', 'y1', 'x2', 'y2'] as const)
        worst = Math.max(worst, Math.abs(fixed[k] / 16 - float[k]));
    }
    expect(worst).toBeLessThanOrEqual(1 / 16);
  });
});

describe.skipIf(!haveToolchain)('post-processing, C in the emulator = TS', () => {
  const heads = m4Heads(8, 8);

  it('one strong logit at head 2, row 5, column 7, zero loc: a 16 px box centred at (60, 44)', () => {
    const { conf, loc } = blank(heads);
    const p = priorIndex(heads, 1, 5, 7);
    expect(p).toBe(1200 + 5 * 40 + 7);
    setFace(conf, p, 10 << 8);
    const boxes = both(config(heads), conf, loc);
    // centre ((7 + 0.5) * 8, (5 + 0.5) * 8) = (60, 44), side 16
    expect(boxes).toEqual([
      {
        x1: q4(52),
        y1: q4(36),
        x2: q4(68),
        y2: q4(52),
        score: Math.round(32768 * scoreFloat(0, 10)),
        prior: p,
      },
    ]);
  });

  it('decodes loc by hand: dx = 1 moves 1.6 px, dw = ln 2 / 0.2 doubles the width', () => {
    const { conf, loc } = blank(heads);
    const p = priorIndex(heads, 1, 5, 7);
    setFace(conf, p, 10 << 8);
    loc.set([256, -512, Math.round((Math.LN2 / 0.2) * 256), 0], 4 * p); // dx 1, dy -2, dw ln2/0.2, dh 0
    const [b] = both(config(heads), conf, loc);
    // cx = 60 + 1 * 0.1 * 16 = 61.6 px = 985.6 -> 986 Q4; cy = 44 - 3.2 = 40.8 px = 652.8 -> 653 Q4
    // w = 16 * e^(0.2 * 887 / 256) = 31.995 px, half 255.96 -> 256 Q4; h = 16 px, half 128 Q4
    expect(b).toMatchObject({ x1: 986 - 256, x2: 986 + 256, y1: 653 - 128, y2: 653 + 128 });
  });

  it('IoU 1/3 > 0.3: the lower-scored of two overlapping boxes is suppressed', () => {
    const { conf, loc } = blank(heads);
    const a = priorIndex(heads, 1, 5, 7);
    const b = priorIndex(heads, 1, 5, 8); // 8 px to the right: inter 8*16, union 3*8*16
    setFace(conf, a, 5 << 8);
    setFace(conf, b, 6 << 8);
    expect(both(config(heads), conf, loc).map((x) => x.prior)).toEqual([b]);
    // with the threshold at exactly 1/3 they are not suppressed (IoU > threshold is required)
    expect(both(config(heads, { iouNum: 1, iouDen: 3 }), conf, loc).map((x) => x.prior)).toEqual([b, a]);
  });

  it('IoU 0.28 < 0.3: both boxes kept', () => {
    const { conf, loc } = blank(heads);
    const a = priorIndex(heads, 1, 5, 7);
    const b = priorIndex(heads, 1, 5, 8);
    setFace(conf, a, 5 << 8);
    setFace(conf, b, 6 << 8);
    loc[4 * b] = 160; // dx = 0.625 -> +1 px: shift 9 px, IoU = 7 * 16 / (25 * 16)
    const boxes = both(config(heads), conf, loc);
    expect(boxes.map((x) => x.prior)).toEqual([b, a]);
    expect(boxes[0]!.x1 - boxes[1]!.x1).toBe(q4(9));
  });

  it('equal scores: the lower prior index ranks first and survives NMS', () => {
    const { conf, loc } = blank(heads);
    const a = priorIndex(heads, 1, 5, 7);
    const b = priorIndex(heads, 1, 5, 8);
    setFace(conf, a, 5 << 8);
    setFace(conf, b, 5 << 8);
    expect(both(config(heads), conf, loc).map((x) => x.prior)).toEqual([a]);
  });

  it('threshold boundary: score 16384 (d = 0) is dropped at threshold 16384, kept at 16383', () => {
    const { conf, loc } = blank(heads);
    const p = priorIndex(heads, 3, 2, 3);
    setFace(conf, p, 0);
    expect(both(config(heads, { scoreThreshold: 16384 }), conf, loc)).toEqual([]);
    const boxes = both(config(heads, { scoreThreshold: 16383 }), conf, loc);
    // head 4: step 16, anchor 48; centre (56, 40)
    expect(boxes).toEqual([{ x1: q4(32), y1: q4(16), x2: q4(80), y2: q4(64), score: 16384, prior: p }]);
  });

  it('caps the number of boxes at maxBoxes, keeping the best', () => {
    const { conf, loc } = blank(heads);
    // head 1 (anchor 8 = step): neighbouring boxes touch but do not overlap; distinct scores
    for (let p = 0; p < 1200; p++) setFace(conf, p, (p % 97) * 16 - 400);
    // scores from sigmoid(-1.56) = 0.17 up, above the 0.05 threshold; the background priors below it
    const all = both(config(heads, { maxBoxes: 3000 }), conf, loc);
    expect(all.length).toBe(1200);
    const capped = both(config(heads), conf, loc);
    expect(capped.length).toBe(750);
    expect(capped).toEqual(all.slice(0, 750));
    expect(both(config(heads, { maxBoxes: 5 }), conf, loc)).toEqual(all.slice(0, 5));
    expect(both(config(heads, { maxBoxes: 0 }), conf, loc)).toEqual([]);
  });

  it('clips to the image when asked', () => {
    const { conf, loc } = blank(heads);
    const p = priorIndex(heads, 3, 0, 0); // centre (8, 8), side 48
    setFace(conf, p, 10 << 8);
    expect(both(config(heads), conf, loc)[0]).toMatchObject({ x1: q4(-16), y1: q4(-16), x2: q4(32) });
    expect(both(config(heads, { clip: true }), conf, loc)[0]).toMatchObject({ x1: 0, y1: 0, x2: q4(32) });
  });

  it('rejects a bad configuration (C returns -1, TS throws)', () => {
    const { conf, loc } = blank(heads);
    const bad = config(heads, { iouDen: 0 });
    expect(() => detect(bad, conf, loc)).toThrow();
    expect(runC(bad, conf, loc).result).toBe(-1);
  });

  const randomOutputs = (seed: number, n: number, confRange: number, locRange: number) => {
    const next = mulberry32(seed);
    const conf = new Int16Array(2 * n).map(() => randomInt(next, -confRange, confRange));
    const loc = new Int16Array(4 * n).map(() => randomInt(next, -locRange, locRange));
    return { conf, loc };
  };

  // Seeds 1-4 fill the 750-box cap; seed 5 (threshold 0.9) ends with NMS having suppressed some.
  it.each([
    { seed: 1, confShift: 12, locShift: 12, confRange: 12000, locRange: 16000, threshold: 1638 },
    { seed: 2, confShift: 8, locShift: 10, confRange: 32767, locRange: 8000, threshold: 1638 },
    { seed: 3, confShift: 14, locShift: 15, confRange: 32767, locRange: 32767, threshold: 1638 },
    { seed: 4, confShift: 0, locShift: 0, confRange: 32767, locRange: 32767, threshold: 1638 }, // clamps
    { seed: 5, confShift: 12, locShift: 11, confRange: 12000, locRange: 16000, threshold: 29491 },
  ])(
    'random M4 outputs (seed $seed): identical boxes',
    ({ seed, confShift, locShift, confRange, locRange, threshold }) => {
      const hs = m4Heads(confShift, locShift);
      const { conf, loc } = randomOutputs(seed, 3000, confRange, locRange);
      const boxes = both(config(hs, { scoreThreshold: threshold }), conf, loc);
      expect(boxes.length).toBeGreaterThan(10);
      let candidates = 0;
      for (let p = 0; p < 3000; p++)
        if (scoreQ15(conf[2 * p + 1]! - conf[2 * p]!, confShift) > threshold) candidates++;
      if (seed === 5) expect(boxes.length).toBeLessThan(Math.min(candidates, DEFAULT_MAX_BOXES));
      else expect(boxes.length).toBe(DEFAULT_MAX_BOXES);
      // NMS disabled (IoU > 1 never holds), every prior above 0: the decode of all priors agrees
      const all = both(config(hs, { scoreThreshold: 0, maxBoxes: 3000, iouNum: 1, iouDen: 1 }), conf, loc);
      expect(all.length).toBeGreaterThan(1000);
      both(config(hs, { scoreThreshold: 0, maxBoxes: 3000, iouNum: 1, iouDen: 1, clip: true }), conf, loc);
    },
  );

  it('random outputs of a 3-head, 900-prior model with mixed shifts: identical boxes', () => {
    const hs: Head[] = [
      { rows: 20, cols: 30, step: 8, anchor: 12, confShift: 11, locShift: 13 },
      { rows: 10, cols: 15, step: 16, anchor: 24, confShift: 9, locShift: 12 },
      { rows: 10, cols: 15, step: 16, anchor: 40, confShift: 13, locShift: 14 },
    ];
    expect(numPriors(hs)).toBe(900);
    for (const seed of [5, 6, 7]) {
      const { conf, loc } = randomOutputs(seed, 900, 20000, 20000);
      expect(both(config(hs, { imageWidth: 240, imageHeight: 160 }), conf, loc).length).toBeGreaterThan(5);
    }
  });
});
