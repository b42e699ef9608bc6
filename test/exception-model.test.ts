// The exception model on real firmware (real arm-none-eabi-gcc, the real Unicorn engine): SVC,
// PendSV, SysTick, WFI, masking, tail-chaining, faults through the vector table, MSP/PSP high-water.
// Expected cycles are hand counts: exception entry 12, return 10, tail-chain 6 (Cortex-M4 TRM,
// exception handling), `bx lr` 1 + P with P = 2 (TRM Table 3-1), MOVS/SUBS 1, `bne` 1 (+P taken),
// STRB Rx,[Ry],#imm 1 (TRM 3.3.2: a store's data phase overlaps the next instruction).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { loadElf } from '../src/emulator/machine.js';
import { SymbolTable } from '../src/elf/symbols.js';
import { findToolchain, siblingTool } from '../src/toolchain/toolchain.js';
import { buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { cli, simulate } from './helpers/run.js';

function taken(r: ReturnType<typeof simulate>['result'], name: string) {
  return r.exceptions.taken.find((t) => t.name === name);
}

function symbol(elfPath: string, name: string): number {
  const address = new SymbolTable(loadElf(readFileSync(elfPath), elfPath)).address(name);
  if (address === null || address === undefined) throw new Error(`no symbol ${name}`);
  return address;
}

describe.skipIf(!haveToolchain)('exception model on firmware', () => {
  test('SVC: the handler reads the immediate from the stacked PC and rewrites the stacked R0; PendSV costs 12 + 3 + 10', () => {
    const elf = buildTestFirmware('em-svc');
    const { result } = simulate(elf);
    expect(result.exit).toMatchObject({ reason: 'exit', code: 42 + 7 });
    expect(taken(result, 'SVCall')?.count).toBe(2);
    expect(taken(result, 'PendSV')).toMatchObject({ count: 1, selfCycles: 12 + 3 + 10 });
    expect(result.exceptions.sleepCycles).toBe(0);
  });

  test('MSP and PSP high-water exact to the byte, exception frames included', () => {
    const elf = buildTestFirmware('em-svc');
    const { result } = simulate(elf);
    // MSP: the 32-byte frame of `svc #42` + SVC_Handler's push {r4, lr}.
    expect(result.sram.msp).toBe(32 + 8);
    expect(result.sram.stack).toBe(32 + 8);
    // PSP: push {r0-r3} + the 32-byte frame of `svc #7`, below psp_top.
    const top = symbol(elf, 'psp_top');
    expect(result.sram.psp).toEqual({
      lowest: top - 16 - 32,
      stacks: [{ symbol: 'psp_stack', base: top - 256, size: 256, lowest: top - 48, highWater: 48 }],
    });
  });

  test('WFI sleeps until SysTick: three ticks of RVR 999, sleep cycles counted exactly', () => {
    const { result } = simulate(buildTestFirmware('em-wfi'));
    expect(result.exit).toMatchObject({ reason: 'exit', code: 3 });
    expect(taken(result, 'SysTick')).toMatchObject({ count: 3, selfCycles: 3 * (12 + 3 + 10) });
    // 1000 - 1 (the CSR store, counted from its start), then 1000 - (25 + 1 + 1 + 2) twice.
    expect(result.exceptions.sleepCycles).toBe(999 + 971 + 971);
    expect(result.sram.msp).toBe(32);
    expect(result.sram.psp).toBeNull();
  });

  test('BASEPRI keeps SysTick and PendSV pending; unmasked, SysTick runs and PendSV tail-chains', () => {
    const elf = buildTestFirmware('em-chain');
    const log = symbol(elf, 'log');
    const { result } = simulate(elf, { collect: [{ name: 'log', address: log, length: 3 }] });
    expect(result.exit).toMatchObject({ reason: 'exit', code: 0 });
    expect(Buffer.from(result.collected.log!).toString('latin1')).toBe('ASB');
    // SysTick: entry + movs + strb + bx lr, no return (it tail-chains); PendSV: tail-chain + bx lr + return.
    expect(taken(result, 'SysTick')).toMatchObject({ count: 1, selfCycles: 12 + 1 + 1 + 3 });
    expect(taken(result, 'PendSV')).toMatchObject({ count: 1, selfCycles: 6 + 3 + 10 });
  });

  test('a HardFault handler reads CFSR, HFSR and BFAR after an unmapped read (BusFault escalated)', () => {
    const { result, output } = simulate(buildTestFirmware('em-fault'));
    expect(output).toBe(
      'em-fault\nHardFault: cfsr=0x00008200 hfsr=0x40000000 bfar=0x30000000 stacked pc is the faulting ldr: yes\n',
    );
    expect(result.exit).toMatchObject({ reason: 'exit', code: 7 });
  });

  test('with SHCSR.BUSFAULTENA the BusFault handler takes it and HFSR stays 0', () => {
    const { output } = simulate(buildTestFirmware('em-fault', { defines: { BUSFAULT_ENABLED: 1 } }));
    expect(output).toBe(
      'em-fault\nBusFault: cfsr=0x00008200 hfsr=0x00000000 bfar=0x30000000 stacked pc is the faulting ldr: yes\n',
    );
  });

  test('a fault inside HardFault is a lockup: one line, the status of the fault', () => {
    const { result } = simulate(buildTestFirmware('em-fault', { defines: { LOCKUP: 1 } }));
    expect(result.exit.reason).toBe('memory-fault');
    expect(result.exit.code).toBe(139);
    expect(result.exit.message).toMatch(
      /^lockup: read from unmapped address 0x30000004, 4 bytes while HardFault is active at fault_report\+0x[0-9a-f]+ \(pc 0x[0-9a-f]{8}\)$/,
    );
  });

  test('bad input: a vector without the Thumb bit, stack overflow while stacking, a reserved EXC_RETURN', () => {
    const a = simulate(buildTestFirmware('em-svc', { defines: { NO_THUMB_BIT: 1 } })).result;
    expect(a.exit.code).toBe(132);
    expect(a.exit.message).toMatch(
      /^vector table entry for SVCall \(0x[0-9a-f]{8}\) has no Thumb bit \(INVSTATE UsageFault\) at Reset_Handler\+0x2 \(pc 0x[0-9a-f]{8}\)$/,
    );
    const c = simulate(buildTestFirmware('em-svc', { defines: { STACKING_OVERFLOW: 1 } })).result;
    expect(c.exit.code).toBe(134);
    expect(c.exit.message).toMatch(
      /^stack overflow into \.bss: SP would reach 0x[0-9a-f]{8} in Reset_Handler /,
    );
    const b = simulate(buildTestFirmware('em-svc', { defines: { BAD_EXC_RETURN: 1 } })).result;
    expect(b.exit.code).toBe(132);
    expect(b.exit.message).toBe(
      'exception return from PendSV to EXC_RETURN 0xfffffff5: not a valid EXC_RETURN value (INVPC UsageFault) at 0xfffffff5 (unmapped)',
    );
  });

  test('--json carries exceptions, sleepCycles, sram.msp and sram.psp', () => {
    const elf = buildTestFirmware('em-svc');
    const run = cli(['simulate', elf, '--json']);
    expect(run.status).toBe(49);
    const j = JSON.parse(run.stdout) as {
      exceptions: {
        taken: { name: string; count: number; selfCycles: number; maxStack: number }[];
        sleepCycles: number;
      };
      sram: { msp: number; psp: { lowest: number; stacks: { symbol: string; highWater: number }[] } };
    };
    expect(j.exceptions.sleepCycles).toBe(0);
    expect(j.exceptions.taken.map((t) => [t.name, t.count])).toEqual([
      ['SVCall', 2],
      ['PendSV', 1],
    ]);
    // PendSV: its 32-byte frame on MSP, nothing below it.
    expect(j.exceptions.taken[1]!.maxStack).toBe(32);
    // SVCall: the frame of svc #42 on MSP + push {r4, lr}.
    expect(j.exceptions.taken[0]!.maxStack).toBe(32 + 8);
    expect(j.sram.msp).toBe(40);
    expect(j.sram.psp.stacks).toEqual([expect.objectContaining({ symbol: 'psp_stack', highWater: 48 })]);
  });
});

describe.skipIf(!haveToolchain)('system reset', () => {
  test('AIRCR.SYSRESETREQ ends the run: status 143, the output so far, the PC of the store to AIRCR', () => {
    const elf = buildTestFirmware('system-reset');
    const r = cli(['simulate', elf]);
    expect(r.status).toBe(143);
    expect(r.stdout).toBe('resetting\n');
    const m =
      /system-reset: the firmware requested a system reset \(AIRCR\.SYSRESETREQ\) at main\+0x([0-9a-f]+) \(pc 0x([0-9a-f]{8})\)/.exec(
        r.stderr,
      );
    expect(m).not.toBeNull();
    // The reported PC is the store to AIRCR, as binutils disassembles main.
    const pc = Number.parseInt(m![2]!, 16);
    expect(pc - symbol(elf, 'main')).toBe(Number.parseInt(m![1]!, 16));
    const objdump = siblingTool(findToolchain()!.gcc, 'objdump')!;
    const listing = execFileSync(objdump, ['-d', '--disassemble=main', elf], { encoding: 'utf8' });
    const line = listing.split('\n').find((l) => l.trim().startsWith(`${pc.toString(16)}:`));
    expect(line).toMatch(/\tstr(\.w)?\t/);
  });
});
