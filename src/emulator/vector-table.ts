// Finds the Cortex-M vector table in a firmware image and checks its first two words: the initial
// stack pointer and the reset vector, which is all the core reads before running.
import type { Board as FullBoard } from './board.js';
import { ElfError, hex, PF_X, SHF_ALLOC, SHT_NOBITS, type Elf } from '../elf/elf.js';

/** The parts of a board (src/emulator/board.ts) the vector table is checked against. */
export type Board = Pick<FullBoard, 'name' | 'flash' | 'ram' | 'flashWaitStates'>;

export interface VectorTable {
  /** Load address of the table (word 0). */
  address: number;
  /** Word 0: initial main stack pointer. */
  initialSp: number;
  /** Word 1: reset handler address, Thumb bit included. */
  reset: number;
}

const VECTOR_SECTION_NAMES = ['.isr_vector', '.vectors', '.vector_table', 'vectors'];

function inRegion(addr: number, r: { base: number; size: number }): boolean {
  return addr >= r.base && addr < r.base + r.size;
}

function locate(elf: Elf, board: Board): number {
  const { base, size } = board.flash;
  const flashRange = `${board.name} flash (${hex(base)}..${hex(base + size)})`;
  for (const name of VECTOR_SECTION_NAMES) {
    const s = elf.section(name);
    if (!s || s.type === SHT_NOBITS || (s.flags & SHF_ALLOC) === 0 || s.size < 8) continue;
    const lma = elf.loadAddressOf(s);
    if (lma === undefined) continue;
    if (!inRegion(lma, board.flash) && !board.ram.some((r) => inRegion(lma, r))) {
      throw new ElfError(
        `${elf.name}: vector table ${name} is loaded at ${hex(lma)}, outside ${flashRange} and RAM; ` +
          'is the linker script for this board?',
      );
    }
    return lma;
  }
  if (elf.loadSegmentAt(base, 8)) return base;
  const inFlash = elf.loads.filter((s) => s.filesz > 0 && inRegion(s.paddr, board.flash)).map((s) => s.paddr);
  if (inFlash.length === 0) {
    throw new ElfError(
      `${elf.name}: no vector table: nothing is loaded into ${flashRange}; is the linker script for this board?`,
    );
  }
  return Math.min(...inFlash);
}

/**
 * Reads and validates the vector table's initial SP and reset vector from the loaded image. Throws
 * ElfError with a one-line reason when they cannot be what a Cortex-M core boots from.
 */
export function readVectorTable(elf: Elf, board: Board): VectorTable {
  const address = locate(elf, board);
  const initialSp = elf.readLoadedWord(address);
  const reset = elf.readLoadedWord(address + 4);
  if (initialSp === undefined || reset === undefined) {
    throw new ElfError(`${elf.name}: no vector table: fewer than 8 bytes are loaded at ${hex(address)}`);
  }
  const ramOk = board.ram.some((r) => initialSp > r.base && initialSp <= r.base + r.size);
  if (!ramOk || (initialSp & 3) !== 0) {
    const regions = board.ram.map((r) => `${r.name} ${hex(r.base)}..${hex(r.base + r.size)}`).join(', ');
    const why = ramOk ? 'which is not word-aligned' : `which is not a stack pointer in SRAM (${regions})`;
    throw new ElfError(`${elf.name}: no vector table: word 0 at ${hex(address)} is ${hex(initialSp)} ${why}`);
  }
  const where = `reset vector (word 1 at ${hex(address + 4)}) is ${hex(reset)}`;
  if ((reset & 1) === 0) {
    throw new ElfError(
      `${elf.name}: ${where} without the Thumb bit (bit 0) set; Cortex-M only executes Thumb code`,
    );
  }
  const target = (reset & ~1) >>> 0;
  const exec = elf.loads.some(
    (s) => (s.flags & PF_X) !== 0 && target >= s.paddr && target + 2 <= s.paddr + s.filesz,
  );
  if (!exec) {
    throw new ElfError(`${elf.name}: ${where}, which is not inside loaded executable code`);
  }
  return { address, initialSp, reset };
}
