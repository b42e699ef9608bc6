// The storage registers of an STM32F4 register block (RM0090): each has its reset value and the bits
// software may write; the other bits read as their reset value (reserved bits "must be kept at
// reset value", read-only flags the model sets itself). A model keeps its registers here and adds
// the behaviour of the few bits that do something (ready flags, key sequences, clear-on-write).
import { merge } from '../peripheral.js';

export interface RegisterSpec {
  /** Offset from the block's base (RM0090's "Address offset"). */
  offset: number;
  reset: number;
  /** Bits a write changes. */
  writable: number;
}

export class RegisterFile {
  private readonly specs = new Map<number, RegisterSpec>();
  private readonly values = new Map<number, number>();

  constructor(specs: readonly RegisterSpec[]) {
    for (const s of specs) {
      this.specs.set(s.offset, s);
      this.values.set(s.offset, s.reset >>> 0);
    }
  }

  /** True when `offset` is one of the block's registers (other offsets are reserved: read 0). */
  has(offset: number): boolean {
    return this.specs.has(offset);
  }

  get(offset: number): number {
    return this.values.get(offset) ?? 0;
  }

  /** Sets a register as the hardware does (any bit, read-only flags included). */
  set(offset: number, value: number): void {
    if (this.specs.has(offset)) this.values.set(offset, value >>> 0);
  }

  /** True when a write of the lanes `mask` at `offset` changes no bit: reserved, or read-only there. */
  ignores(offset: number, mask: number): boolean {
    const spec = this.specs.get(offset);
    return !spec || (spec.writable & mask) === 0;
  }

  /** A software write of the lanes in `mask`: only the register's writable bits change. */
  write(offset: number, value: number, mask: number): void {
    const spec = this.specs.get(offset);
    if (!spec) return; // reserved: writes ignored
    this.values.set(offset, merge(this.get(offset), value, (mask & spec.writable) >>> 0));
  }
}

/** A bit field `width` bits wide at bit `shift` of `value`. */
export function field(value: number, shift: number, width: number): number {
  return (value >>> shift) & ((1 << width) - 1);
}
