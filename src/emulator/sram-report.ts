// The SRAM figures of a run, from what the native profiler saw (SP low-water, heap break) and from
// the paint pattern left in RAM: static sections from the ELF, heap, stack, MSP/PSP, touched bytes.
import type { StaticSizes } from '../elf/elf.js';
import { lowestTouchedBelow, touchedBytes, type TouchedRegion } from '../profile/sram.js';
import type { Board, MemoryRegion } from './board.js';
import type { PspStack } from './exception-core.js';
import type { ProfileCounters, UnicornEngine } from './native.js';
import type { VectorTable } from './vector-table.js';

export interface SramReport {
  /** Main SRAM size (the region holding the initial stack pointer). */
  size: number;
  data: number;
  bss: number;
  /** Other static RAM sections (.noinit and friends), counted in total. */
  otherStatic: number;
  /** Linker-reserved heap/stack placeholders (not counted: the heap and stack figures measure them). */
  reserved: number;
  /** Heap high-water: highest break minus the first break _sbrk returned. */
  heap: number;
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
  /** Stack high-water seen by painting: initial SP minus the lowest written byte below it. */
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
  const heapHigh = counters.heapSeen ? counters.heapHigh : 0;
  const floor = Math.max(spLimit, heapHigh);
  const paintedLow = lowestTouchedBelow(stackRegion.base, stackBytes, floor, vectors.initialSp);
  const lowestSp = Math.min(counters.minSp, vectors.initialSp);
  const stack = vectors.initialSp - lowestSp;
  const heap = counters.heapSeen ? counters.heapHigh - counters.heapStart : 0;
  const sram: SramReport = {
    size: stackRegion.size,
    data: sizes.data,
    bss: sizes.bss,
    otherStatic: sizes.other,
    reserved: sizes.reserved,
    heap,
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
