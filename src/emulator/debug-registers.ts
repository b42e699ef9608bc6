// The core's registers as a debugger sees them: the ARMv7-M core registers, xPSR, the stack pointers
// and special registers (ARMv7-M ARM B1.4), and the FPU's S0-S31 and FPSCR (A2.5), read from and
// written to Unicorn. What a debugger may change is what a program could change the same way
// without the exception model noticing: the general registers, the PC, APSR's flags and the FPU
// registers. MSP, PSP, PRIMASK, BASEPRI, FAULTMASK, CONTROL, IPSR and EPSR are the exception
// model's state (src/emulator/exception-core.ts): read-only here.
import { UC_ARM_REG, type UnicornEngine } from './native.js';

/** uc_arm_reg ids of S0-S31 (unicorn/arm.h: UC_ARM_REG_S0 = 79 … S31 = 110). */
const UC_ARM_REG_S0 = 79;
/**
 * unicorn/arm.h UC_ARM_REG_APSR_NZCVQG: writes APSR's N, Z, C, V, Q and GE and nothing else (a
 * write to UC_ARM_REG_XPSR leaves GE as it was).
 */
const UC_ARM_REG_APSR_NZCVQG = 129;

export const CORE_REGISTER_NAMES = [
  'r0',
  'r1',
  'r2',
  'r3',
  'r4',
  'r5',
  'r6',
  'r7',
  'r8',
  'r9',
  'r10',
  'r11',
  'r12',
  'sp',
  'lr',
  'pc',
] as const;
export const SYSTEM_REGISTER_NAMES = [
  'xpsr',
  'msp',
  'psp',
  'primask',
  'basepri',
  'faultmask',
  'control',
] as const;

type CoreRegister = (typeof CORE_REGISTER_NAMES)[number];
type SystemRegister = (typeof SYSTEM_REGISTER_NAMES)[number];
type FpRegister = `s${number}` | 'fpscr';
export type DebugRegister = CoreRegister | SystemRegister | FpRegister;

/**
 * APSR's bits in xPSR (B1.4.2): N, Z, C, V, Q (31:27) and GE[3:0] (19:16); the rest is IPSR and
 * EPSR.
 */
export const APSR_MASK = 0xf80f0000;

const IDS: Record<CoreRegister | SystemRegister | 'fpscr', number> = {
  r0: UC_ARM_REG.R0,
  r1: UC_ARM_REG.R1,
  r2: UC_ARM_REG.R2,
  r3: UC_ARM_REG.R3,
  r4: UC_ARM_REG.R4,
  r5: UC_ARM_REG.R5,
  r6: UC_ARM_REG.R6,
  r7: UC_ARM_REG.R7,
  r8: UC_ARM_REG.R8,
  r9: UC_ARM_REG.R9,
  r10: UC_ARM_REG.R10,
  r11: UC_ARM_REG.R11,
  r12: UC_ARM_REG.R12,
  sp: UC_ARM_REG.SP,
  lr: UC_ARM_REG.LR,
  pc: UC_ARM_REG.PC,
  xpsr: UC_ARM_REG.XPSR,
  msp: UC_ARM_REG.MSP,
  psp: UC_ARM_REG.PSP,
  primask: UC_ARM_REG.PRIMASK,
  basepri: UC_ARM_REG.BASEPRI,
  faultmask: UC_ARM_REG.FAULTMASK,
  control: UC_ARM_REG.CONTROL,
  fpscr: UC_ARM_REG.FPSCR,
};

function ucId(name: DebugRegister): number | null {
  const m = /^s(\d{1,2})$/.exec(name);
  if (m) {
    const n = Number(m[1]);
    return n < 32 ? UC_ARM_REG_S0 + n : null;
  }
  return (IDS as Record<string, number>)[name] ?? null;
}

export function readDebugRegister(uc: UnicornEngine, name: DebugRegister): number {
  const id = ucId(name);
  if (id === null) throw new RangeError(`no register ${name}`);
  const v = uc.reg_read_i32(id) >>> 0;
  // The PC register reads the address of the instruction to run next (Thumb bit clear).
  return name === 'pc' ? (v & ~1) >>> 0 : v;
}

/** Writes a register a debugger may change; false for the exception model's registers. */
export function writeDebugRegister(uc: UnicornEngine, name: DebugRegister, value: number): boolean {
  const id = ucId(name);
  if (id === null) return false;
  if ((SYSTEM_REGISTER_NAMES as readonly string[]).includes(name)) {
    if (name !== 'xpsr') return false;
    // Only APSR's flags: IPSR and EPSR (the Thumb bit, IT state) belong to the exception model.
    uc.reg_write_i32(UC_ARM_REG_APSR_NZCVQG, (value & APSR_MASK) >>> 0);
    return true;
  }
  uc.reg_write_i32(id, (name === 'pc' ? value | 1 : value) >>> 0);
  return true;
}
