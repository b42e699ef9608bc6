// SysTick (ARMv7-M ARM B3.3): a 24-bit down-counter at the processor clock, which m4sim takes to be
// the modeled cycle count (so SYST_CVR, DWT CYCCNT and the interrupt times agree). With CVR 0 at
// enable the first clock reloads RVR; the 1 → 0 transition sets COUNTFLAG and, with TICKINT, pends
// SysTick: fires at origin + first + k·(RVR + 1), first = CVR at enable, or RVR + 1 when that was 0.
import type { Peripheral } from './peripheral.js';

export const SYST_CSR = 0xe000e010;
export const SYST_RVR = 0xe000e014;
export const SYST_CVR = 0xe000e018;
export const SYST_CALIB = 0xe000e01c;

const ENABLE = 1;
const TICKINT = 2;
const CLKSOURCE = 4;
const COUNTFLAG = 1 << 16;

export class SysTick implements Peripheral {
  readonly name = 'SysTick';
  readonly base = SYST_CSR;
  readonly size = 0x10;
  private csr = 0;
  private rvr = 0;
  /** Counter value at `origin` (when it was last enabled or written). */
  private start = 0;
  private origin = 0;
  private lastCsrRead = 0;
  /** Interrupts delivered since `origin`. */
  private delivered = 0;
  /** Called after a write that changes when the next interrupt is due. */
  onChange?: () => void;

  constructor(private readonly now: () => number) {}

  private get running(): boolean {
    return (this.csr & ENABLE) !== 0;
  }

  private get period(): number {
    return this.rvr + 1;
  }

  private get first(): number {
    return this.start > 0 ? this.start : this.period;
  }

  /** Counter wraps (1 → 0 transitions) in (origin, t]. */
  private wrapsUntil(t: number): number {
    if (!this.running || (this.rvr === 0 && this.start === 0)) return 0;
    const e = t - this.origin;
    if (e < this.first) return 0;
    return this.rvr === 0 ? 1 : 1 + Math.floor((e - this.first) / this.period);
  }

  value(t = this.now()): number {
    if (!this.running) return this.start;
    const e = t - this.origin;
    if (e <= 0) return this.start;
    if (e < this.first) return this.first - e;
    if (this.rvr === 0) return 0;
    const r = (e - this.first) % this.period;
    return r === 0 ? 0 : this.period - r;
  }

  /** Modeled cycle of the next SysTick interrupt not yet delivered, or Infinity (disabled, no TICKINT, RVR 0). */
  nextInterrupt(): number {
    if (!this.running || (this.csr & TICKINT) === 0) return Infinity;
    if (this.rvr === 0 && (this.start === 0 || this.delivered > 0)) return Infinity;
    return this.origin + this.first + this.delivered * this.period;
  }

  /** The run loop reached cycle t ≥ nextInterrupt(): count the interrupt(s) as delivered (one pend). */
  deliver(t: number): void {
    this.delivered = Math.max(this.delivered + 1, this.wrapsUntil(t));
  }

  private rebase(): void {
    const t = this.now();
    this.start = this.value(t);
    this.origin = t;
    this.delivered = 0;
    this.lastCsrRead = t;
  }

  readWord(address: number): number {
    switch (address) {
      case SYST_CSR: {
        const t = this.now();
        const flag = this.wrapsUntil(t) > this.wrapsUntil(this.lastCsrRead) ? COUNTFLAG : 0;
        this.lastCsrRead = t; // COUNTFLAG clears on read (B3.3.3)
        return (this.csr | flag) >>> 0;
      }
      case SYST_RVR:
        return this.rvr;
      case SYST_CVR:
        return this.value();
      default:
        return 0x80000000; // CALIB: NOREF, no calibration value (TENMS 0)
    }
  }

  writeWord(address: number, value: number): void {
    if (address === SYST_CSR) {
      this.rebase();
      // CLKSOURCE reads as written; m4sim counts the processor clock either way (no reference clock).
      this.csr = value & (ENABLE | TICKINT | CLKSOURCE);
    } else if (address === SYST_RVR) {
      this.rebase();
      this.rvr = value & 0xffffff;
    } else if (address === SYST_CVR) {
      this.rebase();
      this.start = 0; // any write clears the counter and COUNTFLAG (B3.3.5)
    } else {
      return;
    }
    this.onChange?.();
  }
}
