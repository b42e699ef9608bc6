// The N-API binding itself: unicorn.js-shaped calls on the real libunicorn.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  disasm,
  native,
  UC_ARCH_ARM,
  UC_ARM_REG,
  UC_CPU_ARM_CORTEX_M4,
  UC_HOOK_CODE,
  UC_MODE_MCLASS,
  UC_MODE_THUMB,
  type Insn,
  type UnicornEngine,
} from '../src/emulator/native.js';

const FLASH = 0x08000000;

/** movs r0, #1; movs r1, #2; adds r2, r0, r1; b . (Thumb encodings, ARMv7-M ARM A7.7). */
const PROGRAM = Uint8Array.of(0x01, 0x20, 0x02, 0x21, 0x42, 0x18, 0xfe, 0xe7);

function engine(): UnicornEngine {
  const uc = new (native().Unicorn)(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS);
  uc.ctl_set_cpu_model(UC_CPU_ARM_CORTEX_M4);
  uc.mem_map(FLASH, 0x1000);
  uc.mem_write(FLASH, PROGRAM);
  return uc;
}

describe('native Unicorn binding', () => {
  it('disasm unpacks Capstone’s decoding: memory, shifted index, FP immediate, special register, writeback', () => {
    // Hand-assembled (ARMv7-M ARM A7.7): ldr r0, [r1, #4] (T1); vmov.f32 s0, #1.0; msr msp, r0;
    // ldr.w r2, [r3, r4, lsl #2]; adds r0, r0, #1 (T1); ldr r0, [r1], #4 (T4, post-indexed).
    const code = Uint8Array.of(
      0x48,
      0x68,
      0xb7,
      0xee,
      0x00,
      0x0a,
      0x80,
      0xf3,
      0x08,
      0x88,
      0x53,
      0xf8,
      0x24,
      0x20,
      0x40,
      0x1c,
      0x51,
      0xf8,
      0x04,
      0x0b,
    );
    const insns = disasm(code, 0x08000100);
    expect(insns.map((i) => [i.address, i.size, i.mnemonic, i.opStr])).toEqual([
      [0x08000100, 2, 'ldr', 'r0, [r1, #4]'],
      [0x08000102, 4, 'vmov.f32', 's0, #1.000000e+00'],
      [0x08000106, 4, 'msr', 'msp, r0'],
      [0x0800010a, 4, 'ldr.w', 'r2, [r3, r4, lsl #2]'],
      [0x0800010e, 2, 'adds', 'r0, r0, #1'],
      [0x08000110, 4, 'ldr', 'r0, [r1], #4'],
    ]);
    const [ldr, vmov, msr, ldrw, adds, post] = insns as [Insn, Insn, Insn, Insn, Insn, Insn];
    expect(ldr.operands[1]).toMatchObject({ type: 'mem', base: 'r1', index: null, disp: 4 });
    expect(vmov.operands.map((o) => [o.type, o.reg ?? o.fp])).toEqual([
      ['reg', 's0'],
      ['fp', 1],
    ]);
    expect(msr.operands.map((o) => [o.type, o.reg])).toEqual([
      ['sysreg', undefined],
      ['reg', 'r0'],
    ]);
    // Capstone's arm_shifter: 2 is LSL.
    expect(ldrw.operands[1]).toMatchObject({
      type: 'mem',
      base: 'r3',
      index: 'r4',
      shiftType: 2,
      shiftValue: 2,
    });
    expect([adds.updateFlags, adds.operands[2]?.imm, ldr.updateFlags]).toEqual([true, 1, false]);
    expect([post.writeback, post.operands[2]?.imm, ldr.writeback]).toEqual([true, 4, false]);
    expect(insns.every((i) => i.cc === 15)).toBe(true); // ARM_CC_AL
  });

  it('runs Thumb code and reads registers back', () => {
    const uc = engine();
    uc.emu_start(FLASH | 1, FLASH + 6);
    expect(uc.reg_read_i32(UC_ARM_REG.R2)).toBe(3);
    expect(uc.reg_read_i32(UC_ARM_REG.PC)).toBe(FLASH + 6);
    uc.close();
  });

  it('turns a Unicorn error into an Error carrying Unicorn’s message', () => {
    const uc = engine();
    expect(() => uc.mem_map(0x20000000, 100)).toThrow(/Invalid argument \(UC_ERR_ARG\)/);
    expect(() => uc.mem_read(0x30000000, 4)).toThrow(/UC_ERR_READ_UNMAPPED/);
    uc.close();
    expect(() => uc.reg_read_i32(UC_ARM_REG.R0)).toThrow(/closed/);
  });

  it('stops emulation on an exception thrown in a hook and rethrows it from emu_start', () => {
    const uc = engine();
    const seen: number[] = [];
    const boom = new Error('hook failed on purpose');
    uc.hook_add(UC_HOOK_CODE, (address: number) => {
      seen.push(address);
      if (address === FLASH + 4) throw boom;
    });
    let caught: unknown;
    try {
      uc.emu_start(FLASH | 1, 0xffffffff, 0, 0);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBe(boom);
    expect(seen).toEqual([FLASH, FLASH + 2, FLASH + 4]);
    expect(uc.reg_read_i32(UC_ARM_REG.R2)).toBe(0); // adds never ran
    uc.close();
  });

  it('refuses hooks added after the first emu_start (Unicorn issue #2200)', () => {
    const uc = engine();
    uc.emu_start(FLASH | 1, FLASH + 2);
    expect(() => uc.hook_add(UC_HOOK_CODE, () => {})).toThrow(/before the first emu_start/);
    uc.close();
  });

  it('maps MMIO with JavaScript read and write callbacks', () => {
    const uc = new (native().Unicorn)(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS);
    uc.ctl_set_cpu_model(UC_CPU_ARM_CORTEX_M4);
    uc.mem_map(FLASH, 0x1000);
    // ldr r1, [r0]; str r1, [r0, #4]; b .
    uc.mem_write(FLASH, Uint8Array.of(0x01, 0x68, 0x41, 0x60, 0xfe, 0xe7));
    const writes: number[][] = [];
    uc.mmio_map(
      0x40000000,
      0x1000,
      (offset) => 0x1000 + offset,
      (offset, size, value) => writes.push([offset, size, value]),
    );
    uc.reg_write_i32(UC_ARM_REG.R0, 0x40000010);
    uc.emu_start(FLASH | 1, FLASH + 4);
    expect(uc.reg_read_i32(UC_ARM_REG.R1)).toBe(0x1010);
    expect(writes).toEqual([[0x14, 4, 0x1010]]);
    uc.close();
  });

  it('reports the linked Unicorn 2 and Capstone versions', () => {
    const v = native().versions();
    expect(v.unicorn).toMatch(/^2\./);
    expect(v.capstone).toMatch(/^\d+\./);
  });

  it('reports the Unicorn library loaded: its file and version, and the headers built against', () => {
    const v = native().versions();
    // pkg-config's unicorn.pc names the install the addon was built against (binding.gyp).
    const pc = spawnSync('pkg-config', ['--modversion', 'unicorn'], { encoding: 'utf8' }).stdout.trim();
    expect(v.unicornHeaders).toBe(pc.split(/[^0-9.]/)[0]);
    expect(v.unicornVersion).toBe(v.unicornHeaders);
    expect(v.unicornVersion.startsWith(`${v.unicorn}.`)).toBe(true);
    expect(v.unicornLibrary).toMatch(/\/libunicorn\.so\.2$/);
    expect(existsSync(v.unicornLibrary!)).toBe(true);
  });
});
