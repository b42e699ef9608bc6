// Timer firmwares on the stm32f439 board, against hand counts (Cortex-M4 TRM cycle model, P = 2,
// zero wait states; exception entry 12, return 10): the TIM6 update interrupt (test/firmware/
// stm32-timer.c, RM0090 20) and the HAL's 1 kHz SysTick time base with HAL_Delay
// (test/firmware/stm32-hal-tick.c). No RCC set-up runs, so every clock is the board's 168 MHz.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BOARD_DIR, buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { simulate } from './helpers/run.js';

const STM32F439_LD = join(BOARD_DIR, 'stm32f439.ld');
/** (PSC + 1) · (ARR + 1) = 8400 · 100 timer ticks, one core cycle each (timclk1 = hclk). */
const PERIOD = 840_000;
const UPDATES = 10;

describe.skipIf(!haveToolchain)('TIM6 update interrupt (stm32-timer.c)', () => {
  it('10 updates 840,000 cycles apart; the run ends 50 cycles after the 11th', () => {
    const elf = buildTestFirmware('stm32-timer', { linkerScript: STM32F439_LD });
    const { result, output } = simulate(elf, { boardName: 'stm32f439' });
    expect(result.exit).toMatchObject({ reason: 'exit', code: UPDATES + 1 });
    const lines = output.split('\n');
    // UG set UIF (URS = 0) and cleared the counter; PSC and ARR read back their preload registers.
    expect(lines.slice(0, 3)).toEqual([
      'stm32-timer',
      'psc 8399 arr 99, after UG: uif 1 cnt 0',
      `updates ${UPDATES}`,
    ]);
    // Every handler entry is a wake from WFI exactly at its update (WFI sleeps to the event), so
    // the CYCCNT stamps at the same instruction of the handler are exactly one period apart.
    expect(lines[4]).toBe('spacing:' + ` ${PERIOD}`.repeat(UPDATES - 1));
    // First entry − CYCCNT read just before the CEN store = PERIOD + (CEN store − that read) + 12
    // (entry) + (the handler's CYCCNT read − its entry). Block-granular clocks (CYCCNT and device
    // accesses at the end of their block, as now): 0 + 12 + 20 (the handler's whole block) = 32;
    // instruction-exact ones: 2 (the LDR of CYCCNT) + 12 + 2 (the LDR before the handler's read).
    const first = Number(/^first handler entry (\d+) cycles after CEN$/.exec(lines[3]!)?.[1]);
    expect(first).toBeGreaterThanOrEqual(PERIOD + 16);
    expect(first).toBeLessThanOrEqual(PERIOD + 32);

    // One device event per update that raised the interrupt line, at the update's cycle.
    const updates = result.deviceEvents.filter((e) => e.device === 'TIM6' && e.kind === 'update');
    expect(updates).toHaveLength(UPDATES + 1);
    const e1 = updates[0]!.cycles;
    expect(updates.map((e) => e.cycles)).toEqual(
      Array.from({ length: UPDATES + 1 }, (_, k) => e1 + k * PERIOD),
    );
    // After the 11th update (main asleep in WFI): entry 12, the handler's one block 20 (ldr 2, ldr
    // 2 — its address is the previous load's result —, ldr 1 pipelined, movs 1, str 2 before a
    // load, ldr 2 after a store, ldr 2, ldr 1, str.w register offset 2, adds 1, str 1, bx lr 1 + P),
    // return 10, the block after WFI 4 (ldr 2, cmp 1, bne not taken 1), the exit 4 (ldr 2, movs 1,
    // bkpt 1): 50 cycles, nothing else.
    expect(result.cycles).toBe(e1 + UPDATES * PERIOD + 50);
    const irq = result.exceptions.taken.find((s) => s.number === 16 + 54);
    expect(irq).toMatchObject({ name: 'IRQ54', count: UPDATES + 1, selfCycles: (UPDATES + 1) * 42 });
  });
});

describe.skipIf(!haveToolchain)('HAL-style 1 kHz SysTick tick and HAL_Delay (stm32-hal-tick.c)', () => {
  it('LOAD 167,999; HAL_Delay(10) takes 11 ticks from just after a tick, 10 + a fraction from just before', () => {
    const elf = buildTestFirmware('stm32-hal-tick', { linkerScript: STM32F439_LD });
    const { result, output } = simulate(elf, { boardName: 'stm32f439' });
    expect(result.exit).toMatchObject({ reason: 'exit', code: 0 });
    const lines = output.split('\n');
    expect(lines.slice(0, 2)).toEqual(['stm32-hal-tick', 'load 167999']);
    // HAL_Delay(10) returns when uwTick − tickstart ≥ 11: at the 11th tick after tickstart.
    const a = /^after a tick: uwTick (\d+) -> (\d+), (\d+) cycles$/.exec(lines[2]!);
    const b = /^before a tick: uwTick (\d+) -> (\d+), (\d+) cycles$/.exec(lines[3]!);
    expect(a?.slice(1, 3)).toEqual(['1', '12']);
    expect(b?.slice(1, 3)).toEqual(['12', '23']);
    // Just after tick T (detected by polling uwTick): t1 − t0 = 11 · 168,000 + 3 + d2 − d1 with
    // block-granular CYCCNT (t0 at the end of its 9-cycle block after the 4-cycle poll block, t1 at
    // the end of an 11-cycle block after the 5-cycle loop block), + d2 − d1 with instruction-exact
    // CYCCNT, where d1 ∈ [0, 5] and d2 ∈ [0, 6] are how late the two interrupts are taken (the next
    // block boundary of the 6- and 7-cycle polling loops). The handler's 31 cycles (entry 12,
    // ldr 2, ldr 2, adds 1, str 1, bx 3, return 10) are in both ends and cancel.
    const afterTick = Number(a?.[3]);
    expect(afterTick).toBeGreaterThanOrEqual(11 * 168_000 - 5);
    expect(afterTick).toBeLessThanOrEqual(11 * 168_000 + 3 + 6);
    // Just before a tick (SYST_CVR polled every 6 cycles until ≤ 200, so v ∈ [195, 200] cycles
    // before the tick): t3 − t2 = 10 · 168,000 + v + d2 + 37 (block-granular: t2 9 cycles after the
    // CVR read, t3 46 after the interrupted loop boundary), + v + d2 + 31 (instruction-exact: 7 and 38).
    const beforeTick = Number(b?.[3]);
    expect(beforeTick).toBeGreaterThanOrEqual(10 * 168_000 + 195 + 31);
    expect(beforeTick).toBeLessThanOrEqual(10 * 168_000 + 200 + 6 + 37);
    // Both within HAL_Delay's promise for 10 ms: more than 10 ms, at most 11 ms plus the latency.
    // 23 ticks (1 waited for, 11 and 11 delayed), each 12 + 9 + 10 = 31 cycles in the handler.
    const tick = result.exceptions.taken.find((s) => s.name === 'SysTick');
    expect(tick).toMatchObject({ count: 23, selfCycles: 23 * 31 });
  });
});
