// Cycle model against hand counts from the Cortex-M4 TRM (ARM DDI 0439): Table 3-1 (instruction cycles),
// 3.3.2 (load/store pipelining) and Table 7-1 (FPU). Snippets are assembled by the real GNU assembler
// and decoded by the addon's Capstone, exactly as the profiler sees translated blocks.
import { describe, expect, it } from 'vitest';
import {
  BLOCK_CALL,
  BLOCK_COND_BRANCH,
  BLOCK_SP_DYNAMIC,
  BLOCK_SP_LOWERS,
  BLOCK_SP_UNTRACKED,
  BLOCK_INDIRECT,
  BLOCK_HANG,
  type BlockCost,
  type Insn,
} from '../src/emulator/native.js';
import {
  DEFAULT_CYCLE_MODEL,
  blockCost,
  describeCycleModel,
  instructionCosts,
  instructionCycles,
  mnemonicRoot,
  resetUnknownMnemonics,
  spEffect,
  unknownMnemonics,
  type CycleModelParams,
} from '../src/profile/cycle-model.js';
import { assembleAndDisasm, armToolsMissingReason } from './helpers/assemble.js';

const missing = armToolsMissingReason();
if (missing) console.warn(`cycle-model tests skipped: ${missing}`);
const test = it.skipIf(missing !== undefined);

const P = DEFAULT_CYCLE_MODEL.branchRefill; // 2
const DIV = DEFAULT_CYCLE_MODEL.divideCycles; // 12
const B = DEFAULT_CYCLE_MODEL.barrierCycles; // 0

interface Opts {
  inFlash?: boolean;
  params?: CycleModelParams;
  /** Use only the first `take` instructions as the block (the rest are branch targets). */
  take?: number;
}

function block(source: string, take?: number): Insn[] {
  const insns = assembleAndDisasm(source);
  return take === undefined ? insns : insns.slice(0, take);
}

function cost(source: string, opts: Opts = {}): BlockCost {
  return blockCost(block(source, opts.take), opts.params ?? DEFAULT_CYCLE_MODEL, {
    inFlash: opts.inFlash ?? false,
  });
}

/** Cycles when the final branch is not taken (the whole block for unconditional ones). */
function cycles(source: string, opts: Opts = {}): number {
  return cost(source, opts).cycles;
}

describe('cycle model: integer instructions (TRM Table 3-1)', () => {
  test('ALU, shift, compare, bit-field and extend instructions cost 1 each; `bx lr` costs 1+P', () => {
    const c = cost(`
      movs r0, #1
      adds r0, r0, r1
      lsls r2, r0, #3
      and r3, r2, r1
      cmp r3, #0
      ubfx r4, r3, #2, #5
      sxtb r5, r4
      movw r6, #0x1234
      movt r6, #0x5678
      bx lr
    `);
    expect(c.instructions).toBe(10);
    expect(c.cycles).toBe(9 * 1 + (1 + P));
    expect(c.takenCycles).toBe(0);
    expect(c.flags).toBe(BLOCK_INDIRECT); // `bx lr` may be a return
  });

  test('`mul`, `mla`, `mls`, `umull`, `smlal` and the DSP `smlad`/`smlabb`/`smmla`/`smuad` cost 1 each', () => {
    expect(
      cycles(`
        mul r0, r1, r2
        mla r0, r1, r2, r3
        mls r0, r1, r2, r3
        umull r0, r1, r2, r3
        smlal r0, r1, r2, r3
        smlad r0, r1, r2, r3
        smlabb r0, r1, r2, r3
        smmla r0, r1, r2, r3
        smuad r0, r1, r2
      `),
    ).toBe(9 * 1);
  });

  test('`smlad` accumulates two 16x16 products in 1 cycle', () => {
    expect(cycles('smlad r0, r1, r2, r3')).toBe(1);
  });

  test('`sdiv`/`udiv` cost the declared divideCycles (default 12, the TRM worst case of 2..12)', () => {
    expect(cycles('sdiv r0, r1, r2\nudiv r3, r1, r2')).toBe(DIV + DIV);
    expect(DIV).toBe(12);
    const params = { ...DEFAULT_CYCLE_MODEL, divideCycles: 5 };
    expect(cycles('udiv r0, r1, r2', { params })).toBe(5);
  });

  test('`ssat`, `qadd`, `sadd16`, `clz`, `rev` cost 1 each', () => {
    expect(cycles('ssat r0, #8, r1\nqadd r0, r1, r2\nsadd16 r0, r1, r2\nclz r0, r1\nrev r0, r1')).toBe(5 * 1);
  });

  test('an IT block charges IT 1 and each conditional instruction its full cost', () => {
    // 1 (cmp) + 1 (ite) + 1 (moveq) + 1 (movne, skipped or not) + 1+P (bx)
    expect(
      cycles(`
        cmp r0, #1
        ite eq
        moveq r0, #2
        movne r0, #3
        bx lr
      `),
    ).toBe(1 + 1 + 1 + 1 + (1 + P));
  });

  test('`dmb`/`dsb` cost 1+B and `isb` 1+max(B,P)', () => {
    expect(cycles('dmb\ndsb\nisb')).toBe(1 + B + (1 + B) + (1 + Math.max(B, P)));
    const params = { ...DEFAULT_CYCLE_MODEL, barrierCycles: 4 };
    expect(cycles('dmb\nisb', { params })).toBe(1 + 4 + (1 + 4));
  });

  test('`nop`, `svc` and `bkpt` count 1', () => {
    expect(cycles('nop\nsvc #0')).toBe(1 + 1);
    expect(cycles('bkpt #0')).toBe(1);
  });
});

describe('cycle model: loads and stores (TRM Table 3-1 and 3.3.2)', () => {
  test('a lone `ldr` costs 2', () => {
    expect(cycles('ldr r0, [r1, #4]\nadds r0, #1')).toBe(2 + 1);
  });

  test('`ldr` after `ldr` pipelines: the second costs 1', () => {
    // 2 (ldr) + 1 (ldr pipelined) + 1 (add) + 1+P (b)
    expect(
      cycles(`
        1:
        ldr r0, [r1]
        ldr r2, [r3, #4]
        add r0, r0, r2
        b 1b
      `),
    ).toBe(2 + 1 + 1 + (1 + P));
  });

  test('`ldr` whose address uses the previous `ldr` destination does not pipeline', () => {
    // 2 (ldr r0) + 2 (ldr [r0]: needs r0, no overlap)
    expect(cycles('ldr r0, [r1]\nldr r2, [r0, #4]')).toBe(2 + 2);
  });

  test('TRM 3.3.2 example `LDR R0,[R1,R5]; LDR R1,[R2]; LDR R2,[R3,#4]` takes four cycles', () => {
    expect(cycles('ldr r0, [r1, r5]\nldr r1, [r2]\nldr r2, [r3, #4]')).toBe(2 + 1 + 1);
  });

  test('TRM 3.3.2 examples: `ldr` then `str` (either offset form) take three cycles', () => {
    // LDR R0,[R1,R2]; STR R0,[R3,#20]: the STR stores what the LDR loaded, still pipelined
    expect(cycles('ldr r0, [r1, r2]\nstr r0, [r3, #20]')).toBe(2 + 1);
    // LDR R0,[R1,R2]; STR R1,[R3,R2]
    expect(cycles('ldr r0, [r1, r2]\nstr r1, [r3, r2]')).toBe(2 + 1);
  });

  test('`ldrb`/`ldrh`/`ldrsh` pipeline like `ldr`', () => {
    expect(cycles('ldrb r0, [r1]\nldrh r2, [r1, #2]\nldrsh r3, [r1, #4]')).toBe(2 + 1 + 1);
  });

  test('`str` with an immediate offset costs 1 when the next instruction does not access memory', () => {
    // 1 (str: data phase overlaps the add) + 1 (add)
    expect(cycles('str r0, [r1, #4]\nadds r2, #1')).toBe(1 + 1);
  });

  test('`str` followed by another store costs 2: nothing pipelines after a store', () => {
    // 2 (str, next one waits for its data phase) + 1 (str imm, next is not memory) + 1 (add)
    expect(cycles('str r0, [r1]\nstr r2, [r1, #4]\nadds r2, #1')).toBe(2 + 1 + 1);
    // 2 (str) + 2 (ldr after a store is not pipelined)
    expect(cycles('str r0, [r1]\nldr r2, [r3]')).toBe(2 + 2);
  });

  test('`str` with a register offset costs 2', () => {
    expect(cycles('str r0, [r1, r2]\nadds r2, #1')).toBe(2 + 1);
    expect(cycles('strb r0, [r1, r2]\nadds r2, #1')).toBe(2 + 1);
  });

  test('a load whose address was just computed by an ALU instruction stalls 1 cycle', () => {
    // 1 (add) + 2+1 (ldr: no forwarding of r1 to the address generator)
    expect(cycles('adds r1, r1, #4\nldr r0, [r1]')).toBe(1 + (2 + 1));
    // no stall when the ALU result is the stored data, not the address
    expect(cycles('adds r0, r0, #4\nstr r0, [r1]')).toBe(1 + 1);
  });

  test('`ldrex` then `strex` pipeline like two loads', () => {
    expect(cycles('ldrex r0, [r1]\nstrex r2, r3, [r1]')).toBe(2 + 1);
  });

  test('`ldrd`/`strd` cost 1+N = 3 and never pipeline', () => {
    // 2 (ldr) + 3 (ldrd, not pipelined) + 3 (strd)
    expect(cycles('ldr r0, [r1]\nldrd r2, r3, [r4]\nstrd r2, r3, [r4, #8]')).toBe(2 + 3 + 3);
    // 3 (ldrd) + 2 (ldr, not pipelined after ldrd)
    expect(cycles('ldrd r2, r3, [r4]\nldr r0, [r1]')).toBe(3 + 2);
  });

  test('`push {r4, r5, r6, lr}` costs 1+N', () => {
    expect(cycles('push {r4, r5, r6, lr}')).toBe(1 + 4);
  });

  test('`ldm r0!, {r1, r2, r3}` and `stmia r0!, {r1, r2}` cost 1+N', () => {
    expect(cycles('ldm r0!, {r1, r2, r3}')).toBe(1 + 3);
    expect(cycles('stmia r0!, {r1, r2}')).toBe(1 + 2);
  });

  test('`pop {r4, pc}` costs 1+N+P', () => {
    const c = cost('pop {r4, pc}');
    expect(c.cycles).toBe(1 + 2 + P);
    expect(c.takenCycles).toBe(0);
    expect(c.flags & BLOCK_COND_BRANCH).toBe(0);
  });

  test('`ldr pc, [sp], #4` costs 2+P', () => {
    expect(cycles('ldr pc, [sp], #4')).toBe(2 + P);
  });

  test('`tbb [pc, r0]` costs 2+P', () => {
    expect(cycles('tbb [pc, r0]')).toBe(2 + P);
  });
});

describe('cycle model: branches', () => {
  test('`b` costs 1+P and `mov pc, lr` 1+P', () => {
    expect(cycles('1:\nb 1b')).toBe(1 + P);
    expect(cycles('mov pc, lr')).toBe(1 + P);
  });

  test('`bne` costs 1 not taken and P more when taken (takenCycles)', () => {
    const c = cost(`
      1:
      subs r0, #1
      bne 1b
    `);
    expect(c.cycles).toBe(1 + 1); // subs + bne not taken
    expect(c.takenCycles).toBe(P); // taken: 1+P in all
    expect(c.flags).toBe(BLOCK_COND_BRANCH);
  });

  test('`cbz` costs 1 not taken, 1+P taken', () => {
    const c = cost(
      `
      adds r0, #1
      cbz r0, 1f
      nop
      1:
      nop
    `,
      { take: 2 },
    );
    expect(c.cycles).toBe(1 + 1);
    expect(c.takenCycles).toBe(P);
    expect(c.flags).toBe(BLOCK_COND_BRANCH);
  });

  test('`bxeq lr` in an IT block is a conditional branch', () => {
    const c = cost('cmp r0, #0\nit eq\nbxeq lr');
    expect(c.cycles).toBe(1 + 1 + 1);
    expect(c.takenCycles).toBe(P);
    expect(c.flags).toBe(BLOCK_COND_BRANCH | BLOCK_INDIRECT);
  });

  test('`popne {r4, pc}` in an IT block costs 1+N, and P more when it executes', () => {
    const c = cost('it ne\npopne {r4, pc}');
    expect(c.cycles).toBe(1 + (1 + 2));
    expect(c.takenCycles).toBe(P);
    expect(c.flags & BLOCK_COND_BRANCH).toBe(BLOCK_COND_BRANCH);
  });

  test('`bl` at the end sets BLOCK_CALL and costs 1+P', () => {
    const c = cost('1:\nmovs r0, #1\nbl 1b');
    expect(c.cycles).toBe(1 + (1 + P));
    expect(c.flags).toBe(BLOCK_CALL);
  });

  test('`blx r3` sets BLOCK_CALL; `bx lr` and `b` do not; register targets set BLOCK_INDIRECT', () => {
    expect(cost('blx r3').flags).toBe(BLOCK_CALL | BLOCK_INDIRECT);
    expect(cost('blx r3').cycles).toBe(1 + P);
    expect(cost('bx lr').flags).toBe(BLOCK_INDIRECT);
    expect(cost('pop {r4, pc}').flags & BLOCK_INDIRECT).toBe(BLOCK_INDIRECT);
    expect(cost('1:\nb 1b').flags).toBe(BLOCK_HANG); // `b .` can only end with an interrupt
  });

  test('`b .`, `wfi` and `wfe` are idle loops (BLOCK_HANG); a loop that does work is not', () => {
    expect(cost('wfi').flags & BLOCK_HANG).toBe(BLOCK_HANG);
    expect(cost('1:\nwfe\nb 1b').flags & BLOCK_HANG).toBe(BLOCK_HANG);
    expect(cost('1:\nadds r0, #1\nb 1b').flags & BLOCK_HANG).toBe(0);
    expect(cost('1:\nbne 1b').flags & BLOCK_HANG).toBe(0);
  });
});

describe('cycle model: per-instruction costs (the clock inside a block)', () => {
  test('instructionCosts: each instruction after the neighbour rules, the refill left out', () => {
    const params = { ...DEFAULT_CYCLE_MODEL, flashWaitStates: 3 };
    const insns = block(`
      1:
      ldr r0, [pc, #4]
      ldr r1, [r2]
      str r1, [r2, #4]
      adds r3, #1
      ldr r4, [r3]
      b 1b
    `);
    // ldr literal 2 + W; ldr pipelined 1; str pipelined after an LDR 1; adds 1; ldr 2 + 1 (its
    // address was computed just before: rule 5); b 1 (its refill P + W ends the block).
    expect(instructionCosts(insns, params, { inFlash: true })).toEqual([2 + 3, 1, 1, 1, 3, 1]);
    const total = blockCost(insns, params, { inFlash: true }).cycles;
    expect(total).toBe(2 + 3 + 1 + 1 + 1 + 3 + 1 + P + 3);
  });
});

describe('cycle model: flash wait states', () => {
  const params = { ...DEFAULT_CYCLE_MODEL, flashWaitStates: 3 };
  const W = 3;

  test('a taken branch in flash pays the wait states once more, on its refill', () => {
    expect(cycles('1:\nb 1b', { params, inFlash: true })).toBe(1 + P + W);
    expect(cycles('1:\nb 1b', { params, inFlash: false })).toBe(1 + P);
    const c = cost('1:\nsubs r0, #1\nbne 1b', { params, inFlash: true });
    expect(c.cycles).toBe(1 + 1);
    expect(c.takenCycles).toBe(P + W);
  });

  test('a literal `ldr r0, [pc, #4]` in flash pays the wait states', () => {
    // 2 (ldr) + W (literal read from flash) + 1 (add)
    expect(cycles('ldr r0, [pc, #4]\nadds r0, #1', { params, inFlash: true })).toBe(2 + W + 1);
    expect(cycles('ldr r0, [pc, #4]\nadds r0, #1', { params, inFlash: false })).toBe(2 + 1);
    // a load from a register address does not
    expect(cycles('ldr r0, [r1]', { params, inFlash: true })).toBe(2);
  });

  test('`tbb [pc, r0]` in flash pays for the table read and for the refill', () => {
    expect(cycles('tbb [pc, r0]', { params, inFlash: true })).toBe(2 + W + P + W);
  });
});

describe('cycle model: FPU (TRM Table 7-1)', () => {
  test('`vadd.f32`, `vmul.f32`, `vcvt`, `vcmp`, `vmov s0, r0`, `vmrs` cost 1 each', () => {
    expect(
      cycles(`
        vadd.f32 s0, s1, s2
        vmul.f32 s0, s1, s2
        vcvt.s32.f32 s0, s0
        vcmp.f32 s0, s1
        vmov s0, r0
        vmrs APSR_nzcv, fpscr
      `),
    ).toBe(6 * 1);
  });

  test('`vdiv.f32` costs 14 and `vsqrt.f32` costs 14', () => {
    expect(cycles('vdiv.f32 s0, s1, s2')).toBe(14);
    expect(cycles('vsqrt.f32 s0, s1')).toBe(14);
  });

  test('`vmla.f32` and `vfma.f32` cost 3', () => {
    expect(cycles('vmla.f32 s0, s1, s2')).toBe(3);
    expect(cycles('vfma.f32 s0, s1, s2')).toBe(3);
  });

  test('`vmov r0, r1, d0` (two core registers) costs 2', () => {
    expect(cycles('vmov r0, r1, d0')).toBe(2);
    expect(cycles('vmov s0, s1, r0, r1')).toBe(2);
  });

  test('`vldr s0` costs 2, `vldr d0` 3, `vstr s0` 2', () => {
    expect(cycles('vldr s0, [r0]')).toBe(2);
    expect(cycles('vldr d0, [r0]')).toBe(1 + 2);
    expect(cycles('vstr s0, [r0, #4]')).toBe(2);
  });

  test('`vpush {s16-s19}` costs 1+N and `vpush {d8-d9}` 1+2N', () => {
    expect(cycles('vpush {s16-s19}')).toBe(1 + 4);
    expect(cycles('vpush {d8-d9}')).toBe(1 + 2 * 2);
    expect(cycles('vldmia r0!, {s0-s2}')).toBe(1 + 3);
  });
});

describe('cycle model: SP tracking', () => {
  test('`push {r4-r7, lr}; sub sp, #16` lowers SP by 36', () => {
    const c = cost('push {r4, r5, r6, r7, lr}\nsub sp, #16\nadd r7, sp, #0');
    expect(c.spPreMin).toBe(-4 * 5 - 16);
    expect(c.flags).toBe(BLOCK_SP_LOWERS);
    expect(c.spPostMin).toBe(0);
    expect(c.spPostNet).toBe(0);
  });

  test('wide forms `sub.w`, `subw`, `addw`, `add.w` on sp are exact', () => {
    const c = cost('sub.w sp, sp, #256\nsubw sp, sp, #300\naddw sp, sp, #300\nadd.w sp, sp, #256');
    expect(c.spPreMin).toBe(-256 - 300);
    expect(c.flags).toBe(BLOCK_SP_LOWERS);
  });

  test('`str r0, [sp, #-8]!` lowers SP by 8 and `ldr r0, [sp], #4` raises it by 4', () => {
    const c = cost('str r0, [sp, #-8]!\nldr r0, [sp], #4\nstr r1, [sp, #-12]!');
    expect(c.spPreMin).toBe(-8 + 4 - 12);
    expect(c.flags).toBe(BLOCK_SP_LOWERS);
  });

  test('`strd r0, r1, [sp, #-16]!` and `ldrd r0, r1, [sp], #8` move SP by their offsets', () => {
    const insns = block('strd r0, r1, [sp, #-16]!\nldrd r0, r1, [sp], #8');
    expect(insns.map((i) => spEffect(i))).toEqual([
      { kind: 'static', delta: -16 },
      { kind: 'static', delta: 8 },
    ]);
  });

  test('`stmdb sp!`/`ldmia sp!` and `vstmdb sp!`/`vldmia sp!` move SP by 4 bytes per word', () => {
    const insns = block(`
      stmdb sp!, {r4, r5, r6}
      ldmia sp!, {r4, r5, r6}
      vstmdb sp!, {s0-s1}
      vldmia sp!, {d0}
      vstmia sp!, {s0-s2}
    `);
    expect(insns.map((i) => spEffect(i))).toEqual([
      { kind: 'static', delta: -12 },
      { kind: 'static', delta: 12 },
      { kind: 'static', delta: -8 },
      { kind: 'static', delta: 8 },
      { kind: 'static', delta: 12 },
    ]);
  });

  test('`vpush {d8, d9}; vpush {s0}` lowers SP by 20', () => {
    expect(cost('vpush {d8, d9}\nvpush {s0}').spPreMin).toBe(-8 * 2 - 4);
  });

  test('`ldr r0, [sp, #4]`, `mov r7, sp` and `add r0, sp, #8` leave SP alone', () => {
    const c = cost('ldr r0, [sp, #4]\nmov r7, sp\nadd r0, sp, #8\nstr r0, [sp, #-4]');
    expect(c.spPreMin).toBe(0);
    expect(c.flags).toBe(0);
  });

  test('dynamic `sub sp, sp, r3` then `push` sets spPostMin/spPostNet from the dynamic SP', () => {
    const c = cost(`
      push {r4, lr}
      sub sp, sp, r3
      push {r0, r1}
      sub sp, #8
      add sp, #4
    `);
    expect(c.flags).toBe(BLOCK_SP_DYNAMIC | BLOCK_SP_LOWERS);
    expect(c.spPreMin).toBe(-8); // push {r4, lr} before the dynamic write
    expect(c.spPostMin).toBe(-8 - 8); // push {r0, r1}; sub sp, #8
    expect(c.spPostNet).toBe(-8 - 8 + 4);
  });

  test('`mov sp, r3`, `add sp, r2` and `ldr sp, [r0]` are dynamic SP writes', () => {
    for (const src of [
      'mov sp, r3',
      'add sp, r2',
      'ldr sp, [r0]',
      'add.w sp, sp, r0, lsl #2',
      'msr msp, r0',
    ]) {
      const [insn] = block(src);
      expect(spEffect(insn as Insn), src).toEqual({ kind: 'dynamic' });
    }
    const c = cost('sub sp, #8\nmov sp, r3');
    expect(c.flags).toBe(BLOCK_SP_DYNAMIC | BLOCK_SP_LOWERS);
    expect(c.spPreMin).toBe(-8);
    expect(c.spPostMin).toBe(0);
    expect(c.spPostNet).toBe(0);
  });

  test('spNet is the static SP change through a block: `push {r4-r7, lr}; sub sp, #16; add sp, #4` is -32', () => {
    const c = cost('push {r4, r5, r6, r7, lr}\nsub sp, #16\nadd sp, #4');
    expect(c.spNet).toBe(-20 - 16 + 4);
    expect(c.flags & BLOCK_SP_UNTRACKED).toBe(0);
    expect(cost('pop {r4, r5, r6, r7, pc}').spNet).toBe(20);
  });

  test('an SP write in an IT block (`it ne; popne {r4, pc}`) leaves SP untracked, spNet 0', () => {
    const c = cost('cmp r0, #0\nit ne\npopne {r4, pc}');
    expect(c.flags & BLOCK_SP_UNTRACKED).toBe(BLOCK_SP_UNTRACKED);
    expect(c.spNet).toBe(0);
    // A conditional instruction that leaves SP alone does not.
    expect(cost('cmp r0, #0\nit eq\naddeq r1, r1, #1\npush {r4}').flags & BLOCK_SP_UNTRACKED).toBe(0);
    // A dynamic write has spNet 0 too (the profiler reads SP after BLOCK_SP_DYNAMIC blocks).
    expect(cost('push {r4}\nmov sp, r3').spNet).toBe(0);
  });

  test('`msr psp, r0` does not move SP', () => {
    const [insn] = block('msr psp, r0');
    expect(spEffect(insn as Insn)).toEqual({ kind: 'none' });
  });

  test('only the last dynamic SP write starts the post-dynamic offsets', () => {
    const c = cost('mov sp, r0\npush {r4}\nmov sp, r1\nsub sp, #4\nadd sp, #12');
    expect(c.spPreMin).toBe(0);
    expect(c.spPostMin).toBe(-4);
    expect(c.spPostNet).toBe(-4 + 12);
  });

  test('a function prologue ending in `bl`: cost, SP and BLOCK_CALL together', () => {
    const c = cost(`
      1:
      push {r4, r5, r7, lr}
      sub sp, #16
      add r7, sp, #0
      bl 1b
    `);
    // 1+4 (push) + 1 (sub) + 1 (add) + 1+P (bl)
    expect(c.cycles).toBe(1 + 4 + 1 + 1 + (1 + P));
    expect(c.spPreMin).toBe(-16 - 16);
    expect(c.flags).toBe(BLOCK_CALL | BLOCK_SP_LOWERS);
  });
});

describe('cycle model: bookkeeping', () => {
  test('mnemonics are normalised before lookup', () => {
    const roots = block(`
      it eq
      addeq r0, r1
      adds r0, #1
      muls r0, r1, r0
      vadd.f32 s0, s1, s2
      ldr.w r0, [r1, #4]
      it hs
      bhs 1f
      bne.w 1f
      1:
    `).map((i) => mnemonicRoot(i));
    expect(roots).toEqual(['it', 'add', 'add', 'mul', 'vadd', 'ldr', 'it', 'b', 'b']);
  });

  test('every instruction of a typical compiled function is known to the model', () => {
    const insns = block(`
      push {r4, r5, r6, lr}
      vpush {d8}
      sub sp, #8
      ldr r4, [r0, #4]
      ldrb r5, [r1], #1
      uxtb r5, r5
      cmp r5, #0x20
      it hi
      subhi r5, #0x20
      strh r5, [sp, #2]
      vldr s16, [r0]
      vmul.f32 s16, s16, s16
      vcvt.s32.f32 s0, s16
      vmov r6, s0
      sdiv r6, r6, r4
      tst r6, #1
      lsls r6, r6, #2
      add sp, #8
      vpop {d8}
      pop {r4, r5, r6, pc}
    `);
    resetUnknownMnemonics();
    blockCost(insns, DEFAULT_CYCLE_MODEL, { inFlash: false });
    expect(unknownMnemonics()).toEqual([]);
    for (const i of insns) expect(instructionCycles(i, DEFAULT_CYCLE_MODEL).known, i.mnemonic).toBe(true);
  });

  test('unknown mnemonics cost 1 and are listed for reports', () => {
    resetUnknownMnemonics();
    const fake: Insn = {
      address: 0,
      size: 4,
      id: 0,
      mnemonic: 'frobnicate',
      opStr: '',
      cc: 15,
      updateFlags: false,
      writeback: false,
      regsRead: [],
      regsWrite: [],
      groups: [],
      operands: [],
    };
    const c = blockCost([fake, fake], DEFAULT_CYCLE_MODEL, { inFlash: false });
    expect(c.cycles).toBe(2);
    expect(unknownMnemonics()).toEqual([{ mnemonic: 'frobnicate', count: 2 }]);
    resetUnknownMnemonics();
    expect(unknownMnemonics()).toEqual([]);
  });

  it('an empty block costs nothing', () => {
    expect(blockCost([], DEFAULT_CYCLE_MODEL, { inFlash: true })).toEqual({
      instructions: 0,
      cycles: 0,
      takenCycles: 0,
      flags: 0,
      spPreMin: 0,
      spPostMin: 0,
      spPostNet: 0,
      spNet: 0,
    });
  });

  it('describeCycleModel names the model and its parameters on one line', () => {
    const line = describeCycleModel(DEFAULT_CYCLE_MODEL);
    expect(line).toMatch(/^cortex-m4-trm v1: P=2, flash wait states 0 .*SDIV\/UDIV 12/);
    expect(line).not.toContain('\n');
  });
});
