// STM32F4 GPIO port (RM0090 8.4 GPIO registers; I/O modes 8.3.9–8.3.12, BSRR 8.3.5, locking 8.3.6):
// MODER, OTYPER, OSPEEDR, PUPDR, IDR, ODR, BSRR, LCKR, AFRL, AFRH. Reset values differ for ports A
// and B (debug pins), so they are the board entry's parameters.
//
// IDR: a pin in output mode reads what it drives (its ODR bit; open drain with ODR 1 is released and
// reads like an input); an input or alternate-function pin reads the level the board drives on it
// (params `idr` for the pins in `idrMask`), else its pull (1 with pull-up, 0 with pull-down or none);
// an analog pin reads 0. Each change of an ODR bit while its pin is in output mode (MODER 01), by an
// ODR or BSRR write, is a device event {kind: "pin", index: pin, value: the new ODR bit}.
import type { Device, DeviceConfig, DeviceContext, DeviceModel } from './device.js';
import { merge } from './peripheral.js';

// Register offsets (RM0090 8.4.11, GPIO register map).
export const GPIO_MODER = 0x00;
export const GPIO_OTYPER = 0x04;
export const GPIO_OSPEEDR = 0x08;
export const GPIO_PUPDR = 0x0c;
export const GPIO_IDR = 0x10;
export const GPIO_ODR = 0x14;
export const GPIO_BSRR = 0x18;
export const GPIO_LCKR = 0x1c;
export const GPIO_AFRL = 0x20;
export const GPIO_AFRH = 0x24;

/** LCKR.LCKK (8.4.8). */
export const LCKK = 1 << 16;

const MODE_OUTPUT = 1;
const MODE_ANALOG = 3;
const PULL_UP = 1;

/** Reset values of GPIOA and GPIOB (8.4.1, 8.4.3, 8.4.4); every other port resets to 0. */
export const GPIOA_RESET = { moderReset: 0xa8000000, ospeedrReset: 0x0c000000, pupdrReset: 0x64000000 };
export const GPIOB_RESET = { moderReset: 0x00000280, ospeedrReset: 0x000000c0, pupdrReset: 0x00000100 };

/** The 2-bit fields (MODER, OSPEEDR, PUPDR) of the pins set in `pins`. */
function fields2(pins: number): number {
  let m = 0;
  for (let y = 0; y < 16; y++) if ((pins >>> y) & 1) m |= 3 << (2 * y);
  return m >>> 0;
}

/** The 4-bit AFR fields of pins 0–7 (`pins` bits 7:0) in AFRL, or of 8–15 (bits 15:8) in AFRH. */
function fields4(pins: number): number {
  let m = 0;
  for (let y = 0; y < 8; y++) if ((pins >>> y) & 1) m |= 0xf << (4 * y);
  return m >>> 0;
}

export class Stm32f4Gpio implements Device {
  readonly model = 'stm32f4-gpio';
  readonly name: string;
  readonly base: number;
  readonly size: number;
  private moder: number;
  private otyper = 0;
  private ospeedr: number;
  private pupdr: number;
  private odr = 0;
  private afrl = 0;
  private afrh = 0;
  /** LCKR[15:0] as written. */
  private lck = 0;
  /** The lock key sequence ran: LCKK reads 1 and the pins in `lck` are frozen until reset. */
  private locked = false;
  /** Lock key writes seen so far (0: none, 1: LCKK = 1, 2: then LCKK = 0), with LCKR[15:0] unchanged. */
  private lockStep = 0;
  /** Levels the board drives on the pins in `driven`. */
  private readonly levels: number;
  private readonly driven: number;

  constructor(
    config: DeviceConfig,
    private readonly ctx: DeviceContext,
  ) {
    this.name = config.name;
    this.base = config.base;
    this.size = config.size;
    const p = config.params;
    this.moder = (p.moderReset ?? 0) >>> 0;
    this.ospeedr = (p.ospeedrReset ?? 0) >>> 0;
    this.pupdr = (p.pupdrReset ?? 0) >>> 0;
    this.levels = (p.idr ?? 0) & 0xffff;
    this.driven = (p.idrMask ?? 0) & 0xffff;
  }

  private mode(pin: number): number {
    return (this.moder >>> (2 * pin)) & 3;
  }

  /** The level of an undriven-by-us pin: the board's, else the pull resistor's. */
  private inputLevel(pin: number): number {
    if ((this.driven >>> pin) & 1) return (this.levels >>> pin) & 1;
    return ((this.pupdr >>> (2 * pin)) & 3) === PULL_UP ? 1 : 0;
  }

  /** IDR (8.4.5) as the pins are configured now. */
  idr(): number {
    let v = 0;
    for (let y = 0; y < 16; y++) {
      const mode = this.mode(y);
      const out = (this.odr >>> y) & 1;
      let level: number;
      if (mode === MODE_ANALOG) level = 0;
      else if (mode === MODE_OUTPUT)
        level = out === 1 && ((this.otyper >>> y) & 1) === 1 ? this.inputLevel(y) : out;
      else level = this.inputLevel(y); // input, or alternate function (the peripheral's pin is not modeled)
      v |= level << y;
    }
    return v;
  }

  /** Pins whose configuration LCKR froze. */
  private get frozen(): number {
    return this.locked ? this.lck : 0;
  }

  readWord(address: number): number {
    switch (address - this.base) {
      case GPIO_MODER:
        return this.moder;
      case GPIO_OTYPER:
        return this.otyper;
      case GPIO_OSPEEDR:
        return this.ospeedr;
      case GPIO_PUPDR:
        return this.pupdr;
      case GPIO_IDR:
        return this.idr();
      case GPIO_ODR:
        return this.odr;
      case GPIO_LCKR:
        return (this.lck | (this.locked ? LCKK : 0)) >>> 0;
      case GPIO_AFRL:
        return this.afrl;
      case GPIO_AFRH:
        return this.afrh;
      default:
        return 0; // BSRR reads 0 (8.4.7); reserved
    }
  }

  /** IDR is read-only (8.4.5); words past AFRH are reserved. */
  ignoresWrite(address: number): boolean {
    const offset = address - this.base;
    return offset === GPIO_IDR || offset > GPIO_AFRH;
  }

  writeWord(address: number, value: number, mask: number): void {
    const f = this.frozen;
    const writable2 = (mask & ~fields2(f)) >>> 0;
    switch (address - this.base) {
      case GPIO_MODER:
        this.moder = merge(this.moder, value, writable2);
        break;
      case GPIO_OTYPER:
        this.otyper = merge(this.otyper, value, mask & ~f) & 0xffff;
        break;
      case GPIO_OSPEEDR:
        this.ospeedr = merge(this.ospeedr, value, writable2);
        break;
      case GPIO_PUPDR:
        this.pupdr = merge(this.pupdr, value, writable2);
        break;
      case GPIO_ODR:
        this.setOdr(merge(this.odr, value, mask) & 0xffff);
        break;
      case GPIO_BSRR: {
        const v = (value & mask) >>> 0;
        const set = v & 0xffff;
        const reset = v >>> 16;
        this.setOdr(((this.odr & ~reset) | set) & 0xffff); // BSy wins over BRy (8.4.7)
        break;
      }
      case GPIO_LCKR:
        this.writeLock(value, mask);
        break;
      case GPIO_AFRL:
        this.afrl = merge(this.afrl, value, (mask & ~fields4(f & 0xff)) >>> 0);
        break;
      case GPIO_AFRH:
        this.afrh = merge(this.afrh, value, (mask & ~fields4(f >>> 8)) >>> 0);
        break;
      default:
        // IDR is read-only; reserved words ignore writes.
        break;
    }
  }

  /**
   * LCKR (8.4.8): the key sequence is three word writes with LCKR[15:0] unchanged — LCKK 1, 0, 1 —
   * then a read; here the lock takes effect at the third write. Any other write (a different
   * LCKR[15:0], a byte or halfword access) starts over. Once locked, LCKR ignores writes until reset.
   */
  private writeLock(value: number, mask: number): void {
    if (this.locked) return;
    const pins = value & 0xffff;
    const key = (value & LCKK) !== 0;
    if (mask !== 0xffffffff) {
      this.lck = merge(this.lck, value, mask) & 0xffff;
      this.lockStep = 0;
      return;
    }
    if (this.lockStep !== 0 && pins === this.lck) {
      if (this.lockStep === 1) this.lockStep = key ? 1 : 2;
      else if (key) {
        this.locked = true;
        this.lockStep = 0;
      } else {
        this.lockStep = 0;
      }
      return;
    }
    this.lck = pins;
    this.lockStep = key ? 1 : 0;
  }

  private setOdr(next: number): void {
    const changed = this.odr ^ next;
    this.odr = next;
    if (changed === 0) return;
    const cycles = this.ctx.now();
    for (let y = 0; y < 16; y++) {
      if (((changed >>> y) & 1) === 0 || this.mode(y) !== MODE_OUTPUT) continue;
      this.ctx.event({ cycles, device: this.name, kind: 'pin', index: y, value: (next >>> y) & 1 });
    }
  }
}

const WORD = 0xffffffff;

export const STM32F4_GPIO: DeviceModel = {
  defaultSize: 0x400,
  irqs: 0,
  params: {
    moderReset: {
      min: 0,
      max: WORD,
      default: 0,
      description: 'MODER at reset: 0xA8000000 for GPIOA, 0x00000280 for GPIOB, 0 for the other ports',
    },
    ospeedrReset: {
      min: 0,
      max: WORD,
      default: 0,
      description: 'OSPEEDR at reset: 0x0C000000 for GPIOA, 0x000000C0 for GPIOB, 0 for the other ports',
    },
    pupdrReset: {
      min: 0,
      max: WORD,
      default: 0,
      description: 'PUPDR at reset: 0x64000000 for GPIOA, 0x00000100 for GPIOB, 0 for the other ports',
    },
    idr: {
      min: 0,
      max: 0xffff,
      default: 0,
      description: 'levels the board drives on the input pins idrMask selects (bit y: pin y)',
    },
    idrMask: {
      min: 0,
      max: 0xffff,
      default: 0,
      description: 'pins the board drives (to the levels in idr); the others read their pull resistor',
    },
  },
  create: (config, ctx) => new Stm32f4Gpio(config, ctx),
};
