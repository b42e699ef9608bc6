// The exception model against an independent emulator (issue 9). Each test firmware in
// test/firmware/exc-*.c builds twice from the same source: for QEMU's mps2-an386
// (test/firmware/qemu-mps2-an386.ld) and for m4sim's m4-256k (firmware/board/m4-256k.ld). The
// transcripts and statuses below are written by hand from the ARMv7-M ARM (DDI 0403, B1.5 exception
// model, B3 system registers), not captured from either emulator; QEMU must print them exactly, and
// so must m4sim (the second describe).
import { describe, expect, it } from 'vitest';
import { buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { haveQemu, QEMU_LINKER_SCRIPT, runQemu } from './helpers/qemu.js';
import { simulate } from './helpers/run.js';

interface Expected {
  status: number;
  transcript: string;
}

const EXPECTED: Record<string, Expected> = {
  // SVC immediates read from the stacked PC, results through the stacked R0, frames on MSP: the
  // extended frame (26 words) while CONTROL.FPCA is set (newlib's printf used the FPU), the basic one
  // (8 words) after clearing it; at SP = 4 mod 8 four bytes of padding and xPSR bit 9 (B1.5.7).
  'exc-svc': {
    status: 21,
    transcript: [
      'exc-svc',
      'thread: ipsr=0 control=0',
      'svc #1 add(40, 2) = 42',
      'handler: ipsr=11 exc_return=0xffffffe9 control=0',
      'svc #2 madd(6, 7, 100, 1000) = 1142',
      'svc #42 immediate = 42',
      'svc at sp%8==0, extended frame: 104 bytes below sp, xpsr bit9=0, exc_return=0xffffffe9',
      'svc at sp%8==4, extended frame: 108 bytes below sp, xpsr bit9=1, exc_return=0xffffffe9',
      'svc at sp%8==0, basic frame: 32 bytes below sp, xpsr bit9=0, exc_return=0xfffffff9',
      'svc at sp%8==4, basic frame: 36 bytes below sp, xpsr bit9=1, exc_return=0xfffffff9',
      'calls: 7',
      'PASS',
      '',
    ].join('\n'),
  },
  // 10 SysTick exceptions (IPSR 15), COUNTFLAG cleared by a CVR write and by reading it, set by a
  // wrap (B3.3.3); ICSR.PENDSTSET pends SysTick by software.
  'exc-systick': {
    status: 22,
    transcript: [
      'exc-systick',
      'rvr=999 cvr after write=0',
      'ticks counted: 10, handler ipsr=15',
      'stopped: counter holds: yes, tick pending: 0',
      'countflag: after cvr write 0, after a wrap 1, after reading it 0',
      'ticks while TICKINT was clear: 0',
      'after ICSR.PENDSTSET: ticks 11',
      'PASS',
      '',
    ].join('\n'),
  },
  // PendSV pended in the 3rd SysTick runs after it returns (tail-chain), before the 4th tick.
  'exc-pendsv': {
    status: 23,
    transcript: [
      'exc-pendsv',
      'order: T1 T2 T3+ T3- P T4 main',
      'pendsv pending inside systick: 1, pendsv runs: 1',
      'vectactive: systick 15, pendsv 14',
      'pendsv exc_return: 0xfffffff9',
      'from thread: P after-pend',
      'PASS',
      '',
    ].join('\n'),
  },
  // IRQ 28 (L), 29 (M), 30 (H): IPSR = 16 + n; preemption, tail-chaining, BASEPRI, BASEPRI_MAX,
  // PRIMASK, PRIGROUP 5 subpriority, exception-number order at equal priority, ICPR.
  'exc-priorities': {
    status: 24,
    transcript: [
      'exc-priorities',
      'vtor at our table: yes',
      'nested: L+ M+ H+ H- M- L- T',
      'ipsr: L 44 M 45 H 46',
      'tail-chained: H+ H- M+ M- L+ L- T',
      'basepri: M-pending H+ H- basepri-max-kept basepri-max-raised unmask M+ M- T',
      'primask: H-pending cpsie H+ H- M+ M- L+ L- T',
      'prigroup: 5',
      'subpriority: M+ M- L+ H+ H- L- T',
      'pending order: L+ L- M+ M- T',
      'equal priority: L+ L- M+ M- H+ H- T',
      'cleared: T',
      'PASS',
      '',
    ].join('\n'),
  },
  // Two PSP threads switched by PendSV from SysTick, FP context kept (s0-s15 by the extended frame,
  // s16-s31 by the handler). The sums are the IEEE single-precision sums of k = 1..20000 in that
  // order (1/k^2 and the Leibniz series for pi), computed on the host with float32 rounding.
  'exc-threads': {
    status: 25,
    transcript: [
      'exc-threads',
      'back in main: ipsr=0, threads done: 1 1',
      'thread 0: sum 1/k^2 = 1.644725',
      'thread 1: leibniz pi = 3.141547',
      'fp registers kept: yes yes',
      'interleaved: yes yes',
      'PASS',
      '',
    ].join('\n'),
  },
  // A load from unmapped 0x30000000: precise BusFault escalated to HardFault (BusFault disabled):
  // CFSR = PRECISERR (bit 9) | BFARVALID (bit 15), HFSR = FORCED (bit 30), BFAR = the address.
  'exc-hardfault': {
    status: 26,
    transcript: [
      'exc-hardfault',
      'before: cfsr=0x00000000 hfsr=0x00000000 shcsr=0x00000000',
      'hardfault: ipsr=3 exc_return=0xffffffe9',
      'cfsr=0x00008200 hfsr=0x40000000 bfar=0x30000000',
      'stacked pc is the faulting ldr: yes, stacked r0=0x30000000',
      'PASS',
      '',
    ].join('\n'),
  },
  // Five WFIs, each woken by one SysTick; with PRIMASK set WFI wakes but the tick stays pending.
  'exc-wfi': {
    status: 27,
    transcript: [
      'exc-wfi',
      'wake-ups: 5, one tick each: yes',
      'wfi with primask: ticks while masked 0, pending 1, after cpsie 1',
      'PASS',
      '',
    ].join('\n'),
  },
  // Configurable faults with their handlers enabled in SHCSR, each recovered from: UFSR bits
  // UNDEFINSTR (16), INVSTATE (17), NOCP (19), UNALIGNED (24), DIVBYZERO (25); BFSR PRECISERR (9) and
  // BFARVALID (15). Without the CCR traps, SDIV by zero gives 0 and an unaligned LDR is allowed
  // (little-endian: bytes 0x22 0x11 0x88 0x77 from offset 2).
  'exc-faults': {
    status: 28,
    transcript: [
      'exc-faults',
      'udf        faults=1 ipsr=6 cfsr=0x00010000',
      'sdiv 7/0 without DIV_0_TRP = 0',
      'sdiv       faults=1 ipsr=6 cfsr=0x02000000',
      'unaligned ldr without UNALIGN_TRP = 0x77881122',
      'unaligned  faults=1 ipsr=6 cfsr=0x01000000',
      'nocp       faults=1 ipsr=6 cfsr=0x00080000',
      'invstate   faults=1 ipsr=6 cfsr=0x00020000',
      'bfar=0x30000000',
      'bus        faults=1 ipsr=5 cfsr=0x00008200',
      'cfsr after clearing: 0x00000000 hfsr=0x00000000',
      'PASS',
      '',
    ].join('\n'),
  },
  // Thread mode on PSP (CONTROL.SPSEL): the SVC frame 32 bytes below the PSP top, EXC_RETURN
  // 0xFFFFFFFD, the handler on MSP with CONTROL.SPSEL read as 0; unprivileged MSR CONTROL and CPSID
  // ignored, privilege given back by an SVC handler.
  'exc-psp': {
    status: 29,
    transcript: [
      'exc-psp',
      'thread on psp: sp==top yes, control=2',
      'svc from psp: exc_return=0xfffffffd frame==psp-32 yes, r0=0x1234, handler sp==msp yes, handler control=0',
      'psp restored after return: yes, msp unchanged: yes',
      'unprivileged: control=1, after msr control,0: 1, primask after cpsid: 0, after svc #6: 0',
      'PASS',
      '',
    ].join('\n'),
  },
};

const NAMES = Object.keys(EXPECTED);

if (!haveQemu)
  console.log(
    'exceptions-qemu: qemu-system-arm not found (apt-get install qemu-system-arm): QEMU runs skipped',
  );

describe.skipIf(!haveToolchain || !haveQemu)('exception firmwares in QEMU mps2-an386', () => {
  for (const name of NAMES) {
    it(`QEMU runs ${name} as the architecture says, twice the same`, () => {
      const elf = buildTestFirmware(name, { linkerScript: QEMU_LINKER_SCRIPT, variant: `${name}-qemu` });
      const first = runQemu(elf);
      expect(first.timedOut).toBe(false);
      expect(first.stdout).toBe(EXPECTED[name]!.transcript);
      expect(first.status).toBe(EXPECTED[name]!.status);
      const second = runQemu(elf);
      expect(second.stdout).toBe(first.stdout);
      expect(second.status).toBe(first.status);
    }, 60_000);
  }
});

describe.skipIf(!haveToolchain || !haveQemu)('the QEMU helper', () => {
  it('kills a firmware that never exits after the timeout', () => {
    const elf = buildTestFirmware('forever', {
      linkerScript: QEMU_LINKER_SCRIPT,
      variant: 'forever-qemu',
    });
    const started = Date.now();
    const run = runQemu(elf, 1000);
    expect(run.timedOut).toBe(true);
    expect(run.status).toBe(null);
    expect(Date.now() - started).toBeLessThan(5000);
  }, 30_000);
});

describe.skipIf(!haveToolchain)('exception firmwares in m4sim (the same transcripts as QEMU)', () => {
  for (const name of NAMES) {
    it(`m4sim runs ${name} like QEMU`, () => {
      const { result, output } = simulate(buildTestFirmware(name), {
        maxInstructions: 50_000_000,
        timeoutMs: 30_000,
      });
      expect(output).toBe(EXPECTED[name]!.transcript);
      expect(result.exit.code).toBe(EXPECTED[name]!.status);
    }, 120_000);
  }
});
