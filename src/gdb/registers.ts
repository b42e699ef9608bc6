// The registers gdb sees, described by the target.xml served through qXfer:features:read (GDB
// manual, "Target Descriptions" and "ARM Features"): org.gnu.gdb.arm.m-profile (r0-r12, sp, lr, pc,
// xpsr at gdb's number 25, as gdb's own arm-m-profile.xml numbers it), org.gnu.gdb.arm.m-system
// (msp, psp, which gdb uses to unwind exception frames, and the special registers), and
// org.gnu.gdb.arm.vfp (d0-d15 and fpscr, from which gdb makes s0-s31). The numbers are the remote
// protocol's: p/P take them, and g/G carry the registers in this order.
import type { DebugRegister } from '../emulator/machine.js';

export interface GdbRegister {
  /** Remote register number. */
  number: number;
  name: string;
  bits: 32 | 64;
  /** The machine registers holding it: one, or two S registers for a D register (low word first). */
  parts: DebugRegister[];
  feature: 'm-profile' | 'm-system' | 'vfp';
  type?: string;
  group?: string;
}

function table(): GdbRegister[] {
  const regs: GdbRegister[] = [];
  const core = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11', 'r12'] as const;
  core.forEach((name, i) => regs.push({ number: i, name, bits: 32, parts: [name], feature: 'm-profile' }));
  regs.push({ number: 13, name: 'sp', bits: 32, parts: ['sp'], feature: 'm-profile', type: 'data_ptr' });
  regs.push({ number: 14, name: 'lr', bits: 32, parts: ['lr'], feature: 'm-profile' });
  regs.push({ number: 15, name: 'pc', bits: 32, parts: ['pc'], feature: 'm-profile', type: 'code_ptr' });
  regs.push({ number: 25, name: 'xpsr', bits: 32, parts: ['xpsr'], feature: 'm-profile' });
  const system = ['msp', 'psp', 'primask', 'basepri', 'faultmask', 'control'] as const;
  system.forEach((name, i) =>
    regs.push({
      number: 26 + i,
      name,
      bits: 32,
      parts: [name],
      feature: 'm-system',
      type: i < 2 ? 'data_ptr' : 'int',
      group: 'system',
    }),
  );
  for (let d = 0; d < 16; d++)
    regs.push({
      number: 32 + d,
      name: `d${d}`,
      bits: 64,
      parts: [`s${2 * d}`, `s${2 * d + 1}`],
      feature: 'vfp',
      type: 'ieee_double',
    });
  regs.push({
    number: 48,
    name: 'fpscr',
    bits: 32,
    parts: ['fpscr'],
    feature: 'vfp',
    type: 'int',
    group: 'float',
  });
  return regs;
}

export const GDB_REGISTERS: readonly GdbRegister[] = table();

export function gdbRegister(number: number): GdbRegister | undefined {
  return GDB_REGISTERS.find((r) => r.number === number);
}

const FEATURES = {
  'm-profile': 'org.gnu.gdb.arm.m-profile',
  'm-system': 'org.gnu.gdb.arm.m-system',
  vfp: 'org.gnu.gdb.arm.vfp',
} as const;

/** The target description: one XML document, no includes. */
export const TARGET_XML = ((): string => {
  const lines = [
    '<?xml version="1.0"?>',
    '<!DOCTYPE target SYSTEM "gdb-target.dtd">',
    '<target version="1.0">',
    '  <architecture>arm</architecture>',
  ];
  for (const [key, name] of Object.entries(FEATURES)) {
    lines.push(`  <feature name="${name}">`);
    for (const r of GDB_REGISTERS.filter((x) => x.feature === key)) {
      const attrs = [`name="${r.name}"`, `bitsize="${r.bits}"`, `regnum="${r.number}"`];
      if (r.type) attrs.push(`type="${r.type}"`);
      if (r.group) attrs.push(`group="${r.group}"`);
      lines.push(`    <reg ${attrs.join(' ')}/>`);
    }
    lines.push('  </feature>');
  }
  lines.push('</target>', '');
  return lines.join('\n');
})();

/** A register's value in target byte order (little-endian) as gdb's hex. */
export function encodeRegister(r: GdbRegister, read: (name: DebugRegister) => number): string {
  const b = Buffer.alloc(r.bits / 8);
  r.parts.forEach((part, i) => b.writeUInt32LE(read(part) >>> 0, 4 * i));
  return b.toString('hex');
}

/** Splits a register's bytes (little-endian) into its machine registers' values. */
export function decodeRegister(r: GdbRegister, bytes: Buffer): { name: DebugRegister; value: number }[] {
  return r.parts.map((name, i) => ({ name, value: bytes.readUInt32LE(4 * i) }));
}

/** Bytes of the g packet: every register in the table's order. */
export const G_PACKET_BYTES = GDB_REGISTERS.reduce((n, r) => n + r.bits / 8, 0);
