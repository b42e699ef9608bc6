// Architectural traps Unicorn 2.0 (QEMU 5.0) does not raise for M-profile, found statically per block
// and evaluated by the native profiler at block entry while the trap is armed:
//   - UsageFault UNALIGNED, always: LDRD/STRD, LDM/STM, LDREX/STREX (H), VLDR/VSTR/VLDM/VSTM not aligned
//     (ARMv7-M ARM A3.2.1: only LDR/STR/LDRH/STRH/LDRSH and their T forms support unaligned access);
//   - UNALIGNED with CCR.UNALIGN_TRP (B3.2.8, bit 3): any unaligned LDR/STR/LDRH/STRH/LDRSH(T);
//   - DIVBYZERO with CCR.DIV_0_TRP (bit 4): SDIV/UDIV with a zero divisor (A7.7.127, A7.7.195);
//   - NOCP while CPACR CP10/CP11 deny access (B3.2.20): any FPU instruction (ExecuteFPCheck, B1.5.x
//     and the pseudocode of every VFP instruction).
// A check needs the instruction's address or divisor as a function of the registers at block entry:
// registers written earlier in the block are followed while they stay `entry register + constant`
// (mov, add/sub #imm, writeback); a value loaded or computed otherwise in the block is unknown and
// the instruction is left unchecked. A conditional instruction is checked when no earlier instruction
// in the block set the flags (its condition is then evaluated on APSR at block entry).
import { hex } from '../util/units.js';
import { listWords, mnemonicRoot, writtenCoreRegs } from '../profile/cycle-model.js';
import {
  BLOCK_CHECK_ALIGN,
  BLOCK_CHECK_DIV0,
  BLOCK_CHECK_FP,
  BLOCK_CHECK_LAZYFP,
  BLOCK_CHECK_UNALIGN,
  UC_ARM_REG,
  type BlockCost,
  type Insn,
} from './native.js';

/** Trap kinds (native/m4sim_native.cc TRAP_*). */
export const TRAP_ALIGN = 1;
export const TRAP_UNALIGN = 2;
export const TRAP_DIV0 = 3;
export const TRAP_FP = 4;
/**
 * Not a fault: the first FPU instruction of a block while a lazy FP state preservation is pending
 * (FPCCR.LSPACT, ARMv7-M ARM B1.5.7); the run loop performs PreserveFPState and resumes.
 */
export const TRAP_LAZYFP = 6;

/** Numbers per check in BlockCost.checks: pc, kind, cond, base, index, shift, subtract, offset, alignMask. */
export const TRAP_CHECK_FIELDS = 9;

const KIND_FLAG: Record<number, number> = {
  [TRAP_ALIGN]: BLOCK_CHECK_ALIGN,
  [TRAP_UNALIGN]: BLOCK_CHECK_UNALIGN,
  [TRAP_DIV0]: BLOCK_CHECK_DIV0,
  [TRAP_FP]: BLOCK_CHECK_FP,
  [TRAP_LAZYFP]: BLOCK_CHECK_LAZYFP,
};

// A3.2.1: accesses that fault whenever they are not aligned, with the alignment they need.
const ALWAYS_ALIGNED: Record<string, number> = {
  ldrd: 4,
  strd: 4,
  ldrex: 4,
  strex: 4,
  ldrexh: 2,
  strexh: 2,
  vldr: 4,
  vstr: 4,
};
const MULTIPLE = /^(ldm|stm|vldm|vstm)/;
// A3.2.1: accesses that support unaligned addresses unless CCR.UNALIGN_TRP is set.
const TRAPPABLE: Record<string, number> = {
  ldr: 4,
  str: 4,
  ldrt: 4,
  strt: 4,
  ldrh: 2,
  strh: 2,
  ldrsh: 2,
  ldrht: 2,
  strht: 2,
  ldrsht: 2,
};
const STORES = /^(str|stm|vstr|vstm)/;
const FLAG_SETTERS = new Set(['cmp', 'cmn', 'tst', 'teq', 'msr']);
const CC_AL = 15;

/** `entry value of reg + offset` (reg null: the constant `offset`), or null when unknown. */
type Value = { reg: string | null; offset: number } | null;

const ALIASES: Record<string, string> = { sb: 'r9', sl: 'r10', fp: 'r11', ip: 'r12' };

function canonical(reg: string): string {
  return ALIASES[reg] ?? reg;
}

/** The Unicorn register id of a core register name (r0–r12 after canonical(), sp, lr). */
export function ucRegister(reg: string): number {
  if (reg === 'sp') return UC_ARM_REG.SP;
  if (reg === 'lr') return UC_ARM_REG.LR;
  return UC_ARM_REG.R0 + Number(reg.slice(1));
}

interface Check {
  pc: number;
  kind: number;
  cond: number;
  value: { reg: string | null; index: string | null; shift: number; subtract: boolean; offset: number };
  alignMask: number;
}

/** Registers through one block: what each holds relative to the registers at block entry. */
class BlockRegisters {
  private readonly known = new Map<string, Value>();

  get(reg: string, insn: Insn): Value {
    const r = canonical(reg);
    if (r === 'pc') return { reg: null, offset: ((insn.address + 4) & ~3) >>> 0 }; // Align(PC, 4), A5.1.2
    return this.known.has(r) ? (this.known.get(r) ?? null) : { reg: r, offset: 0 };
  }

  set(reg: string, v: Value): void {
    this.known.set(canonical(reg), v);
  }

  plus(v: Value, delta: number): Value {
    return v === null ? null : { reg: v.reg, offset: (v.offset + delta) >>> 0 };
  }
}

/** Adds the block's trap checks (and their BLOCK_CHECK_* flags) to its cost. */
export function withTrapChecks(cost: BlockCost, insns: Insn[]): BlockCost {
  const checks = [...blockTrapChecks(insns), ...lazyFpChecks(insns)];
  if (checks.length === 0) return cost;
  let flags = cost.flags;
  const flat: number[] = [];
  for (const c of checks) {
    flags |= KIND_FLAG[c.kind]!;
    const v = c.value;
    flat.push(
      c.pc,
      c.kind,
      c.cond,
      v.reg === null ? -1 : ucRegister(v.reg),
      v.index === null ? -1 : ucRegister(v.index),
      v.shift,
      v.subtract ? 1 : 0,
      v.offset | 0,
      c.alignMask,
    );
  }
  return { ...cost, flags, checks: flat };
}

/** The static trap checks of one block, in program order. */
export function blockTrapChecks(insns: Insn[]): Check[] {
  const regs = new BlockRegisters();
  const checks: Check[] = [];
  let flagsChanged = false;
  let storeSeen = false;
  let fpChecked = false;
  for (const insn of insns) {
    const root = mnemonicRoot(insn);
    const conditional = insn.cc !== CC_AL && insn.cc !== 0 && root !== 'it';
    if (!conditional || !flagsChanged) {
      const cond = conditional ? insn.cc : CC_AL;
      // An FPU instruction right after a store in the same block may follow a CPACR write whose
      // effect needs an ISB (B3.2.20): not checked, so correct start-up code never faults.
      if (root.startsWith('v') && !fpChecked && !storeSeen) {
        checks.push({ pc: insn.address, kind: TRAP_FP, cond, value: constant(0), alignMask: 0 });
        if (!conditional) fpChecked = true;
      }
      const c = divisionCheck(insn, root, regs) ?? alignmentCheck(insn, root, regs);
      if (c) checks.push({ ...c, pc: insn.address, cond });
    }
    if (STORES.test(root) && memoryBase(insn, root) !== 'sp') storeSeen = true;
    track(insn, root, conditional, regs);
    if (insn.updateFlags || FLAG_SETTERS.has(root) || insn.regsWrite.includes('cpsr')) flagsChanged = true;
  }
  return checks;
}

/**
 * The lazy-FP check of a block: its first FPU instruction whatever precedes it (armed only while
 * FPCCR.LSPACT is set: the save must come before any FP register changes). Unconditional: a
 * conditional FPU instruction that would not execute only makes the save early, which is harmless
 * (PreserveFPState stores the registers the return would find unchanged).
 */
function lazyFpChecks(insns: Insn[]): Check[] {
  const first = insns.find((insn) => mnemonicRoot(insn).startsWith('v'));
  return first
    ? [{ pc: first.address, kind: TRAP_LAZYFP, cond: CC_AL, value: constant(0), alignMask: 0 }]
    : [];
}

function constant(offset: number): Check['value'] {
  return { reg: null, index: null, shift: 0, subtract: false, offset };
}

function registerOperands(insn: Insn): string[] {
  return insn.operands.filter((o) => o.type === 'reg' && o.reg !== undefined).map((o) => o.reg as string);
}

/** SDIV/UDIV: the divisor is the last register operand. */
function divisionCheck(insn: Insn, root: string, regs: BlockRegisters): Omit<Check, 'pc' | 'cond'> | null {
  if (root !== 'sdiv' && root !== 'udiv') return null;
  const divisor = registerOperands(insn).at(-1);
  const v = divisor === undefined ? null : regs.get(divisor, insn);
  if (v === null) return null;
  if (v.reg === null) return v.offset === 0 ? { kind: TRAP_DIV0, value: constant(0), alignMask: 0 } : null;
  return { kind: TRAP_DIV0, value: { ...constant(v.offset), reg: v.reg }, alignMask: 0 };
}

function memoryBase(insn: Insn, root: string): string | null {
  if (root === 'push' || root === 'pop' || root === 'vpush' || root === 'vpop') return 'sp';
  if (MULTIPLE.test(root)) return registerOperands(insn)[0] ?? null;
  const mem = insn.operands.find((o) => o.type === 'mem');
  return mem?.base ? canonical(mem.base) : null;
}

function alignmentCheck(insn: Insn, root: string, regs: BlockRegisters): Omit<Check, 'pc' | 'cond'> | null {
  let kind: number;
  let size: number;
  if (ALWAYS_ALIGNED[root] !== undefined || MULTIPLE.test(root)) {
    kind = TRAP_ALIGN;
    size = ALWAYS_ALIGNED[root] ?? 4;
  } else if (TRAPPABLE[root] !== undefined) {
    kind = TRAP_UNALIGN;
    size = TRAPPABLE[root];
  } else {
    return null; // byte accesses, PUSH/POP (SP is always word-aligned, B1.4.1), TBB/TBH, PLD
  }
  const mask = size - 1;
  let value: Check['value'];
  if (MULTIPLE.test(root)) {
    // Every transfer of LDM/STM/VLDM/VSTM is a multiple of 4 from the base: the base decides.
    const base = regs.get(registerOperands(insn)[0] ?? 'pc', insn);
    if (base === null) return null;
    value = { ...constant(base.offset), reg: base.reg };
  } else {
    const mem = insn.operands.find((o) => o.type === 'mem');
    if (!mem?.base) return null;
    const base = regs.get(mem.base, insn);
    if (base === null) return null;
    value = { ...constant((base.offset + (mem.disp ?? 0)) >>> 0), reg: base.reg };
    if (mem.index) {
      const index = regs.get(mem.index, insn);
      if (index === null) return null;
      const scaled = (index.offset << mem.shiftValue) >>> 0;
      value.offset = (mem.subtracted ? value.offset - scaled : value.offset + scaled) >>> 0;
      value.index = index.reg;
      value.shift = mem.shiftValue;
      value.subtract = mem.subtracted;
      if (value.reg === null && value.index !== null && !value.subtract) {
        // Only the index is a register: let it be the base (shift 0 when the scale is 1).
        if (value.shift === 0) value = { ...value, reg: value.index, index: null };
      }
    }
  }
  if (value.reg === null && value.index === null) {
    // A static address (PC-relative): it faults whenever armed if misaligned, else never.
    return (value.offset & mask) !== 0 ? { kind, value, alignMask: mask } : null;
  }
  // SP is always word-aligned (B1.4.1: SP bits [1:0] are zero; QEMU enforces it on writes).
  if (value.reg === 'sp' && value.index === null && (value.offset & mask) === 0) return null;
  return { kind, value, alignMask: mask };
}

/** Follows register values through one instruction. */
function track(insn: Insn, root: string, conditional: boolean, regs: BlockRegisters): void {
  const ops = insn.operands;
  const mem = ops.find((o) => o.type === 'mem');
  // Values before the instruction, for writeback and data processing.
  let writeback: { reg: string; value: Value } | null = null;
  if (root === 'push' || root === 'vpush' || root === 'pop' || root === 'vpop') {
    const words = listWords(registerOperands(insn));
    writeback = {
      reg: 'sp',
      value: regs.plus(regs.get('sp', insn), root.endsWith('push') ? -4 * words : 4 * words),
    };
  } else if (MULTIPLE.test(root) && insn.writeback) {
    const [base, ...list] = registerOperands(insn);
    if (base !== undefined) {
      const down = /db$|^ldmea$|^stmfd$/.test(root);
      const bytes = 4 * listWords(list);
      writeback = {
        reg: base,
        value: list.includes(base) ? null : regs.plus(regs.get(base, insn), down ? -bytes : bytes),
      };
    }
  } else if (mem?.base && insn.writeback) {
    const after = ops[ops.indexOf(mem) + 1];
    const base = regs.get(mem.base, insn);
    let value: Value = null;
    if (after === undefined)
      value = regs.plus(base, mem.disp ?? 0); // pre-indexed [rn, #imm]!
    else if (after.type === 'imm' && after.imm !== undefined) value = regs.plus(base, after.imm); // post-indexed
    writeback = { reg: mem.base, value };
  }
  const result = conditional ? null : dataProcessingResult(insn, root, regs);
  for (const r of writtenCoreRegs(insn)) if (r !== 'pc') regs.set(r, null);
  if (writeback) regs.set(writeback.reg, conditional ? null : writeback.value);
  if (result) regs.set(result.reg, result.value);
}

/** MOV/MOVW #imm, MOV rd, rn and ADD/SUB(W) #imm keep a value `entry register + constant`. */
function dataProcessingResult(
  insn: Insn,
  root: string,
  regs: BlockRegisters,
): { reg: string; value: Value } | null {
  const ops = insn.operands;
  const rd = ops[0];
  if (rd?.type !== 'reg' || !rd.reg || (rd.access & 2) === 0 || ops.some((o) => o.shiftValue !== 0))
    return null;
  const last = ops.at(-1);
  const imm = last?.type === 'imm' && last.imm !== undefined ? last.imm : null;
  if ((root === 'mov' || root === 'movw') && ops.length === 2) {
    if (imm !== null) return { reg: rd.reg, value: { reg: null, offset: imm >>> 0 } };
    if (last?.type === 'reg' && last.reg && last.reg !== 'pc')
      return { reg: rd.reg, value: regs.get(last.reg, insn) };
    return null;
  }
  if (root !== 'add' && root !== 'sub' && root !== 'addw' && root !== 'subw') return null;
  if (imm === null) return null;
  const source =
    ops.length === 2 ? rd.reg : ops.length === 3 && ops[1]?.type === 'reg' ? ops[1].reg : undefined;
  if (!source || source === 'pc') return null;
  const sign = root.startsWith('add') ? 1 : -1;
  return { reg: rd.reg, value: regs.plus(regs.get(source, insn), sign * imm) };
}

// --- diagnosis -------------------------------------------------------------------------------

export interface TrapReport {
  kind: number;
  pc: number;
  /** The address (alignment traps) or divisor the check computed. */
  value: number;
  /** Alignment the access needed, in bytes. */
  align: number;
  /** The trapping instruction as Capstone prints it (`sdiv`, `ldrd`, `vadd.f32`), if decodable. */
  mnemonic: string | null;
}

/** The reason and the message (without the location) of a trap, named after its CFSR bit. */
export function describeTrap(t: TrapReport): {
  reason: 'divide-by-zero' | 'unaligned-access' | 'invalid-instruction';
  message: string;
} {
  const name = (t.mnemonic ?? 'instruction').replace(/\.[nw]$/, '').toUpperCase();
  if (t.kind === TRAP_DIV0) {
    return {
      reason: 'divide-by-zero',
      message: `UsageFault (CFSR.DIVBYZERO): ${name} by zero with CCR.DIV_0_TRP set`,
    };
  }
  if (t.kind === TRAP_FP) {
    return {
      reason: 'invalid-instruction',
      message:
        `UsageFault (CFSR.NOCP): ${name} with the FPU disabled (CPACR CP10/CP11 deny access: ` +
        'firmware must enable them before its first FPU instruction)',
    };
  }
  const why = t.kind === TRAP_UNALIGN ? 'and CCR.UNALIGN_TRP is set' : `(${name} always needs it)`;
  return {
    reason: 'unaligned-access',
    message: `UsageFault (CFSR.UNALIGNED): ${name} at ${hex(t.value)} is not ${t.align}-byte aligned ${why}`,
  };
}

/**
 * QEMU raises a data abort (EXCP 4) with the exact PC for an unaligned LDREX/STREX (H) (its
 * exclusive accesses are the ones it checks for alignment): on the M4 that is UsageFault UNALIGNED.
 * Given the instruction at the PC and the registers then, the trap it is, or null for another abort.
 */
export function exclusiveAlignmentTrap(insn: Insn, reg: (name: string) => number): TrapReport | null {
  const root = mnemonicRoot(insn);
  const align = /^(ldrex|strex)(h?)$/.exec(root) ? ALWAYS_ALIGNED[root]! : undefined;
  const mem = insn.operands.find((o) => o.type === 'mem');
  if (align === undefined || !mem?.base) return null;
  const address = (reg(canonical(mem.base)) + (mem.disp ?? 0)) >>> 0;
  if ((address & (align - 1)) === 0) return null;
  return { kind: TRAP_ALIGN, pc: insn.address, value: address, align, mnemonic: insn.mnemonic };
}
