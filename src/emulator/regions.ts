// What lies at an address of a board's memory map: for semihosting's pointer checks (a buffer the host
// writes must be RAM, never flash) and for naming fault addresses in diagnoses.
import type { Board, MemoryRegion } from './board.js';
import { PPB_BASE, PPB_SIZE } from './ppb.js';

type Range = Pick<MemoryRegion, 'base' | 'size'>;

/**
 * True when [address, address + length) lies wholly inside the union of `ranges` (adjacent ranges
 * count as one). A range that wraps past 0xFFFFFFFF is never covered; length 0 is covered anywhere.
 */
export function coveredBy(ranges: readonly Range[], address: number, length: number): boolean {
  let at = address >>> 0;
  const end = at + length;
  if (length < 0 || end > 0x1_0000_0000) return false;
  while (at < end) {
    const r = ranges.find((x) => at >= x.base && at < x.base + x.size);
    if (!r) return false;
    at = r.base + r.size;
  }
  return true;
}

/**
 * The Execute Never regions of the ARMv7-M default system address map (ARMv7-M ARM B3.1, Table B3-1):
 * an instruction fetch there is a MemManage fault whatever is mapped.
 */
const EXECUTE_NEVER = [
  { name: 'Peripheral', base: 0x40000000, end: 0x60000000 },
  { name: 'Device', base: 0xa0000000, end: 0xe0000000 },
  { name: 'System', base: 0xe0000000, end: 0x1_0000_0000 },
] as const;

/** The name of the Execute Never region holding `address`, or undefined when code may run there. */
export function executeNeverRegion(address: number): string | undefined {
  const a = address >>> 0;
  return EXECUTE_NEVER.find((r) => a >= r.base && a < r.end)?.name;
}

/** "flash", a RAM region's name, "the PPB", a peripheral range's name; undefined when nothing is mapped. */
export function mappedRegionName(board: Board, address: number): string | undefined {
  const a = address >>> 0;
  const inside = (r: Range) => a >= r.base && a < r.base + r.size;
  if (inside(board.flash)) return 'flash';
  const ram = board.ram.find(inside);
  if (ram) return ram.name;
  if (inside({ base: PPB_BASE, size: PPB_SIZE })) return 'the PPB';
  return board.peripherals.find(inside)?.name;
}
