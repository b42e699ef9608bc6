// STM32F4 reset and clock control (RM0090 section 6 for STM32F42xxx/43xxx, section 7 for
// STM32F405xx/07xx and STM32F415xx/17xx; registers 6.3 / 7.3). The oscillators and PLLs are ready as
// soon as they are enabled (real parts take microseconds to start and lock: a firmware's polling
// loop exits at its first read). SYSCLK switches to the source SW selects once that source is
// ready (6.2.6 / 7.2.6: "a switch from one clock source to another occurs only if the target clock
// source is ready"; one selected before it is ready is switched to when it becomes ready). The
// clock tree of 6.2 is published to the machine whenever it changes: HCLK = SYSCLK / AHB prescaler
// (the core clock: the time figures follow it, and each change is a device event `hclk`), PCLK1/2 =
// HCLK / APB1/2 prescaler, and the timer clocks: PCLKx when the APB prescaler is 1, else 2 × PCLKx
// (with DCKCFGR.TIMPRE on F42x/43x: HCLK when the prescaler is 1, 2 or 4, else 4 × PCLKx).
//
// Interrupt line 0: the RCC global interrupt (ready interrupts of CIR; NVIC position 5). Not modeled:
// the clock security system (HSE never fails: CSSF stays 0), the backup-domain write protection
// (PWR_CR.DBP) of BDCR, peripheral resets and clock gating (the RSTR, ENR and LPENR registers are
// storage: every bit reads back what was written, and a peripheral works with its clock off),
// spread spectrum, MCO outputs, HSI trimming (HSITRIM is stored; HSI stays 16 MHz), and frequency
// limits (VCO range, 168/180 MHz maximum).
import type { Clocks, Device, DeviceConfig, DeviceContext, DeviceModel } from '../device.js';
import { merge } from '../peripheral.js';
import { F42X_PARAM, isF42x } from './part.js';
import { field, RegisterFile, type RegisterSpec } from './register-file.js';

// Register offsets (RM0090's RCC register maps, 6.3 / 7.3).
export const RCC_CR = 0x00;
export const RCC_PLLCFGR = 0x04;
export const RCC_CFGR = 0x08;
export const RCC_CIR = 0x0c;
export const RCC_AHB1ENR = 0x30;
export const RCC_APB1ENR = 0x40;
export const RCC_BDCR = 0x70;
export const RCC_CSR = 0x74;
export const RCC_PLLI2SCFGR = 0x84;
export const RCC_PLLSAICFGR = 0x88;
export const RCC_DCKCFGR = 0x8c;

/** HSI RC oscillator: 16 MHz (RM0090 6.2.2). */
export const HSI_HZ = 16_000_000;

// RCC_CR (6.3.1 / 7.3.1).
const HSION = 1 << 0;
const HSIRDY = 1 << 1;
const HSITRIM = 0x1f << 3;
const HSEON = 1 << 16;
const HSERDY = 1 << 17;
const HSEBYP = 1 << 18;
const CSSON = 1 << 19;
const PLLON = 1 << 24;
const PLLRDY = 1 << 25;
const PLLI2SON = 1 << 26;
const PLLI2SRDY = 1 << 27;
const PLLSAION = 1 << 28;
const PLLSAIRDY = 1 << 29;
const CR_READY = HSIRDY | HSERDY | PLLRDY | PLLI2SRDY | PLLSAIRDY;
/** Reset value 0x0000 XX83: HSION, HSIRDY, HSITRIM 16; HSICAL (factory trimming, XX) reads 0 here. */
const CR_RESET = 0x83;

// RCC_PLLCFGR (6.3.2 / 7.3.2): PLLM 5:0, PLLN 14:6, PLLP 17:16, PLLSRC 22, PLLQ 27:24.
const PLLSRC = 1 << 22;
const PLLCFGR_RESET = 0x24003010;
const PLLCFGR_WRITABLE = 0x0f437fff;

// RCC_CFGR (6.3.3 / 7.3.3): SW 1:0, SWS 3:2 (read-only), HPRE 7:4, PPRE1 12:10, PPRE2 15:13, RTCPRE,
// MCO1, I2SSRC, MCO1PRE, MCO2PRE, MCO2 (stored).
const CFGR_WRITABLE = 0xfffffcf3;

// RCC_CIR (6.3.4 / 7.3.4): ready flags 6:0 (LSI, LSE, HSI, HSE, PLL, PLLI2S, PLLSAI), CSSF 7, their
// interrupt enables 14:8 and clear bits 23:16.
const LSIRDYF = 1 << 0;
const LSERDYF = 1 << 1;
const HSIRDYF = 1 << 2;
const HSERDYF = 1 << 3;
const PLLRDYF = 1 << 4;
const PLLI2SRDYF = 1 << 5;
const PLLSAIRDYF = 1 << 6;

// RCC_BDCR (6.3.20 / 7.3.20).
const LSEON = 1 << 0;
const LSERDY = 1 << 1;
const LSEBYP = 1 << 2;
const RTCSEL = 3 << 8;
const RTCEN = 1 << 15;
const BDRST = 1 << 16;

// RCC_CSR (6.3.21 / 7.3.21): reset 0x0E00 0000 (BORRSTF, PINRSTF, PORRSTF: a power-on reset).
const LSION = 1 << 0;
const LSIRDY = 1 << 1;
const RMVF = 1 << 24;
const RESET_FLAGS = 0xfe000000;
const CSR_RESET = 0x0e000000;

/** Every bit of a storage register. */
const ALL = 0xffffffff;

/** The registers of the two parts, with their reset values (RM0090 6.3 / 7.3). */
function registerSpecs(f42x: boolean): RegisterSpec[] {
  const storage = (offset: number, reset = 0): RegisterSpec => ({ offset, reset, writable: ALL });
  const specs: RegisterSpec[] = [
    { offset: RCC_CR, reset: CR_RESET, writable: 0 }, // written through writeCr
    { offset: RCC_PLLCFGR, reset: PLLCFGR_RESET, writable: PLLCFGR_WRITABLE },
    { offset: RCC_CFGR, reset: 0, writable: CFGR_WRITABLE },
    { offset: RCC_CIR, reset: 0, writable: 0 }, // written through writeCir
    storage(0x10), // AHB1RSTR
    storage(0x14), // AHB2RSTR
    storage(0x18), // AHB3RSTR
    storage(0x20), // APB1RSTR
    storage(0x24), // APB2RSTR
    storage(RCC_AHB1ENR, 0x00100000), // CCMDATARAMEN
    storage(0x34), // AHB2ENR
    storage(0x38), // AHB3ENR
    storage(RCC_APB1ENR),
    storage(0x44), // APB2ENR
    storage(0x50, f42x ? 0x7eef97ff : 0x7e6791ff), // AHB1LPENR
    storage(0x54, 0x000000f1), // AHB2LPENR
    storage(0x58, 0x00000001), // AHB3LPENR
    storage(0x60, f42x ? 0xf6fec9ff : 0x36fec9ff), // APB1LPENR
    storage(0x64, f42x ? 0x04777f33 : 0x00075f33), // APB2LPENR
    { offset: RCC_BDCR, reset: 0, writable: 0 }, // written through writeBdcr
    { offset: RCC_CSR, reset: CSR_RESET, writable: 0 }, // written through writeCsr
    { offset: 0x80, reset: 0, writable: 0xcfffffff }, // SSCGR
    // PLLI2SCFGR: PLLI2SN 14:6, PLLI2SQ 27:24 (F42x/43x), PLLI2SR 30:28.
    {
      offset: RCC_PLLI2SCFGR,
      reset: f42x ? 0x24003000 : 0x20003000,
      writable: f42x ? 0x7f007fc0 : 0x70007fc0,
    },
  ];
  if (f42x) {
    // PLLSAICFGR: PLLSAIN 14:6, PLLSAIQ 27:24, PLLSAIR 30:28. DCKCFGR: PLLI2SDIVQ, PLLSAIDIVQ,
    // PLLSAIDIVR, SAI1ASRC, SAI1BSRC, TIMPRE (24).
    specs.push({ offset: RCC_PLLSAICFGR, reset: 0x24003000, writable: 0x7f007fc0 });
    specs.push({ offset: RCC_DCKCFGR, reset: 0, writable: 0x01f31f1f });
  }
  return specs;
}

/** AHB prescaler HPRE: 0xxx → 1, 1000 → 2 … 1111 → 512 (there is no /32). */
const AHB_DIVIDERS = [2, 4, 8, 16, 64, 128, 256, 512];

export class Stm32f4Rcc implements Device {
  readonly model = 'stm32f4-rcc';
  readonly name: string;
  readonly base: number;
  readonly size: number;
  private readonly regs: RegisterFile;
  private readonly f42x: boolean;
  private readonly hseHz: number;

  constructor(
    config: DeviceConfig,
    private readonly ctx: DeviceContext,
  ) {
    this.name = config.name;
    this.base = config.base;
    this.size = config.size;
    this.f42x = isF42x(config.params);
    this.hseHz = config.params.hseHz ?? HSE_PARAM_DEFAULT;
    this.regs = new RegisterFile(registerSpecs(this.f42x));
  }

  readWord(address: number): number {
    return this.regs.get(address - this.base);
  }

  ignoresWrite(address: number, mask: number): boolean {
    const offset = address - this.base;
    // Registers with their own write behaviour (keys, clear-on-write, ready flags) take every write.
    if (offset === RCC_CR || offset === RCC_CIR || offset === RCC_BDCR || offset === RCC_CSR) return false;
    return this.regs.ignores(offset, mask);
  }

  writeWord(address: number, value: number, mask: number): void {
    const offset = address - this.base;
    switch (offset) {
      case RCC_CR:
        this.writeCr(value, mask);
        break;
      case RCC_PLLCFGR:
        // RM0090: PLLCFGR "should be written only if PLL is disabled", PLLSRC "only when PLL and
        // PLLI2S are disabled" (PLLM divides the input of every PLL): ignored while one runs.
        if ((this.regs.get(RCC_CR) & (PLLON | PLLI2SON | PLLSAION)) === 0)
          this.regs.write(offset, value, mask);
        break;
      case RCC_CIR:
        this.writeCir(value, mask);
        return;
      case RCC_BDCR:
        this.writeBdcr(value, mask);
        return;
      case RCC_CSR:
        this.writeCsr(value, mask);
        return;
      default:
        this.regs.write(offset, value, mask);
        if (offset !== RCC_CFGR && offset !== RCC_DCKCFGR) return;
    }
    this.update();
  }

  private writeCr(value: number, mask: number): void {
    const old = this.regs.get(RCC_CR);
    const writable = HSION | HSITRIM | HSEON | HSEBYP | CSSON | PLLON | PLLI2SON | (this.f42x ? PLLSAION : 0);
    let cr = merge(old, value, mask & writable);
    // HSEBYP "can be written only if the HSE oscillator is disabled".
    if (old & HSEON) cr = (cr & ~HSEBYP) | (old & HSEBYP);
    // A clock the system runs on, directly or through the PLL, cannot be stopped.
    const sws = this.sws();
    const pllFromHse = (this.regs.get(RCC_PLLCFGR) & PLLSRC) !== 0;
    if (sws === 0 || (sws === 2 && !pllFromHse)) cr |= HSION;
    if (sws === 1 || (sws === 2 && pllFromHse)) cr |= HSEON;
    if (sws === 2) cr |= PLLON;
    this.regs.set(RCC_CR, cr);
  }

  private writeCir(value: number, mask: number): void {
    const flags = this.f42x ? 0xff : 0xbf; // ready flags and CSSF (no PLLSAI on F405/407)
    const w = value & mask;
    let cir = merge(this.regs.get(RCC_CIR), value, mask & ((flags & 0x7f) << 8));
    cir &= ~((w >>> 16) & flags); // the clear bits (23:16) read 0
    this.regs.set(RCC_CIR, cir);
    this.updateIrq();
  }

  private writeBdcr(value: number, mask: number): void {
    const old = this.regs.get(RCC_BDCR);
    let v = merge(old, value, mask & (LSEON | LSEBYP | RTCSEL | RTCEN | BDRST));
    // LSEBYP "can be written only when the external 32 kHz oscillator is disabled"; RTCSEL cannot
    // change once set until the backup domain is reset.
    if (old & LSEON) v = (v & ~LSEBYP) | (old & LSEBYP);
    if (old & RTCSEL) v = (v & ~RTCSEL) | (old & RTCSEL);
    if (v & BDRST) v = BDRST; // backup domain held in reset: its bits return to their reset value
    if (v & LSEON) v |= LSERDY;
    this.regs.set(RCC_BDCR, v);
    if ((v & LSERDY) !== 0 && (old & LSERDY) === 0) this.readyFlag(LSERDYF);
  }

  private writeCsr(value: number, mask: number): void {
    const old = this.regs.get(RCC_CSR);
    let v = merge(old, value, mask & LSION);
    if (value & mask & RMVF) v &= ~RESET_FLAGS;
    v = (v & ~LSIRDY) | (v & LSION ? LSIRDY : 0);
    this.regs.set(RCC_CSR, v);
    if ((v & LSIRDY) !== 0 && (old & LSIRDY) === 0) this.readyFlag(LSIRDYF);
  }

  /** SWS: the clock the system runs on (0 HSI, 1 HSE, 2 PLL). */
  private sws(): number {
    return field(this.regs.get(RCC_CFGR), 2, 2);
  }

  /** Ready flags from the enables, the pending clock switch, the published clock tree. */
  private update(): void {
    const old = this.regs.get(RCC_CR);
    const pllcfgr = this.regs.get(RCC_PLLCFGR);
    let ready = 0;
    if (old & HSION) ready |= HSIRDY;
    if (old & HSEON) ready |= HSERDY;
    // The PLLs lock when their input is ready and PLLM is not 0 or 1 ("wrong configuration"); PLLN
    // 0 or 1 is wrong too for the main PLL.
    const input = pllcfgr & PLLSRC ? ready & HSERDY : ready & HSIRDY;
    const m = field(pllcfgr, 0, 6);
    const inputOk = input !== 0 && m >= 2;
    if (old & PLLON && inputOk && field(pllcfgr, 6, 9) >= 2) ready |= PLLRDY;
    if (old & PLLI2SON && inputOk) ready |= PLLI2SRDY;
    if (old & PLLSAION && inputOk) ready |= PLLSAIRDY;
    this.regs.set(RCC_CR, (old & ~CR_READY) | ready);
    const rose = ready & ~old;
    if (rose & HSIRDY) this.readyFlag(HSIRDYF);
    if (rose & HSERDY) this.readyFlag(HSERDYF);
    if (rose & PLLRDY) this.readyFlag(PLLRDYF);
    if (rose & PLLI2SRDY) this.readyFlag(PLLI2SRDYF);
    if (rose & PLLSAIRDY) this.readyFlag(PLLSAIRDYF);

    const cfgr = this.regs.get(RCC_CFGR);
    const sw = cfgr & 3; // 11 is "not allowed": no switch
    const sourceReady = [HSIRDY, HSERDY, PLLRDY, 0][sw]!;
    if (ready & sourceReady) this.regs.set(RCC_CFGR, (cfgr & ~0xc) | (sw << 2));
    this.publish();
  }

  /** A clock became ready: its CIR flag is set when its ready interrupt is enabled. */
  private readyFlag(flag: number): void {
    const cir = this.regs.get(RCC_CIR);
    if (cir & (flag << 8)) {
      this.regs.set(RCC_CIR, cir | flag);
      this.updateIrq();
    }
  }

  private updateIrq(): void {
    this.ctx.setIrq(0, (this.regs.get(RCC_CIR) & 0x7f) !== 0);
  }

  /** SYSCLK in Hz: HSI, HSE (the board's `hseHz`) or the main PLL's P output. */
  sysclk(): number {
    const sws = this.sws();
    if (sws === 1) return this.hseHz;
    if (sws !== 2) return HSI_HZ;
    const pllcfgr = this.regs.get(RCC_PLLCFGR);
    const input = pllcfgr & PLLSRC ? this.hseHz : HSI_HZ;
    const m = field(pllcfgr, 0, 6);
    const n = field(pllcfgr, 6, 9);
    const p = 2 * (field(pllcfgr, 16, 2) + 1); // 00: /2, 01: /4, 10: /6, 11: /8
    return (input * n) / (m * p);
  }

  /** The clock tree now (RM0090 6.2, Figure 21 / 7.2, Figure 21). */
  clocks(): Clocks {
    const cfgr = this.regs.get(RCC_CFGR);
    const hpre = field(cfgr, 4, 4);
    const hclk = this.sysclk() / (hpre < 8 ? 1 : AHB_DIVIDERS[hpre - 8]!);
    const apb = (ppre: number) => (ppre < 4 ? 1 : 2 << (ppre - 4)); // 0xx: 1, 100: 2 … 111: 16
    const d1 = apb(field(cfgr, 10, 3));
    const d2 = apb(field(cfgr, 13, 3));
    const timpre = this.f42x && (this.regs.get(RCC_DCKCFGR) & (1 << 24)) !== 0;
    const timer = (d: number, pclk: number) =>
      timpre ? (d <= 4 ? hclk : 4 * pclk) : d === 1 ? pclk : 2 * pclk;
    const pclk1 = hclk / d1;
    const pclk2 = hclk / d2;
    return { hclk, pclk1, pclk2, timclk1: timer(d1, pclk1), timclk2: timer(d2, pclk2) };
  }

  /** Tells the machine the clock tree when it differs from what the machine has. */
  private publish(): void {
    const c = this.clocks();
    const names = Object.keys(c) as (keyof Clocks)[];
    if (names.every((k) => c[k] === this.ctx.clock(k))) return;
    const hclkChanged = c.hclk !== this.ctx.clock('hclk');
    this.ctx.setClocks(c);
    if (hclkChanged)
      this.ctx.event({ cycles: this.ctx.now(), device: this.name, kind: 'hclk', index: 0, value: c.hclk });
  }
}

const HSE_PARAM_DEFAULT = 8_000_000;

export const STM32F4_RCC: DeviceModel = {
  defaultSize: 0x400,
  irqs: 1,
  params: {
    hseHz: {
      min: 1_000_000,
      max: 50_000_000,
      default: HSE_PARAM_DEFAULT,
      description: 'HSE frequency in Hz (crystal 4–26 MHz or an external clock up to 50 MHz)',
    },
    f42x: F42X_PARAM,
  },
  create: (config, ctx) => new Stm32f4Rcc(config, ctx),
};
