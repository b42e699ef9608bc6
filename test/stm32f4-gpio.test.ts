// The STM32F4 GPIO model (RM0090 8.4) without Unicorn: reset values from the board file, the data
// registers, BSRR priority, pin events, IDR per mode and pull, and the LCKR key sequence.
import { describe, expect, it } from 'vitest';
import { loadBoard } from '../src/emulator/board.js';
import type { DeviceContext, DeviceEvent } from '../src/emulator/peripherals/device.js';
import {
  GPIO_AFRH,
  GPIO_AFRL,
  GPIO_BSRR,
  GPIO_IDR,
  GPIO_LCKR,
  GPIO_MODER,
  GPIO_ODR,
  GPIO_OSPEEDR,
  GPIO_OTYPER,
  GPIO_PUPDR,
  GPIOA_RESET,
  GPIOB_RESET,
  LCKK,
  STM32F4_GPIO,
  Stm32f4Gpio,
} from '../src/emulator/peripherals/stm32f4-gpio.js';

const BASE = 0x40020000;
const WORD = 0xffffffff;

function gpio(params: Record<string, number> = {}) {
  let now = 0;
  const events: DeviceEvent[] = [];
  const ctx: DeviceContext = {
    now: () => now,
    setIrq: () => {
      throw new Error('GPIO drives no interrupt line');
    },
    output: () => {},
    input: () => null,
    event: (e) => events.push(e),
    setClocks: () => {},
    clock: () => 168e6,
    reschedule: () => {},
  };
  const dev = new Stm32f4Gpio(
    { name: 'GPIOA', model: 'stm32f4-gpio', base: BASE, size: 0x400, irq: [], params },
    ctx,
  );
  return {
    dev,
    events,
    at(t: number) {
      now = t;
    },
    read: (offset: number) => dev.readWord(BASE + offset),
    write: (offset: number, value: number, mask = WORD) => dev.writeWord(BASE + offset, value >>> 0, mask),
  };
}

describe('stm32f4-gpio registers', () => {
  it('reset values come from the board entry: GPIOA and GPIOB as RM0090 8.4.1/8.4.3/8.4.4 give them', () => {
    const board = loadBoard('stm32f439');
    const ports = board.devices.filter((d) => d.model === 'stm32f4-gpio');
    expect(ports.map((d) => [d.name, d.base])).toEqual(
      [...'ABCDEFGHIJK'].map((letter, n) => [`GPIO${letter}`, 0x40020000 + 0x400 * n]),
    );
    const param = (name: string) => ports.find((d) => d.name === name)!.params;
    expect(param('GPIOA')).toMatchObject(GPIOA_RESET);
    expect(param('GPIOB')).toMatchObject(GPIOB_RESET);
    expect(param('GPIOC')).toMatchObject({ moderReset: 0, ospeedrReset: 0, pupdrReset: 0 });
    expect(GPIOA_RESET).toEqual({ moderReset: 0xa8000000, ospeedrReset: 0x0c000000, pupdrReset: 0x64000000 });
    expect(GPIOB_RESET).toEqual({ moderReset: 0x280, ospeedrReset: 0xc0, pupdrReset: 0x100 });

    const a = gpio(param('GPIOA'));
    expect(
      [GPIO_MODER, GPIO_OTYPER, GPIO_OSPEEDR, GPIO_PUPDR, GPIO_ODR, GPIO_BSRR, GPIO_LCKR].map(a.read),
    ).toEqual([0xa8000000, 0, 0x0c000000, 0x64000000, 0, 0, 0]);
    // PA15 (JTDI) and PA13 (SWDIO) pull up, PA14 (SWCLK) pulls down, all in AF mode: IDR reads the pulls.
    expect(a.read(GPIO_IDR)).toBe((1 << 15) | (1 << 13));
    expect(STM32F4_GPIO.irqs).toBe(0);
  });

  it('configuration registers read back what was written, OTYPER 16 bits; byte writes merge', () => {
    const g = gpio();
    g.write(GPIO_MODER, 0x55555555);
    g.write(GPIO_OTYPER, WORD);
    g.write(GPIO_OSPEEDR, 0x12345678);
    g.write(GPIO_PUPDR, 0x9abcdef0);
    g.write(GPIO_AFRL, 0x76543210);
    g.write(GPIO_AFRH, 0xfedcba98);
    expect([GPIO_MODER, GPIO_OTYPER, GPIO_OSPEEDR, GPIO_PUPDR, GPIO_AFRL, GPIO_AFRH].map(g.read)).toEqual([
      0x55555555, 0xffff, 0x12345678, 0x9abcdef0, 0x76543210, 0xfedcba98,
    ]);
    g.write(GPIO_MODER, 0xaa << 8, 0xff00);
    expect(g.read(GPIO_MODER)).toBe(0x5555aa55);
    g.write(GPIO_IDR, WORD); // read-only
    g.write(0x28, WORD); // reserved
    expect(g.read(0x28)).toBe(0);
  });
});

describe('stm32f4-gpio output data', () => {
  it('BSRR sets and resets ODR bits, BSy wins over BRy, reads 0; ODR writes are plain', () => {
    const g = gpio();
    g.write(GPIO_BSRR, 0x0000_0021); // set 0 and 5
    expect(g.read(GPIO_ODR)).toBe(0x21);
    g.write(GPIO_BSRR, 0x0001_0000); // reset 0
    expect(g.read(GPIO_ODR)).toBe(0x20);
    g.write(GPIO_BSRR, 0x0022_0002); // set and reset 1 (set wins), reset 5
    expect(g.read(GPIO_ODR)).toBe(0x02);
    expect(g.read(GPIO_BSRR)).toBe(0);
    g.write(GPIO_BSRR, 0x0002 << 16, 0xffff0000); // strh to BSRR+2: BR1
    expect(g.read(GPIO_ODR)).toBe(0);
    g.write(GPIO_ODR, 0xffff_1234);
    expect(g.read(GPIO_ODR)).toBe(0x1234);
  });

  it('an event per ODR change of a pin in output mode, with the modeled cycle; none for other modes', () => {
    const g = gpio();
    g.write(GPIO_MODER, (1 << 10) | (1 << 12) | (2 << 14)); // PA5, PA6 output, PA7 alternate function
    g.at(100);
    g.write(GPIO_BSRR, 1 << 5);
    g.at(110);
    g.write(GPIO_BSRR, 1 << 5); // no change: no event
    g.write(GPIO_ODR, 0xe0); // PA6 rises (PA5 stays 1; PA7 is not in output mode)
    g.at(125);
    g.write(GPIO_BSRR, (1 << (16 + 5)) | (1 << (16 + 6)) | (1 << (16 + 7)));
    expect(g.events).toEqual([
      { cycles: 100, device: 'GPIOA', kind: 'pin', index: 5, value: 1 },
      { cycles: 110, device: 'GPIOA', kind: 'pin', index: 6, value: 1 },
      { cycles: 125, device: 'GPIOA', kind: 'pin', index: 5, value: 0 },
      { cycles: 125, device: 'GPIOA', kind: 'pin', index: 6, value: 0 },
    ]);
    g.write(GPIO_MODER, 0); // back to input: ODR changes are not pin changes
    g.write(GPIO_ODR, 0xffff);
    expect(g.events).toHaveLength(4);
  });
});

describe('stm32f4-gpio input data (8.3.9–8.3.12)', () => {
  it('output push-pull reads ODR; open drain with ODR 1 reads the pull; input reads the pull; analog 0', () => {
    const g = gpio();
    // Pin 0 output push-pull, 1 output open-drain, 2 input, 3 analog, 4 alternate function.
    g.write(GPIO_MODER, 0b10_11_00_01_01);
    g.write(GPIO_OTYPER, 0b10);
    g.write(GPIO_ODR, 0b11011);
    expect(g.read(GPIO_IDR)).toBe(0b00001); // open drain released, no pull: 0; analog 0
    g.write(GPIO_PUPDR, 0b01_01_01_01_01); // pull-up everywhere
    expect(g.read(GPIO_IDR)).toBe(0b10111); // analog still 0; AF and input read the pull-up
    g.write(GPIO_PUPDR, 0b10_10_10_10_10); // pull-down
    expect(g.read(GPIO_IDR)).toBe(0b00001);
    g.write(GPIO_ODR, 0);
    expect(g.read(GPIO_IDR)).toBe(0);
  });

  it('params idr/idrMask: levels the board drives on input pins, over the pulls', () => {
    const g = gpio({ idr: 0b0110, idrMask: 0b1110 });
    g.write(GPIO_PUPDR, 0b01_01_01_01); // pull-up on pins 0–3
    expect(g.read(GPIO_IDR)).toBe(0b0111); // pin 0 pulled up, 1–2 driven high, 3 driven low
    g.write(GPIO_MODER, 0b01 << 4); // pin 2 output, ODR 0: the output wins
    expect(g.read(GPIO_IDR)).toBe(0b0011);
  });
});

describe('stm32f4-gpio lock (8.4.8)', () => {
  const lock = (g: ReturnType<typeof gpio>, pinsToLock: number) => {
    g.write(GPIO_LCKR, LCKK | pinsToLock);
    g.write(GPIO_LCKR, pinsToLock);
    g.write(GPIO_LCKR, LCKK | pinsToLock);
    return g.read(GPIO_LCKR);
  };

  it('the key sequence locks the chosen pins of MODER, OTYPER, OSPEEDR, PUPDR, AFRL and AFRH until reset', () => {
    const g = gpio();
    expect(lock(g, (1 << 5) | (1 << 9))).toBe(LCKK | (1 << 5) | (1 << 9));
    g.write(GPIO_MODER, WORD);
    g.write(GPIO_OTYPER, WORD);
    g.write(GPIO_OSPEEDR, WORD);
    g.write(GPIO_PUPDR, WORD);
    g.write(GPIO_AFRL, WORD);
    g.write(GPIO_AFRH, WORD);
    const free2 = (WORD & ~(3 << 10) & ~(3 << 18)) >>> 0;
    expect([GPIO_MODER, GPIO_OSPEEDR, GPIO_PUPDR].map(g.read)).toEqual([free2, free2, free2]);
    expect(g.read(GPIO_OTYPER)).toBe(0xffff & ~(1 << 5) & ~(1 << 9));
    expect(g.read(GPIO_AFRL)).toBe((WORD & ~(0xf << 20)) >>> 0);
    expect(g.read(GPIO_AFRH)).toBe((WORD & ~(0xf << 4)) >>> 0);
    // ODR is not locked; LCKR ignores writes now.
    g.write(GPIO_ODR, 0xffff);
    expect(g.read(GPIO_ODR)).toBe(0xffff);
    g.write(GPIO_LCKR, 0);
    expect(g.read(GPIO_LCKR)).toBe(LCKK | (1 << 5) | (1 << 9));
  });

  it('a wrong sequence (LCK bits changed on the way, a halfword write) does not lock', () => {
    const g = gpio();
    g.write(GPIO_LCKR, LCKK | 1);
    g.write(GPIO_LCKR, 2); // LCK[15:0] changed: starts over
    g.write(GPIO_LCKR, LCKK | 2);
    expect(g.read(GPIO_LCKR)).toBe(2);
    g.write(GPIO_LCKR, LCKK | 1);
    g.write(GPIO_LCKR, 1, 0xffff); // not a word access
    g.write(GPIO_LCKR, LCKK | 1);
    expect(g.read(GPIO_LCKR) & LCKK).toBe(0);
    g.write(GPIO_MODER, 3);
    expect(g.read(GPIO_MODER)).toBe(3);
    // After an aborted sequence a correct one still locks.
    expect(lock(g, 1)).toBe(LCKK | 1);
    g.write(GPIO_MODER, 0);
    expect(g.read(GPIO_MODER)).toBe(3);
  });
});
