// NVIC (ARMv7-M ARM B3.4): ISER/ICER/ISPR/ICPR/IABR words (one bit per interrupt line), IPR bytes and
// STIR, over the pending/enabled/priority state of src/emulator/exceptions.ts. The number of lines
// and implemented priority bits come from the board (ExceptionConfig).
import type { ExceptionState } from '../exceptions.js';
import type { Peripheral } from './peripheral.js';

export const NVIC_ISER = 0xe000e100;
export const NVIC_ICER = 0xe000e180;
export const NVIC_ISPR = 0xe000e200;
export const NVIC_ICPR = 0xe000e280;
export const NVIC_IABR = 0xe000e300;
export const NVIC_IPR = 0xe000e400;
export const NVIC_STIR = 0xe000ef00;

export class Nvic implements Peripheral {
  readonly name = 'NVIC';
  readonly base = NVIC_ISER;
  readonly size = 0x400; // ISER … IPR end (0xE000E500); STIR is routed by the SCB block
  /** Called when pending or enabled state changed (an interrupt may now be taken). */
  onChange?: () => void;

  constructor(private readonly state: ExceptionState) {}

  private get lines(): number {
    return this.state.config.irqLines;
  }

  private bits(address: number, of: (line: number) => boolean, table: number): number {
    const first = ((address - table) >> 2) * 32;
    let v = 0;
    for (let i = 0; i < 32 && first + i < this.lines; i++) if (of(first + i)) v |= 1 << i;
    return v >>> 0;
  }

  private each(address: number, table: number, value: number, f: (line: number) => void): void {
    const first = ((address - table) >> 2) * 32;
    for (let i = 0; i < 32; i++) if ((value >>> i) & 1 && first + i < this.lines) f(first + i);
  }

  readWord(address: number): number {
    const s = this.state;
    if (address < NVIC_ICER) return this.bits(address, (l) => s.enabled[l] === 1, NVIC_ISER);
    if (address < NVIC_ISPR) return this.bits(address, (l) => s.enabled[l] === 1, NVIC_ICER);
    if (address < NVIC_ICPR) return this.bits(address, (l) => s.pending[16 + l] === 1, NVIC_ISPR);
    if (address < NVIC_IABR) return this.bits(address, (l) => s.pending[16 + l] === 1, NVIC_ICPR);
    if (address < NVIC_IPR) return this.bits(address, (l) => s.active.includes(16 + l), NVIC_IABR);
    const n = 16 + (address - NVIC_IPR);
    let v = 0;
    for (let i = 0; i < 4; i++) v |= (s.priority[n + i] ?? 0) << (8 * i);
    return v >>> 0;
  }

  writeWord(address: number, value: number, mask: number): void {
    const s = this.state;
    if (address < NVIC_ICER) this.each(address, NVIC_ISER, value, (l) => (s.enabled[l] = 1));
    else if (address < NVIC_ISPR) this.each(address, NVIC_ICER, value, (l) => (s.enabled[l] = 0));
    else if (address < NVIC_ICPR) this.each(address, NVIC_ISPR, value, (l) => (s.pending[16 + l] = 1));
    else if (address < NVIC_IABR) this.each(address, NVIC_ICPR, value, (l) => (s.pending[16 + l] = 0));
    else if (address < NVIC_IPR)
      return; // IABR is read-only
    else {
      const n = 16 + (address - NVIC_IPR);
      for (let i = 0; i < 4; i++)
        if ((mask >>> (8 * i)) & 0xff && n + i < s.count) s.setPriority(n + i, (value >>> (8 * i)) & 0xff);
    }
    this.onChange?.();
  }

  /** STIR (B3.4.7): INTID pends that interrupt. */
  softwareTrigger(value: number): void {
    const line = value & 0x1ff;
    if (line < this.lines) this.state.pending[16 + line] = 1;
    this.onChange?.();
  }
}
