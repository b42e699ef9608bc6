// STM32F4 general-purpose timers TIM2–TIM5 (RM0090 18) and basic timers TIM6/TIM7 (RM0090 20): the
// time-base unit — a 16- or 32-bit counter behind a 16-bit prescaler, counting the timer clock of
// its APB bus (RM0090 6.2) — with its update event and interrupt. Like SysTick (systick.ts) the
// counter is not ticked: its value is derived from the modeled cycle count when a register is
// accessed or the exception model asks for the next event (TickClock gives the exact timer-clock
// ticks in a span of core cycles).
//
// Upcounting (18.3.2, 20.3.2): the prescaler counter counts timer-clock ticks 0..PSC and the counter
// steps at its wrap; the counter counts 0..ARR, then overflows to 0 with an update event. TIM2–TIM5
// count down with CR1.DIR (ARR..0, underflow to ARR). So an update every (PSC + 1) · (ARR + 1) timer
// ticks, (PSC + 1) · (ARR + 1) · hclk / timclk core cycles. At an update event: PSC's preload goes
// to the active prescaler, ARR's preload to the active auto-reload when CR1.ARPE (without ARPE, ARR
// writes take effect at once), SR.UIF is set, and CR1.OPM clears CEN. CR1.UDIS: the counter still
// wraps but no update event (no UIF, no preload transfer). EGR.UG (18.4.6): reinitialises the counter
// (0, or ARR counting down) and the prescaler counter, transfers the preloads, and sets UIF unless
// CR1.URS (or UDIS). An active ARR of 0 blocks the counter (18.4.12). A counter above ARR (ARR lowered
// without ARPE) counts on to the top of its range and wraps to 0 without an update, as 18.3.2
// describes overflow only at ARR. SR flags are rc_w0: writing 0 clears, 1 leaves them.
//
// The interrupt line (the board entry's irq[0]) is high while a flag and its DIER enable are both
// set (UIF/UIE, and CCxIF/CCxIE, TIF/TIE set by EGR.CCxG/TG); the NVIC pends on its rising edge and
// again at handler return while it stays high (exception-core.ts setIrqLevel). nextEvent() is the
// cycle of the next update only when that update raises the line (CEN, UIE, UIF clear, no UDIS):
// other updates change nothing the machine sees until a register read derives them, and a WFI is
// not woken by them (ARMv7-M ARM B1.5.19: WFI waits for an interrupt). Each update that requests the
// interrupt (UIE set, UIF clear) is one device event {kind: "update"} at its exact cycle.
//
// Not modeled: the capture/compare channels (CCMR1/2, CCER, CCR1–4 are storage: no output compare
// match, PWM, input capture or their flags, except that EGR.CCxG sets CCxIF, with CCxOF when
// already set, and captures CNT into CCRx for a channel configured as input), center-aligned modes
// (CR1.CMS is stored; the counter counts as edge-aligned), the slave mode controller and external
// clock (SMCR stored), master mode/TRGO (CR2 stored), DMA requests (DIER's DMA enables stored; DMAR is
// storage, not a burst window), the CKD filter clock, and the one-clock CNT_EN delay after CEN
// (18.3.1 note): counting starts at the CEN write. A change of the clock tree (an RCC model's
// setClocks) is taken at the cycle the timer next learns of it — its next register access or the
// exception model's next query, which the board makes at every clock change: the count up to then
// is at the old rate, and the timer clock's phase restarts there.
import type { Device, DeviceConfig, DeviceContext, DeviceModel } from './device.js';
import { merge } from './peripheral.js';
import { TickClock } from './tick-clock.js';

/** Register offsets (RM0090 18.4.21 TIM2–TIM5 register map; TIM6/TIM7 20.4.9 have CR1…ARR only). */
export const TIM = {
  CR1: 0x00,
  CR2: 0x04,
  SMCR: 0x08,
  DIER: 0x0c,
  SR: 0x10,
  EGR: 0x14,
  CCMR1: 0x18,
  CCMR2: 0x1c,
  CCER: 0x20,
  CNT: 0x24,
  PSC: 0x28,
  ARR: 0x2c,
  CCR1: 0x34,
  CCR2: 0x38,
  CCR3: 0x3c,
  CCR4: 0x40,
  DCR: 0x48,
  DMAR: 0x4c,
  OR: 0x50,
} as const;

/** TIMx_CR1 bits (18.4.1). */
export const CR1 = {
  CEN: 1 << 0,
  UDIS: 1 << 1,
  URS: 1 << 2,
  OPM: 1 << 3,
  DIR: 1 << 4,
  CMS: 3 << 5,
  ARPE: 1 << 7,
  CKD: 3 << 8,
} as const;

/** TIMx_SR flags (18.4.5) and the DIER enables at the same positions (18.4.4), EGR bits (18.4.6). */
export const SR = { UIF: 1 << 0, CC1IF: 1 << 1, TIF: 1 << 6, CC1OF: 1 << 9 } as const;
export const DIER = { UIE: 1 << 0, CC1IE: 1 << 1, TIE: 1 << 6, UDE: 1 << 8 } as const;
export const EGR = { UG: 1 << 0, CC1G: 1 << 1, TG: 1 << 6 } as const;

/** Writable bits per register: a general-purpose timer (TIM2–TIM5) and a basic one (TIM6/TIM7). */
const MASKS = {
  general: { cr1: 0x3ff, cr2: 0xf8, dier: 0x5f5f, sr: 0x1e5f, egr: 0x5f, irq: 0x5f },
  basic: { cr1: 0x8f, cr2: 0x70, dier: 0x101, sr: 0x1, egr: 0x1, irq: 0x1 },
} as const;

export interface TimerOptions {
  /** Counter, auto-reload and capture/compare width: 32 (TIM2, TIM5) or 16. */
  bits: 16 | 32;
  /** 4: a general-purpose timer with channels, DIR, SMCR (TIM2–TIM5); 0: a basic timer (TIM6/TIM7). */
  channels: 0 | 4;
  /** The APB bus whose timer clock it counts (ctx.clock('timclk1'/'timclk2')). */
  bus: 1 | 2;
}

export class Stm32f4Timer implements Device {
  readonly model = 'stm32f4-timer';
  private readonly masks: (typeof MASKS)['general' | 'basic'];
  /** Largest counter value: 2^bits − 1. */
  private readonly top: number;
  private cr1 = 0;
  private cr2 = 0;
  private smcr = 0;
  private dier = 0;
  private sr = 0;
  private ccmr1 = 0;
  private ccmr2 = 0;
  private ccer = 0;
  private readonly ccr = [0, 0, 0, 0];
  private dcr = 0;
  private dmar = 0;
  private or = 0;
  /** PSC and ARR as written (the preload registers) and the active (shadow) ones. */
  private psc = 0;
  private arr = 0;
  private pscActive = 0;
  private arrActive = 0;
  /** Counter and prescaler counter at core cycle `at`, which is `tick0` ticks of `clock`. */
  private cnt = 0;
  private prescaler = 0;
  private at = 0;
  private tick0 = 0;
  private clock: TickClock;
  /** The interrupt line's level as last driven. */
  private line = false;

  constructor(
    readonly name: string,
    readonly base: number,
    readonly size: number,
    private readonly ctx: DeviceContext,
    private readonly options: TimerOptions,
  ) {
    this.masks = options.channels === 0 ? MASKS.basic : MASKS.general;
    this.top = options.bits === 32 ? 0xffffffff : 0xffff;
    this.clock = new TickClock(ctx.clock('hclk'), this.timerClock(), 0);
  }

  private timerClock(): number {
    return this.ctx.clock(this.options.bus === 2 ? 'timclk2' : 'timclk1');
  }

  private get general(): boolean {
    return this.options.channels !== 0;
  }

  private get down(): boolean {
    return (this.cr1 & CR1.DIR) !== 0;
  }

  /** Timer-clock ticks from `at` to the next overflow/underflow; Infinity when stopped or blocked (ARR 0). */
  private ticksToWrap(): number {
    if ((this.cr1 & CR1.CEN) === 0 || this.arrActive === 0) return Infinity;
    const div = this.pscActive + 1;
    let steps: number;
    if (this.down) steps = this.cnt + 1;
    else if (this.cnt <= this.arrActive) steps = this.arrActive - this.cnt + 1;
    else steps = this.top - this.cnt + 1 + this.arrActive + 1; // on to the top, 0, then up to ARR
    return div - this.prescaler + (steps - 1) * div;
  }

  /** Runs the counter `n` ticks on, short of its next wrap (n < ticksToWrap()). */
  private count(n: number): void {
    const div = this.pscActive + 1;
    const p = this.prescaler + n;
    const steps = Math.floor(p / div);
    this.prescaler = p % div;
    if (this.down) this.cnt -= steps;
    else this.cnt = (this.cnt + steps) % (this.top + 1);
  }

  /** The counter restarts after a wrap or UG: 0 counting up, the active ARR counting down. */
  private restart(): void {
    this.cnt = this.down ? this.arrActive : 0;
    this.prescaler = 0;
  }

  /** An update event (overflow, underflow or UG): the preloads go to the active registers. */
  private transfer(): void {
    this.pscActive = this.psc;
    this.arrActive = this.arr;
  }

  /** The timer's state at core cycle `t`: every wrap and update due in (at, t] applied. */
  private sync(t: number): void {
    this.followClock(() => t);
    this.run(t);
  }

  private run(t: number): void {
    if (t <= this.at) return;
    const ticks = this.clock.ticks(t);
    const start = this.tick0;
    let n = ticks - start;
    this.at = t;
    this.tick0 = ticks;
    if (n <= 0 || (this.cr1 & CR1.CEN) === 0 || this.arrActive === 0) return; // stopped or blocked
    const first = this.ticksToWrap();
    if (n < first) {
      this.count(n);
      return;
    }
    n -= first;
    if (this.cr1 & CR1.UDIS) {
      // Wraps without update events: the active registers stay, so does the period.
      this.restart();
      this.count(n % ((this.pscActive + 1) * (this.arrActive + 1)));
      return;
    }
    const requested = (this.dier & DIER.UIE) !== 0 && (this.sr & SR.UIF) === 0;
    this.transfer();
    this.sr |= SR.UIF;
    this.restart();
    if (requested)
      this.ctx.event({
        cycles: this.clock.cycleOf(start + first),
        device: this.name,
        kind: 'update',
        index: 0,
        value: 1,
      });
    if (this.cr1 & CR1.OPM) this.cr1 &= ~CR1.CEN; // one-pulse: stops at the update (18.4.1)
    const period = this.ticksToWrap(); // Infinity when stopped or ARR is now 0
    if (Number.isFinite(period)) this.count(n % period);
    this.drive();
  }

  /** Re-derives from the current count when the clock tree changed (see the header). */
  private followClock(now: () => number): void {
    const hclk = this.ctx.clock('hclk');
    const tim = this.timerClock();
    if (hclk === this.clock.hclk && tim === this.clock.tickHz) return;
    const at = Math.max(now(), this.at);
    this.run(at);
    this.clock = new TickClock(hclk, tim, at);
    this.tick0 = 0;
  }

  /** Drives the interrupt line from the flags and their enables. */
  private drive(): void {
    const level = (this.sr & this.dier & this.masks.irq) !== 0;
    if (level === this.line) return;
    this.line = level;
    this.ctx.setIrq(0, level);
  }

  /** The cycle of the next update when it raises the interrupt line, else Infinity. */
  private nextRaise(): number {
    if (this.line || (this.dier & DIER.UIE) === 0 || (this.sr & SR.UIF) !== 0) return Infinity;
    if (this.cr1 & CR1.UDIS) return Infinity;
    const f = this.ticksToWrap();
    return Number.isFinite(f) ? this.clock.cycleOf(this.tick0 + f) : Infinity;
  }

  nextEvent(): number {
    this.followClock(() => this.ctx.now()); // asks the time only when the clocks changed
    return this.nextRaise();
  }

  advance(now: number): void {
    this.sync(now);
  }

  readWord(address: number): number {
    this.sync(this.ctx.now());
    const offset = address - this.base;
    switch (offset) {
      case TIM.CR1:
        return this.cr1;
      case TIM.CR2:
        return this.cr2;
      case TIM.DIER:
        return this.dier;
      case TIM.SR:
        return this.sr;
      case TIM.CNT:
        return this.cnt >>> 0;
      case TIM.PSC:
        return this.psc;
      case TIM.ARR:
        return this.arr >>> 0;
    }
    if (!this.general) return 0;
    switch (offset) {
      case TIM.SMCR:
        return this.smcr;
      case TIM.CCMR1:
        return this.ccmr1;
      case TIM.CCMR2:
        return this.ccmr2;
      case TIM.CCER:
        return this.ccer;
      case TIM.CCR1:
      case TIM.CCR2:
      case TIM.CCR3:
      case TIM.CCR4:
        return this.ccr[(offset - TIM.CCR1) / 4]! >>> 0;
      case TIM.DCR:
        return this.dcr;
      case TIM.DMAR:
        return this.dmar;
      case TIM.OR:
        return this.or;
      default:
        return 0; // EGR is write-only; reserved offsets read 0
    }
  }

  /**
   * Words that are not registers of this timer: a basic timer (TIM6/TIM7, RM0090 20.4) has CR1, CR2,
   * DIER, SR, EGR, CNT, PSC and ARR only; RCR and BDTR (0x30, 0x44) are TIM1/TIM8's.
   */
  ignoresWrite(address: number): boolean {
    const offset = address - this.base;
    const basic = [TIM.CR1, TIM.CR2, TIM.DIER, TIM.SR, TIM.EGR, TIM.CNT, TIM.PSC, TIM.ARR] as number[];
    if (!this.general) return !basic.includes(offset);
    return !(Object.values(TIM) as number[]).includes(offset);
  }

  writeWord(address: number, value: number, mask: number): void {
    this.sync(this.ctx.now());
    const before = this.nextRaise();
    const offset = address - this.base;
    const m = this.masks;
    const wide = this.top; // CNT, ARR, CCRx width
    switch (offset) {
      case TIM.CR1:
        this.cr1 = merge(this.cr1, value, mask) & m.cr1;
        if ((this.cr1 & CR1.ARPE) === 0) this.arrActive = this.arr;
        break;
      case TIM.CR2:
        this.cr2 = merge(this.cr2, value, mask) & m.cr2;
        break;
      case TIM.DIER:
        this.dier = merge(this.dier, value, mask) & m.dier;
        break;
      case TIM.SR:
        this.sr = this.sr & (value | ~mask) & m.sr; // rc_w0
        break;
      case TIM.EGR:
        this.generate(value & mask & m.egr);
        break;
      case TIM.CNT:
        this.cnt = (merge(this.cnt, value, mask) & wide) >>> 0;
        break;
      case TIM.PSC:
        this.psc = merge(this.psc, value, mask) & 0xffff;
        break;
      case TIM.ARR:
        this.arr = (merge(this.arr, value, mask) & wide) >>> 0;
        if ((this.cr1 & CR1.ARPE) === 0) this.arrActive = this.arr;
        break;
      default:
        if (this.general) this.store(offset, value, mask);
    }
    this.drive();
    if (this.nextRaise() !== before) this.ctx.reschedule();
  }

  /** Channel and DMA registers of a general-purpose timer: storage. */
  private store(offset: number, value: number, mask: number): void {
    switch (offset) {
      case TIM.SMCR:
        this.smcr = merge(this.smcr, value, mask) & 0xfff7;
        break;
      case TIM.CCMR1:
        this.ccmr1 = merge(this.ccmr1, value, mask) & 0xffff;
        break;
      case TIM.CCMR2:
        this.ccmr2 = merge(this.ccmr2, value, mask) & 0xffff;
        break;
      case TIM.CCER:
        this.ccer = merge(this.ccer, value, mask) & 0xbbbb;
        break;
      case TIM.CCR1:
      case TIM.CCR2:
      case TIM.CCR3:
      case TIM.CCR4: {
        const i = (offset - TIM.CCR1) / 4;
        this.ccr[i] = (merge(this.ccr[i]!, value, mask) & this.top) >>> 0;
        break;
      }
      case TIM.DCR:
        this.dcr = merge(this.dcr, value, mask) & 0x1f1f;
        break;
      case TIM.DMAR:
        this.dmar = merge(this.dmar, value, mask);
        break;
      case TIM.OR:
        this.or = merge(this.or, value, mask) & 0x0cc0;
        break;
    }
  }

  /** TIMx_EGR (18.4.6): software events. */
  private generate(bits: number): void {
    if (bits & EGR.UG) {
      const udis = (this.cr1 & CR1.UDIS) !== 0;
      if (!udis) {
        this.transfer();
        if ((this.cr1 & CR1.URS) === 0) this.sr |= SR.UIF;
      }
      this.restart();
    }
    for (let ch = 0; ch < 4; ch++) {
      if ((bits & (EGR.CC1G << ch)) === 0) continue;
      const flag = SR.CC1IF << ch;
      const ccmr = ch < 2 ? this.ccmr1 : this.ccmr2;
      const input = ((ccmr >> (8 * (ch % 2))) & 3) !== 0; // CCxS ≠ 00: the channel is an input
      if (input) {
        if (this.sr & flag) this.sr |= SR.CC1OF << ch;
        this.ccr[ch] = this.cnt;
      }
      this.sr |= flag;
    }
    if (bits & EGR.TG) this.sr |= SR.TIF;
  }
}

function choice<T extends number>(v: number | undefined, allowed: readonly T[], fallback: T): T {
  return allowed.includes(v as T) ? (v as T) : fallback;
}

export const STM32F4_TIMER: DeviceModel = {
  defaultSize: 0x400,
  irqs: 1,
  params: {
    bits: {
      min: 16,
      max: 32,
      default: 16,
      values: [16, 32],
      description: 'counter width: 32 for TIM2 and TIM5, 16 for TIM3, TIM4, TIM6, TIM7',
    },
    channels: {
      min: 0,
      max: 4,
      default: 4,
      values: [0, 4],
      description: '4: general-purpose timer (TIM2–TIM5: DIR, channels, SMCR); 0: basic timer (TIM6, TIM7)',
    },
    bus: {
      min: 1,
      max: 2,
      default: 1,
      values: [1, 2],
      description: 'APB bus whose timer clock it counts: 1 (TIM2–TIM7, timclk1) or 2 (timclk2)',
    },
  },
  create(config: DeviceConfig, ctx: DeviceContext): Device {
    const p = config.params;
    return new Stm32f4Timer(config.name, config.base, config.size, ctx, {
      bits: choice(p.bits, [16, 32] as const, 16),
      channels: choice(p.channels, [0, 4] as const, 4),
      bus: choice(p.bus, [1, 2] as const, 1),
    });
  },
};
