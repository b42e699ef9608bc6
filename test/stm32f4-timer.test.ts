// The STM32F4 timer model (src/emulator/peripherals/stm32f4-timer.ts) without Unicorn: a context whose
// clock is set by hand, against counts derived from RM0090 18 (TIM2–TIM5) and 20 (TIM6/TIM7):
// an update every (PSC + 1) · (ARR + 1) timer-clock ticks, hclk / timclk core cycles per tick.
import { describe, expect, it } from 'vitest';
import { loadBoard } from '../src/emulator/board.js';
import { BoardDevices } from '../src/emulator/board-devices.js';
import type { Clocks, DeviceContext, DeviceEvent } from '../src/emulator/peripherals/device.js';
import { CR1, DIER, EGR, SR, STM32F4_TIMER, TIM } from '../src/emulator/peripherals/stm32f4-timer.js';
import { TickClock } from '../src/emulator/peripherals/tick-clock.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../src/util/paths.js';

const MHZ = 1e6;

function timer(params: Record<string, number>, clocks: Partial<Clocks> = {}) {
  let now = 0;
  const lines: [number, boolean][] = [];
  const events: DeviceEvent[] = [];
  let reschedules = 0;
  const c: Clocks = {
    hclk: 168 * MHZ,
    pclk1: 168 * MHZ,
    pclk2: 168 * MHZ,
    timclk1: 168 * MHZ,
    timclk2: 168 * MHZ,
    ...clocks,
  };
  const ctx: DeviceContext = {
    now: () => now,
    setIrq: (index, level) => {
      expect(index).toBe(0); // the timer's one line
      lines.push([now, level]);
    },
    output: () => {},
    input: () => null,
    event: (e) => events.push(e),
    setClocks: () => {},
    clock: (name) => c[name],
    reschedule: () => reschedules++,
  };
  const base = 0x40001000;
  const dev = STM32F4_TIMER.create(
    { name: 'TIMx', model: 'stm32f4-timer', base, size: 0x400, irq: [54], params },
    ctx,
  );
  return {
    dev,
    lines,
    events,
    clocks: c,
    get reschedules() {
      return reschedules;
    },
    at(cycle: number) {
      now = cycle;
      return this;
    },
    read: (offset: number) => dev.readWord(base + offset),
    write: (offset: number, value: number, mask = 0xffffffff) => dev.writeWord(base + offset, value, mask),
    next: () => dev.nextEvent!(),
    advance: (cycle: number) => {
      now = cycle;
      dev.advance!(cycle);
    },
  };
}

const TIM6 = { bits: 16, channels: 0, bus: 1 };
const TIM2 = { bits: 32, channels: 4, bus: 1 };
const TIM3 = { bits: 16, channels: 4, bus: 1 };

/** PSC, ARR, UG (loads PSC), UIF cleared, UIE, then CEN at `start`. */
function started(params: Record<string, number>, psc: number, arr: number, start: number) {
  const t = timer(params).at(start);
  t.write(TIM.PSC, psc);
  t.write(TIM.ARR, arr);
  t.write(TIM.EGR, EGR.UG);
  t.write(TIM.SR, 0);
  t.write(TIM.DIER, DIER.UIE);
  t.write(TIM.CR1, CR1.CEN);
  return t;
}

describe('TickClock: timer-clock ticks against core cycles', () => {
  it('ratio 1: one tick per cycle; 2: every other cycle; 5/3: ticks seen at the ceiling', () => {
    const one = new TickClock(168 * MHZ, 168 * MHZ, 100);
    expect([one.ticks(100), one.ticks(101), one.ticks(1100), one.cycleOf(7)]).toEqual([0, 1, 1000, 107]);
    const two = new TickClock(168 * MHZ, 84 * MHZ, 0);
    expect([two.ticks(1), two.ticks(2), two.ticks(3), two.cycleOf(3)]).toEqual([0, 1, 1, 6]);
    // 100 MHz core, 60 MHz timer: 5/3 cycles per tick; tick 1 at 5/3 → cycle 2, tick 2 at 10/3 → 4,
    // tick 3 at 5, tick 4 at 20/3 → 7.
    const odd = new TickClock(100 * MHZ, 60 * MHZ, 0);
    expect([1, 2, 3, 4].map((k) => odd.cycleOf(k))).toEqual([2, 4, 5, 7]);
    expect([1, 2, 3, 4, 5, 6, 7].map((t) => odd.ticks(t))).toEqual([0, 1, 1, 2, 3, 3, 4]);
  });
});

describe('stm32f4-timer: time base (RM0090 18.3.1–18.3.2, 20.3.1–20.3.2)', () => {
  it('PSC 8399, ARR 99 at 168 MHz: an update every 840,000 cycles, UIF and the line at each', () => {
    // (8399 + 1) · (99 + 1) = 840,000 timer ticks = 840,000 cycles (timclk1 = hclk): 5 ms.
    const t = started(TIM6, 8399, 99, 1000);
    expect(t.next()).toBe(1000 + 840_000);
    // CNT steps every 8,400 cycles: 37 steps and 5 cycles in.
    expect(t.at(1000 + 37 * 8400 + 5).read(TIM.CNT)).toBe(37);
    expect(t.at(1000 + 840_000 - 1).read(TIM.CNT)).toBe(99);
    expect(t.read(TIM.SR) & SR.UIF).toBe(0);
    expect(t.lines).toEqual([]);
    t.advance(841_000);
    expect(t.lines).toEqual([[841_000, true]]);
    expect(t.events).toEqual([{ cycles: 841_000, device: 'TIMx', kind: 'update', index: 0, value: 1 }]);
    expect(t.read(TIM.SR)).toBe(SR.UIF);
    expect(t.read(TIM.CNT)).toBe(0);
    // The line is high: the next update changes nothing the machine must stop for.
    expect(t.next()).toBe(Infinity);
    // The handler clears UIF 50 cycles later: the line drops, the next update stays on the grid.
    const before = t.reschedules;
    t.at(841_050).write(TIM.SR, ~SR.UIF);
    expect(t.lines.at(-1)).toEqual([841_050, false]);
    expect(t.next()).toBe(1000 + 2 * 840_000);
    expect(t.reschedules).toBe(before + 1);
  });

  it('an update that is late (interrupt taken at a block boundary) keeps the period', () => {
    const t = started(TIM6, 8399, 99, 0);
    // The exception model reaches the stop 7 cycles after the update: the event keeps its cycle.
    t.advance(840_007);
    expect(t.events.map((e) => e.cycles)).toEqual([840_000]);
    expect(t.read(TIM.CNT)).toBe(0);
    t.at(840_100).write(TIM.SR, 0);
    expect(t.next()).toBe(1_680_000);
  });

  it('PSC is preloaded: without UG the first period runs at the reset prescaler (÷1)', () => {
    const t = timer(TIM6).at(0);
    t.write(TIM.PSC, 8399);
    t.write(TIM.ARR, 99);
    t.write(TIM.DIER, DIER.UIE);
    t.write(TIM.CR1, CR1.CEN);
    // Active prescaler 0: (0 + 1) · (99 + 1) = 100 cycles; then 8400 · 100 = 840,000 each.
    expect(t.next()).toBe(100);
    expect(t.at(99).read(TIM.CNT)).toBe(99);
    t.advance(100);
    t.at(200).write(TIM.SR, 0);
    expect(t.next()).toBe(100 + 840_000);
    expect(t.at(100 + 8400).read(TIM.CNT)).toBe(1);
  });

  it('EGR.UG reinitialises counter and prescaler and sets UIF, unless URS (18.4.1, 18.4.6)', () => {
    const t = timer(TIM3).at(0);
    t.write(TIM.PSC, 9); // ÷10
    t.write(TIM.ARR, 999);
    t.write(TIM.CR1, CR1.CEN);
    // Active prescaler still 0 (÷1): CNT = 123 at cycle 123.
    expect(t.at(123).read(TIM.CNT)).toBe(123);
    t.write(TIM.EGR, EGR.UG);
    expect(t.read(TIM.CNT)).toBe(0);
    expect(t.read(TIM.SR)).toBe(SR.UIF);
    expect(t.read(TIM.EGR)).toBe(0); // write-only
    // Now ÷10 from cycle 123: the prescaler counter restarted too, so CNT = 1 at 133, 0 at 132.
    expect(t.at(132).read(TIM.CNT)).toBe(0);
    expect(t.at(133).read(TIM.CNT)).toBe(1);
    t.write(TIM.SR, 0);
    t.write(TIM.CR1, CR1.CEN | CR1.URS);
    t.write(TIM.EGR, EGR.UG);
    expect(t.read(TIM.SR)).toBe(0);
    expect(t.read(TIM.CNT)).toBe(0);
    // Update events without UIE: UIF is set by the overflow, 10 · 1000 cycles after that UG.
    expect(t.at(133 + 10_000 - 1).read(TIM.SR)).toBe(0);
    expect(t.at(133 + 10_000).read(TIM.SR)).toBe(SR.UIF);
    expect(t.events).toEqual([]); // no interrupt request, no event
  });

  it('UDIS: no update event at the wrap (no UIF, no preload transfer); UG only restarts the count', () => {
    const t = timer(TIM3).at(0);
    t.write(TIM.ARR, 9);
    t.write(TIM.DIER, DIER.UIE);
    t.write(TIM.CR1, CR1.CEN | CR1.UDIS);
    t.write(TIM.PSC, 1);
    expect(t.next()).toBe(Infinity);
    // Still ÷1 (PSC not transferred): wraps every 10 cycles, CNT = 25 mod 10.
    expect(t.at(25).read(TIM.CNT)).toBe(5);
    expect(t.read(TIM.SR)).toBe(0);
    t.write(TIM.EGR, EGR.UG);
    expect([t.read(TIM.CNT), t.read(TIM.SR)]).toEqual([0, 0]);
    expect(t.at(28).read(TIM.CNT)).toBe(3);
    // UDIS cleared: the next overflow (at 25 + 10) is an update, at ÷1; then ÷2 from there.
    t.write(TIM.CR1, CR1.CEN);
    expect(t.next()).toBe(35);
    t.advance(35);
    expect(t.read(TIM.SR)).toBe(SR.UIF);
    expect(t.at(37).read(TIM.CNT)).toBe(1);
  });

  it('ARR preload: with ARPE the new ARR starts at the next update; without, at once', () => {
    const t = started(TIM3, 0, 99, 0);
    t.write(TIM.CR1, CR1.CEN | CR1.ARPE);
    t.at(30).write(TIM.ARR, 49);
    expect(t.read(TIM.ARR)).toBe(49); // reads the preload register
    expect(t.next()).toBe(100); // this period still counts to 99
    t.advance(100);
    t.write(TIM.SR, 0);
    expect(t.next()).toBe(150); // then 50 ticks

    const u = started(TIM3, 0, 99, 0); // ARPE = 0
    u.at(30).write(TIM.ARR, 49);
    expect(u.next()).toBe(50); // CNT 30 counts to 49: 20 more, then the overflow
    // Lowered below the count: on to 0xFFFF, through 0 without an update, then up to ARR.
    const v = started(TIM3, 0, 99, 0);
    v.at(60).write(TIM.ARR, 49);
    // From 60: 0xFFFF − 60 + 1 steps to 0, 49 to ARR, 1 to the overflow: 65,526 cycles.
    expect(v.next()).toBe(60 + 65_526);
    expect(v.at(60 + 65_476).read(TIM.CNT)).toBe(0);
    expect(v.read(TIM.SR)).toBe(0);
  });

  it('OPM: the update clears CEN, the counter stays at 0 (18.4.1)', () => {
    const t = started(TIM6, 0, 999, 0);
    t.write(TIM.CR1, CR1.CEN | CR1.OPM);
    expect(t.next()).toBe(1000);
    t.advance(1000);
    expect(t.read(TIM.CR1)).toBe(CR1.OPM);
    t.write(TIM.SR, 0);
    expect(t.next()).toBe(Infinity);
    expect(t.at(5000).read(TIM.CNT)).toBe(0);
    expect(t.read(TIM.SR)).toBe(0);
  });

  it('updates while the interrupt waits (masked): UIF once, the count keeps its phase', () => {
    const t = started(TIM6, 99, 9, 0); // 1000 cycles per update
    t.advance(3500); // updates at 1000, 2000, 3000 while nothing cleared UIF
    expect(t.events.map((e) => e.cycles)).toEqual([1000]);
    expect(t.lines).toEqual([[3500, true]]);
    expect(t.read(TIM.CNT)).toBe(5); // 500 cycles into the 4th period: ÷100
    t.write(TIM.SR, 0);
    expect(t.next()).toBe(4000);
  });

  it('ARR 0 blocks the counter (18.4.12)', () => {
    const t = timer(TIM6).at(0);
    t.write(TIM.DIER, DIER.UIE);
    t.write(TIM.CR1, CR1.CEN);
    expect(t.next()).toBe(Infinity);
    expect(t.at(1_000_000).read(TIM.CNT)).toBe(0);
  });

  it('TIM2 (32 bits) counts down with DIR: ARR..0, underflow to ARR', () => {
    const t = timer(TIM2).at(0);
    t.write(TIM.ARR, 9);
    t.write(TIM.CR1, CR1.DIR);
    t.write(TIM.EGR, EGR.UG); // counting down: CNT = ARR
    t.write(TIM.SR, 0);
    t.write(TIM.DIER, DIER.UIE);
    expect(t.read(TIM.CNT)).toBe(9);
    t.write(TIM.CR1, CR1.DIR | CR1.CEN);
    expect(t.at(3).read(TIM.CNT)).toBe(6);
    expect(t.next()).toBe(10); // 9 → 0 in 9 ticks, underflow at the 10th
    t.advance(10);
    expect(t.read(TIM.CNT)).toBe(9);
    expect(t.read(TIM.SR)).toBe(SR.UIF);
  });

  it('TIM2 (32 bits): CNT, ARR and CCRx are 32 bits wide, TIM3 16', () => {
    const t = timer(TIM2).at(0);
    t.write(TIM.ARR, 0xffffffff);
    t.write(TIM.CR1, CR1.CEN);
    // 5·10^9 cycles: 5,000,000,000 − 2^32 = 705,032,704 after one wrap.
    expect(t.at(5e9).read(TIM.CNT)).toBe(705_032_704);
    t.write(TIM.CNT, 0x80000000);
    expect(t.read(TIM.CNT)).toBe(0x80000000);
    expect(t.at(5e9 + 16).read(TIM.CNT)).toBe(0x80000010);
    t.write(TIM.CCR1, 0xdeadbeef);
    expect(t.read(TIM.CCR1)).toBe(0xdeadbeef);
    const u = timer(TIM3);
    u.write(TIM.ARR, 0xffffffff);
    u.write(TIM.CCR4, 0x12345678);
    expect([u.read(TIM.ARR), u.read(TIM.CCR4)]).toEqual([0xffff, 0x5678]);
  });

  it('the timer clock: timclk1 = 84 MHz doubles the period; 100 MHz core / 60 MHz timer rounds up', () => {
    const t = timer(TIM6, { timclk1: 84 * MHZ });
    t.write(TIM.PSC, 8399);
    t.write(TIM.ARR, 99);
    t.write(TIM.EGR, EGR.UG);
    t.write(TIM.SR, 0);
    t.write(TIM.DIER, DIER.UIE);
    t.write(TIM.CR1, CR1.CEN);
    expect(t.next()).toBe(2 * 840_000); // 10 ms at 168 MHz
    const u = timer(TIM6, { hclk: 100 * MHZ, timclk1: 60 * MHZ });
    u.write(TIM.ARR, 1);
    u.write(TIM.DIER, DIER.UIE);
    u.write(TIM.CR1, CR1.CEN);
    // 2 ticks per update, 5/3 cycles per tick: updates at 10/3, 20/3, 10 → cycles 4, 7, 10.
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      const at = u.next();
      seen.push(at);
      u.advance(at);
      u.write(TIM.SR, 0);
    }
    expect(seen).toEqual([4, 7, 10]);
  });

  it('a clock change mid-count re-derives from the current count at the cycle it is seen', () => {
    const t = started(TIM6, 0, 999, 0);
    expect(t.at(400).read(TIM.CNT)).toBe(400);
    t.clocks.timclk1 = 84 * MHZ; // an RCC model's setClocks at cycle 400 (BoardDevices reschedules)
    // 600 steps left at 2 cycles each: the overflow at 400 + 1200.
    expect(t.next()).toBe(1600);
    expect(t.at(1000).read(TIM.CNT)).toBe(700);
  });
});

describe('stm32f4-timer: registers (RM0090 18.4, 20.4)', () => {
  it('SR is rc_w0: 0 clears, 1 leaves; EGR.CCxG/TG set their flags, CC1IE raises the line', () => {
    const t = timer(TIM3);
    t.write(TIM.EGR, EGR.UG | (EGR.CC1G << 2) | EGR.TG); // UIF, CC3IF, TIF
    expect(t.read(TIM.SR)).toBe(SR.UIF | (SR.CC1IF << 2) | SR.TIF);
    t.write(TIM.SR, ~(SR.CC1IF << 2));
    expect(t.read(TIM.SR)).toBe(SR.UIF | SR.TIF);
    t.write(TIM.SR, 0xffff); // writing 1s changes nothing
    expect(t.read(TIM.SR)).toBe(SR.UIF | SR.TIF);
    t.write(TIM.SR, 0, 0xff00); // only the upper byte lane: the flags in the low byte stay
    expect(t.read(TIM.SR)).toBe(SR.UIF | SR.TIF);
    t.write(TIM.DIER, DIER.CC1IE);
    t.write(TIM.EGR, EGR.CC1G);
    expect(t.lines).toEqual([[0, true]]);
    // Channel 1 as an input (CC1S = 01): CC1G captures CNT into CCR1 and, CC1IF being set, sets CC1OF.
    t.write(TIM.CCMR1, 1);
    t.write(TIM.CNT, 77);
    t.write(TIM.EGR, EGR.CC1G);
    expect(t.read(TIM.CCR1)).toBe(77);
    expect(t.read(TIM.SR) & (SR.CC1IF | SR.CC1OF)).toBe(SR.CC1IF | SR.CC1OF);
  });

  it('a basic timer (TIM6/TIM7) has CR1 without DIR/CMS/CKD and no channel registers', () => {
    const t = timer(TIM6);
    t.write(TIM.CR1, 0x3fe);
    expect(t.read(TIM.CR1)).toBe(CR1.UDIS | CR1.URS | CR1.OPM | CR1.ARPE);
    t.write(TIM.CCR1, 5);
    t.write(TIM.SMCR, 5);
    expect([t.read(TIM.CCR1), t.read(TIM.SMCR)]).toEqual([0, 0]);
    t.write(TIM.DIER, 0xffff);
    expect(t.read(TIM.DIER)).toBe(DIER.UIE | DIER.UDE);
    t.write(TIM.CR1, 0); // URS and UDIS clear: UG sets UIF
    t.write(TIM.EGR, 0xff);
    expect(t.read(TIM.SR)).toBe(SR.UIF);
  });

  it('halfword and byte writes merge into the word registers', () => {
    const t = timer(TIM2);
    t.write(TIM.ARR, 0x1234 << 16, 0xffff0000);
    t.write(TIM.ARR, 0x56, 0xff);
    expect(t.read(TIM.ARR)).toBe(0x12340056);
  });
});

describe('stm32f4-timer in board files', () => {
  it('stm32f439: TIM2–TIM7 at their RM0090 addresses and vector-table lines', () => {
    const d = loadBoard('stm32f439')
      .devices.filter((x) => x.model === 'stm32f4-timer')
      .map((x) => [x.name, x.base, x.irq[0], x.params.bits, x.params.channels, x.params.bus]);
    expect(d).toEqual([
      ['TIM2', 0x40000000, 28, 32, 4, 1],
      ['TIM3', 0x40000400, 29, 16, 4, 1],
      ['TIM4', 0x40000800, 30, 16, 4, 1],
      ['TIM5', 0x40000c00, 50, 32, 4, 1],
      ['TIM6', 0x40001000, 54, 16, 0, 1],
      ['TIM7', 0x40001400, 55, 16, 0, 1],
    ]);
  });

  it('the board wires TIM6 to NVIC line 54 and lists the six timers as timed devices', () => {
    let now = 0;
    const lines: [number, boolean][] = [];
    const d = new BoardDevices(loadBoard('stm32f439'), {
      now: () => now,
      setIrqLine: (line, level) => lines.push([line, level]),
      output: () => {},
      followClock: true,
      clockHz: 168 * MHZ,
      reschedule: () => {},
    });
    const timers = d.bus.timed.filter((t) => t.model === 'stm32f4-timer').map((t) => t.name);
    expect(timers).toEqual(['TIM2', 'TIM3', 'TIM4', 'TIM5', 'TIM6', 'TIM7']);
    d.bus.write(0x40001000 + TIM.ARR, 2, 9); // a halfword store
    d.bus.write(0x40001000 + TIM.DIER, 4, DIER.UIE);
    d.bus.write(0x40001000 + TIM.CR1, 1, CR1.CEN); // a byte store
    const tim6 = d.bus.deviceAt(0x40001000)!;
    expect(tim6.nextEvent!()).toBe(10);
    now = 10;
    tim6.advance!(10);
    expect(lines).toEqual([[54, true]]);
    expect(d.events).toEqual([{ cycles: 10, device: 'TIM6', kind: 'update', index: 0, value: 1 }]);
    expect(d.bus.read(0x40001000 + TIM.SR, 4)).toBe(SR.UIF);
  });

  it('a parameter that is not one of its values is refused with the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'm4sim-timer-'));
    try {
      const board = JSON.parse(readFileSync(join(projectRoot(), 'boards', 'stm32f439.json'), 'utf8'));
      board.peripherals[1].params.bits = 24;
      const file = join(dir, 'b.json');
      writeFileSync(file, JSON.stringify(board));
      expect(() => loadBoard(file)).toThrow(
        `${file}: peripherals[1].params.bits: expected one of 16, 32, got 24`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
