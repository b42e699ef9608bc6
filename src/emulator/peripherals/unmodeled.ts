// A board's unmodeled peripheral ranges (e.g. STM32F4's 0x40000000–0x5FFFFFFF): each register reads
// back what was last written (0 before), so vendor start-up code that configures clocks runs, and the
// report lists every register touched with its read and write counts.

/**
 * Distinct unmodeled peripheral registers (word addresses) tracked per run. Real parts have a few
 * thousand; a firmware sweeping a 512 MiB peripheral range would otherwise fill host memory (and
 * a JavaScript Map stops at 2^24 entries).
 */
export const PERIPHERAL_REGISTER_LIMIT = 65_536;

interface Register {
  reads: number;
  writes: number;
  /** What reads return: the last value written. */
  value: number;
}

export class UnmodeledPeripherals {
  private readonly registers = new Map<number, Register>();
  /** Accesses to registers past the first PERIPHERAL_REGISTER_LIMIT: not stored, only counted. */
  untracked = 0;

  /** The register's entry, or null when it is new and the limit is reached (then only counted). */
  private note(address: number, kind: 'reads' | 'writes'): Register | null {
    const word = (address & ~3) >>> 0;
    let entry = this.registers.get(word);
    if (!entry) {
      if (this.registers.size >= PERIPHERAL_REGISTER_LIMIT) {
        this.untracked++;
        return null;
      }
      entry = { reads: 0, writes: 0, value: 0 };
      this.registers.set(word, entry);
    }
    entry[kind]++;
    return entry;
  }

  read(address: number, size: number): number {
    const word = this.note(address, 'reads')?.value ?? 0;
    const shift = (address & 3) * 8;
    return size >= 4 ? word : (word >>> shift) & ((1 << (size * 8)) - 1);
  }

  write(address: number, size: number, value: number): void {
    const entry = this.note(address, 'writes');
    if (!entry) return;
    if (size >= 4) {
      entry.value = value >>> 0;
    } else {
      const shift = (address & 3) * 8;
      const mask = ((1 << (size * 8)) - 1) << shift;
      entry.value = ((entry.value & ~mask) | ((value << shift) & mask)) >>> 0;
    }
  }

  /** Every tracked register by address: `{address, reads, writes}`. */
  describe(): { address: number; reads: number; writes: number }[] {
    return [...this.registers]
      .sort((a, b) => a[0] - b[0])
      .map(([address, r]) => ({ address, reads: r.reads, writes: r.writes }));
  }
}
