// STM32F4 flash interface registers (RM0090 section 3.9). ACR (LATENCY, PRFTEN, ICEN, DCEN, ICRST,
// DCRST) is storage: the wait states the cycle model charges are the board's `flashWaitStates` (or
// --flash-ws), not ACR.LATENCY. CR is locked at reset (LOCK, 3.9.7) and unlocked by writing KEY1 then
// KEY2 to KEYR (3.5.1); any other write to KEYR while it is locked locks CR until the next reset (the
// bus error silicon raises then is not modeled). OPTCR is unlocked likewise through OPTKEYR. Flash
// programming and erasing are not modeled: STRT and OPTSTRT do nothing (BSY never sets, SR stays 0),
// and a store to the flash itself is a memory fault, as flash is mapped read-only.
import type { Device, DeviceConfig, DeviceModel } from '../device.js';
import { F42X_PARAM, isF42x } from './part.js';
import { RegisterFile, type RegisterSpec } from './register-file.js';

export const FLASH_ACR = 0x00;
export const FLASH_KEYR = 0x04;
export const FLASH_OPTKEYR = 0x08;
export const FLASH_SR = 0x0c;
export const FLASH_CR = 0x10;
export const FLASH_OPTCR = 0x14;
export const FLASH_OPTCR1 = 0x18;

/** KEYR unlock sequence (RM0090 3.9.3). */
export const FLASH_KEY1 = 0x45670123;
export const FLASH_KEY2 = 0xcdef89ab;
/** OPTKEYR unlock sequence (3.9.4). */
export const FLASH_OPTKEY1 = 0x08192a3b;
export const FLASH_OPTKEY2 = 0x4c5d6e7f;

const LOCK = 1 << 31;
const STRT = 1 << 16;
const OPTLOCK = 1 << 0;
const OPTSTRT = 1 << 1;

/** A key register's sequence: locked (expecting key 1), key 1 seen, unlocked, or locked until reset. */
type KeyState = 'locked' | 'key1' | 'unlocked' | 'blocked';

export class Stm32f4Flash implements Device {
  readonly model = 'stm32f4-flash';
  readonly name: string;
  readonly base: number;
  readonly size: number;
  private readonly regs: RegisterFile;
  private readonly f42x: boolean;
  private crKeys: KeyState = 'locked';
  private optKeys: KeyState = 'locked';

  constructor(config: DeviceConfig) {
    this.name = config.name;
    this.base = config.base;
    this.size = config.size;
    this.f42x = isF42x(config.params);
    const f42x = this.f42x;
    const specs: RegisterSpec[] = [
      // ACR: LATENCY 3:0 (2:0 on F405/407), PRFTEN 8, ICEN 9, DCEN 10, ICRST 11, DCRST 12.
      { offset: FLASH_ACR, reset: 0, writable: f42x ? 0x1f0f : 0x1f07 },
      { offset: FLASH_KEYR, reset: 0, writable: 0 }, // write-only: reads 0
      { offset: FLASH_OPTKEYR, reset: 0, writable: 0 },
      // SR: EOP 0, OPERR 1, WRPERR 4, PGAERR 5, PGPERR 6, PGSERR 7 (RDERR 8 on F42x/43x), BSY 16.
      { offset: FLASH_SR, reset: 0, writable: 0 },
      // CR: PG 0, SER 1, MER 2, SNB 6:3 (7:3 on F42x/43x), PSIZE 9:8, MER1 15 (F42x/43x), STRT 16,
      // EOPIE 24, ERRIE 25, LOCK 31 (reset 0x8000 0000).
      { offset: FLASH_CR, reset: LOCK, writable: (f42x ? 0x830083ff : 0x8300037f) & ~STRT },
      // OPTCR: OPTLOCK 0, OPTSTRT 1, BOR_LEV 3:2, BFB2 4 (F42x/43x), WDG_SW 5, nRST_STOP 6,
      // nRST_STDBY 7, RDP 15:8, nWRP 27:16, DB1M 30 and SPRMOD 31 (F42x/43x); reset 0x0FFF AAED.
      { offset: FLASH_OPTCR, reset: 0x0fffaaed, writable: (f42x ? 0xcfffffff : 0x0fffffef) & ~OPTSTRT },
    ];
    // OPTCR1: nWRP 27:16 of bank 2 (F42x/43x), reset 0x0FFF 0000.
    if (f42x) specs.push({ offset: FLASH_OPTCR1, reset: 0x0fff0000, writable: 0x0fff0000 });
    this.regs = new RegisterFile(specs);
  }

  readWord(address: number): number {
    return this.regs.get(address - this.base);
  }

  ignoresWrite(address: number, mask: number): boolean {
    const offset = address - this.base;
    // Registers with their own write behaviour (keys, clear-on-write, ready flags) take every write.
    if (offset === FLASH_KEYR || offset === FLASH_OPTKEYR) return false;
    return this.regs.ignores(offset, mask);
  }

  writeWord(address: number, value: number, mask: number): void {
    const offset = address - this.base;
    switch (offset) {
      case FLASH_KEYR:
        this.crKeys = next(this.crKeys, value, mask, FLASH_KEY1, FLASH_KEY2);
        if (this.crKeys === 'unlocked') this.regs.set(FLASH_CR, this.regs.get(FLASH_CR) & ~LOCK);
        return;
      case FLASH_OPTKEYR:
        this.optKeys = next(this.optKeys, value, mask, FLASH_OPTKEY1, FLASH_OPTKEY2);
        if (this.optKeys === 'unlocked') this.regs.set(FLASH_OPTCR, this.regs.get(FLASH_OPTCR) & ~OPTLOCK);
        return;
      case FLASH_CR:
        if (this.regs.get(FLASH_CR) & LOCK) return; // locked: writes ignored
        this.regs.write(offset, value, mask);
        if (this.regs.get(FLASH_CR) & LOCK) this.crKeys = 'locked';
        return;
      case FLASH_OPTCR:
      case FLASH_OPTCR1:
        if (this.regs.get(FLASH_OPTCR) & OPTLOCK) return;
        this.regs.write(offset, value, mask);
        if (this.regs.get(FLASH_OPTCR) & OPTLOCK) this.optKeys = 'locked';
        return;
      default:
        this.regs.write(offset, value, mask); // ACR; SR's flags are never set, so clearing them is moot
    }
  }
}

/** The key sequence after a write of `value` (lanes `mask`) to a key register. */
function next(state: KeyState, value: number, mask: number, key1: number, key2: number): KeyState {
  if (state === 'blocked' || state === 'unlocked') return state; // writes while unlocked are ignored
  const word = mask === 0xffffffff ? value >>> 0 : -1;
  if (state === 'locked' && word === key1) return 'key1';
  if (state === 'key1' && word === key2) return 'unlocked';
  return 'blocked';
}

export const STM32F4_FLASH: DeviceModel = {
  defaultSize: 0x400,
  irqs: 0,
  params: { f42x: F42X_PARAM },
  create: (config) => new Stm32f4Flash(config),
};
