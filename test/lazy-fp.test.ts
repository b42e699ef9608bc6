// Lazy FP context stacking (ARMv7-M ARM B1.5.7 "Stack alignment and FP extended frame", B3.2.23
// FPCCR, B3.2.24 FPCAR, B3.2.25 FPDSCR; the PushStack/UpdateFPCCR, ExecuteFPCheck/PreserveFPState
// and PopStack pseudocode) on real firmware (test/firmware/em-lazyfp.S, real assembler, real
// engine) and on the register model alone. Cycles are hand counts: entry 12, return 10 (Cortex-M4
// TRM), the 17 FP words (S0-S15, FPSCR) 17 cycles more where they move (Arm KA16366 / 103489845:
// "12 cycles, plus a possible 17 cycles more" on entry, "ten cycles, plus a possible 17" on exit),
// `bx lr` 1 + P = 3, `vmov s0, r0` 1 (TRM Table 7-1).
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { loadElf } from '../src/emulator/machine.js';
import { SymbolTable } from '../src/elf/symbols.js';
import { EXCEPTION_CYCLES } from '../src/emulator/exception-core.js';
import { Fpu, FPCAR, FPCCR, FPCCR_RESET, FPDSCR } from '../src/emulator/peripherals/fpu.js';
import { TRAP_FP, TRAP_LAZYFP, withTrapChecks } from '../src/emulator/trap-checks.js';
import { assembleAndDisasm, armTools } from './helpers/assemble.js';
import { buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { simulate } from './helpers/run.js';

const SIZES = {
  res: 48,
  area_svc: 72,
  area_irq: 72,
  after_svc: 68,
  after_irq: 68,
  after_pendsv: 68,
  after_systick: 68,
} as const;
type Buffers = Record<keyof typeof SIZES, number[]>;

const FILL = 0xa5a5a5a5;
/** FPSCR of Thread mode: N, Z, C, V set (em-lazyfp.S). */
const FPSCR = 0xf0000000;
/** S0-S15 of Thread mode (1.0 … 16.0, test/firmware/em-lazyfp.S thread_vals). */
const THREAD_S = Array.from({ length: 16 }, (_, i) => {
  const b = Buffer.alloc(4);
  b.writeFloatLE(i + 1);
  return b.readUInt32LE(0);
});

function run(noLspen: boolean) {
  const elf = buildTestFirmware('em-lazyfp', noLspen ? { defines: { NO_LSPEN: 1 } } : {});
  const symbols = new SymbolTable(loadElf(readFileSync(elf), elf));
  const collect = Object.entries(SIZES).map(([name, length]) => ({
    name,
    address: symbols.address(name)!,
    length,
  }));
  const { result } = simulate(elf, { collect });
  const words = {} as Buffers;
  for (const name of Object.keys(SIZES) as (keyof typeof SIZES)[]) {
    const b = Buffer.from(result.collected[name]!);
    words[name] = Array.from({ length: b.length / 4 }, (_, i) => b.readUInt32LE(4 * i));
  }
  const self = (name: string) => result.exceptions.taken.find((t) => t.name === name)?.selfCycles;
  return { result, words, self };
}

describe('FPCCR, FPCAR, FPDSCR register model (B3.2.23-25)', () => {
  test('reset values: FPCCR 0xC0000000 (ASPEN, LSPEN), FPCAR and FPDSCR 0', () => {
    const f = new Fpu();
    expect(FPCCR_RESET).toBe(0xc0000000);
    expect(f.readWord(FPCCR)).toBe(0xc0000000);
    expect(f.readWord(FPCAR)).toBe(0);
    expect(f.readWord(FPDSCR)).toBe(0);
    expect(f.lspen && f.aspen && !f.lspact).toBe(true);
  });

  test('writes keep reserved bits 0; FPCAR [2:0] and FPDSCR outside AHP/DN/FZ/RMode read 0', () => {
    const f = new Fpu();
    let changes = 0;
    f.onLazyChange = () => changes++;
    f.writeWord(FPCCR, 0xffffffff, 0xffffffff);
    expect(f.readWord(FPCCR)).toBe(0xc000017b);
    expect(f.lspact).toBe(true);
    f.writeWord(FPCCR, 0, 0x000000ff); // byte write: LSPACT … MMRDY cleared, ASPEN/LSPEN kept
    expect(f.readWord(FPCCR)).toBe(0xc0000100);
    expect(changes).toBe(2);
    f.writeWord(FPCAR, 0x2000ffff, 0xffffffff);
    expect(f.readWord(FPCAR)).toBe(0x2000fff8);
    f.writeWord(FPDSCR, 0xffffffff, 0xffffffff);
    expect(f.readWord(FPDSCR)).toBe(0x07c00000);
  });

  test('UpdateFPCCR at entry: LSPACT, FPCAR, THREAD/USER and the *RDY bits; ASPEN/LSPEN kept', () => {
    const f = new Fpu();
    f.reserve(0x20000fb8, { thread: true, user: true, hf: true, mm: true, bf: false, mon: false });
    expect(f.readWord(FPCCR)).toBe((0xc0000000 | 1 | 2 | 8 | 0x10 | 0x20) >>> 0);
    expect(f.readWord(FPCAR)).toBe(0x20000fb8);
    f.setLspact(false);
    expect(f.readWord(FPCCR)).toBe((0xc0000000 | 2 | 8 | 0x10 | 0x20) >>> 0);
  });
});

describe.skipIf(!armTools())('lazy-FP check of a block', () => {
  test('the first FPU instruction is checked even after a store (unlike NOCP)', () => {
    const insns = assembleAndDisasm('str r0, [r1]\nvmov s0, r0\nvadd.f32 s1, s1, s1\nbx lr');
    const cost = withTrapChecks(
      { instructions: 4, cycles: 6, takenCycles: 0, flags: 0, sp: 0, checks: [] } as never,
      insns,
    );
    const fp: number[][] = [];
    for (let i = 0; i < cost.checks!.length; i += 9) {
      const kind = cost.checks![i + 1]!;
      if (kind === TRAP_LAZYFP || kind === TRAP_FP) fp.push([kind, cost.checks![i]!]);
    }
    expect(fp).toEqual([[TRAP_LAZYFP, insns[1]!.address]]);
  });
});

describe.skipIf(!haveToolchain)('lazy FP stacking on firmware (em-lazyfp.S)', () => {
  test('FPCCR reads 0xC0000000 at reset; the first FPU instruction sets CONTROL.FPCA (ASPEN)', () => {
    const { result, words } = run(false);
    expect(result.exit).toMatchObject({ reason: 'exit', code: 0 });
    expect(words.res[0]).toBe(0xc0000000);
    expect(words.res[1]! & 4).toBe(4);
  });

  test('a handler without FPU use: FP area reserved but unwritten, LSPACT 1, FPCAR = frame + 0x20', () => {
    const { words } = run(false);
    const frame = words.res[4]!;
    // ASPEN | LSPEN | HFRDY | THREAD | LSPACT (privileged: USER 0; MemManage/BusFault disabled).
    expect(words.res[2]).toBe(0xc0000019);
    expect(words.res[3]).toBe(frame + 0x20);
    expect(words.area_svc).toEqual(new Array(18).fill(FILL));
    // The return restored nothing and S0-S15 and FPSCR are still Thread mode's.
    expect(words.after_svc.slice(0, 16)).toEqual(THREAD_S);
    expect(words.res[10]).toBe(FPSCR);
    expect(words.after_svc[16]).toBe(FPSCR);
  });

  test('a handler that uses the FPU: the caller S0-S15 saved at FPCAR first, then LSPACT 0', () => {
    const { words } = run(false);
    const frame = words.res[8]!;
    expect(words.res[5]).toBe(0xc0000019); // before its first FPU instruction
    expect(words.res[6]).toBe(0xc0000018); // after it
    expect(words.res[7]).toBe(frame + 0x20);
    expect(words.area_irq.slice(0, 16)).toEqual(THREAD_S);
    expect(words.area_irq[16]).toBe(FPSCR);
    expect(words.area_irq[17]).toBe(FILL); // the reserved word is never written
    // The handler loaded -1.0 into S0-S15; the return restored Thread mode's from the frame.
    expect(words.after_irq).toEqual([...THREAD_S, FPSCR]);
    expect(words.after_pendsv).toEqual([...THREAD_S, FPSCR]);
    expect(words.after_systick).toEqual([...THREAD_S, FPSCR]);
    expect(words.res[9]! & 1).toBe(0);
  });

  test('with FPCCR.LSPEN = 0 the FP area is written at entry and FPCAR is not updated', () => {
    const { result, words } = run(true);
    expect(result.exit).toMatchObject({ reason: 'exit', code: 0 });
    expect(words.res[2]).toBe(0x80000000);
    expect(words.res[3]).toBe(0);
    expect(words.area_svc.slice(0, 16)).toEqual(THREAD_S);
    expect(words.area_svc[16]).toBe(FPSCR);
    expect(words.after_svc).toEqual([...THREAD_S, FPSCR]);
    expect(words.area_irq.slice(0, 17)).toEqual([...THREAD_S, FPSCR]);
    expect(words.after_irq).toEqual([...THREAD_S, FPSCR]);
    expect(words.after_systick).toEqual([...THREAD_S, FPSCR]);
  });

  test('cycles: lazy entry 12, deferred save 17, return 10 (+17 restoring); LSPEN = 0: 29 and 27', () => {
    expect(EXCEPTION_CYCLES).toMatchObject({ entry: 12, return: 10, fpWords: 17 });
    const lazy = run(false);
    const eager = run(true);
    // PendSV `bx lr`: lazy 12 + 3 + 10; eager (12 + 17) + 3 + (10 + 17).
    expect(lazy.self('PendSV')).toBe(12 + 3 + 10);
    expect(eager.self('PendSV')).toBe(29 + 3 + 27);
    // SysTick `vmov s0, r0; bx lr`: lazy 12 + 17 (save before vmov) + 1 + 3 + (10 + 17); eager 29 + 1 + 3 + 27.
    expect(lazy.self('SysTick')).toBe(12 + 17 + 1 + 3 + 27);
    expect(eager.self('SysTick')).toBe(29 + 1 + 3 + 27);
    // Same handler code either way: without FPU use lazy saves 34 cycles; with it, none.
    expect(eager.self('SVCall')! - lazy.self('SVCall')!).toBe(34);
    expect(eager.self('IRQ0')).toBe(lazy.self('IRQ0'));
  });
});
