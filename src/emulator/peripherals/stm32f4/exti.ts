// STM32F4 external interrupt/event controller (RM0090 section 12; registers 12.3): 23 lines, IMR,
// EMR, RTSR, FTSR, SWIER, PR. A line's pending bit (PR) is set, when the line's interrupt is enabled
// in IMR, by a 0 → 1 write to its SWIER bit (12.3.5) or by the edge RTSR/FTSR select on its input
// (input(): for devices that drive lines; the board file wires none yet); writing 1 to a PR bit
// clears it and the SWIER bit. PR & IMR drive the NVIC lines, in this order of the board entry's
// `irq` list: EXTI0, EXTI1, EXTI2, EXTI3, EXTI4, EXTI9_5, EXTI15_10 (lines 0–15), then lines 16–22:
// PVD, RTC_Alarm, OTG_FS_WKUP, ETH_WKUP, OTG_HS_WKUP, TAMP_STAMP, RTC_WKUP (NVIC positions 6, 7, 8,
// 9, 10, 23, 40, 1, 41, 42, 62, 76, 2, 3 in RM0090 Tables 61 and 62). Events (EMR: wake-up from WFE)
// are stored, not generated.
import type { Device, DeviceConfig, DeviceContext, DeviceModel } from '../device.js';
import { merge } from '../peripheral.js';
import { RegisterFile } from './register-file.js';

export const EXTI_IMR = 0x00;
export const EXTI_EMR = 0x04;
export const EXTI_RTSR = 0x08;
export const EXTI_FTSR = 0x0c;
export const EXTI_SWIER = 0x10;
export const EXTI_PR = 0x14;

/** Lines 0–22 (bits 31:23 are reserved). */
const LINES = 0x007fffff;

/** The lines each interrupt output gathers, in the order of the board entry's `irq` list. */
export const EXTI_IRQ_LINES: readonly number[] = [
  1 << 0,
  1 << 1,
  1 << 2,
  1 << 3,
  1 << 4,
  0x000003e0, // EXTI9_5
  0x0000fc00, // EXTI15_10
  ...[16, 17, 18, 19, 20, 21, 22].map((l) => 1 << l),
];

export class Stm32f4Exti implements Device {
  readonly model = 'stm32f4-exti';
  readonly name: string;
  readonly base: number;
  readonly size: number;
  private readonly regs = new RegisterFile(
    [EXTI_IMR, EXTI_EMR, EXTI_RTSR, EXTI_FTSR, EXTI_SWIER, EXTI_PR].map((offset) => ({
      offset,
      reset: 0,
      writable: offset === EXTI_PR ? 0 : LINES,
    })),
  );
  /** Input level per line (input()). */
  private levels = 0;
  /** Interrupt outputs driven high now, one bit per EXTI_IRQ_LINES entry. */
  private outputs = 0;

  constructor(
    config: DeviceConfig,
    private readonly ctx: DeviceContext,
  ) {
    this.name = config.name;
    this.base = config.base;
    this.size = config.size;
  }

  readWord(address: number): number {
    return this.regs.get(address - this.base);
  }

  ignoresWrite(address: number, mask: number): boolean {
    const offset = address - this.base;
    // Registers with their own write behaviour (keys, clear-on-write, ready flags) take every write.
    if (offset === EXTI_PR || offset === EXTI_SWIER) return false;
    return this.regs.ignores(offset, mask);
  }

  writeWord(address: number, value: number, mask: number): void {
    const offset = address - this.base;
    if (offset === EXTI_PR) {
      const clear = value & mask & LINES; // rc_w1
      this.regs.set(EXTI_PR, this.regs.get(EXTI_PR) & ~clear);
      this.regs.set(EXTI_SWIER, this.regs.get(EXTI_SWIER) & ~clear);
    } else if (offset === EXTI_SWIER) {
      const old = this.regs.get(EXTI_SWIER);
      const swier = merge(old, value, mask & LINES);
      this.regs.set(EXTI_SWIER, swier);
      this.pend(swier & ~old);
    } else {
      this.regs.write(offset, value, mask);
    }
    this.updateIrqs();
  }

  /** A device drives line `line` (0–22) to `level`: the edges RTSR/FTSR select pend it. */
  input(line: number, level: boolean): void {
    if (line < 0 || line > 22) return;
    const bit = 1 << line;
    const was = (this.levels & bit) !== 0;
    this.levels = level ? this.levels | bit : this.levels & ~bit;
    if (level === was) return;
    const trigger = this.regs.get(level ? EXTI_RTSR : EXTI_FTSR);
    if (trigger & bit) {
      this.pend(bit);
      this.updateIrqs();
    }
  }

  /** Sets the pending bits of `lines` whose interrupt IMR enables. */
  private pend(lines: number): void {
    const enabled = lines & this.regs.get(EXTI_IMR);
    if (enabled) this.regs.set(EXTI_PR, this.regs.get(EXTI_PR) | enabled);
  }

  private updateIrqs(): void {
    const active = this.regs.get(EXTI_PR) & this.regs.get(EXTI_IMR);
    EXTI_IRQ_LINES.forEach((lines, i) => {
      const level = (active & lines) !== 0;
      if (level !== ((this.outputs >>> i) & 1) > 0) {
        this.outputs ^= 1 << i;
        this.ctx.setIrq(i, level);
      }
    });
  }
}

export const STM32F4_EXTI: DeviceModel = {
  defaultSize: 0x400,
  irqs: EXTI_IRQ_LINES.length,
  params: {},
  create: (config, ctx) => new Stm32f4Exti(config, ctx),
};
