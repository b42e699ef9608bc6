// Heap high-water for every C library (and none), never counted as stack: newlib's _sbrk_r -> _sbrk,
// a firmware's own _sbrk_r, picolibc's sbrk, and a bare bump allocator found by painting.
// Expected figures are counted by hand from the allocators' request sizes (comments), then checked
// against the break the firmware itself prints (sbrk(0) before and after).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findToolchain, projectRoot, siblingTool } from '../src/toolchain/toolchain.js';
import { buildAsmProgram, buildTestFirmware, havePicolibc, haveToolchain } from './helpers/firmware.js';
import { cli, simulate } from './helpers/run.js';

/** A symbol's value from binutils' nm: an independent reading of the ELF. */
function nmSymbol(elf: string, name: string): number {
  const nm = siblingTool(findToolchain()!.gcc, 'nm')!;
  const line = execFileSync(nm, [elf], { encoding: 'utf8' })
    .split('\n')
    .find((l) => l.endsWith(` ${name}`));
  if (!line) throw new Error(`${elf}: no symbol ${name}`);
  return parseInt(line.split(' ')[0]!, 16);
}

/** The break the firmware printed: "break before B after A" and, when present, "break final F". */
function printedBreak(output: string): { before: number; after: number; final: number } {
  const m = /break before (\d+) after (\d+)/.exec(output);
  if (!m) throw new Error(`no break line in ${JSON.stringify(output)}`);
  const final = /break final (\d+)/.exec(output);
  return { before: Number(m[1]), after: Number(m[2]), final: Number(final?.[1] ?? m[2]) };
}

const roundUp = (n: number, to: number) => Math.ceil(n / to) * to;

describe.skipIf(!haveToolchain)('heap from the break functions (newlib)', () => {
  it('newlib malloc(10000) then malloc(5000): the break high-water, counted by hand', () => {
    const elf = buildTestFirmware('heap-newlib');
    const { result, output } = simulate(elf);
    expect(result.exit).toMatchObject({ reason: 'exit', code: 0 });
    const end = nmSymbol(elf, 'end');
    expect(end % 8).toBe(0);
    // newlib's malloc (mallocr.c, no top pad, 4096-byte pages): malloc(10000) needs a 10008-byte
    // chunk (10000 + 4 header, 8-aligned) and asks _sbrk_r for 10008 + 16 (MINSIZE) = 10024 bytes,
    // then for the correction that ends the break on a page boundary: break = roundUp(end + 10024).
    // The 3,344 or so bytes left on top cannot hold malloc(5000) (a 5008-byte chunk + 16), so it asks
    // for 5024 rounded up to a page: 8192 more. printf's 1024-byte stdout buffer fits in what is left.
    const hand = roundUp(end + 10024, 4096) + 8192 - end;
    expect(hand).toBe(21544); // with this newlib's static data: end = 0x20000bd8
    const brk = printedBreak(output);
    expect(brk.before).toBe(end);
    expect(brk.after - brk.before).toBe(hand);
    expect(brk.final).toBe(brk.after);
    const s = result.sram;
    expect(s.heapMethod).toBe('break');
    expect(s.heap).toBe(hand);
    // Nested calls count once: three sbrk(0) (each sbrk -> _sbrk_r -> _sbrk, three break functions
    // entered; newlib's sbrk tail-calls _sbrk_r, so those two share one return address), malloc(10000)
    // two _sbrk_r -> _sbrk calls (size, page correction), malloc(5000) one.
    expect(s.breakCalls).toBe(6);
    expect(s.total).toBe(s.data + s.bss + s.otherStatic + hand + s.stack);
    // The painted stack stops above the highest break and sees at most what SP reached.
    expect(s.initialSp - s.stackPainted).toBeGreaterThanOrEqual(end + hand);
    expect(s.stackPainted).toBeLessThanOrEqual(s.stack);
    expect(s.stackPainted).toBeGreaterThan(s.stack - 64);
  });

  it('the existing malloc firmware: 10000 bytes touched, heap = its own sbrk(0) - end', () => {
    const elf = buildTestFirmware('malloc');
    const { result, output } = simulate(elf);
    const end = nmSymbol(elf, 'end');
    // As above: one 10024-byte request and the correction to the next page boundary.
    expect(result.sram.heap).toBe(roundUp(end + 10024, 4096) - end);
    expect(result.sram.heap).toBe(Number(/heap (\d+)/.exec(output)?.[1]));
    expect(result.sram.stackPainted).toBeLessThanOrEqual(result.sram.stack);
  });

  it("a firmware's own _sbrk_r (increment in R1): refused calls do not count", () => {
    const elf = buildTestFirmware('heap-sbrk-r');
    const { result, output } = simulate(elf);
    expect(result.exit).toMatchObject({ reason: 'exit', code: 0 });
    expect(output).toContain('big refused');
    const end = nmSymbol(elf, 'end');
    // malloc(1000): a 1008-byte chunk, 1024 asked for, plus the correction to the page boundary.
    // malloc(20000): 20024 rounded to a page (20480) is past the firmware's 16 KiB limit: refused,
    // (void *)-1, the break does not move. printf's stdout buffer (a 1032-byte chunk + 16) does not
    // fit in the 56 bytes left on top: one more page.
    const afterMalloc = roundUp(end + 1024, 4096) - end;
    expect(afterMalloc).toBe(1064);
    const brk = printedBreak(output);
    expect(brk.before).toBe(end);
    expect(brk.after - brk.before).toBe(afterMalloc);
    expect(brk.final - brk.before).toBe(afterMalloc + 4096);
    const s = result.sram;
    expect(s.heapMethod).toBe('break');
    expect(s.heap).toBe(afterMalloc + 4096);
    // sbrk(0) three times (sbrk -> the firmware's _sbrk_r), malloc(1000) two calls, printf's buffer
    // one; the refused malloc(20000) none.
    expect(s.breakCalls).toBe(6);
    expect(s.stackPainted).toBeLessThanOrEqual(s.stack);
    expect(s.initialSp - s.stackPainted).toBeGreaterThanOrEqual(end + s.heap);
  });

  it('a break function recursing 10 deep: followed 4 deep, counted once, the break right', () => {
    // _sbrk(r0 = increment, r1 = depth) calls itself r1 times, then the innermost moves the break
    // (held in r5, from 0x20001000) and every level returns the previous break.
    const elf = buildAsmProgram(
      'heap-nest',
      [
        '  ldr r5, =0x20001000',
        '  movs r0, #100',
        '  movs r1, #9',
        '  bl _sbrk',
        '  movs r0, #28',
        '  movs r1, #0',
        '  bl _sbrk',
        '  b 9f',
        '  .thumb_func',
        '  .type _sbrk, %function',
        '_sbrk:',
        '  push {r4, lr}',
        '  cbz r1, 1f',
        '  subs r1, #1',
        '  bl _sbrk',
        '  pop {r4, pc}',
        '1:',
        '  mov r2, r5',
        '  add r5, r5, r0',
        '  mov r0, r2',
        '  pop {r4, pc}',
        '  .size _sbrk, . - _sbrk',
        '9:',
      ].join('\n'),
    );
    const s = simulate(elf).result.sram;
    expect(s).toMatchObject({ heapMethod: 'break', heap: 100 + 28, breakCalls: 2 });
    expect(s.stack).toBe(10 * 8);
  });

  it('a heap in another RAM region, above the stack: followed, never a stack overflow', () => {
    // The default board plus a second RAM region at 0x30000000 that _sbrk hands out.
    const dir = mkdtempSync(join(tmpdir(), 'm4sim-heap-'));
    try {
      const board = JSON.parse(readFileSync(join(projectRoot(), 'boards', 'm4-256k.json'), 'utf8')) as {
        ram: { name: string; base: string; size: number }[];
      };
      board.ram.push({ name: 'HEAP', base: '0x30000000', size: 65536 });
      const boardFile = join(dir, 'two-ram.json');
      writeFileSync(boardFile, JSON.stringify(board));
      const elf = buildAsmProgram(
        'heap-other-region',
        [
          '  ldr r5, =0x30000000',
          '  movs r0, #64',
          '  bl _sbrk',
          '  bl 8f',
          '  b 9f',
          // After the break moved: SP (0x2003fff0) is below the break (0x30000040), not in the heap.
          '8:',
          '  push {r4-r7}',
          '  pop {r4-r7}',
          '  bx lr',
          '  .thumb_func',
          '  .type _sbrk, %function',
          '_sbrk:',
          '  mov r2, r5',
          '  add r5, r5, r0',
          '  mov r0, r2',
          '  bx lr',
          '  .size _sbrk, . - _sbrk',
          '9:',
        ].join('\n'),
      );
      const { result } = simulate(elf, { boardName: boardFile });
      expect(result.exit).toMatchObject({ reason: 'exit', code: 0 });
      expect(result.sram).toMatchObject({ heapMethod: 'break', heap: 64, breakCalls: 1, stack: 16 });
      // The stack region's painting is not cut off by a break that lies elsewhere.
      expect(result.sram.stackPainted).toBe(16);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the text and JSON reports say which method gave the heap', () => {
    const elf = buildTestFirmware('heap-newlib');
    // The summary goes to stderr (stdout is the firmware's).
    const text = cli(['simulate', elf]);
    expect(text.status).toBe(0);
    expect(text.stderr).toMatch(
      /heap {8}21,544 \(high-water; method break: highest break minus the first, 6 calls\)/,
    );
    const json = cli(['simulate', '--json', elf]);
    const j = JSON.parse(json.stdout) as { sram: { heap: number; heapMethod: string; breakCalls: number } };
    expect(j.sram).toMatchObject({ heap: 21544, heapMethod: 'break', breakCalls: 6 });
  });
});

describe.skipIf(!havePicolibc)('heap from the break functions (picolibc)', () => {
  it('picolibc malloc(1000): sbrk followed, the heap not counted as stack', () => {
    const elf = buildTestFirmware('heap-picolibc');
    const { result, output } = simulate(elf);
    expect(result.exit).toMatchObject({ reason: 'exit', code: 0 });
    expect(output).toContain('sum 180\n'); // 0x5a + 0x5a: the block was written
    const heapStart = nmSymbol(elf, '__heap_start');
    expect(heapStart % 8).toBe(0);
    // picolibc's malloc: a chunk of 1000 (8-aligned) + 4 (size header) + 4 (gap fill up to the 8-byte
    // chunk alignment) = 1008 from sbrk; __heap_start is 8-aligned, so the payload (4 bytes past the
    // start) is not, and it asks sbrk for 4 more to align it: 1012.
    const brk = printedBreak(output);
    expect(brk.before).toBe(heapStart);
    expect(brk.after - brk.before).toBe(1012);
    const s = result.sram;
    expect(s.heapMethod).toBe('break');
    expect(s.heap).toBe(1012);
    // sbrk(0), sbrk(1008), sbrk(4), sbrk(0).
    expect(s.breakCalls).toBe(4);
    // Painting measures the stack from the initial SP down to the lowest written byte above the
    // highest break: here exactly the SP low-water (every byte of the deepest frame was written),
    // not the ~260 KB down to the heap it saw before sbrk was followed.
    expect(s.initialSp - s.stackPainted).toBeGreaterThanOrEqual(heapStart + 1012);
    expect(s.stackPainted).toBeLessThanOrEqual(s.stack);
    expect(s.stackPainted).toBeGreaterThan(s.stack - 64);
    expect(s.stack).toBeLessThan(1024);
    expect(s.total).toBe(s.data + s.bss + s.otherStatic + 1012 + s.stack);
  });
});

describe.skipIf(!haveToolchain)('heap from painting (no break function)', () => {
  it("a bare bump allocator's blocks above `end`: heap = highest written offset + 1", () => {
    const elf = buildTestFirmware('heap-bump');
    const { result } = simulate(elf);
    expect(result.exit).toMatchObject({ reason: 'exit', code: 0 });
    const s = result.sram;
    // Blocks at end + 0 (100 bytes) and end + 104 (60 bytes, after 8-byte alignment): the highest
    // byte written is end + 163.
    expect(s.heapMethod).toBe('painted');
    expect(s.heap).toBe(164);
    expect(s.breakCalls).toBe(0);
    // The stack is the firmware's own few bytes (the exit block), unaffected by the heap's.
    expect(s.stackPainted).toBeLessThanOrEqual(s.stack);
    expect(s.stack).toBeLessThan(64);
    expect(s.total).toBe(s.data + s.bss + s.otherStatic + 164 + s.stack);
    // The summary goes to stderr (stdout is the firmware's).
    const text = cli(['simulate', elf]);
    expect(text.stderr).toContain(
      'heap        164 (high-water; method painted: no break call, highest byte written above static data and below the stack)',
    );
  });

  it('no heap at all: method none; without the profiler there is no SP low-water to bound a painted heap', () => {
    const none = simulate(buildTestFirmware('no-newlib')).result.sram;
    expect(none).toMatchObject({ heap: 0, heapMethod: 'none', breakCalls: 0 });
    const unprofiled = simulate(buildTestFirmware('heap-bump'), { profile: false }).result.sram;
    expect(unprofiled).toMatchObject({ heap: 0, heapMethod: 'none' });
  });
});
