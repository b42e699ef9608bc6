// System control block registers of the exception model (ARMv7-M ARM B3.2): ICSR, AIRCR, SHPR1-3,
// SHCSR, CFSR, HFSR, MMFAR, BFAR, and STIR (B3.4.7, at 0xE000EF00). CPUID, VTOR, CCR and CPACR stay
// in src/emulator/ppb.ts.
import { EXC, type ExceptionState } from '../exceptions.js';
import { merge, type Peripheral } from './peripheral.js';
import { NVIC_STIR, type Nvic } from './nvic.js';

export const SCB_ICSR = 0xe000ed04;
export const SCB_AIRCR = 0xe000ed0c;
export const SCB_SHPR1 = 0xe000ed18;
export const SCB_SHCSR = 0xe000ed24;
export const SCB_CFSR = 0xe000ed28;
export const SCB_HFSR = 0xe000ed2c;
export const SCB_MMFAR = 0xe000ed34;
export const SCB_BFAR = 0xe000ed38;

/** CFSR bits (B3.2.15): MemManage [7:0], BusFault [15:8], UsageFault [31:16]. */
export const CFSR = {
  IACCVIOL: 1 << 0,
  DACCVIOL: 1 << 1,
  MMARVALID: 1 << 7,
  IBUSERR: 1 << 8,
  PRECISERR: 1 << 9,
  BFARVALID: 1 << 15,
  UNDEFINSTR: 1 << 16,
  INVSTATE: 1 << 17,
  INVPC: 1 << 18,
  NOCP: 1 << 19,
  UNALIGNED: 1 << 24,
  DIVBYZERO: 1 << 25,
} as const;
/** HFSR.FORCED (B3.2.16): a configurable fault escalated to HardFault. */
export const HFSR_FORCED = 1 << 30;

export class Scb implements Peripheral {
  readonly name = 'SCB';
  readonly base = SCB_ICSR;
  readonly size = SCB_BFAR + 4 - SCB_ICSR;
  cfsr = 0;
  hfsr = 0;
  mmfar = 0;
  bfar = 0;
  /** Set when the firmware wrote AIRCR.SYSRESETREQ with the key. */
  resetRequested = false;
  onChange?: () => void;
  /** Called when the firmware requests a system reset (AIRCR.SYSRESETREQ, B3.2.6). */
  onResetRequest?: () => void;

  constructor(
    private readonly state: ExceptionState,
    private readonly nvic: Nvic,
  ) {}

  readWord(address: number): number {
    const s = this.state;
    switch (address) {
      case SCB_ICSR: {
        const pending = s.nextPending() ?? 0;
        let v = s.ipsr & 0x1ff; // VECTACTIVE
        if (s.active.length <= 1) v |= 1 << 11; // RETTOBASE
        v |= (pending & 0x1ff) << 12; // VECTPENDING
        if (s.pending.subarray(16).some((p) => p === 1)) v |= 1 << 22; // ISRPENDING
        if (s.pending[EXC.SysTick]) v |= 1 << 26;
        if (s.pending[EXC.PendSV]) v |= 1 << 28;
        return v >>> 0;
      }
      case SCB_AIRCR:
        return (0xfa050000 | (s.prigroup << 8)) >>> 0; // VECTKEYSTAT, little-endian
      case SCB_SHCSR: {
        const f = s.faultEnabled;
        let v = (f.memManage ? 1 << 16 : 0) | (f.busFault ? 1 << 17 : 0) | (f.usageFault ? 1 << 18 : 0);
        const act = (n: number) => s.active.includes(n);
        if (act(EXC.MemManage)) v |= 1 << 0;
        if (act(EXC.BusFault)) v |= 1 << 1;
        if (act(EXC.UsageFault)) v |= 1 << 3;
        if (act(EXC.SVCall)) v |= 1 << 7;
        if (act(EXC.PendSV)) v |= 1 << 10;
        if (act(EXC.SysTick)) v |= 1 << 11;
        if (s.pending[EXC.SVCall]) v |= 1 << 15;
        return v >>> 0;
      }
      case SCB_CFSR:
        return this.cfsr >>> 0;
      case SCB_HFSR:
        return this.hfsr >>> 0;
      case SCB_MMFAR:
        return this.mmfar >>> 0;
      case SCB_BFAR:
        return this.bfar >>> 0;
      default:
        if (address >= SCB_SHPR1 && address < SCB_SHPR1 + 12) {
          const n = 4 + (address - SCB_SHPR1);
          let v = 0;
          for (let i = 0; i < 4; i++) v |= (s.priority[n + i] ?? 0) << (8 * i);
          return v >>> 0;
        }
        return 0;
    }
  }

  writeWord(address: number, value: number, mask: number): void {
    const s = this.state;
    switch (address) {
      case SCB_ICSR:
        if (value & (1 << 28)) s.pending[EXC.PendSV] = 1;
        if (value & (1 << 27)) s.pending[EXC.PendSV] = 0;
        if (value & (1 << 26)) s.pending[EXC.SysTick] = 1;
        if (value & (1 << 25)) s.pending[EXC.SysTick] = 0;
        if (value & (1 << 31)) s.pending[EXC.NMI] = 1;
        break;
      case SCB_AIRCR:
        if (mask >>> 16 === 0xffff && value >>> 16 === 0x05fa) {
          s.prigroup = (value >>> 8) & 7;
          if (value & 4) {
            this.resetRequested = true;
            this.onResetRequest?.();
          }
        }
        break;
      case SCB_SHCSR:
        s.faultEnabled = {
          memManage: (value & (1 << 16)) !== 0,
          busFault: (value & (1 << 17)) !== 0,
          usageFault: (value & (1 << 18)) !== 0,
        };
        break;
      case SCB_CFSR:
        this.cfsr = (this.cfsr & ~(value & mask)) >>> 0; // write-one-to-clear
        break;
      case SCB_HFSR:
        this.hfsr = (this.hfsr & ~(value & mask)) >>> 0;
        break;
      case SCB_MMFAR:
        this.mmfar = merge(this.mmfar, value, mask);
        break;
      case SCB_BFAR:
        this.bfar = merge(this.bfar, value, mask);
        break;
      default:
        if (address >= SCB_SHPR1 && address < SCB_SHPR1 + 12) {
          const n = 4 + (address - SCB_SHPR1);
          for (let i = 0; i < 4; i++)
            if ((mask >>> (8 * i)) & 0xff) s.setPriority(n + i, (value >>> (8 * i)) & 0xff);
        }
    }
    this.onChange?.();
  }

  /** STIR lives at 0xE000EF00, outside this block's range: the bus routes it here. */
  static readonly STIR = NVIC_STIR;
  softwareTrigger(value: number): void {
    this.nvic.softwareTrigger(value);
  }
}
