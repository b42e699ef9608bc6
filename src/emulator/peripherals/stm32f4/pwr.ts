// STM32F4 power controller (RM0090 section 5; registers 5.4.1–5.4.2 for STM32F405xx/07xx and
// STM32F415xx/17xx, 5.4.3–5.4.4 for STM32F42xxx/43xxx). The regulator is ready at once: CSR.VOSRDY
// reads 1, ODRDY follows CR.ODEN and ODSWRDY follows CR.ODSWEN (set only once ODRDY is; cleared with
// ODEN), BRR follows CSR.BRE. Clock- and power-mode effects are not modeled: VOS and over-drive do not
// limit the clock, the PVD output (PVDO) stays 0, Stop/Standby never happen (WUF, SBF, UDRDY stay 0),
// and PWR does not enforce the PLL-off condition for writing VOS.
import type { Device, DeviceConfig, DeviceModel } from '../device.js';
import { F42X_PARAM, isF42x } from './part.js';
import { RegisterFile } from './register-file.js';

export const PWR_CR = 0x00;
export const PWR_CSR = 0x04;

// PWR_CR: LPDS 0, PDDS 1, CWUF 2, CSBF 3, PVDE 4, PLS 7:5, DBP 8, FPDS 9, then on F42x/43x LPUDS 10,
// MRUDS 11, ADCDC1 13, VOS 15:14, ODEN 16, ODSWEN 17, UDEN 19:18; on F405/407 VOS is bit 14 alone.
const CWUF = 1 << 2;
const CSBF = 1 << 3;
const ODEN = 1 << 16;
const ODSWEN = 1 << 17;
const CR_F40X = { reset: 0x00004000, writable: 0x000043ff }; // VOS 1: scale 1 at reset
const CR_F42X = { reset: 0x0000c000, writable: 0x000fefff }; // VOS 11: scale 1

// PWR_CSR: WUF 0, SBF 1, PVDO 2, BRR 3, EWUP 8, BRE 9, VOSRDY 14, ODRDY 16, ODSWRDY 17, UDRDY 19:18.
const BRR = 1 << 3;
const EWUP = 1 << 8;
const BRE = 1 << 9;
const VOSRDY = 1 << 14;
const ODRDY = 1 << 16;
const ODSWRDY = 1 << 17;

export class Stm32f4Pwr implements Device {
  readonly model = 'stm32f4-pwr';
  readonly name: string;
  readonly base: number;
  readonly size: number;
  private readonly regs: RegisterFile;
  private readonly f42x: boolean;

  constructor(config: DeviceConfig) {
    this.name = config.name;
    this.base = config.base;
    this.size = config.size;
    this.f42x = isF42x(config.params);
    const cr = this.f42x ? CR_F42X : CR_F40X;
    this.regs = new RegisterFile([
      { offset: PWR_CR, reset: cr.reset, writable: cr.writable & ~(CWUF | CSBF) }, // CWUF, CSBF read 0
      { offset: PWR_CSR, reset: VOSRDY, writable: EWUP | BRE },
    ]);
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
    // CWUF and CSBF clear WUF and SBF, which never get set here.
    let cr = this.regs.get(PWR_CR);
    let csr = this.regs.get(PWR_CSR) & ~(BRR | ODRDY | ODSWRDY);
    if (csr & BRE) csr |= BRR;
    if (this.f42x) {
      if ((cr & ODEN) === 0) cr &= ~ODSWEN; // ODSWEN "is cleared … when the ODEN bit is reset"
      if (cr & ODEN) csr |= ODRDY;
      if (cr & ODSWEN && csr & ODRDY) csr |= ODSWRDY;
      this.regs.set(PWR_CR, cr);
    }
    this.regs.set(PWR_CSR, csr | VOSRDY);
  }
}

export const STM32F4_PWR: DeviceModel = {
  defaultSize: 0x400,
  irqs: 0,
  params: { f42x: F42X_PARAM },
  create: (config) => new Stm32f4Pwr(config),
};
