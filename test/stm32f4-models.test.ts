// The STM32F4 clock, power, flash-interface, system-configuration and EXTI models on their own, with
// a recording DeviceContext (no Unicorn): reset values and bit behaviour from RM0090, clock figures
// counted by hand from RM0090 6.2 (SYSCLK = input / PLLM × PLLN / PLLP; HCLK = SYSCLK / HPRE; PCLKx =
// HCLK / PPREx; TIMxCLK = PCLKx, or 2 × PCLKx when PPREx is not 1).
import { describe, expect, it } from 'vitest';
import type { Clocks, Device, DeviceContext, DeviceEvent } from '../src/emulator/peripherals/device.js';
import { DEVICE_MODELS } from '../src/emulator/peripherals/models.js';
import type { Stm32f4Exti } from '../src/emulator/peripherals/stm32f4/exti.js';
import type { Stm32f4Rcc } from '../src/emulator/peripherals/stm32f4/rcc.js';
import type { Stm32f4Syscfg } from '../src/emulator/peripherals/stm32f4/syscfg.js';

interface Bench<D extends Device> {
  dev: D;
  read(offset: number): number;
  write(offset: number, value: number, mask?: number): void;
  clocks: Clocks;
  setClocks: Partial<Clocks>[];
  irqs: [number, boolean][];
  events: DeviceEvent[];
  setNow(cycles: number): void;
}

/** A model's device at `base` with a recording context whose clocks all start at `clockHz`. */
function bench<D extends Device>(
  model: string,
  base: number,
  params: Record<string, number> = {},
  clockHz = 16e6,
): Bench<D> {
  const m = DEVICE_MODELS[model]!;
  const clocks: Clocks = {
    hclk: clockHz,
    pclk1: clockHz,
    pclk2: clockHz,
    timclk1: clockHz,
    timclk2: clockHz,
  };
  const setClocks: Partial<Clocks>[] = [];
  const irqs: [number, boolean][] = [];
  const events: DeviceEvent[] = [];
  let now = 0;
  const ctx: DeviceContext = {
    now: () => now,
    setIrq: (index, level) => irqs.push([index, level]),
    output: () => {},
    input: () => null,
    event: (e) => events.push(e),
    setClocks: (c) => {
      setClocks.push({ ...c });
      Object.assign(clocks, c);
    },
    clock: (name) => clocks[name],
    reschedule: () => {},
  };
  const full: Record<string, number> = {};
  for (const [k, spec] of Object.entries(m.params)) full[k] = params[k] ?? spec.default;
  const dev = m.create(
    {
      name: model.replace('stm32f4-', '').toUpperCase(),
      model,
      base,
      size: m.defaultSize,
      irq: [],
      params: full,
    },
    ctx,
  ) as D;
  return {
    dev,
    read: (offset) => dev.readWord(base + offset),
    write: (offset, value, mask = 0xffffffff) => dev.writeWord(base + offset, value >>> 0, mask >>> 0),
    clocks,
    setClocks,
    irqs,
    events,
    setNow: (c) => {
      now = c;
    },
  };
}

const RCC = 0x40023800;
const CR = 0x00;
const PLLCFGR = 0x04;
const CFGR = 0x08;
const CIR = 0x0c;
const BDCR = 0x70;
const CSR = 0x74;
const DCKCFGR = 0x8c;

// RCC_CR bits (RM0090 6.3.1).
const HSION = 1 << 0;
const HSEON = 1 << 16;
const HSERDY = 1 << 17;
const PLLON = 1 << 24;
const PLLRDY = 1 << 25;
const PLLI2SON = 1 << 26;
const PLLI2SRDY = 1 << 27;
const PLLSAION = 1 << 28;
const PLLSAIRDY = 1 << 29;

/** PLLCFGR for HSE 8 MHz → 168 MHz: PLLM 8, PLLN 336, PLLP 00 (/2), PLLSRC HSE, PLLQ 7 (48 MHz). */
const PLL_168 = 8 | (336 << 6) | (0 << 16) | (1 << 22) | (7 << 24);
/** CFGR prescalers: HPRE /1 (0000), PPRE1 /4 (101), PPRE2 /2 (100). */
const PRESCALERS_168 = (0b101 << 10) | (0b100 << 13);

/** The HSE → PLL → 168 MHz sequence with its ready-flag checks, as firmware does it. */
function setUp168(r: Bench<Stm32f4Rcc>): void {
  r.write(CR, r.read(CR) | HSEON);
  expect(r.read(CR) & HSERDY).toBe(HSERDY);
  r.write(PLLCFGR, PLL_168);
  r.write(CR, r.read(CR) | PLLON);
  expect(r.read(CR) & PLLRDY).toBe(PLLRDY);
  r.write(CFGR, PRESCALERS_168);
  r.write(CFGR, r.read(CFGR) | 2); // SW = PLL
}

describe('stm32f4-rcc (RM0090 6.3 / 7.3)', () => {
  it('reset values of the F42x/43x register set', () => {
    const r = bench<Stm32f4Rcc>('stm32f4-rcc', RCC);
    const expected: [number, number][] = [
      [CR, 0x00000083], // HSION, HSIRDY, HSITRIM 16 (HSICAL reads 0)
      [PLLCFGR, 0x24003010],
      [CFGR, 0],
      [CIR, 0],
      [0x10, 0], // AHB1RSTR
      [0x30, 0x00100000], // AHB1ENR: CCMDATARAMEN
      [0x40, 0], // APB1ENR
      [0x50, 0x7eef97ff], // AHB1LPENR
      [0x54, 0x000000f1], // AHB2LPENR
      [0x58, 0x00000001], // AHB3LPENR
      [0x60, 0xf6fec9ff], // APB1LPENR
      [0x64, 0x04777f33], // APB2LPENR
      [BDCR, 0],
      [CSR, 0x0e000000], // BORRSTF, PINRSTF, PORRSTF
      [0x80, 0], // SSCGR
      [0x84, 0x24003000], // PLLI2SCFGR
      [0x88, 0x24003000], // PLLSAICFGR
      [DCKCFGR, 0],
      [0x1c, 0], // reserved
    ];
    for (const [offset, value] of expected) expect([offset, r.read(offset)]).toEqual([offset, value]);
  });

  it('reset values of the F405/407 register set: no PLLSAI, DCKCFGR', () => {
    const r = bench<Stm32f4Rcc>('stm32f4-rcc', RCC, { f42x: 0 });
    expect([0x50, 0x60, 0x64, 0x84, 0x88, 0x8c].map((o) => r.read(o))).toEqual([
      0x7e6791ff, 0x36fec9ff, 0x00075f33, 0x20003000, 0, 0,
    ]);
    r.write(CR, r.read(CR) | PLLSAION);
    expect(r.read(CR)).toBe(0x83);
  });

  it('ready flags follow their enables at once; the PLLs lock only with their input running', () => {
    const r = bench<Stm32f4Rcc>('stm32f4-rcc', RCC);
    r.write(PLLCFGR, PLL_168);
    r.write(CR, r.read(CR) | PLLON); // PLL from HSE, HSE off: no lock
    expect(r.read(CR)).toBe(0x01000083);
    r.write(CR, r.read(CR) | HSEON);
    expect(r.read(CR)).toBe(0x03030083); // HSEON, HSERDY, PLLON, PLLRDY
    r.write(CR, r.read(CR) | PLLI2SON | PLLSAION);
    expect(r.read(CR) & (PLLI2SRDY | PLLSAIRDY)).toBe(PLLI2SRDY | PLLSAIRDY);
    r.write(CR, HSION); // everything off but HSI (the system runs on HSI)
    expect(r.read(CR)).toBe(0x00000003);
    r.write(BDCR, 1); // LSEON
    expect(r.read(BDCR)).toBe(0x3);
    r.write(CSR, r.read(CSR) | 1); // LSION
    expect(r.read(CSR)).toBe(0x0e000003);
  });

  it('byte writes reach CR as HAL makes them (RCC_CR byte 2: HSEON, HSEBYP); HSEBYP is fixed while HSE runs', () => {
    const r = bench<Stm32f4Rcc>('stm32f4-rcc', RCC);
    r.write(CR, 0x05 << 16, 0x00ff0000); // HSEBYP | HSEON in one byte
    expect(r.read(CR)).toBe(0x00070083);
    r.write(CR, 0x01 << 16, 0x00ff0000); // HSEBYP cannot change while HSE is on
    expect(r.read(CR)).toBe(0x00070083);
    r.write(CR, 0, 0x00ff0000);
    r.write(CR, 0x01 << 16, 0x00ff0000);
    expect(r.read(CR)).toBe(0x00030083);
  });

  it('SWS follows SW only when the selected source is ready, and at once when it becomes ready', () => {
    const r = bench<Stm32f4Rcc>('stm32f4-rcc', RCC);
    r.write(CFGR, 2); // SW = PLL while the PLL is off
    expect(r.read(CFGR)).toBe(0x2); // SWS still HSI
    r.write(CFGR, 1); // SW = HSE while HSE is off
    expect(r.read(CFGR)).toBe(0x1);
    r.write(CR, r.read(CR) | HSEON);
    expect(r.read(CFGR)).toBe(0x5); // switched to HSE when it became ready
    expect(r.clocks.hclk).toBe(8e6);
    r.write(CFGR, 3); // "not allowed": no switch
    expect(r.read(CFGR)).toBe(0x7);
    r.write(CFGR, 0);
    expect(r.read(CFGR)).toBe(0x0);
    expect(r.clocks.hclk).toBe(16e6);
    r.write(PLLCFGR, PLL_168);
    r.write(CFGR, 2);
    expect(r.read(CFGR)).toBe(0x2);
    r.write(CR, r.read(CR) | PLLON);
    expect(r.read(CFGR)).toBe(0xa); // the pending switch happened with PLLRDY
    expect(r.clocks.hclk).toBe(168e6);
  });

  it('HSE 8 MHz, PLLM 8, PLLN 336, PLLP 2, AHB /1, APB1 /4, APB2 /2: 168, 42, 84 MHz, timers 84 and 168', () => {
    const r = bench<Stm32f4Rcc>('stm32f4-rcc', RCC);
    r.setNow(1234);
    setUp168(r);
    const tree = { hclk: 168e6, pclk1: 42e6, pclk2: 84e6, timclk1: 84e6, timclk2: 168e6 };
    expect(r.dev.clocks()).toEqual(tree);
    expect(r.clocks).toEqual(tree);
    // Published twice: the APB prescalers at 16 MHz (4 and 8 MHz, timers 8 and 16), then the switch.
    expect(r.setClocks).toEqual([{ hclk: 16e6, pclk1: 4e6, pclk2: 8e6, timclk1: 8e6, timclk2: 16e6 }, tree]);
    expect(r.read(CFGR)).toBe(0x0000940a);
    expect(r.read(PLLCFGR)).toBe(0x27405408); // reserved bit 29 keeps its reset value
    expect(r.events).toEqual([{ cycles: 1234, device: 'RCC', kind: 'hclk', index: 0, value: 168e6 }]);
  });

  it('AHB and APB prescalers, HSI as PLL input, and DCKCFGR.TIMPRE', () => {
    const r = bench<Stm32f4Rcc>('stm32f4-rcc', RCC);
    r.write(CFGR, (0b1111 << 4) | (0b111 << 10) | (0b110 << 13)); // HSI, HPRE /512, APB1 /16, APB2 /8
    expect(r.clocks).toEqual({
      hclk: 31250,
      pclk1: 1953.125,
      pclk2: 3906.25,
      timclk1: 3906.25,
      timclk2: 7812.5,
    });
    r.write(CFGR, (0b1000 << 4) | (0b100 << 10)); // HPRE /2, APB1 /2, APB2 /1
    expect(r.clocks).toEqual({ hclk: 8e6, pclk1: 4e6, pclk2: 8e6, timclk1: 8e6, timclk2: 8e6 });
    // PLL from HSI: 16 MHz / 16 × 360 / 2 = 180 MHz.
    r.write(PLLCFGR, 16 | (360 << 6));
    r.write(CR, r.read(CR) | PLLON);
    r.write(CFGR, 2 | (0b101 << 10) | (0b100 << 13)); // PLL, AHB /1, APB1 /4, APB2 /2
    expect(r.clocks).toEqual({ hclk: 180e6, pclk1: 45e6, pclk2: 90e6, timclk1: 90e6, timclk2: 180e6 });
    r.write(DCKCFGR, 1 << 24); // TIMPRE: HCLK for APB prescalers 1, 2, 4
    expect(r.clocks).toEqual({ hclk: 180e6, pclk1: 45e6, pclk2: 90e6, timclk1: 180e6, timclk2: 180e6 });
    r.write(CFGR, 2 | (0b110 << 10) | (0b111 << 13)); // APB1 /8, APB2 /16: 4 × PCLKx
    expect(r.clocks).toEqual({ hclk: 180e6, pclk1: 22.5e6, pclk2: 11.25e6, timclk1: 90e6, timclk2: 45e6 });
  });

  it('TIMPRE does not exist on F405/407; hseHz sets the HSE frequency', () => {
    const r = bench<Stm32f4Rcc>('stm32f4-rcc', RCC, { f42x: 0, hseHz: 25e6 });
    r.write(CR, r.read(CR) | HSEON);
    r.write(PLLCFGR, 25 | (336 << 6) | (1 << 22)); // 25 MHz / 25 × 336 / 2 = 168 MHz
    r.write(CR, r.read(CR) | PLLON);
    r.write(CFGR, 2 | PRESCALERS_168);
    r.write(DCKCFGR, 1 << 24);
    expect(r.read(DCKCFGR)).toBe(0);
    expect(r.clocks).toEqual({ hclk: 168e6, pclk1: 42e6, pclk2: 84e6, timclk1: 84e6, timclk2: 168e6 });
    r.write(CFGR, 1);
    expect(r.clocks.hclk).toBe(25e6);
  });

  it('the clocks the system runs on cannot be stopped, and PLLCFGR is frozen while a PLL runs', () => {
    const r = bench<Stm32f4Rcc>('stm32f4-rcc', RCC);
    r.write(CR, 0);
    expect(r.read(CR)).toBe(0x3); // HSI is SYSCLK: HSION stays
    setUp168(r);
    r.write(PLLCFGR, 4 | (100 << 6));
    expect(r.read(PLLCFGR)).toBe(0x27405408);
    r.write(CR, 0); // PLL from HSE is SYSCLK: HSION may go, HSEON and PLLON stay
    expect(r.read(CR)).toBe(0x03030000);
    expect(r.clocks.hclk).toBe(168e6);
  });

  it('publishes only when the clock tree changes, and from a board clock other than HSI at the first change', () => {
    const r = bench<Stm32f4Rcc>('stm32f4-rcc', RCC, {}, 168e6);
    r.write(0x30, 0x1); // AHB1ENR: not a clock
    r.write(CR, r.read(CR) | HSEON); // HSE on, still on HSI
    expect(r.setClocks).toEqual([{ hclk: 16e6, pclk1: 16e6, pclk2: 16e6, timclk1: 16e6, timclk2: 16e6 }]);
    r.write(CFGR, 0);
    expect(r.setClocks).toHaveLength(1);
  });

  it('ready interrupts: CIR flags with their enables, cleared through the clear bits', () => {
    const r = bench<Stm32f4Rcc>('stm32f4-rcc', RCC);
    r.write(CIR, (1 << 11) | (1 << 12)); // HSERDYIE, PLLRDYIE
    expect(r.read(CIR)).toBe(0x1800);
    r.write(CR, r.read(CR) | HSEON);
    expect(r.read(CIR)).toBe(0x1808); // HSERDYF
    expect(r.irqs).toEqual([
      [0, false],
      [0, true],
    ]);
    r.write(CIR, 0x1800 | (1 << 19)); // HSERDYC
    expect(r.read(CIR)).toBe(0x1800);
    expect(r.irqs.at(-1)).toEqual([0, false]);
    r.write(CR, r.read(CR) | HSION); // HSI already ready: no new flag
    expect(r.read(CIR)).toBe(0x1800);
  });

  it('BDCR: RTCSEL is set once until BDRST; CSR: RMVF clears the reset flags', () => {
    const r = bench<Stm32f4Rcc>('stm32f4-rcc', RCC);
    r.write(BDCR, (1 << 8) | (1 << 15) | 1); // RTCSEL LSE, RTCEN, LSEON
    expect(r.read(BDCR)).toBe(0x8103);
    r.write(BDCR, (2 << 8) | (1 << 15) | 1);
    expect(r.read(BDCR)).toBe(0x8103);
    r.write(BDCR, 1 << 16); // BDRST
    expect(r.read(BDCR)).toBe(0x10000);
    r.write(BDCR, 2 << 8);
    expect(r.read(BDCR)).toBe(0x200);
    r.write(CSR, 1 << 24);
    expect(r.read(CSR)).toBe(0);
  });
});

describe('stm32f4-pwr (RM0090 5.4)', () => {
  const PWR = 0x40007000;

  it('F42x/43x: VOS scale 1 at reset, VOSRDY set, ODRDY and ODSWRDY follow ODEN and ODSWEN', () => {
    const p = bench('stm32f4-pwr', PWR);
    expect([p.read(0), p.read(4)]).toEqual([0x0000c000, 0x00004000]);
    p.write(0, 0xc000 | (1 << 16)); // ODEN
    expect(p.read(4)).toBe(0x00014000);
    p.write(0, 0xc000 | (3 << 16)); // ODSWEN
    expect(p.read(4)).toBe(0x00034000);
    p.write(0, 0xc000 | (1 << 17)); // ODEN cleared: ODSWEN goes with it
    expect([p.read(0), p.read(4)]).toEqual([0x0000c000, 0x00004000]);
    p.write(0, 0x4000 | (1 << 8) | 0xc); // VOS scale 3, DBP; CWUF and CSBF read 0
    expect(p.read(0)).toBe(0x4100);
    p.write(4, 1 << 9); // BRE: BRR follows
    expect(p.read(4)).toBe(0x4208);
  });

  it('F405/407: VOS is one bit (reset 1), no over-drive', () => {
    const p = bench('stm32f4-pwr', PWR, { f42x: 0 });
    expect([p.read(0), p.read(4)]).toEqual([0x00004000, 0x00004000]);
    p.write(0, 0x3c000);
    expect([p.read(0), p.read(4)]).toEqual([0x00004000, 0x00004000]);
  });
});

describe('stm32f4-flash (RM0090 3.9)', () => {
  const FLASH = 0x40023c00;
  const [ACR, KEYR, OPTKEYR, SR, FCR, OPTCR, OPTCR1] = [0, 4, 8, 0xc, 0x10, 0x14, 0x18];

  it('reset values; ACR is storage (LATENCY 4 bits on F42x/43x, 3 on F405/407)', () => {
    const f = bench('stm32f4-flash', FLASH);
    expect([ACR, KEYR, OPTKEYR, SR, FCR, OPTCR, OPTCR1].map((o) => f.read(o))).toEqual([
      0, 0, 0, 0, 0x80000000, 0x0fffaaed, 0x0fff0000,
    ]);
    f.write(ACR, 0x705); // LATENCY 5, PRFTEN, ICEN, DCEN
    expect(f.read(ACR)).toBe(0x705);
    f.write(ACR, 0xffffffff);
    expect(f.read(ACR)).toBe(0x1f0f);
    const f40 = bench('stm32f4-flash', FLASH, { f42x: 0 });
    f40.write(ACR, 0xffffffff);
    expect([f40.read(ACR), f40.read(OPTCR1)]).toEqual([0x1f07, 0]);
  });

  it('CR unlocks with KEY1 then KEY2, locks again with LOCK; a wrong key locks it until reset', () => {
    const f = bench('stm32f4-flash', FLASH);
    f.write(FCR, 1); // locked: ignored
    expect(f.read(FCR)).toBe(0x80000000);
    f.write(KEYR, 0x45670123);
    f.write(KEYR, 0xcdef89ab);
    expect(f.read(FCR)).toBe(0);
    f.write(FCR, (2 << 8) | 1 | (1 << 16)); // PSIZE x32, PG, STRT (programming is not modeled)
    expect([f.read(FCR), f.read(SR)]).toEqual([0x201, 0]);
    f.write(FCR, 0x80000000);
    expect(f.read(FCR)).toBe(0x80000000);
    f.write(KEYR, 0x45670123);
    f.write(KEYR, 0x12345678); // wrong second key
    f.write(KEYR, 0x45670123);
    f.write(KEYR, 0xcdef89ab);
    expect(f.read(FCR)).toBe(0x80000000);
  });

  it('OPTCR unlocks with OPTKEY1 then OPTKEY2', () => {
    const f = bench('stm32f4-flash', FLASH);
    f.write(OPTCR, 0x0fff55ec);
    expect(f.read(OPTCR)).toBe(0x0fffaaed);
    f.write(OPTKEYR, 0x08192a3b);
    f.write(OPTKEYR, 0x4c5d6e7f);
    expect(f.read(OPTCR)).toBe(0x0fffaaec);
    f.write(OPTCR, 0x0ffe55ee); // OPTSTRT reads 0
    expect(f.read(OPTCR)).toBe(0x0ffe55ec);
    f.write(OPTCR, 0x0ffe55ed); // OPTLOCK
    f.write(OPTCR, 0x0fffaaec);
    expect(f.read(OPTCR)).toBe(0x0ffe55ed);
  });
});

describe('stm32f4-syscfg (RM0090 9.2)', () => {
  it('storage with reset values; CMPCR.READY follows CMP_PD; EXTICR routes lines to ports', () => {
    const s = bench<Stm32f4Syscfg>('stm32f4-syscfg', 0x40013800);
    expect([0, 4, 8, 0xc, 0x10, 0x14, 0x20].map((o) => s.read(o))).toEqual([0, 0, 0, 0, 0, 0, 0]);
    s.write(0x20, 1);
    expect(s.read(0x20)).toBe(0x101);
    s.write(0x20, 0);
    expect(s.read(0x20)).toBe(0);
    s.write(0x0c, 0xffff2103); // EXTICR2: EXTI4 port D, EXTI5 A, EXTI6 B, EXTI7 C
    expect(s.read(0x0c)).toBe(0x2103);
    expect([4, 5, 6, 7].map((l) => s.dev.exticr(l))).toEqual([3, 0, 1, 2]);
    s.write(0, 0xffffffff);
    expect(s.read(0)).toBe(0xd07);
  });
});

describe('stm32f4-exti (RM0090 12.3)', () => {
  const [IMR, RTSR, FTSR, SWIER, PR] = [0, 8, 0xc, 0x10, 0x14];

  it('SWIER pends an enabled line and raises its NVIC output; writing PR clears both', () => {
    const e = bench<Stm32f4Exti>('stm32f4-exti', 0x40013c00);
    e.write(SWIER, 1 << 3); // IMR clear: nothing pends
    expect([e.read(SWIER), e.read(PR), e.irqs]).toEqual([8, 0, []]);
    e.write(SWIER, 0);
    e.write(IMR, (1 << 3) | (1 << 7) | (1 << 12) | (1 << 22));
    e.write(SWIER, (1 << 3) | (1 << 7));
    expect(e.read(PR)).toBe(0x88);
    expect(e.irqs).toEqual([
      [3, true], // EXTI3
      [5, true], // EXTI9_5
    ]);
    e.write(PR, 1 << 3);
    expect([e.read(PR), e.read(SWIER)]).toEqual([0x80, 0x80]);
    expect(e.irqs.at(-1)).toEqual([3, false]);
    e.write(SWIER, 0x80 | (1 << 12) | (1 << 22)); // line 7 already set: no new edge
    expect(e.irqs.slice(3)).toEqual([
      [6, true], // EXTI15_10
      [13, true], // line 22: RTC_WKUP
    ]);
    e.write(IMR, 0); // masked: the outputs drop, PR stays
    expect(e.read(PR)).toBe(0x401080);
    expect(e.irqs.slice(5)).toEqual([
      [5, false],
      [6, false],
      [13, false],
    ]);
  });

  it('input(): the edges RTSR and FTSR select pend an enabled line', () => {
    const e = bench<Stm32f4Exti>('stm32f4-exti', 0x40013c00);
    e.write(IMR, 0x3);
    e.write(RTSR, 0x1);
    e.write(FTSR, 0x2);
    e.dev.input(0, true);
    e.dev.input(1, true);
    expect(e.read(PR)).toBe(0x1);
    e.dev.input(1, false);
    expect(e.read(PR)).toBe(0x3);
    e.dev.input(0, true); // no edge
    e.write(PR, 0x3);
    expect(e.read(PR)).toBe(0);
    expect(e.irqs).toEqual([
      [0, true],
      [1, true],
      [0, false],
      [1, false],
    ]);
  });
});

describe('the models as the board file sees them', () => {
  it('register blocks of 1 KiB; interrupt outputs: RCC 1, EXTI 14, the others none', () => {
    const shape = Object.fromEntries(
      Object.entries(DEVICE_MODELS).map(([name, m]) => [
        name,
        [m.defaultSize, m.irqs, Object.keys(m.params)],
      ]),
    );
    expect(shape).toMatchObject({
      'stm32f4-rcc': [0x400, 1, ['hseHz', 'f42x']],
      'stm32f4-pwr': [0x400, 0, ['f42x']],
      'stm32f4-flash': [0x400, 0, ['f42x']],
      'stm32f4-syscfg': [0x400, 0, ['f42x']],
      'stm32f4-exti': [0x400, 14, []],
    });
  });
});
