// test/firmware/stm32-clock.c on the STM32F4 boards: the HSE → PLL → 168 MHz set-up with its
// ready-flag polling runs to exit 0 through the RCC, PWR and FLASH models, reads back the registers
// RM0090 says it should, and the time figures integrate the cycles before the switch at HSI 16 MHz
// and the cycles after it at 168 MHz. The switch cycle comes from the firmware: its ITM port 1 write
// follows the store to RCC_CFGR that switches by a hand-counted 4 cycles (ITM events carry the cycle count).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BOARD_DIR, buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { cli, simulate } from './helpers/run.js';

const F439 = join(BOARD_DIR, 'stm32f439.ld');
const F407 = join(BOARD_DIR, 'stm32f407.ld');

/** What the firmware prints on F42x/43x (PWR_CR VOS[1:0] = 11 at reset). */
const OUTPUT_F439 = [
  'reset CR 00000083 PLLCFGR 24003010 CFGR 00000000', // RCC reset values (RM0090 6.3.1–6.3.3)
  'PWR CR 0000c000 CSR 00004000', // VOS scale 1, VOSRDY
  'FLASH ACR 00000705', // LATENCY 5, PRFTEN, ICEN, DCEN
  // HSION HSIRDY HSITRIM 16 HSEON HSERDY PLLON PLLRDY; PLLM 8 PLLN 336 PLLP /2 PLLSRC HSE PLLQ 7 and
  // reserved bit 29 of the reset value; SW PLL, SWS PLL, PPRE1 /4, PPRE2 /2.
  'RCC CR 03030083 PLLCFGR 27405408 CFGR 0000940a',
  'FLASH CR 80000000 unlocked 00000000 locked 80000000',
  '',
].join('\n');

/**
 * The cycle of the store to RCC_CFGR that switches: the ITM store after it starts 4 cycles later
 * (that STR 2, not 1, since a load follows it, TRM 3.3.2; then the LDR of CYCCNT 2), and the clocks
 * of m4sim's peripherals and of ITM are exact at the accessing instruction.
 */
function switchCycle(itm: { port: number; cycles: number }[]): number {
  const markers = itm.filter((e) => e.port === 1);
  expect(markers).toHaveLength(1);
  return markers[0]!.cycles - 4;
}

describe.skipIf(!haveToolchain)('STM32F4 clock set-up through the RCC model', () => {
  it('stm32f439: reads back RM0090 values, exits 0, and the time figures follow 16 MHz then 168 MHz', () => {
    const { result, output } = simulate(buildTestFirmware('stm32-clock', { linkerScript: F439 }), {
      boardName: 'stm32f439',
    });
    expect(output).toBe(OUTPUT_F439);
    expect(result.exit).toMatchObject({ reason: 'exit', code: 0 });
    expect(result.clockHz).toBe(168e6);
    const at = switchCycle(result.itm);
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(result.cycles);
    // Cycles 0..at at HSI 16 MHz, at..end at 168 MHz.
    expect(result.seconds).toBeCloseTo(at / 16e6 + (result.cycles - at) / 168e6, 15);
    expect(result.deviceEvents).toEqual([
      { cycles: at, device: 'RCC', kind: 'hclk', index: 0, value: 168e6 },
    ]);
    // Every register it touched is modeled (none listed as unmodeled).
    expect(result.peripherals).toEqual([]);
  });

  it('--clock overrides: the time figures stay at the given clock', () => {
    const { result } = simulate(buildTestFirmware('stm32-clock', { linkerScript: F439 }), {
      boardName: 'stm32f439',
      clockHz: 168e6,
    });
    expect(result.clockHz).toBe(168e6);
    expect(result.seconds).toBeCloseTo(result.cycles / 168e6, 15);
  });

  it('stm32f407: the same set-up on the F405/407 register set (PWR_CR VOS is bit 14, reset 1)', () => {
    const { result, output } = simulate(buildTestFirmware('stm32-clock', { linkerScript: F407 }), {
      boardName: 'stm32f407',
    });
    expect(output).toBe(OUTPUT_F439.replace('PWR CR 0000c000', 'PWR CR 00004000'));
    expect(result.exit).toMatchObject({ reason: 'exit', code: 0 });
    expect(result.sram.size).toBe(128 * 1024);
    expect(result.clockHz).toBe(168e6);
    const at = switchCycle(result.itm);
    expect(result.seconds).toBeCloseTo(at / 16e6 + (result.cycles - at) / 168e6, 15);
  });

  it('simulate --json reports the clock at the end and the switch among the device events', () => {
    const r = cli([
      'simulate',
      buildTestFirmware('stm32-clock', { linkerScript: F439 }),
      '--board',
      'stm32f439',
      '--json',
    ]);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.clockHz).toBe(168e6);
    const at = switchCycle(j.itm.events);
    expect(j.seconds).toBeCloseTo(at / 16e6 + (j.cycles - at) / 168e6, 15);
    expect(j.devices).toEqual({
      events: [{ cycles: at, device: 'RCC', kind: 'hclk', index: 0, value: 168e6 }],
      dropped: 0,
      ignoredWrites: [],
    });
  });
});
