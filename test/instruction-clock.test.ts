// DWT CYCCNT, SYST_CVR and ITM timestamps at the instruction that accesses them, not at the end of
// its translation block. Hand counts in test/firmware/cyccnt-block.S (code in flash, P = 2).
import { describe, expect, it } from 'vitest';
import { buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { simulate } from './helpers/run.js';
import { loadBoard } from '../src/emulator/board.js';
import { InstructionClock } from '../src/emulator/instruction-clock.js';
import { UC_ARM_REG, type UnicornEngine } from '../src/emulator/native.js';
import { DEFAULT_CYCLE_MODEL } from '../src/profile/cycle-model.js';

if (!haveToolchain) console.warn('skipping instruction clock tests: arm-none-eabi-gcc not found');

function ports(flashWaitStates: number, exact = false) {
  const { result } = simulate(buildTestFirmware('cyccnt-block'), {
    board: loadBoard('m4-256k', { flashWaitStates }),
    exact,
  });
  expect(result.exit).toMatchObject({ reason: 'exit', code: 0 });
  return { result, values: result.itm.map((e) => [e.port, e.value]) };
}

describe.skipIf(!haveToolchain)('the PPB clock is exact at the accessing instruction', () => {
  it('CYCCNT: two reads 16 NOPs apart in one block, a write, a loop; SYST_CVR: two reads', () => {
    const { result, values } = ports(0);
    expect(values).toEqual([
      [1, 18], // ldr (2) + 16 nop
      [2, 2], // the str that wrote CYCCNT = 0 (2: a load follows it)
      [3, 52], // ldr 2 + movs 1 + movs 1 + 10 × 3 + 9 taken bne × P (2)
      [4, 18], // SYST_CVR counts down: ldr (2) + 16 nop
      [5, 0xfffffc], // 0x1000000 − (str 1 + b (1 + P)) since the CSR store that enabled it
    ]);
    // The ITM stores of ports 1 and 2 are one block too: 2 cycles apart (a store follows the first).
    expect(result.itm[1]!.cycles - result.itm[0]!.cycles).toBe(2);
  });

  it('flash wait states count in the taken branches between the reads, not inside the block', () => {
    const W = 5;
    expect(ports(W).values).toEqual([
      [1, 18],
      [2, 2],
      [3, 52 + 9 * W],
      [4, 18],
      [5, 0xfffffc - W],
    ]);
  });

  it('--exact (a hook on every instruction) reads the same values and cycles', () => {
    const fast = ports(0);
    const exact = ports(0, true);
    expect(exact.values).toEqual(fast.values);
    expect(exact.result.itm.map((e) => e.cycles)).toEqual(fast.result.itm.map((e) => e.cycles));
    expect(exact.result.cycles).toBe(fast.result.cycles);
  });
});

describe('InstructionClock on a stand-in engine', () => {
  // One block at 0x08000000: ldr r1, [r0]; 16 × nop; ldr r2, [r0] (r0 = CYCCNT), entered at cycle
  // 100, so the running count inside it is already 100 + 2 + 16 + 2 = 120.
  const BASE = 0x08000000;
  const CYCCNT = 0xe0001004;
  const code = Buffer.from([
    0x01,
    0x68,
    ...Array.from({ length: 16 }, () => [0x00, 0xbf]).flat(),
    0x02,
    0x68,
  ]);
  let instructions = 18;
  let executing = true;
  const uc = {
    now: () => 120,
    block_clock: (out: Float64Array) =>
      out.set([BASE, executing ? code.length : 0, executing ? 100 : 120, instructions]),
    reg_read_i32: (id: number) => (id === UC_ARM_REG.R0 ? CYCCNT : 0),
    mem_read: (address: number, length: number) => code.subarray(address - BASE, address - BASE + length),
  } as unknown as UnicornEngine;
  const clock = new InstructionClock(uc, DEFAULT_CYCLE_MODEL, () => true);
  const read = () =>
    clock.during({ address: CYCCNT, size: 4, write: false }, () => [clock.now(), clock.now()]);

  it('outside an MMIO callback it is the running count', () => {
    expect(clock.now()).toBe(120);
  });

  it('inside: the start of the reading instruction, in program order per block execution', () => {
    expect(read()).toEqual([100, 100]); // asked twice in one access: one answer
    expect(read()).toEqual([118, 118]); // 100 + ldr (2) + 16
    instructions += 18; // the block runs again: its first load again
    expect(read()).toEqual([100, 100]);
    expect(read()).toEqual([118, 118]);
  });

  it('no block executing (no profiler): the running count', () => {
    executing = false;
    expect(read()).toEqual([120, 120]);
  });
});
