// The exception state machine and the SysTick/NVIC/SCB register models without Unicorn, against
// values derived by hand from the ARMv7-M ARM (DDI 0403): B1.5.4 priorities, B1.5.6 PushStack,
// B1.5.8 EXC_RETURN and PopStack, B1.5.12 tail-chaining, B3.2 SCB, B3.3 SysTick, B3.4 NVIC.
import { describe, expect, test } from 'vitest';
import {
  decodeExcReturn,
  entryFrame,
  EXC,
  excReturnValue,
  ExceptionState,
  NO_PRIORITY,
  returnSp,
} from '../src/emulator/exceptions.js';
import { Nvic } from '../src/emulator/peripherals/nvic.js';
import { Scb } from '../src/emulator/peripherals/scb.js';
import { SysTick, SYST_CSR, SYST_CVR, SYST_RVR } from '../src/emulator/peripherals/systick.js';

const none = { primask: 0, faultmask: 0, basepri: 0 };

describe('frame layout (B1.5.6 PushStack, B1.5.8 PopStack)', () => {
  test('basic frame: 32 bytes; with STKALIGN a padding word when SP is 4 mod 8, marked in xPSR bit 9', () => {
    expect(entryFrame(0x20001000, 0x01000000, true, false)).toEqual({
      sp: 0x20000fe0,
      size: 0x20,
      padding: 0,
      xpsr: 0x01000000,
    });
    // 0x20000ffc - 0x20 = 0x20000fdc, bit 2 cleared: 0x20000fd8.
    expect(entryFrame(0x20000ffc, 0x01000000, true, false)).toEqual({
      sp: 0x20000fd8,
      size: 0x20,
      padding: 4,
      xpsr: 0x01000200,
    });
    // Without STKALIGN no alignment: 0x20000fdc, bit 9 clear even if it was set.
    expect(entryFrame(0x20000ffc, 0x01000200, false, false)).toEqual({
      sp: 0x20000fdc,
      size: 0x20,
      padding: 0,
      xpsr: 0x01000000,
    });
  });

  test('extended frame: 104 bytes, always 8-byte aligned', () => {
    // 0x20001000 - 0x68 = 0x20000f98 (bit 2 clear); 0x20000ffc - 0x68 = 0x20000f94 → 0x20000f90.
    expect(entryFrame(0x20001000, 0, false, true).sp).toBe(0x20000f98);
    expect(entryFrame(0x20000ffc, 0, false, true)).toMatchObject({ sp: 0x20000f90, size: 0x68, padding: 4 });
  });

  test('return SP: frame + size + 4 when the stacked xPSR has bit 9', () => {
    expect(returnSp(0x20000fd8, 0x01000200, false)).toBe(0x20000ffc);
    expect(returnSp(0x20000fe0, 0x01000000, false)).toBe(0x20001000);
    expect(returnSp(0x20000f90, 0x200, true)).toBe(0x20000ffc);
  });

  test('EXC_RETURN values (Table B1-8) and their decoding', () => {
    expect(excReturnValue(false, false, false)).toBe(0xfffffff9);
    expect(excReturnValue(false, true, false)).toBe(0xfffffffd);
    expect(excReturnValue(true, false, false)).toBe(0xfffffff1);
    expect(excReturnValue(true, true, false)).toBe(0xfffffff1); // Handler mode always uses MSP
    expect(excReturnValue(false, false, true)).toBe(0xffffffe9);
    expect(excReturnValue(false, true, true)).toBe(0xffffffed);
    expect(excReturnValue(true, false, true)).toBe(0xffffffe1);
    expect(decodeExcReturn(0xfffffffd)).toEqual({ toHandler: false, psp: true, fp: false });
    expect(decodeExcReturn(0xffffffe1)).toEqual({ toHandler: true, psp: false, fp: true });
    expect(decodeExcReturn(0xfffffff5)).toBeNull(); // reserved low bits
    expect(decodeExcReturn(0xfffffff0)).toBeNull();
    expect(decodeExcReturn(0xeffffff9)).toBeNull();
  });
});

describe('priorities (B1.5.4)', () => {
  test('4 implemented bits: the low nibble reads as zero; fixed priorities of Reset, NMI, HardFault', () => {
    const s = new ExceptionState();
    s.setPriority(EXC.SysTick, 0x8f);
    expect(s.priorityOf(EXC.SysTick)).toBe(0x80);
    expect(s.priorityOf(EXC.Reset)).toBe(-3);
    expect(s.priorityOf(EXC.NMI)).toBe(-2);
    expect(s.priorityOf(EXC.HardFault)).toBe(-1);
    s.setPriority(EXC.HardFault, 0x10); // not configurable
    expect(s.priorityOf(EXC.HardFault)).toBe(-1);
  });

  test('execution priority: active group priority, BASEPRI, PRIMASK (0), FAULTMASK (-1)', () => {
    const s = new ExceptionState();
    expect(s.executionPriority(none)).toBe(NO_PRIORITY);
    expect(s.executionPriority({ ...none, basepri: 0x40 })).toBe(0x40);
    expect(s.executionPriority({ ...none, primask: 1, basepri: 0x40 })).toBe(0);
    expect(s.executionPriority({ ...none, faultmask: 1 })).toBe(-1);
    s.setPriority(EXC.PendSV, 0xf0);
    s.activate(EXC.PendSV);
    expect(s.executionPriority(none)).toBe(0xf0);
    expect(s.executionPriority({ ...none, basepri: 0x20 })).toBe(0x20);
  });

  test('BASEPRI masks equal and lower priorities; pending stays pending', () => {
    const s = new ExceptionState();
    s.setPriority(EXC.SysTick, 0x80);
    s.pending[EXC.SysTick] = 1;
    expect(s.toTake({ ...none, basepri: 0x80 })).toBeNull();
    expect(s.maskedPending({ ...none, basepri: 0x80 })).toBe(true);
    expect(s.toTake({ ...none, basepri: 0x90 })).toBe(EXC.SysTick);
    expect(s.toTake(none)).toBe(EXC.SysTick);
  });

  test('PRIGROUP: only the group priority preempts; subpriority orders pending ones', () => {
    const s = new ExceptionState();
    s.prigroup = 5; // bits [5:0] subpriority: group = priority & 0xc0
    s.setPriority(16, 0x70); // IRQ0: group 0x40, sub 0x30
    s.setPriority(17, 0x40); // IRQ1: group 0x40, sub 0x00
    s.setPriority(18, 0x30); // IRQ2: group 0x00
    s.enabled.fill(1);
    s.activate(16);
    s.pending[17] = 1;
    expect(s.toTake(none)).toBeNull(); // same group: no preemption even with a better subpriority
    s.pending[18] = 1;
    expect(s.toTake(none)).toBe(18);
  });

  test('ties: the lowest exception number; disabled interrupts are not taken', () => {
    const s = new ExceptionState();
    s.pending[EXC.SysTick] = 1;
    s.pending[EXC.PendSV] = 1;
    expect(s.nextPending()).toBe(EXC.PendSV);
    const t = new ExceptionState();
    t.pending[16 + 3] = 1;
    expect(t.nextPending()).toBeNull();
    t.enabled[3] = 1;
    expect(t.nextPending()).toBe(16 + 3);
  });

  test('tail-chain decision at exception return (B1.5.12)', () => {
    const s = new ExceptionState();
    s.setPriority(EXC.SysTick, 0x00);
    s.setPriority(EXC.PendSV, 0xf0);
    s.activate(EXC.SysTick);
    s.pending[EXC.PendSV] = 1;
    expect(s.toTake(none)).toBeNull(); // lower priority: waits while SysTick runs
    expect(s.deactivate(none)).toEqual({ returned: EXC.SysTick, tailChain: EXC.PendSV });
    // Returning to a handler that already runs at PendSV's priority: no tail-chain.
    const t = new ExceptionState();
    t.setPriority(EXC.PendSV, 0xf0);
    t.setPriority(EXC.SVCall, 0xf0);
    t.activate(EXC.SVCall);
    t.activate(EXC.SysTick);
    t.pending[EXC.PendSV] = 1;
    expect(t.deactivate(none)).toEqual({ returned: EXC.SysTick, tailChain: null });
  });

  test('fault escalation: a disabled or non-preempting fault becomes HardFault', () => {
    const s = new ExceptionState();
    expect(s.faultTarget(EXC.BusFault, none)).toBe(EXC.HardFault);
    s.faultEnabled.busFault = true;
    expect(s.faultTarget(EXC.BusFault, none)).toBe(EXC.BusFault);
    s.activate(EXC.BusFault); // a BusFault in the BusFault handler
    expect(s.faultTarget(EXC.BusFault, none)).toBe(EXC.HardFault);
  });
});

describe('SysTick (B3.3) on a given clock', () => {
  test('RVR 999: fires every 1000 cycles after enable with CVR 0; CVR counts down; COUNTFLAG clears on read', () => {
    let now = 100;
    const st = new SysTick(() => now);
    st.writeWord(SYST_RVR, 999);
    st.writeWord(SYST_CVR, 12345);
    expect(st.readWord(SYST_CVR)).toBe(0);
    st.writeWord(SYST_CSR, 7);
    expect(st.nextInterrupt()).toBe(1100);
    now = 101;
    expect(st.readWord(SYST_CVR)).toBe(999); // the first clock reloads
    now = 1099;
    expect(st.readWord(SYST_CVR)).toBe(1);
    expect(st.readWord(SYST_CSR) >>> 16).toBe(0);
    now = 1100;
    expect(st.readWord(SYST_CVR)).toBe(0);
    expect(st.readWord(SYST_CSR)).toBe(0x10007);
    expect(st.readWord(SYST_CSR)).toBe(7);
    now = 1101;
    expect(st.readWord(SYST_CVR)).toBe(999);
    st.deliver(1100);
    expect(st.nextInterrupt()).toBe(2100);
    st.deliver(5000); // late: the ticks missed in between pend once
    expect(st.nextInterrupt()).toBe(5100);
  });

  test('no TICKINT or RVR 0: no interrupt; disabled: the counter holds', () => {
    let now = 0;
    const st = new SysTick(() => now);
    st.writeWord(SYST_RVR, 99);
    st.writeWord(SYST_CSR, 5); // ENABLE | CLKSOURCE
    expect(st.nextInterrupt()).toBe(Infinity);
    now = 30;
    st.writeWord(SYST_CSR, 4); // stop at 100 - 30 = 70
    now = 500;
    expect(st.readWord(SYST_CVR)).toBe(70);
    st.writeWord(SYST_RVR, 0);
    st.writeWord(SYST_CVR, 0);
    st.writeWord(SYST_CSR, 7);
    expect(st.nextInterrupt()).toBe(Infinity);
  });
});

describe('NVIC (B3.4) and SCB (B3.2) registers', () => {
  test('ISER/ICER/ISPR/ICPR bits, IPR bytes, STIR', () => {
    const s = new ExceptionState();
    const nvic = new Nvic(s);
    nvic.writeWord(0xe000e104, 1 << 3, 0xffffffff); // ISER1 bit 3: IRQ35
    expect(s.enabled[35]).toBe(1);
    expect(nvic.readWord(0xe000e104)).toBe(1 << 3);
    expect(nvic.readWord(0xe000e184)).toBe(1 << 3);
    nvic.writeWord(0xe000e184, 1 << 3, 0xffffffff);
    expect(s.enabled[35]).toBe(0);
    nvic.writeWord(0xe000e200, 0x5, 0xffffffff); // ISPR0: IRQ0, IRQ2
    expect([s.pending[16], s.pending[17], s.pending[18]]).toEqual([1, 0, 1]);
    nvic.writeWord(0xe000e280, 0x1, 0xffffffff);
    expect(s.pending[16]).toBe(0);
    nvic.writeWord(0xe000e408, 0xab << 8, 0xff00); // IPR byte of IRQ9
    expect(s.priorityOf(16 + 9)).toBe(0xa0);
    expect(nvic.readWord(0xe000e408)).toBe(0xa0 << 8);
    nvic.softwareTrigger(239);
    expect(s.pending[16 + 239]).toBe(1);
    nvic.softwareTrigger(240); // beyond the lines: ignored
    expect(s.pending.length).toBe(16 + 240);
  });

  test('ICSR pend bits and VECTACTIVE; AIRCR needs VECTKEY; SHPR bytes; CFSR write-one-to-clear', () => {
    const s = new ExceptionState();
    const scb = new Scb(s, new Nvic(s));
    scb.writeWord(0xe000ed04, (1 << 28) | (1 << 26), 0xffffffff);
    expect([s.pending[EXC.PendSV], s.pending[EXC.SysTick]]).toEqual([1, 1]);
    expect(scb.readWord(0xe000ed04)).toBe((1 << 28) | (1 << 26) | (14 << 12) | (1 << 11));
    s.activate(EXC.SysTick);
    expect(scb.readWord(0xe000ed04) & 0x1ff).toBe(15);
    scb.writeWord(0xe000ed0c, 0x0000_0500, 0xffffffff); // no key: ignored
    expect(s.prigroup).toBe(0);
    scb.writeWord(0xe000ed0c, 0x05fa_0300, 0xffffffff);
    expect(s.prigroup).toBe(3);
    expect(scb.readWord(0xe000ed0c)).toBe(0xfa050300);
    scb.writeWord(0xe000ed20, 0xf0 << 24, 0xff000000); // SHPR3 byte 3: SysTick
    expect(s.priorityOf(EXC.SysTick)).toBe(0xf0);
    scb.cfsr = 0x8200;
    scb.writeWord(0xe000ed28, 0x200, 0xffffffff);
    expect(scb.readWord(0xe000ed28)).toBe(0x8000);
  });
});
