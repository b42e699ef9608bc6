// The STM32F4 USART model (RM0090 30.6) without Unicorn: a fake device context with a settable cycle
// count, host input, the bytes sent and the interrupt line. Frame times are counted by hand from
// RM0090 30.3.4 (8 × (2 − OVER8) × USARTDIV bus clocks per bit).
import { describe, expect, it } from 'vitest';
import { loadBoard } from '../src/emulator/board.js';
import type { Clocks, DeviceContext, DeviceEvent } from '../src/emulator/peripherals/device.js';
import {
  CR1_IDLEIE,
  CR1_M,
  CR1_OVER8,
  CR1_PCE,
  CR1_PS,
  CR1_RE,
  CR1_RXNEIE,
  CR1_SBK,
  CR1_TCIE,
  CR1_TE,
  CR1_TXEIE,
  CR1_UE,
  SR_IDLE,
  SR_RXNE,
  SR_TC,
  SR_TXE,
  STM32F4_USART,
  Stm32f4Usart,
  USART_BRR,
  USART_CR1,
  USART_CR2,
  USART_CR3,
  USART_DR,
  USART_GTPR,
  USART_SR,
  USART_SR_RESET,
} from '../src/emulator/peripherals/stm32f4-usart.js';

const BASE = 0x40011000;
const WORD = 0xffffffff;

/** USART1 on APB2 with hclk 168 MHz and pclk2 84 MHz (two core cycles per bus clock). */
function usart(opts: { input?: number[]; bus?: number; clocks?: Partial<Clocks> } = {}) {
  let now = 0;
  const input = [...(opts.input ?? [])];
  const sent: number[] = [];
  const irq: { at: number; level: boolean }[] = [];
  let reschedules = 0;
  const clocks: Clocks = {
    hclk: 168e6,
    pclk1: 42e6,
    pclk2: 84e6,
    timclk1: 84e6,
    timclk2: 168e6,
    ...opts.clocks,
  };
  const ctx: DeviceContext = {
    now: () => now,
    setIrq: (index, level) => {
      expect(index).toBe(0);
      irq.push({ at: now, level });
    },
    output: (device, bytes) => {
      expect(device).toBe('USART1');
      sent.push(...bytes);
    },
    input: () => (input.length > 0 ? input.shift()! : null),
    event: (e: DeviceEvent) => {
      throw new Error(`unexpected event ${JSON.stringify(e)}`);
    },
    setClocks: () => {},
    clock: (name) => clocks[name],
    reschedule: () => {
      reschedules++;
    },
  };
  const dev = new Stm32f4Usart(
    {
      name: 'USART1',
      model: 'stm32f4-usart',
      base: BASE,
      size: 0x400,
      irq: [37],
      params: { bus: opts.bus ?? 2 },
    },
    ctx,
  );
  return {
    dev,
    sent,
    irq,
    input,
    reschedules: () => reschedules,
    at(t: number) {
      now = t;
    },
    read: (offset: number) => dev.readWord(BASE + offset),
    write: (offset: number, value: number, mask = WORD) => dev.writeWord(BASE + offset, value, mask),
    sr: () => dev.readWord(BASE + USART_SR),
  };
}

// 115200 baud from an 84 MHz APB2 with OVER8 = 0: USARTDIV = 84e6 / (16 × 115200) = 45.57, BRR =
// 45 << 4 | 9 = 0x2D9 (729 bus clocks per bit); a 10-bit frame is 7290 bus clocks, 14,580 core cycles.
const BRR_115200 = 0x2d9;
const FRAME = 10 * 729 * 2;

describe('stm32f4-usart registers', () => {
  it('resets to SR 0x00C0 (TXE, TC) and every other register 0', () => {
    const u = usart();
    expect(USART_SR_RESET).toBe(0xc0);
    expect(u.sr()).toBe(USART_SR_RESET);
    for (const r of [USART_DR, USART_BRR, USART_CR1, USART_CR2, USART_CR3, USART_GTPR])
      expect(u.read(r)).toBe(0);
    expect(u.read(0x1c)).toBe(0); // reserved
  });

  it('keeps the defined bits of BRR, CR1, CR2, CR3 and GTPR; reserved ones read 0', () => {
    const u = usart();
    u.write(USART_BRR, WORD);
    u.write(USART_CR2, WORD);
    u.write(USART_CR3, WORD);
    u.write(USART_GTPR, WORD);
    expect([u.read(USART_BRR), u.read(USART_CR2), u.read(USART_CR3), u.read(USART_GTPR)]).toEqual([
      0xffff, 0x7f6f, 0x0fff, 0xffff,
    ]);
    u.write(USART_CR1, 0xffff & ~CR1_SBK & ~CR1_TE);
    expect(u.read(USART_CR1)).toBe(0xbfff & ~CR1_SBK & ~CR1_TE); // bit 14 reserved
  });

  it('byte and halfword writes go through the lane mask (strb to the high byte of BRR)', () => {
    const u = usart();
    u.write(USART_BRR, 0xd9, 0xff);
    u.write(USART_BRR, 0x02 << 8, 0xff00);
    expect(u.read(USART_BRR)).toBe(0x2d9);
    u.write(USART_CR1, CR1_UE, 0xffff0000); // the upper half: nothing defined there
    expect(u.read(USART_CR1)).toBe(0);
  });
});

describe('stm32f4-usart transmission', () => {
  it('frame time: 10 bits × BRR bus clocks, converted to core cycles by hclk / pclk', () => {
    const u = usart();
    u.write(USART_BRR, BRR_115200);
    expect(u.dev.frameCycles()).toBe(FRAME);
    // APB1 at 42 MHz: four core cycles per bus clock.
    const apb1 = usart({ bus: 1 });
    apb1.write(USART_BRR, BRR_115200);
    expect(apb1.dev.frameCycles()).toBe(10 * 729 * 4);
    // 9 data bits (M) and 2 stop bits (STOP = 10): 12 bits.
    u.write(USART_CR1, CR1_M);
    u.write(USART_CR2, 2 << 12);
    expect(u.dev.frameCycles()).toBe(12 * 729 * 2);
    // 0.5 stop bit (STOP = 01), 8 data bits: 9.5 bits = 19 half bits × 729 bus clocks.
    u.write(USART_CR1, 0);
    u.write(USART_CR2, 1 << 12);
    expect(u.dev.frameCycles()).toBe(19 * 729);
    // OVER8: 8 × USARTDIV bus clocks per bit, USARTDIV = 0x2D + 1/8 (DIV_Fraction[2:0] = 1): 361.
    u.write(USART_CR2, 0);
    u.write(USART_CR1, CR1_OVER8);
    u.write(USART_BRR, 0x2d1);
    expect(u.dev.frameCycles()).toBe(10 * (8 * 0x2d + 1) * 2);
    u.write(USART_BRR, 0);
    expect(u.dev.frameCycles()).toBe(0); // not programmed: no time
  });

  it('TXE stays 1 for a byte written to an idle line, TC clears for one frame; the byte is sent at once', () => {
    const u = usart();
    u.write(USART_BRR, BRR_115200);
    u.write(USART_CR1, CR1_UE | CR1_TE); // TE: an idle frame first (0 .. FRAME)
    u.at(FRAME);
    expect(u.sr()).toBe(SR_TXE | SR_TC);
    u.at(20_000);
    u.write(USART_DR, 0x41);
    expect(u.sent).toEqual([0x41]);
    expect(u.sr()).toBe(SR_TXE); // in the shift register, TC 0
    u.at(20_000 + FRAME - 1);
    expect(u.sr()).toBe(SR_TXE);
    u.at(20_000 + FRAME);
    expect(u.sr()).toBe(SR_TXE | SR_TC);
  });

  it('a byte written while a frame is on the line waits in TDR: TXE 0 until that frame ends', () => {
    const u = usart();
    u.write(USART_BRR, BRR_115200);
    u.write(USART_CR1, CR1_UE | CR1_TE);
    const t0 = FRAME; // after the idle frame
    u.at(t0);
    u.write(USART_DR, 0x31);
    u.at(t0 + 100);
    u.write(USART_DR, 0x32);
    expect(u.sent).toEqual([0x31, 0x32]);
    expect(u.sr()).toBe(0);
    u.at(t0 + FRAME - 1);
    expect(u.sr()).toBe(0);
    u.at(t0 + FRAME);
    expect(u.sr()).toBe(SR_TXE); // 0x32 moved to the shift register
    u.at(t0 + 2 * FRAME - 1);
    expect(u.sr()).toBe(SR_TXE);
    u.at(t0 + 2 * FRAME);
    expect(u.sr()).toBe(SR_TXE | SR_TC);
  });

  it('the idle frame after setting TE delays the first data frame', () => {
    const u = usart();
    u.write(USART_BRR, BRR_115200);
    u.at(1000);
    u.write(USART_CR1, CR1_UE | CR1_TE);
    expect(u.sr()).toBe(SR_TXE); // TDR empty, line busy with the idle frame
    u.write(USART_DR, 0x55);
    expect(u.sr()).toBe(0); // waits for the idle frame to end
    u.at(1000 + FRAME);
    expect(u.sr()).toBe(SR_TXE);
    u.at(1000 + 2 * FRAME);
    expect(u.sr()).toBe(SR_TXE | SR_TC);
  });

  it('with BRR 0 a frame takes no time: TXE and TC stay 1', () => {
    const u = usart();
    u.write(USART_CR1, CR1_UE | CR1_TE);
    for (const c of 'hi') u.write(USART_DR, c.charCodeAt(0));
    expect(Buffer.from(u.sent).toString()).toBe('hi');
    expect(u.sr()).toBe(SR_TXE | SR_TC);
  });

  it('nothing is sent without UE and TE', () => {
    const u = usart();
    u.write(USART_DR, 0x41);
    u.write(USART_CR1, CR1_TE);
    u.write(USART_DR, 0x42);
    u.write(USART_CR1, CR1_UE);
    u.write(USART_DR, 0x43);
    expect(u.sent).toEqual([]);
    expect(u.sr()).toBe(SR_TXE | SR_TC);
  });

  it('a byte write (strb) to DR sends; data bits follow M and PCE (7 bits + parity: bit 7 dropped)', () => {
    const u = usart();
    u.write(USART_CR1, CR1_UE | CR1_TE);
    u.write(USART_DR, 0xc1, 0xff);
    u.write(USART_DR, 0x4200, 0xff00); // not the data lane: no character
    u.write(USART_CR1, CR1_UE | CR1_TE | CR1_PCE);
    u.write(USART_DR, 0xc1);
    u.write(USART_CR1, CR1_UE | CR1_TE | CR1_M);
    u.write(USART_DR, 0x1c1); // 9 data bits: the host gets the low 8
    expect(u.sent).toEqual([0xc1, 0x41, 0xc1]);
  });

  it('TC written 0 with the line idle stays 0 until the next frame ends; TXE is read-only', () => {
    const u = usart();
    u.write(USART_BRR, BRR_115200);
    u.write(USART_CR1, CR1_UE | CR1_TE);
    u.at(FRAME);
    u.write(USART_SR, ~SR_TC);
    expect(u.sr()).toBe(SR_TXE);
    u.write(USART_SR, 0); // TXE is not cleared by writing
    expect(u.sr()).toBe(SR_TXE);
    u.write(USART_DR, 0x41);
    u.at(2 * FRAME);
    expect(u.sr()).toBe(SR_TXE | SR_TC);
  });

  it('SBK sends a break frame after the current one and reads 1 until it ends', () => {
    const u = usart();
    u.write(USART_BRR, BRR_115200);
    u.write(USART_CR1, CR1_UE | CR1_TE);
    u.at(FRAME);
    u.write(USART_CR1, CR1_UE | CR1_TE | CR1_SBK);
    expect(u.read(USART_CR1) & CR1_SBK).toBe(CR1_SBK);
    expect(u.sent).toEqual([]);
    u.at(2 * FRAME - 1);
    expect(u.read(USART_CR1) & CR1_SBK).toBe(CR1_SBK);
    expect(u.sr() & SR_TC).toBe(0);
    u.at(2 * FRAME);
    expect(u.read(USART_CR1)).toBe(CR1_UE | CR1_TE);
    expect(u.sr()).toBe(SR_TXE | SR_TC);
  });
});

describe('stm32f4-usart reception', () => {
  it('RXNE once RE is set and the host has a byte; reading DR takes it; nothing is taken before RE', () => {
    const u = usart({ input: [0x68, 0x69] });
    u.write(USART_CR1, CR1_UE | CR1_TE);
    expect(u.sr() & SR_RXNE).toBe(0);
    expect(u.input).toEqual([0x68, 0x69]); // not consumed without RE
    u.write(USART_CR1, CR1_UE | CR1_TE | CR1_RE);
    expect(u.sr() & SR_RXNE).toBe(SR_RXNE);
    expect(u.input).toEqual([0x69]); // the first is in DR
    expect(u.read(USART_SR) & SR_RXNE).toBe(SR_RXNE); // reading SR does not take it
    expect(u.read(USART_DR)).toBe(0x68);
    expect(u.read(USART_DR)).toBe(0x69); // the next one arrived as DR emptied
    expect(u.sr() & SR_RXNE).toBe(0);
    expect(u.read(USART_DR)).toBe(0x69); // DR keeps the last character
  });

  it('IDLE after the host ran out of bytes, cleared by reading SR then DR, not set again', () => {
    const u = usart({ input: [0x61] });
    u.write(USART_CR1, CR1_UE | CR1_RE);
    expect(u.sr()).toBe(SR_TXE | SR_TC | SR_RXNE);
    expect(u.read(USART_DR)).toBe(0x61);
    expect(u.sr()).toBe(SR_TXE | SR_TC | SR_IDLE);
    u.read(USART_DR);
    expect(u.sr() & SR_IDLE).toBe(0);
    u.read(USART_DR);
    expect(u.sr() & SR_IDLE).toBe(0);
  });

  it('without host input nothing arrives', () => {
    const u = usart();
    u.write(USART_CR1, CR1_UE | CR1_RE | CR1_RXNEIE);
    expect(u.sr()).toBe(SR_TXE | SR_TC);
    expect(u.irq).toEqual([]);
  });

  it('RXNE written 0 drops the character; parity (PCE, PS) sits in the MSB of a received character', () => {
    const u = usart({ input: [0x41, 0x43, 0x43, 0x43] });
    u.write(USART_CR1, CR1_UE | CR1_RE);
    u.write(USART_SR, ~SR_RXNE);
    expect(u.read(USART_DR)).toBe(0x43); // 0x41 was dropped
    // 7 data bits + even parity: 0x43 has three ones, so the parity bit (bit 7) is 1. A character is
    // framed as it arrives: drop the one received in 8-bit mode first.
    u.write(USART_CR1, CR1_UE | CR1_RE | CR1_PCE);
    u.write(USART_SR, ~SR_RXNE);
    expect(u.read(USART_DR)).toBe(0xc3);
    // Odd parity: the parity bit is 0.
    const odd = usart({ input: [0x43] });
    odd.write(USART_CR1, CR1_UE | CR1_RE | CR1_PCE | CR1_PS);
    expect(odd.read(USART_DR)).toBe(0x43);
  });
});

describe('stm32f4-usart interrupt line', () => {
  it('TXEIE: high while TXE, low while a byte waits in TDR, high again when the frame ends (nextEvent)', () => {
    const u = usart();
    u.write(USART_BRR, BRR_115200);
    u.write(USART_CR1, CR1_UE | CR1_TE);
    expect(u.dev.nextEvent()).toBe(Infinity); // no interrupt enabled
    u.at(FRAME);
    u.write(USART_CR1, CR1_UE | CR1_TE | CR1_TXEIE);
    expect(u.irq).toEqual([{ at: FRAME, level: true }]);
    u.write(USART_DR, 0x31); // straight to the shift register: TXE stays 1
    u.write(USART_DR, 0x32); // waits in TDR
    expect(u.irq).toEqual([
      { at: FRAME, level: true },
      { at: FRAME, level: false },
    ]);
    expect(u.dev.nextEvent()).toBe(2 * FRAME);
    u.at(2 * FRAME - 5);
    u.dev.advance(2 * FRAME); // the run loop reached nextEvent()
    expect(u.irq.at(-1)).toEqual({ at: 2 * FRAME - 5, level: true });
    expect(u.dev.nextEvent()).toBe(Infinity);
    u.write(USART_CR1, CR1_UE | CR1_TE);
    expect(u.irq.at(-1)!.level).toBe(false);
  });

  it('TCIE: the line rises when the last frame ends', () => {
    const u = usart();
    u.write(USART_BRR, BRR_115200);
    u.write(USART_CR1, CR1_UE | CR1_TE | CR1_TCIE);
    expect(u.irq).toEqual([]); // idle frame on the line: TC 0
    expect(u.dev.nextEvent()).toBe(FRAME);
    u.at(FRAME);
    u.dev.advance(FRAME);
    expect(u.irq).toEqual([{ at: FRAME, level: true }]);
    u.write(USART_DR, 0x41);
    expect(u.irq.at(-1)).toEqual({ at: FRAME, level: false });
    expect(u.dev.nextEvent()).toBe(2 * FRAME);
    expect(u.reschedules()).toBeGreaterThan(0);
  });

  it('RXNEIE and IDLEIE', () => {
    const u = usart({ input: [0x7a] });
    u.write(USART_CR1, CR1_UE | CR1_RE | CR1_RXNEIE | CR1_IDLEIE);
    expect(u.irq).toEqual([{ at: 0, level: true }]);
    u.read(USART_DR); // RXNE 0, IDLE 1: still high
    expect(u.irq).toEqual([{ at: 0, level: true }]);
    u.read(USART_SR);
    u.read(USART_DR);
    expect(u.irq).toEqual([
      { at: 0, level: true },
      { at: 0, level: false },
    ]);
  });
});

describe('stm32f4-usart in board files', () => {
  it('stm32f439 lists USART1–3, 6 and UART4/5/7/8 with their RM0090 vector numbers and APB', () => {
    const uarts = loadBoard('stm32f439').devices.filter((d) => d.model === 'stm32f4-usart');
    // In address order, as the board file lists its peripherals.
    expect(uarts.map((d) => [d.name, d.base, d.irq, d.params.bus, d.size])).toEqual([
      ['USART2', 0x40004400, [38], 1, 0x400],
      ['USART3', 0x40004800, [39], 1, 0x400],
      ['UART4', 0x40004c00, [52], 1, 0x400],
      ['UART5', 0x40005000, [53], 1, 0x400],
      ['UART7', 0x40007800, [82], 1, 0x400],
      ['UART8', 0x40007c00, [83], 1, 0x400],
      ['USART1', 0x40011000, [37], 2, 0x400],
      ['USART6', 0x40011400, [71], 2, 0x400],
    ]);
    expect(STM32F4_USART.irqs).toBe(1);
    expect(Object.keys(STM32F4_USART.params)).toEqual(['bus']);
  });
});
