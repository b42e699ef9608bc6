// The SRAM figures of a run, from what the native profiler saw (SP low-water, heap break) and from
// the paint pattern left in RAM: static sections from the ELF, heap, stack, MSP/PSP, touched bytes.
import type { StaticSizes } from '../elf/elf.js';
import type { SymbolTable } from '../elf/symbols.js';
import { highestTouchedIn, lowestTouchedBelow, touchedBytes, type TouchedRegion } from '../profile/sram.js';
import type { Board, MemoryRegion } from './board.js';
import type { PspStack } from './exception-core.js';
import type { ProfileCounters, UnicornEngine } from './native.js';
import type { VectorTable } from './vector-table.js';

/**
 * How the heap figure was found. 'break': a break function (BREAK_FUNCTIONS) succeeded at least once;
 * heap = highest break - first previous break returned. 'painted': none did, and bytes between the
 * end of static data and the lowest SP were written; heap = one past the highest of them - the end
 * of static data. 'none': neither; heap 0.
 */
export type HeapMethod = 'break' | 'painted' | 'none';

/**
 * The C libraries' break functions and the argument register holding the increment. newlib's malloc
 * calls _sbrk_r(struct _reent *, ptrdiff_t), which calls _sbrk(ptrdiff_t) (libgloss, libnosys, or the
 * firmware's own syscalls.c); newlib's sbrk(ptrdiff_t) calls _sbrk_r. picolibc's malloc calls sbrk.
 */
export const BREAK_FUNCTIONS: readonly { name: string; register: number }[] = [
  { name: '_sbrk', register: 0 },
  { name: '_sbrk_r', register: 1 },
  { name: 'sbrk', register: 0 },
];

/** The break functions the ELF defines as functions, one per entry address, for the native profiler. */
export function breakFunctions(symbols: SymbolTable): { address: number; register: number }[] {
  const out: { address: number; register: number }[] = [];
  for (const f of BREAK_FUNCTIONS) {
    const address = symbols.functionAddress(f.name);
    if (address !== undefined && !out.some((o) => o.address === address))
      out.push({ address, register: f.register });
  }
  return out;
}

/**
 * Linker symbols at the end of static data, where a heap starts: our firmware/board/sections.ld and
 * newlib's scripts define end, _end and __end__; picolibc's picolibc.ld __heap_start, end, _end, __end.
 */
export const STATIC_END_SYMBOLS = ['end', '_end', '__end__', '__heap_start', '__end'] as const;

/**
 * Where a heap without a break function starts: the first STATIC_END_SYMBOLS symbol inside the
 * stack's RAM region and below the initial SP, never below the end of the static sections (spLimit);
 * spLimit when there is none. Symbol values are data: one elsewhere is ignored.
 */
export function staticEnd(
  symbols: SymbolTable,
  stackRegion: MemoryRegion,
  spLimit: number,
  initialSp: number,
): number {
  for (const name of STATIC_END_SYMBOLS) {
    const a = symbols.address(name);
    if (a !== undefined && a >= stackRegion.base && a <= initialSp) return Math.max(a, spLimit);
  }
  return spLimit;
}

export interface SramReport {
  /** Main SRAM size (the region holding the initial stack pointer). */
  size: number;
  data: number;
  bss: number;
  /** Other static RAM sections (.noinit and friends), counted in total. */
  otherStatic: number;
  /** Linker-reserved heap/stack placeholders (not counted: the heap and stack figures measure them). */
  reserved: number;
  /** Heap high-water in bytes, found as heapMethod says. */
  heap: number;
  heapMethod: HeapMethod;
  /** Successful outermost calls to the break functions (nested ones, e.g. _sbrk_r -> _sbrk, count once). */
  breakCalls: number;
  /** Initial SP minus the lowest SP reached, in bytes. */
  stack: number;
  /** data + bss + otherStatic + heap + stack. */
  total: number;
  /** Bytes written anywhere in RAM during the run (painting), including loaded .data. */
  touched: number;
  initialSp: number;
  lowestSp: number;
  /** Functions on the call path (outermost first) when the stack was deepest. */
  stackPath: string[];
  /**
   * Frames on that path, the root included: more than stackPath's length when the call stack was
   * deeper than the shadow stack keeps (functions.depthLimit frames); stackPath then holds the outer ones.
   */
  stackPathDepth: number;
  /** Modeled cycles when the stack was deepest. */
  stackPeakCycles: number;
  /**
   * Stack high-water seen by painting: initial SP minus the lowest written byte below it and above
   * the heap (the highest break, or the painted heap's top; never below the static data).
   */
  stackPainted: number;
  regions: TouchedRegion[];
  /** Present in exact mode: the per-instruction SP minimum and the lowest stack write. */
  exact?: { stack: number; lowestWrite: number | null };
  /** Main stack high-water: initial SP minus the lowest MSP (Thread on MSP and every handler, frames included). */
  msp: number;
  /**
   * Process stack (CONTROL.SPSEL = 1 in Thread mode, e.g. RTOS tasks): the lowest PSP seen, and per
   * data object holding a process stack (each task's stack array) its high-water; null when never used.
   */
  psp: { lowest: number; stacks: PspStack[] } | null;
}

export interface SramInputs {
  board: Board;
  /** The RAM region holding the initial stack pointer. */
  stackRegion: MemoryRegion;
  sizes: StaticSizes;
  /** The lowest address the stack may grow to (end of the static data below it). */
  spLimit: number;
  /** Where a heap no break function reports starts (staticEnd()). */
  staticEnd: number;
  /** False when the block profiler was off: no SP low-water, so painting cannot tell heap from stack. */
  profiled: boolean;
  vectors: VectorTable;
  counters: ProfileCounters;
  exact: boolean;
  /** Function names on the call path at the deepest stack point, outermost first. */
  stackPath: string[];
  pspStacks: () => PspStack[];
}

/** Reads RAM back after the run and puts the SRAM figures together. */
export function sramReport(uc: UnicornEngine, inputs: SramInputs): SramReport {
  const { board, stackRegion, sizes, spLimit, vectors, counters } = inputs;
  const excState = uc.exc_state();
  const regions = board.ram.map((r) => touchedBytes(r, uc.mem_read(r.base, r.size)));
  const stackBytes = uc.mem_read(stackRegion.base, stackRegion.size);
  const lowestSp = Math.min(counters.minSp, vectors.initialSp);
  const stack = vectors.initialSp - lowestSp;
  // The heap lies below the stack: what it reaches bounds the painted stack from below, so no heap
  // byte is ever counted as stack.
  let heap = 0;
  let heapMethod: HeapMethod = 'none';
  let heapTop = spLimit;
  if (counters.heapSeen) {
    heapMethod = 'break';
    heap = counters.heapHigh - counters.heapStart;
    // A break in another RAM region than the stack's bounds nothing here.
    if (counters.heapStart >= stackRegion.base && counters.heapStart < vectors.initialSp)
      heapTop = Math.min(counters.heapHigh, vectors.initialSp);
  } else if (inputs.profiled) {
    // No break: whatever was written between the static data and the deepest the stack went belongs
    // to the firmware's own allocator (or its use of that memory), not to the stack.
    const top = highestTouchedIn(stackRegion.base, stackBytes, inputs.staticEnd, lowestSp);
    if (top !== null) {
      heapMethod = 'painted';
      heap = top - inputs.staticEnd;
      heapTop = top;
    }
  }
  const floor = Math.max(spLimit, heapTop);
  const paintedLow = lowestTouchedBelow(stackRegion.base, stackBytes, floor, vectors.initialSp);
  const sram: SramReport = {
    size: stackRegion.size,
    data: sizes.data,
    bss: sizes.bss,
    otherStatic: sizes.other,
    reserved: sizes.reserved,
    heap,
    heapMethod,
    breakCalls: counters.breakCalls,
    stack,
    total: sizes.data + sizes.bss + sizes.other + heap + stack,
    touched: regions.reduce((n, r) => n + r.touched, 0),
    initialSp: vectors.initialSp,
    lowestSp,
    // The shadow call stack holds callees; the reset handler is the root of every path.
    stackPath: inputs.stackPath,
    stackPathDepth: Math.max(inputs.stackPath.length, counters.deepestDepth + 1),
    stackPeakCycles: counters.deepestCycles,
    stackPainted: vectors.initialSp - paintedLow,
    regions,
    msp: stack,
    psp: excState.minPsp === 0xffffffff ? null : { lowest: excState.minPsp, stacks: inputs.pspStacks() },
  };
  if (inputs.exact) {
    const exactMin = Math.min(counters.exactMinSp, vectors.initialSp);
    sram.exact = {
      stack: vectors.initialSp - exactMin,
      lowestWrite: counters.exactMinWrite === 0xffffffff ? null : counters.exactMinWrite,
    };
  }
  return sram;
}
