// Differential tests of the per-function and per-layer profiles on code not written for m4sim's
// conventions: the detector firmware built at -O3 (inlining, sibling calls, jump tables) and the C
// call shapes at every optimization level.
//
// The oracle for self figures is a flat profile computed another way: every executed instruction
// belongs to the function whose address range holds it (a GCC `.cold` part to its parent), from the
// per-block execution counts alone, with no call stack. With tail calls charged to the callee and
// inlined code to the function it was inlined into, the shadow stack's self instructions and
// cycles of each function must equal it exactly (exception entry and return cycles, charged to the
// handler, are outside any block and left out of the cycle comparison of handlers).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDetector } from '../src/detector/build.js';
import { DEFAULT_IMAGE, detect, type DetectionReport } from '../src/detector/detect.js';
import { referenceRunner } from '../src/detector/reference.js';
import { parseElf } from '../src/elf/elf.js';
import { SymbolTable } from '../src/elf/symbols.js';
import { loadBoard } from '../src/emulator/board.js';
import { FunctionRanges } from '../src/emulator/function-ranges.js';
import { disasm } from '../src/emulator/native.js';
import type { RunResult } from '../src/emulator/machine.js';
import { blockCost, DEFAULT_CYCLE_MODEL } from '../src/profile/cycle-model.js';
import { layerProfile } from '../src/profile/layers.js';
import { buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { simulate } from './helpers/run.js';

if (!haveToolchain) console.warn('skipping profile differential tests: arm-none-eabi-gcc not found');

interface Flat {
  instructions: Map<string, number>;
  cycles: Map<string, number>;
}

/** Self instructions and cycles by function name, from the block counts and the ELF's code. */
function flatProfile(r: RunResult, elfPath: string): Flat {
  const bytes = new Uint8Array(readFileSync(elfPath));
  const elf = parseElf(bytes, elfPath);
  const symbols = new SymbolTable(elf);
  const ranges = new FunctionRanges(symbols);
  const code = (address: number, size: number): Uint8Array => {
    const s = elf.sections.find(
      (x) => x.type === 1 && address >= x.addr && address + size <= x.addr + x.size,
    );
    if (!s) throw new Error(`no section holds the block at ${address.toString(16)}`);
    return bytes.subarray(s.offset + address - s.addr, s.offset + address - s.addr + size);
  };
  const flash = loadBoard(r.board).flash;
  const flat: Flat = { instructions: new Map(), cycles: new Map() };
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  for (const b of r.blocks) {
    if (b.execs === 0 && b.taken === 0) continue;
    const insns = disasm(code(b.address, b.size), b.address);
    const entry = ranges.entryAt(b.address);
    // A block belongs to one function: it ends at the first branch, and functions end in one.
    for (const i of insns) expect(ranges.entryAt(i.address)).toBe(entry);
    const name = entry === undefined ? `0x${b.address.toString(16)}` : symbols.functionName(entry);
    const cost = blockCost(insns, DEFAULT_CYCLE_MODEL, {
      inFlash: b.address >= flash.base && b.address < flash.base + flash.size,
    });
    add(flat.instructions, name, b.execs * cost.instructions);
    add(flat.cycles, name, b.execs * cost.cycles + b.taken * cost.takenCycles);
  }
  return flat;
}

function selfBy(r: RunResult, field: 'selfInstructions' | 'selfCycles'): Map<string, number> {
  const m = new Map<string, number>();
  for (const f of r.functions.functions) if (f[field] > 0) m.set(f.name, f[field]);
  return m;
}

function expectSelfMatchesFlat(r: RunResult, elfPath: string, handlers: string[] = []): void {
  const flat = flatProfile(r, elfPath);
  expect(Object.fromEntries(selfBy(r, 'selfInstructions'))).toEqual(Object.fromEntries(flat.instructions));
  const cycles = Object.fromEntries([...selfBy(r, 'selfCycles')].filter(([k]) => !handlers.includes(k)));
  const flatCycles = Object.fromEntries([...flat.cycles].filter(([k]) => !handlers.includes(k)));
  expect(cycles).toEqual(flatCycles);
  expect(r.functions.tree[0]!.inclusiveCycles).toBe(r.cycles);
}

describe.skipIf(!haveToolchain)('per-function self figures equal a flat profile by address', () => {
  for (const level of ['-O0', '-O2', '-O3', '-Os']) {
    it(`call-shapes-c.c at ${level}`, () => {
      const elf = buildTestFirmware('call-shapes-c', { cflags: [level], variant: `call-shapes-c${level}` });
      const { result: r } = simulate(elf);
      expect(r.exit).toMatchObject({ reason: 'exit', code: 0 });
      expectSelfMatchesFlat(r, elf, ['SVC_Handler', 'handler_work']);
    });
  }

  it('call-shapes.S', () => {
    const elf = buildTestFirmware('call-shapes');
    const { result: r } = simulate(elf);
    expectSelfMatchesFlat(r, elf, ['SVC_Handler', 'in_handler']);
  });
});

describe.skipIf(!haveToolchain)('the detector built at -O3 (inlining, sibling calls)', () => {
  let o3: DetectionReport;
  let o2: DetectionReport;
  beforeAll(() => {
    const board = loadBoard('m4-256k');
    const common = { board, image: DEFAULT_IMAGE, reference: referenceRunner };
    o3 = detect({ ...common, optimization: 'O3' });
    o2 = detect({ ...common });
  }, 600_000);

  it('stays bit-exact with the reference', () => {
    expect(o3.match).toBe(true);
    expect(Array.from(o3.run.outputs)).toEqual(Array.from(o2.run.outputs));
  });

  it('per-function self figures equal the flat profile; the root holds the whole run', () => {
    expectSelfMatchesFlat(o3.run.result, buildDetector(undefined, { optimization: 'O3' }).elf);
  });

  it('per-layer cycles tile the frame between the markers and agree with the per-function tree', () => {
    const layers = layerProfile(o3).layers;
    expect(layers.map((l) => l.id)).toEqual(o2.run.layers.map((l) => l.id));
    for (let i = 1; i < layers.length; i++)
      expect(layers[i]!.start).toBeGreaterThanOrEqual(layers[i - 1]!.end);
    const spanned = layers.reduce((n, l) => n + l.cycles, 0);
    expect(spanned).toBeLessThanOrEqual(o3.run.result.cycles);
    for (const l of layers) expect(l.cycles).toBe(l.end - l.start);
    // Everything between the first and the last marker ran in one call from the C start-up: at -O3
    // main tail-calls detector_run (b.w), which therefore is the start-up's child that covers them.
    const tree = o3.run.result.functions.tree;
    const crt = tree.findIndex((n) => n.name === '_mainCRTStartup');
    const top = tree
      .filter((n) => n.parent === crt)
      .sort((a, b) => b.inclusiveCycles - a.inclusiveCycles)[0]!;
    expect(top.name).toBe('detector_run');
    expect(top.calls).toBe(1);
    expect(top.inclusiveCycles).toBeGreaterThanOrEqual(layers.at(-1)!.end - layers[0]!.start);
    expect(tree.some((n) => n.name === 'main' && n.parent === crt && n.inclusiveCycles < 100)).toBe(true);
  });
});
