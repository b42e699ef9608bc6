// Profiles and report exporters: the per-function profile against hand counts, and the speedscope
// file, the Chrome trace and the HTML report of one detector run checked for their formats.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_IMAGE, detect, type DetectionReport } from '../src/detector/detect.js';
import { referenceRunner } from '../src/detector/reference.js';
import { loadBoard } from '../src/emulator/board.js';
import { decodeImage } from '../src/image/index.js';
import { formatFunctionTable, pathOf } from '../src/profile/functions.js';
import { layerProfile, type LayerReport } from '../src/profile/layers.js';
import { renderHtml } from '../src/report/html.js';
import { SPEEDSCOPE_SCHEMA, toSpeedscope } from '../src/report/speedscope.js';
import { toTrace } from '../src/report/trace.js';
import { projectRoot } from '../src/util/paths.js';
import { buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { simulate } from './helpers/run.js';

if (!haveToolchain) console.warn('skipping report tests: arm-none-eabi-gcc not found');

const P = 2;

describe.skipIf(!haveToolchain)('per-function profile from the native shadow stack', () => {
  it('stack-depth.S: recurse is called 11 times; inclusive cycles match hand counts', () => {
    const { result: r } = simulate(buildTestFirmware('stack-depth'));
    expect(r.exit).toMatchObject({ reason: 'exit', code: 0 });
    const fn = (name: string) => r.functions.functions.find((f) => f.name === name)!;
    const reset = fn('Reset_Handler');
    const recurse = fn('recurse');
    expect(recurse.calls).toBe(11);
    expect(reset.calls).toBe(1);
    // Reset_Handler's own blocks: movs (1) + bl (1+P), then the exit block ldr literal (2) + movs (1)
    // + bkpt (1). Everything else ran inside recurse.
    const exitBlock = 2 + 1 + 1;
    expect(reset.selfCycles).toBe(1 + (1 + P) + exitBlock);
    expect(reset.inclusiveCycles).toBe(r.cycles);
    expect(recurse.inclusiveCycles).toBe(r.cycles - (1 + (1 + P)) - exitBlock);
    // By hand (TRM Table 3-1, P = 2, one stall cycle when an instruction's address uses SP written by
    // the instruction just before: pop after `add sp`, push after `sub sp, sp, r3`):
    //   n > 0 (10×): push 1+4, sub 1, cbz 1, subs 1, bl 1+P = 11 | b done 1+P = 3 | add 1, pop 1+4+P +1 = 9
    //   n = 0: push 5, sub 1, cbz taken 1+P = 9 | movs, mov, sub 1 each, push {r0} 2+1, pop {r0} 2,
    //          mov sp 1 = 9 | add 1, pop 1+4+P +1 = 9
    expect(recurse.inclusiveCycles).toBe(10 * (11 + 3 + 9) + (9 + 9 + 9));
    expect(reset.inclusiveInstructions).toBe(r.instructions);
    // The tree: Reset_Handler → recurse → … 11 deep; self cycles add up to the run.
    const tree = r.functions.tree;
    expect(tree).toHaveLength(12);
    expect(pathOf(tree, 11).map((i) => tree[i]!.name)).toEqual([
      'Reset_Handler',
      ...Array(11).fill('recurse'),
    ]);
    expect(tree.reduce((n, t) => n + t.selfCycles, 0)).toBe(r.cycles);
    expect(tree.reduce((n, t) => n + t.selfInstructions, 0)).toBe(r.instructions);
    expect(formatFunctionTable(r.functions, r.cycles)).toMatch(/recurse\s+11\s/);
  });

  it('samples SP at ITM writes and the cycle count at the stack high-water', () => {
    const { result: r } = simulate(buildTestFirmware('itm-dwt'));
    for (const e of r.itm) {
      expect(e.sp).toBeGreaterThanOrEqual(r.sram.lowestSp);
      expect(e.sp).toBeLessThanOrEqual(r.sram.initialSp);
      expect(e.minSp).toBeLessThanOrEqual(e.sp!);
      expect(e.minSp).toBeGreaterThanOrEqual(r.sram.lowestSp);
    }
    expect(r.sram.stackPeakCycles).toBeGreaterThan(0);
    expect(r.sram.stackPeakCycles).toBeLessThanOrEqual(r.cycles);
    const main = r.functions.functions.find((f) => f.name === 'main')!;
    expect(main.calls).toBe(1);
    expect(main.inclusiveCycles).toBeGreaterThan(main.selfCycles);
  });
});

describe.skipIf(!haveToolchain)('report exporters on one detector run', () => {
  let report: DetectionReport;
  let layers: LayerReport;
  beforeAll(() => {
    report = detect({ board: loadBoard('m4-256k'), reference: referenceRunner });
    layers = layerProfile(report);
  }, 120_000);

  it('layer profile: ordered layers, shares, stack peaks and live arena bytes', () => {
    expect(layers.layers.map((l) => l.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const r = report.run.result;
    expect(layers.layers.map((l) => l.cycles)).toEqual(report.run.layers.map((l) => l.cycles));
    const share = layers.layers.reduce((n, l) => n + l.share, 0);
    expect(share).toBeGreaterThan(0.5);
    expect(share).toBeLessThanOrEqual(1);
    for (const l of layers.layers) {
      expect(l.stackPeak).not.toBeNull();
      expect(l.stackPeak!).toBeGreaterThan(0);
      expect(l.stackPeak!).toBeLessThanOrEqual(r.sram.stack);
      if (l.macs > 0) expect(l.cyclesPerMac).toBeGreaterThan(0);
    }
    expect(Math.max(...layers.layers.map((l) => l.liveArenaBytes))).toBe(report.run.block.arenaBytes);
    expect(layers.sram.some((s) => s.label === 'stack high-water' && s.stack === r.sram.stack)).toBe(true);
  });

  it('speedscope file: frames referenced by index exist, one weight per sample, weights sum to the cycles', () => {
    const file = JSON.parse(JSON.stringify(toSpeedscope(report.run.result.functions.tree, 'detector')));
    expect(file.$schema).toBe(SPEEDSCOPE_SCHEMA);
    expect(Array.isArray(file.shared.frames)).toBe(true);
    for (const f of file.shared.frames) expect(typeof f.name).toBe('string');
    expect(file.profiles).toHaveLength(1);
    const p = file.profiles[0];
    expect(p).toMatchObject({ type: 'sampled', unit: 'none', startValue: 0 });
    expect(typeof p.name).toBe('string');
    expect(p.weights).toHaveLength(p.samples.length);
    for (const s of p.samples) {
      expect(s.length).toBeGreaterThan(0);
      for (const i of s) {
        expect(Number.isInteger(i)).toBe(true);
        expect(file.shared.frames[i]).toBeDefined();
      }
    }
    const total = p.weights.reduce((a: number, b: number) => a + b, 0);
    expect(total).toBe(report.run.result.cycles);
    expect(p.endValue).toBe(total);
    // Deep paths: the RNNPool kernel sits under face_m4_run.
    const names = (s: number[]) => s.map((i) => file.shared.frames[i].name);
    expect(p.samples.some((s: number[]) => names(s).includes('face_m4_run') && s.length >= 4)).toBe(true);
  });

  it('Chrome trace: events have ph/ts/pid, layer slices are ordered and do not overlap, SRAM ≤ RAM', () => {
    const r = report.run.result;
    const trace = JSON.parse(JSON.stringify(toTrace(layers, r.clockHz, 'detector')));
    expect(Array.isArray(trace.traceEvents)).toBe(true);
    for (const e of trace.traceEvents) {
      expect(typeof e.name).toBe('string');
      expect(['X', 'C', 'M']).toContain(e.ph);
      expect(typeof e.ts).toBe('number');
      expect(Number.isInteger(e.pid)).toBe(true);
    }
    const slices = trace.traceEvents.filter((e: { ph: string }) => e.ph === 'X');
    expect(slices.map((e: { name: string }) => e.name)).toEqual(report.run.layers.map((l) => l.name));
    for (let i = 0; i < slices.length; i++) {
      expect(slices[i].dur).toBeGreaterThanOrEqual(0);
      if (i > 0) expect(slices[i].ts).toBeGreaterThanOrEqual(slices[i - 1].ts + slices[i - 1].dur - 1e-6);
    }
    const end = slices[slices.length - 1];
    expect(end.ts + end.dur).toBeLessThanOrEqual((r.cycles / r.clockHz) * 1e6 + 1e-6);
    const counters = trace.traceEvents.filter((e: { ph: string }) => e.ph === 'C');
    expect(counters.length).toBeGreaterThanOrEqual(2 * slices.length);
    for (const c of counters) {
      expect(c.name).toBe('SRAM in use');
      expect(c.args.bytes).toBeGreaterThan(0);
      expect(c.args.bytes).toBeLessThanOrEqual(r.sram.size);
    }
  });

  it('HTML: verdict, SRAM chart, layer table, an inline image and no network URLs', () => {
    const path = join(projectRoot(), DEFAULT_IMAGE);
    const html = renderHtml(report, layers, { image: decodeImage(readFileSync(path), path) });
    expect(html).toMatch(/id="verdict"[^>]*>Verdict: (PASS|FAIL)</);
    expect(html).toContain('id="sram-bar"');
    expect(html).toContain('id="ram-map"');
    expect(html).toContain('id="sram-chart"');
    expect(html).toContain('id="layer-table"');
    expect(html).toContain('id="function-table"');
    expect(html).toContain('id="flame-graph"');
    expect(html).toMatch(/<img [^>]*src="data:image\/png;base64,[A-Za-z0-9+/=]+"/);
    for (const l of report.run.layers) expect(html).toContain(`<td>${l.name}</td>`);
    expect(html).toContain(report.run.result.cycleModel.name);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|<link /);
  });
});
