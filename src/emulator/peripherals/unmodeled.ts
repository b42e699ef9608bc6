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

/**
 * Reads of one unmodeled register in a row, with nothing else in between, after which the firmware
 * is taken to wait for hardware m4sim does not model. Real hardware raises a ready flag within
 * microseconds to milliseconds (an oscillator start-up, a PLL lock: a few ms at most), which at the
 * 4–8 cycles of a poll loop is some thousands to a few hundred thousand reads at 16–168 MHz; vendor
 * code that counts its polls as a timeout sizes the count for that (typically 16-bit counts). A
 * timeout on a tick (HAL_GetTick) takes an interrupt, and any interrupt restarts the count. A
 * million reads is 4–8 million instructions, some hundredths of a second of host time: a firmware
 * stuck there ends at once instead of at the 20 G-instruction limit (about 40 s).
 */
export const POLL_READ_LIMIT = 1_000_000;

export class UnmodeledPeripherals {
  private readonly registers = new Map<number, Register>();
  /** Accesses to registers past the first PERIPHERAL_REGISTER_LIMIT: not stored, only counted. */
  untracked = 0;
  /**
   * Strict mode (--strict-peripherals): called at every access, before it is served (the machine
   * ends the run there). null: accesses are served from the store.
   */
  onAccess: ((address: number, size: number, write: boolean) => void) | null = null;
  /** Reads of the same register in a row that count as a stuck poll; 0: not watched. */
  pollLimit = 0;
  /** Called once the same word was read pollLimit times in a row, with what it reads. */
  onStuckPoll: ((address: number, value: number, reads: number) => void) | null = null;
  private pollWord = -1;
  private pollReads = 0;

  /**
   * Something happened that could change what a poll of an unmodeled register waits for: a write to
   * any of them, an access to a modeled peripheral or the PPB, a semihosting call, an exception.
   * The count of reads in a row starts again.
   */
  breakPoll(): void {
    this.pollWord = -1;
    this.pollReads = 0;
  }

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
    this.onAccess?.(address, size, false);
    const word = this.note(address, 'reads')?.value ?? 0;
    if (this.pollLimit > 0) {
      const at = (address & ~3) >>> 0;
      if (at !== this.pollWord) {
        this.pollWord = at;
        this.pollReads = 1;
      } else if (++this.pollReads === this.pollLimit) {
        this.onStuckPoll?.(at, word, this.pollReads);
      }
    }
    const shift = (address & 3) * 8;
    return size >= 4 ? word : (word >>> shift) & ((1 << (size * 8)) - 1);
  }

  write(address: number, size: number, value: number): void {
    this.onAccess?.(address, size, true);
    this.breakPoll();
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
