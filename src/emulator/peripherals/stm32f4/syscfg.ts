// STM32F4 system configuration controller (RM0090 section 9; registers 9.2): storage with the reset
// values of a part booted from main flash (MEMRMP.MEM_MODE 0). The remap, the Ethernet PHY selection
// and the EXTI line routing (EXTICR1–4) read back what was written and have no effect; the I/O
// compensation cell is ready at once (CMPCR.READY follows CMP_PD).
import type { Device, DeviceConfig, DeviceModel } from '../device.js';
import { F42X_PARAM, isF42x } from './part.js';
import { RegisterFile } from './register-file.js';

export const SYSCFG_MEMRMP = 0x00;
export const SYSCFG_PMC = 0x04;
export const SYSCFG_EXTICR1 = 0x08;
export const SYSCFG_CMPCR = 0x20;

const CMP_PD = 1 << 0;
const READY = 1 << 8;

export class Stm32f4Syscfg implements Device {
  readonly model = 'stm32f4-syscfg';
  readonly name: string;
  readonly base: number;
  readonly size: number;
  private readonly regs: RegisterFile;

  constructor(config: DeviceConfig) {
    this.name = config.name;
    this.base = config.base;
    this.size = config.size;
    const f42x = isF42x(config.params);
    this.regs = new RegisterFile([
      // MEMRMP: MEM_MODE 2:0, FB_MODE 8, SWP_FMC 11:10 (F42x/43x); MEM_MODE 1:0 on F405/407.
      { offset: SYSCFG_MEMRMP, reset: 0, writable: f42x ? 0x00000d07 : 0x00000003 },
      // PMC: ADC1DC2..ADC3DC2 18:16 (F42x/43x), MII_RMII_SEL 23.
      { offset: SYSCFG_PMC, reset: 0, writable: f42x ? 0x00870000 : 0x00800000 },
      // EXTICR1–4: four 4-bit EXTIx fields each.
      ...[0, 1, 2, 3].map((i) => ({ offset: SYSCFG_EXTICR1 + 4 * i, reset: 0, writable: 0xffff })),
      { offset: SYSCFG_CMPCR, reset: 0, writable: CMP_PD },
    ]);
  }

  /** The GPIO port (0 = A …) routed to EXTI line `line` (0–15) by EXTICR1–4. */
  exticr(line: number): number {
    return (this.regs.get(SYSCFG_EXTICR1 + 4 * (line >> 2)) >>> (4 * (line & 3))) & 0xf;
  }

  readWord(address: number): number {
    return this.regs.get(address - this.base);
  }

  ignoresWrite(address: number, mask: number): boolean {
    return this.regs.ignores(address - this.base, mask);
  }

  writeWord(address: number, value: number, mask: number): void {
    const offset = address - this.base;
    this.regs.write(offset, value, mask);
    if (offset === SYSCFG_CMPCR) {
      const v = this.regs.get(SYSCFG_CMPCR) & CMP_PD;
      this.regs.set(SYSCFG_CMPCR, v ? v | READY : 0);
    }
  }
}

export const STM32F4_SYSCFG: DeviceModel = {
  defaultSize: 0x400,
  irqs: 0,
  params: { f42x: F42X_PARAM },
  create: (config) => new Stm32f4Syscfg(config),
};
