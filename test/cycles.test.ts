// Whole programs through the emulator, counted by hand from the Cortex-M4 TRM (DDI 0439) Table 3-1,
// 3.3.2 (load/store pipelining) and Table 7-1 (FPU), with P = 2 and zero flash wait states unless
// said. Every program ends with the exit sequence of buildAsmProgram: ldr (literal, 2) + movs (1) +
// bkpt (1) = 4 cycles. Unicorn translation blocks end at branches, so taken branches are seen at
// run time by the native profiler.
import { describe, expect, it } from 'vitest';
import { buildAsmProgram, haveToolchain } from './helpers/firmware.js';
import { simulate } from './helpers/run.js';
import { loadBoard } from '../src/emulator/board.js';

if (!haveToolchain) console.warn('skipping cycle tests: arm-none-eabi-gcc not found');

const P = 2;
const EXIT = 2 + 1 + 1;
const EXIT_INSTRUCTIONS = 3;

function run(name: string, body: string, flashWaitStates = 0) {
  const elf = buildAsmProgram(name, body);
  const { result } = simulate(elf, { board: loadBoard('m4-256k', { flashWaitStates }) });
  expect(result.exit).toMatchObject({ reason: 'exit', code: 0 });
  return result;
}

const LOOP = `
  movs r0, #0
  movs r1, #3
1:
  adds r0, r0, r1
  subs r1, #1
  bne 1b`;

describe.skipIf(!haveToolchain)('modeled cycles of whole programs equal hand counts', () => {
  it('`bne` costs 1 not taken and 1+P taken (a 3-iteration loop)', () => {
    const r = run('cycles-loop', LOOP);
    // 2 setup + 3 iterations × (adds + subs + bne) + 2 taken branches × P + exit.
    expect(r.cycles).toBe(2 + 3 * 3 + 2 * P + EXIT);
    expect(r.instructions).toBe(2 + 3 * 3 + EXIT_INSTRUCTIONS);
  });

  it('flash wait states add to every taken branch and literal load', () => {
    const ws = 5;
    const r = run('cycles-loop', LOOP, ws);
    // As above, plus ws per taken branch (2) and per literal load (the exit's ldr).
    expect(r.cycles).toBe(2 + 3 * 3 + 2 * (P + ws) + EXIT + ws);
    expect(r.cycleModel.params.flashWaitStates).toBe(ws);
  });

  it('`ldr` after `ldr` pipelines unless it uses the first destination for its address', () => {
    const r = run(
      'cycles-ldr',
      `
  ldr r2, =0x20000000
  ldr r0, [r2]
  ldr r1, [r2, #4]
  str r1, [r2, #8]
  adds r0, r0, r1
  b 1f
  .ltorg
1:`,
    );
    // ldr literal 2; ldr [r2] 2 (its address uses r2, the previous destination); ldr [r2, #4] 1
    // (pipelined); str 1 (pipelined after an LDR); adds 1; b 1+P; exit.
    expect(r.cycles).toBe(2 + 2 + 1 + 1 + 1 + (1 + P) + EXIT);
  });

  it('`mul`, `mla`, `smlad`, `umull` cost 1; `sdiv`/`udiv` cost the declared 12', () => {
    const r = run(
      'cycles-mul',
      `
  movs r2, #3
  movs r3, #4
  mul r0, r2, r3
  mla r1, r2, r3, r0
  smlad r4, r2, r3, r1
  umull r5, r6, r2, r3
  sdiv r7, r3, r2
  udiv r7, r3, r2`,
    );
    expect(r.cycles).toBe(1 + 1 + 1 + 1 + 1 + 1 + 12 + 12 + EXIT);
    expect(r.cycleModel.params.divideCycles).toBe(12);
  });

  it('`bl` and `pop {…, pc}` cost 1+P and 1+N+P; `push` 1+N; `ldm` 1+N', () => {
    const r = run(
      'cycles-call',
      `
  ldr r0, =0x20000100
  ldm r0, {r1, r2, r3, r4}
  bl 2f
  b 1f
2:
  push {r4, r5, lr}
  pop {r4, r5, pc}
  .ltorg
1:`,
    );
    // ldr 2 + ldm 1+4 + bl 1+P | push 1+3, pop 1+3+P | b 1+P | exit.
    expect(r.cycles).toBe(2 + (1 + 4) + (1 + P) + (1 + 3) + (1 + 3 + P) + (1 + P) + EXIT);
    expect(r.sram.stack).toBe(12);
    expect(r.sram.stackPath).toEqual(['Reset_Handler', 'Reset_Handler']);
  });

  it('`cbz` costs 1 not taken and 1+P taken', () => {
    const r = run(
      'cycles-cbz',
      `
  movs r0, #0
  cbz r0, 1f
  nop
1:
  movs r0, #1
  cbz r0, 2f
  nop
2:`,
    );
    // movs + cbz (taken, +P) | movs + cbz (not taken) | nop + exit.
    expect(r.cycles).toBe(1 + 1 + P + 1 + 1 + 1 + EXIT);
  });

  it('FPU: `vadd`/`vmul` 1, `vmla` 3, `vdiv`/`vsqrt` 14, `vpush`/`vpop` 1+N (Table 7-1)', () => {
    const r = run(
      'cycles-fpu',
      // CPACR resets to 0 (FPU denied, ARMv7-M ARM B3.2.20): enable CP10/CP11 first, as start-up code does.
      `
  ldr r3, =0xE000ED88
  ldr r2, [r3]
  orr r2, r2, #0xF00000
  str r2, [r3]
  dsb
  isb
  vmov.f32 s0, #1.0
  vmov.f32 s1, #2.0
  vadd.f32 s2, s0, s1
  vmul.f32 s3, s2, s2
  vmla.f32 s3, s0, s1
  vdiv.f32 s4, s3, s1
  vsqrt.f32 s5, s4
  vpush {s0-s3}
  vpop {s0-s3}`,
    );
    // Enabling: ldr literal 2, ldr 2 (its address is the first load's result: no pipelining), orr 1,
    // str 1 (immediate offset, no memory access next), dsb 1 + B, isb 1 + max(B, P).
    const enable = 2 + 2 + 1 + 1 + 1 + (1 + P);
    expect(r.cycles).toBe(enable + 1 + 1 + 1 + 1 + 3 + 14 + 14 + (1 + 4) + (1 + 4) + EXIT);
    expect(r.sram.stack).toBe(16);
  });
});
