// The shadow call stack (native/m4sim_native.cc) on every way code leaves an activation: the call
// paths, call counts and self cycles it reports against hand counts, for hand-written assembly,
// for C built at -O0, -O2, -O3 and -Os, for a two-thread scheduler switching contexts in PendSV, and
// for a recursion deeper than the stack keeps.
import { describe, expect, it } from 'vitest';
import { pathOf, type FunctionsProfile } from '../src/profile/functions.js';
import { formatSummary } from '../src/report/text.js';
import { buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { simulate } from './helpers/run.js';

if (!haveToolchain) console.warn('skipping call-stack tests: arm-none-eabi-gcc not found');

/** Every call path in the tree as "a>b>c" with its call count. */
function paths(p: FunctionsProfile): Map<string, number> {
  const out = new Map<string, number>();
  p.tree.forEach((node, i) => {
    const key = pathOf(p.tree, i)
      .map((j) => p.tree[j]!.name)
      .join('>');
    out.set(key, (out.get(key) ?? 0) + node.calls);
  });
  return out;
}

/** The differential checks every profile must pass: self figures add up to the run's totals. */
function expectConsistent(p: FunctionsProfile, cycles: number, instructions: number): void {
  expect(p.tree.reduce((n, t) => n + t.selfCycles, 0)).toBe(cycles);
  expect(p.tree.reduce((n, t) => n + t.selfInstructions, 0)).toBe(instructions);
  expect(p.tree[0]!.inclusiveCycles).toBe(cycles);
  expect(p.tree[0]!.inclusiveInstructions).toBe(instructions);
  for (const node of p.tree) expect(node.inclusiveCycles).toBeGreaterThanOrEqual(node.selfCycles);
}

const P = 2;

describe.skipIf(!haveToolchain)('shadow call stack: call-shapes.S (hand-written shapes)', () => {
  const run = () => simulate(buildTestFirmware('call-shapes')).result;

  it('every return shape, tail call, longjmp and exception leaves the tree exactly as hand-counted', () => {
    const r = run();
    expect(r.exit).toMatchObject({ reason: 'exit', code: 0 });
    const R = 'Reset_Handler';
    expect(Object.fromEntries(paths(r.functions))).toEqual({
      [R]: 1,
      [`${R}>ret_bx_lr`]: 3,
      [`${R}>ret_pop_pc`]: 3,
      [`${R}>ret_ldr_pc_post`]: 3,
      [`${R}>ret_ldm`]: 3,
      [`${R}>ret_mov_pc`]: 3,
      [`${R}>ret_bx_other`]: 3,
      [`${R}>ret_cond`]: 3,
      [`${R}>tail_direct`]: 3,
      [`${R}>tail_cond`]: 3,
      [`${R}>tail_indirect`]: 3,
      // b leaf (3), bne leaf taken when r7 = 3 and 1 (2), bx r3 to leaf (3): called by their caller.
      [`${R}>leaf`]: 8,
      [`${R}>indirect_callee`]: 3,
      [`${R}>jump_table`]: 3,
      [`${R}>rec_indirect`]: 3,
      [`${R}>rec_indirect>rec_indirect`]: 3,
      [`${R}>rec_indirect>rec_indirect>rec_indirect`]: 3,
      [`${R}>nonlocal_outer`]: 3,
      [`${R}>nonlocal_outer>nl_deep1`]: 3,
      [`${R}>nonlocal_outer>nl_deep1>nl_deep2`]: 3,
      [`${R}>nonlocal_outer>nl_deep1>nl_deep2>nl_jump`]: 3,
      [`${R}>nonlocal_outer>nl_after`]: 3,
      [`${R}>SVC_Handler`]: 3,
      [`${R}>SVC_Handler>in_handler`]: 3,
      [`${R}>deepest_chain`]: 1,
      [`${R}>deepest_chain>deepest_leaf`]: 1,
    });
    expect(r.sram.stackPath).toEqual([R, 'deepest_chain', 'deepest_leaf']);
    expect(r.sram.stackPathDepth).toBe(3);
    expect(r.functions.maxDepth).toBe(4); // nonlocal_outer > nl_deep1 > nl_deep2 > nl_jump
    expectConsistent(r.functions, r.cycles, r.instructions);
  });

  it('self cycles follow the tail call to its callee (TRM Table 3-1, P = 2)', () => {
    const r = run();
    const self = (name: string) => r.functions.functions.find((f) => f.name === name)!.selfCycles;
    // push {r4, lr} 1+2, pop {r4, lr} 1+2, b leaf 1+P: the rest runs in leaf.
    expect(self('tail_direct')).toBe(3 * (3 + 3 + (1 + P)));
    // cmp 1 + bne taken 1+P (r7 = 3, 1); cmp 1 + bne not taken 1 + bx lr 1+P (r7 = 2).
    expect(self('tail_cond')).toBe(2 * (1 + (1 + P)) + (1 + 1 + (1 + P)));
    // ldr r3, =leaf+1 (2) + bx r3 (1+P).
    expect(self('tail_indirect')).toBe(3 * (2 + (1 + P)));
    // bx lr (1+P), 8 times.
    expect(self('leaf')).toBe(8 * (1 + P));
  });

  it('a branch onto its own return address with SP below the call SP is not a return (recursion)', () => {
    const r = run();
    const tree = r.functions.tree;
    const depthOf = (i: number) => pathOf(tree, i).length - 1;
    const rec = tree.map((n, i) => ({ n, d: depthOf(i) })).filter((x) => x.n.name === 'rec_indirect');
    // n > 0: push 1+2 + cbz 1 | subs 1 + bl 1+P | pop {r4, pc} 1+2+P = 13
    // n = 0: push 3 + cbz taken 1+P | ldr r3 2 + bx r3 1+P | pop {r4, pc} 5 = 16 (the pop runs here)
    expect(rec.map((x) => [x.d, x.n.selfCycles])).toEqual([
      [1, 3 * 13],
      [2, 3 * 13],
      [3, 3 * 16],
    ]);
  });
});

describe.skipIf(!haveToolchain)('shadow call stack: call-shapes-c.c at -O0, -O2, -O3, -Os', () => {
  // noipa keeps the functions whole, so the call counts are the same at every level.
  const COUNTS = {
    main: 1,
    tail: 3,
    tail_cond: 3,
    via_pointer: 3,
    call_pointer: 3,
    dispatch: 3,
    try_jump: 3,
    after_jump: 3,
    leaf: 10,
    rec: 15,
    jumper: 12,
    setjmp: 3,
    longjmp: 3,
    SVC_Handler: 3,
    handler_work: 3,
    deep_chain: 1,
    deepest: 1,
  };
  const ROOT = 'Reset_Handler';
  const MAIN = `${ROOT}>_mainCRTStartup>main`;
  // Where leaf and handler_work are called from: at -O0 by real calls; at -O2 and above GCC 12
  // emits sibling calls (b leaf, bx r3, b handler_work), so the tail-caller's caller calls them.
  const CALLERS: Record<string, Record<string, number>> = {
    '-O0': {
      [`${MAIN}>tail>leaf`]: 3,
      [`${MAIN}>tail_cond>leaf`]: 1,
      [`${MAIN}>via_pointer>leaf`]: 3,
      [`${MAIN}>call_pointer>leaf`]: 3,
      [`${ROOT}>SVC_Handler>handler_work`]: 3,
    },
    tail: {
      [`${MAIN}>leaf`]: 7,
      [`${MAIN}>call_pointer>leaf`]: 3,
      [`${ROOT}>handler_work`]: 3,
    },
  };

  for (const level of ['-O0', '-O2', '-O3', '-Os']) {
    it(`${level}: call counts, call paths and the deepest path match the hand counts`, () => {
      const { result: r, output } = simulate(
        buildTestFirmware('call-shapes-c', { cflags: [level], variant: `call-shapes-c${level}` }),
      );
      expect(r.exit).toMatchObject({ reason: 'exit', code: 0 });
      expect(output).toBe('sink 1\n');
      const calls = Object.fromEntries(
        r.functions.functions.filter((f) => f.name in COUNTS).map((f) => [f.name, f.calls]),
      );
      expect(calls).toEqual(COUNTS);
      const all = paths(r.functions);
      const expected = CALLERS[level === '-O0' ? '-O0' : 'tail']!;
      for (const [path, n] of Object.entries(expected)) expect([path, all.get(path)]).toEqual([path, n]);
      const pathsOf = (name: string) => [...all.keys()].filter((k) => k.endsWith(`>${name}`));
      // longjmp unwinds jumper ×4 and longjmp: after_jump is called by try_jump.
      expect(pathsOf('after_jump')).toEqual([`${MAIN}>try_jump>after_jump`]);
      expect(pathsOf('SVC_Handler')).toEqual([`${ROOT}>SVC_Handler`]);
      expect(pathsOf('rec').map((k) => k.split('>').length - 3)).toEqual([1, 2, 3, 4, 5]);
      // No function runs inside itself except the recursive ones (a lost return would nest it).
      for (const k of all.keys()) {
        const names = k.split('>');
        const repeated = names.filter((n, i) => names.indexOf(n) !== i);
        expect(repeated.filter((n) => n !== 'rec' && n !== 'jumper')).toEqual([]);
      }
      expect(r.sram.stackPath).toEqual([ROOT, '_mainCRTStartup', 'main', 'deep_chain', 'deepest']);
      expectConsistent(r.functions, r.cycles, r.instructions);
    });
  }
});

describe.skipIf(!haveToolchain)('shadow call stack: context switches (exc-threads.c)', () => {
  it('threads started by an exception return are children of the root; main resumes its own frames', () => {
    const { result: r } = simulate(buildTestFirmware('exc-threads'));
    expect(r.exit).toMatchObject({ reason: 'exit', code: 25 });
    const all = paths(r.functions);
    const R = 'Reset_Handler';
    // Each thread is entered once through PendSV's exception return onto its made-up frame; its
    // return lands on thread_exit (the frame's LR), which replaces it.
    expect(all.get(`${R}>thread_main`)).toBe(2);
    expect(all.get(`${R}>thread_main>fp_spin`)).toBe(20); // 10 rounds in each thread
    expect(all.get(`${R}>thread_exit`)).toBe(2);
    const pendsv = r.exceptions.taken.find((e) => e.name === 'PendSV')!.count;
    expect(all.get(`${R}>PendSV_Handler`)).toBe(pendsv);
    expect(all.get(`${R}>PendSV_Handler>schedule`)).toBe(pendsv);
    // main's five printf calls after both threads finished run under main again.
    expect(all.get(`${R}>_mainCRTStartup>main>printf`)).toBe(5);
    expect([...all.keys()].filter((k) => k.includes('thread_main>') && !k.endsWith('fp_spin'))).toEqual([]);
    expectConsistent(r.functions, r.cycles, r.instructions);
  });
});

describe.skipIf(!haveToolchain)('shadow call stack: deeper than it keeps (deep-recursion.S)', () => {
  it('5,000 frames: calls counted, the depth reported, the path marked as cut', () => {
    const { result: r } = simulate(buildTestFirmware('deep-recursion'));
    expect(r.exit).toMatchObject({ reason: 'exit', code: 0 });
    expect(r.sram.stack).toBe(5000 * 8);
    expect(r.functions.maxDepth).toBe(5000);
    expect(r.functions.depthLimit).toBe(4096);
    expect(r.sram.stackPath).toHaveLength(4097);
    expect(r.sram.stackPathDepth).toBe(5001);
    const recurse = r.functions.functions.find((f) => f.name === 'recurse')!;
    expect(recurse.calls).toBe(5000);
    // n > 0: push 1+2, cbz 1 | subs 1, bl 1+P | pop {r4, pc} 1+2+P = 13; n = 0: 3 + (1+P) + 5 = 11.
    expect(recurse.selfCycles).toBe(4999 * 13 + 11);
    expect(recurse.inclusiveCycles).toBe(4999 * 13 + 11);
    expectConsistent(r.functions, r.cycles, r.instructions);
    const text = formatSummary(r, 'deep-recursion.elf');
    expect(text).toContain('call path   5,001 frames deep; the outer 4,097 are listed');
    expect(text).toContain('call depth    5,000 frames, deeper than the 4,096 the profiler keeps');
  });
});

describe.skipIf(!haveToolchain)('shadow call stack: picolibc (its own start-up and stdio)', () => {
  it('printf through sys_semihost_putc (ldr pc, [sp], #4 returns) nests nothing', () => {
    const { result: r } = simulate(buildTestFirmware('heap-picolibc'));
    expect(r.exit).toMatchObject({ reason: 'exit', code: 0 });
    const path = r.sram.stackPath;
    expect(path.slice(0, 2)).toEqual(['_start', 'main']);
    expect(path.filter((n, i) => path.indexOf(n) !== i)).toEqual([]);
    const all = paths(r.functions);
    for (const k of all.keys()) {
      const names = k.split('>');
      expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    }
    expectConsistent(r.functions, r.cycles, r.instructions);
  });
});
