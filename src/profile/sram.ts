// SRAM accounting: static sections from the ELF, heap high-water from the break functions or from
// painting, stack high-water from the native profiler, and "touched" bytes found by painting every
// RAM byte before reset.
import type { MemoryRegion } from '../emulator/board.js';

/** Paint pattern, repeated over RAM before reset; a byte differing from it afterwards was written. */
export const PAINT = Uint8Array.of(0xde, 0xc0, 0xad, 0x0b);

export function paintBuffer(size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = PAINT[i & 3]!;
  return b;
}

export interface TouchedRegion {
  name: string;
  base: number;
  size: number;
  /** Bytes that differ from the paint pattern after the run (loaded data counts as touched). */
  touched: number;
  /** Lowest and highest+1 touched addresses, or null if none. */
  low: number | null;
  high: number | null;
}

/** Counts bytes that no longer hold the paint pattern. `base` must be 4-aligned. */
export function touchedBytes(region: MemoryRegion, bytes: Uint8Array): TouchedRegion {
  let touched = 0;
  let low: number | null = null;
  let high: number | null = null;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== PAINT[i & 3]) {
      touched++;
      if (low === null) low = region.base + i;
      high = region.base + i + 1;
    }
  }
  return { name: region.name, base: region.base, size: region.size, touched, low, high };
}

/**
 * The lowest painted-over address in [floor, top): the stack's deepest write as seen by painting.
 * Returns top when nothing below it was touched.
 */
export function lowestTouchedBelow(
  regionBase: number,
  bytes: Uint8Array,
  floor: number,
  top: number,
): number {
  let lowest = top;
  for (let a = top - 1; a >= floor; a--) {
    const i = a - regionBase;
    if (bytes[i] !== PAINT[i & 3]) lowest = a;
  }
  return lowest;
}

/**
 * One past the highest painted-over address in [from, to), or null when nothing there was touched:
 * the top of a heap that no break function reported (src/emulator/sram-report.ts).
 */
export function highestTouchedIn(
  regionBase: number,
  bytes: Uint8Array,
  from: number,
  to: number,
): number | null {
  const lo = Math.max(from, regionBase);
  const hi = Math.min(to, regionBase + bytes.length);
  for (let a = hi - 1; a >= lo; a--) {
    const i = a - regionBase;
    if (bytes[i] !== PAINT[i & 3]) return a + 1;
  }
  return null;
}
