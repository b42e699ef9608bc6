// Floating-point context registers of the Cortex-M4 FPU (ARMv7-M ARM B3.2.23 FPCCR, B3.2.24 FPCAR,
// B3.2.25 FPDSCR) and the lazy FP state preservation they control (B1.5.7): when an exception is
// taken with CONTROL.FPCA set and FPCCR.LSPEN set, the extended frame's FP area (S0-S15, FPSCR and a
// reserved word) is reserved but not written; FPCCR.LSPACT, FPCAR and the *RDY/THREAD/USER bits
// record where and how to write it. The first FP instruction afterwards performs PreserveFPState;
// an exception return with LSPACT still set clears it and restores nothing (the registers never
// changed). The save itself happens in src/emulator/exception-core.ts.
import { merge, type Peripheral } from './peripheral.js';

export const FPCCR = 0xe000ef34;
export const FPCAR = 0xe000ef38;
export const FPDSCR = 0xe000ef3c;

/** FPCCR bits (B3.2.23). */
export const FPCCR_BITS = {
  LSPACT: 1 << 0,
  USER: 1 << 1,
  THREAD: 1 << 3,
  HFRDY: 1 << 4,
  MMRDY: 1 << 5,
  BFRDY: 1 << 6,
  MONRDY: 1 << 8,
  LSPEN: 1 << 30,
  ASPEN: 1 << 31,
} as const;

/** FPCCR reset value: ASPEN and LSPEN set, everything else 0 (B3.2.23; Cortex-M4 TRM 7.3: 0xC0000000). */
export const FPCCR_RESET = 0xc0000000;
/** The defined FPCCR bits (the others are reserved, RAZ/WI). */
const FPCCR_WRITABLE = 0xc000017b;
/** FPCAR [31:3]: the FP area is doubleword aligned; bits [2:0] are reserved (read as 0 here). */
const FPCAR_WRITABLE = 0xfffffff8;
/** FPDSCR AHP (26), DN (25), FZ (24), RMode (23:22); reset 0 (B3.2.25). */
const FPDSCR_WRITABLE = 0x07c00000;

export class Fpu implements Peripheral {
  readonly name = 'FPU';
  readonly base = FPCCR;
  readonly size = FPDSCR + 4 - FPCCR;
  fpccr = FPCCR_RESET;
  fpcar = 0;
  fpdscr = 0;
  /** Called when FPCCR.LSPACT may have changed (arms or disarms the native lazy-FP checks). */
  onLazyChange?: () => void;

  get lspact(): boolean {
    return (this.fpccr & FPCCR_BITS.LSPACT) !== 0;
  }

  get lspen(): boolean {
    return (this.fpccr & FPCCR_BITS.LSPEN) !== 0;
  }

  get aspen(): boolean {
    return (this.fpccr & FPCCR_BITS.ASPEN) !== 0;
  }

  /** Sets or clears LSPACT (the other bits unchanged). */
  setLspact(on: boolean): void {
    const next = on ? this.fpccr | FPCCR_BITS.LSPACT : this.fpccr & ~FPCCR_BITS.LSPACT;
    this.fpccr = next >>> 0;
    this.onLazyChange?.();
  }

  /**
   * UpdateFPCCR (B1.5.7), at an entry that reserved the FP area at `area` (frame + 0x20): LSPACT,
   * FPCAR, and the mode, privilege and which faults could be taken then (the *RDY bits).
   */
  reserve(
    area: number,
    ready: { thread: boolean; user: boolean; hf: boolean; mm: boolean; bf: boolean; mon: boolean },
  ): void {
    const b = FPCCR_BITS;
    let v = this.fpccr & (b.ASPEN | b.LSPEN);
    v |= b.LSPACT;
    if (ready.user) v |= b.USER;
    if (ready.thread) v |= b.THREAD;
    if (ready.hf) v |= b.HFRDY;
    if (ready.mm) v |= b.MMRDY;
    if (ready.bf) v |= b.BFRDY;
    if (ready.mon) v |= b.MONRDY;
    this.fpccr = v >>> 0;
    this.fpcar = (area & FPCAR_WRITABLE) >>> 0;
    this.onLazyChange?.();
  }

  readWord(address: number): number {
    if (address === FPCCR) return this.fpccr;
    if (address === FPCAR) return this.fpcar;
    if (address === FPDSCR) return this.fpdscr;
    return 0;
  }

  writeWord(address: number, value: number, mask: number): void {
    if (address === FPCCR) {
      const m = (mask & FPCCR_WRITABLE) >>> 0;
      this.fpccr = merge(this.fpccr, value, m);
      this.onLazyChange?.();
    } else if (address === FPCAR) {
      this.fpcar = merge(this.fpcar, value, (mask & FPCAR_WRITABLE) >>> 0);
    } else if (address === FPDSCR) {
      this.fpdscr = merge(this.fpdscr, value, (mask & FPDSCR_WRITABLE) >>> 0);
    }
  }
}
