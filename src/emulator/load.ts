// Putting a firmware into the emulator as a part's reset would find it: the board's memory mapped
// (flash read/execute only), RAM painted so touched bytes can be found after the run, PT_LOAD
// segments written at their load addresses (so .data comes from flash, as on silicon), and the
// lowest address the stack may grow down to.
import { ElfError, type Elf } from '../elf/elf.js';
import { paintBuffer } from '../profile/sram.js';
import { hex } from '../util/units.js';
import { regionOf, type Board, type MemoryRegion } from './board.js';
import { UC_PROT_ALL, UC_PROT_EXEC, UC_PROT_READ, type UnicornEngine } from './native.js';

function pageAlign(n: number): number {
  return Math.ceil(n / 4096) * 4096;
}

/** Maps the board, paints RAM, loads the ELF's PT_LOAD segments, then writes the preloads. */
export function loadMemory(
  uc: UnicornEngine,
  elf: Elf,
  board: Board,
  preload: readonly { address: number; bytes: Uint8Array }[],
): void {
  // Flash is read/execute only: a store to it is a fault on a real part, and a diagnosis here.
  uc.mem_map(board.flash.base, pageAlign(board.flash.size), UC_PROT_READ | UC_PROT_EXEC);
  for (const r of board.ram) {
    uc.mem_map(r.base, pageAlign(r.size), UC_PROT_ALL);
    uc.mem_write(r.base, paintBuffer(r.size));
  }
  for (const seg of elf.segments.filter((s) => s.type === 1 && s.filesz > 0)) {
    const start = seg.paddr;
    const end = seg.paddr + seg.filesz;
    const inFlash = start >= board.flash.base && end <= board.flash.base + board.flash.size;
    const ram = board.ram.find((r) => start >= r.base && end <= r.base + r.size);
    if (!inFlash && !ram) {
      throw new ElfError(
        `${elf.name}: segment at ${hex(start)} (${seg.filesz} bytes) does not fit the ${board.name} memory map ` +
          `(flash ${hex(board.flash.base)}+${board.flash.size}, ${board.ram.map((r) => `${r.name} ${hex(r.base)}+${r.size}`).join(', ')})`,
      );
    }
    uc.mem_write(start, elf.bytes.subarray(seg.offset, seg.offset + seg.filesz));
  }
  for (const p of preload) uc.mem_write(p.address, p.bytes);
}

/** The stack may grow down to the end of whatever static data lies below the initial SP. */
export function stackLimit(
  elf: Elf,
  board: Board,
  stackRegion: MemoryRegion,
  reservedNames: readonly string[],
  initialSp: number,
): number {
  let limit = stackRegion.base;
  for (const s of elf.sections) {
    const isRam = regionOf(board, s.addr) === stackRegion;
    const alloc = (s.flags & 2) !== 0;
    if (!isRam || !alloc || s.size === 0) continue;
    if (reservedNames.includes(s.name)) continue;
    const end = s.addr + s.size;
    if (end <= initialSp && end > limit) limit = end;
  }
  return limit;
}
