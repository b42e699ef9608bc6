// Architectural traps as on silicon (issue 8 item 7), through the real compiler and engine:
// CCR.DIV_0_TRP and CCR.UNALIGN_TRP (ARMv7-M ARM B3.2.8), the always-aligned accesses of A3.2.1 and
// CPACR CP10/CP11 (B3.2.20). test/firmware/traps.S runs one case per run (preloaded `trap_case`);
// expected PCs come from arm-none-eabi-nm (the at_<case> label at each trapping instruction), not
// from m4sim's own ELF reader.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { findToolchain, siblingTool } from '../src/toolchain/toolchain.js';
import { hex } from '../src/util/units.js';
import { blockTrapChecks, TRAP_ALIGN, TRAP_FP, TRAP_UNALIGN } from '../src/emulator/trap-checks.js';
import { assembleAndDisasm, armToolsMissingReason } from './helpers/assemble.js';
import { buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { simulate } from './helpers/run.js';

const CASES = [
  'div0_trap',
  'div0_clear',
  'udiv_folded',
  'ldr_trap',
  'ldr_clear',
  'ldrd_unaligned',
  'aligned',
  'ldm_unaligned',
  'fp_denied',
  'fp_enabled',
  'div0_skipped',
  'ldrex_loaded',
] as const;
type Case = (typeof CASES)[number];

/** Symbol → address (Thumb bit cleared), from arm-none-eabi-nm. */
function nmSymbols(elf: string): Map<string, number> {
  const nm = siblingTool(findToolchain()!.gcc, 'nm');
  if (!nm) throw new Error('arm-none-eabi-nm not found beside the compiler');
  const out = new Map<string, number>();
  for (const line of execFileSync(nm, [elf], { encoding: 'utf8' }).split('\n')) {
    const m = /^([0-9a-f]{8}) \w (\S+)$/.exec(line);
    if (m) out.set(m[2]!, (parseInt(m[1]!, 16) & ~1) >>> 0);
  }
  return out;
}

describe.skipIf(!haveToolchain)('UsageFaults of the Cortex-M4 (CCR, CPACR, alignment)', () => {
  const elf = haveToolchain ? buildTestFirmware('traps') : '';
  const syms = haveToolchain ? nmSymbols(elf) : new Map<string, number>();
  const sym = (name: string): number => {
    const a = syms.get(name);
    if (a === undefined) throw new Error(`no symbol ${name} in ${elf}`);
    return a;
  };
  const run = (c: Case) => {
    const { result } = simulate(elf, {
      preload: [
        { address: sym('trap_case'), bytes: new Uint8Array(new Uint32Array([CASES.indexOf(c)]).buffer) },
      ],
      collect: [{ name: 'probe', address: sym('trap_probe'), length: 4 }],
      maxInstructions: 10_000,
    });
    const probe = new DataView(result.collected.probe!.buffer).getUint32(0, true);
    return { exit: result.exit, probe, instructions: result.instructions };
  };
  /** `case_<c>+0x<offset> (pc 0x…)` for the at_<c> label. */
  const place = (c: Case) => {
    const pc = sym(`at_${c}`);
    return { pc, text: `case_${c}+0x${(pc - sym(`case_${c}`)).toString(16)} (pc ${hex(pc)})` };
  };

  it('SDIV by zero with DIV_0_TRP set: DIVBYZERO (136) before the block runs', () => {
    const { exit, probe } = run('div0_trap');
    const at = place('div0_trap');
    expect(exit).toEqual({
      reason: 'divide-by-zero',
      code: 136,
      message: `UsageFault (CFSR.DIVBYZERO): SDIV by zero with CCR.DIV_0_TRP set at ${at.text}`,
      pc: at.pc,
      location: at.text.split(' ')[0],
    });
    // The trap is found at block entry and the run stops before the block executes, so the store
    // just before the SDIV (in the same block) has not happened: the probe keeps the 0 written earlier.
    expect(probe).toBe(0);
  });

  it('SDIV by zero with DIV_0_TRP clear returns 0, as on silicon (A7.7.127)', () => {
    expect(run('div0_clear').exit).toMatchObject({ reason: 'exit', code: 40 });
  });

  it('a UDIV divisor computed in the block from an entry register (r1 - 5) is followed', () => {
    const { exit } = run('udiv_folded');
    const at = place('udiv_folded');
    expect(exit.reason).toBe('divide-by-zero');
    expect(exit.code).toBe(136);
    expect(exit.message).toBe(
      `UsageFault (CFSR.DIVBYZERO): UDIV by zero with CCR.DIV_0_TRP set at ${at.text}`,
    );
  });

  it('a conditional SDIV whose condition fails does not trap (APSR at block entry)', () => {
    expect(run('div0_skipped').exit).toMatchObject({ reason: 'exit', code: 43 });
  });

  it('unaligned LDR with UNALIGN_TRP set: UNALIGNED (135) at the address it computed', () => {
    const { exit } = run('ldr_trap');
    const at = place('ldr_trap');
    expect(exit).toMatchObject({ reason: 'unaligned-access', code: 135, pc: at.pc });
    expect(exit.message).toBe(
      `UsageFault (CFSR.UNALIGNED): LDR at ${hex(sym('scratch') + 1)} is not 4-byte aligned and CCR.UNALIGN_TRP is set at ${at.text}`,
    );
  });

  it('unaligned LDR with UNALIGN_TRP clear reads the unaligned word (A3.2.1)', () => {
    expect(run('ldr_clear').exit).toMatchObject({ reason: 'exit', code: 41 });
  });

  it('LDRD and LDM not word-aligned fault even with CCR clear', () => {
    const ldrd = run('ldrd_unaligned').exit;
    const atLdrd = place('ldrd_unaligned');
    expect(ldrd).toMatchObject({ reason: 'unaligned-access', code: 135, pc: atLdrd.pc });
    expect(ldrd.message).toBe(
      `UsageFault (CFSR.UNALIGNED): LDRD at ${hex(sym('scratch') + 2)} is not 4-byte aligned (LDRD always needs it) at ${atLdrd.text}`,
    );
    const ldm = run('ldm_unaligned').exit;
    const atLdm = place('ldm_unaligned');
    expect(ldm).toMatchObject({ reason: 'unaligned-access', code: 135, pc: atLdm.pc });
    expect(ldm.message).toBe(
      `UsageFault (CFSR.UNALIGNED): LDM at ${hex(sym('scratch') + 1)} is not 4-byte aligned (LDM always needs it) at ${atLdm.text}`,
    );
  });

  it('LDREX at an address loaded in the block: QEMU’s data abort is reported as UNALIGNED', () => {
    const { exit } = run('ldrex_loaded');
    const at = place('ldrex_loaded');
    expect(exit).toMatchObject({ reason: 'unaligned-access', code: 135, pc: at.pc });
    expect(exit.message).toBe(
      `UsageFault (CFSR.UNALIGNED): LDREX at ${hex(sym('scratch') + 1)} is not 4-byte aligned (LDREX always needs it) at ${at.text}`,
    );
  });

  it('aligned LDRD and LDM run (exit 66 from the bytes they read)', () => {
    expect(run('aligned').exit).toMatchObject({ reason: 'exit', code: 66 });
  });

  it('an FPU instruction with CPACR at its reset value 0: NOCP (132)', () => {
    const { exit } = run('fp_denied');
    const at = place('fp_denied');
    expect(exit).toMatchObject({ reason: 'invalid-instruction', code: 132, pc: at.pc });
    expect(exit.message).toBe(
      'UsageFault (CFSR.NOCP): VMOV.F32 with the FPU disabled (CPACR CP10/CP11 deny access: ' +
        `firmware must enable them before its first FPU instruction) at ${at.text}`,
    );
  });

  it('with CP10/CP11 enabled the FPU runs (1.0 + 1.0 → 2, exit 42)', () => {
    expect(run('fp_enabled').exit).toMatchObject({ reason: 'exit', code: 42 });
  });
});

describe.skipIf(armToolsMissingReason() !== undefined)('static trap checks of one block', () => {
  const checks = (source: string) =>
    blockTrapChecks(assembleAndDisasm(source)).map((c) => ({
      kind: c.kind,
      at: c.pc - 0x0800_0000,
      ...c.value,
    }));

  it('follows `entry register + constant` through add and writeback (ldr.w post-indexed: 4 bytes)', () => {
    expect(checks('adds r1, r0, #2\nldr r4, [r1], #4\nldrd r2, r3, [r1, #4]')).toEqual([
      { kind: TRAP_UNALIGN, at: 2, reg: 'r0', index: null, shift: 0, subtract: false, offset: 2 },
      { kind: TRAP_ALIGN, at: 6, reg: 'r0', index: null, shift: 0, subtract: false, offset: 10 },
    ]);
  });

  it('leaves an address loaded in the block unchecked (a documented limit)', () => {
    expect(checks('ldr r1, [r0]\nldrd r2, r3, [r1]')).toEqual([
      { kind: TRAP_UNALIGN, at: 0, reg: 'r0', index: null, shift: 0, subtract: false, offset: 0 },
    ]);
  });

  it('SP-relative accesses with aligned offsets and PUSH/POP need no check (SP is word-aligned)', () => {
    expect(checks('push {r4, lr}\nldrd r0, r1, [sp, #8]\nldr r2, [sp, #4]\npop {r4, pc}')).toEqual([]);
  });

  it('a constant misaligned literal address is checked with no register', () => {
    expect(checks('ldr.w r0, [pc, #1]')).toEqual([
      { kind: TRAP_UNALIGN, at: 0, reg: null, index: null, shift: 0, subtract: false, offset: 0x0800_0005 },
    ]);
  });

  it('one FPU check per block, at its first FPU instruction, none after a store', () => {
    expect(checks('vmov.f32 s0, #1.0\nvadd.f32 s1, s0, s0').map((c) => [c.kind, c.at])).toEqual([
      [TRAP_FP, 0],
    ]);
    expect(checks('str r1, [r0]\nvmov.f32 s0, #1.0')).toEqual([
      { kind: TRAP_UNALIGN, at: 0, reg: 'r0', index: null, shift: 0, subtract: false, offset: 0 },
    ]);
  });
});
