// Which instruction of the executing translation block makes a memory access. Unicorn 2.0 reports
// the PC of the block's start inside memory callbacks (MMIO and the unmapped/protection hooks), but
// the core registers are current there (TCG writes its globals back before a memory access that
// may call out), so the accessing instruction is one whose transfer, computed from the registers
// now, covers the address, in the direction and with the size of the access. Used for the clock of
// an MMIO access (instruction-clock.ts) and for the PC of a memory fault (faults.ts).
//
// Ambiguity: an earlier instruction of the block can compute the same address from the registers
// now although it accessed something else when it ran (its base register was reloaded since), or
// did access the same register (`ldr r1, [r0]; …; ldr r2, [r0]`). Two rules settle it:
//  - program order: the caller passes the access matched last in the same block execution and the
//    search starts after it;
//  - constants set in the block (blockConstants: literal loads, MOV/MOVW/MOVT, ADD/SUB #imm): an
//    instruction whose address register held another constant before it cannot be the one, and a
//    candidate whose address is such a constant is preferred to an earlier one whose address
//    register comes from before the block (a register now equal to a constant the block loads is
//    more likely that load's result than a value from before the block that happens to equal it).
import { listWords, mnemonicRoot, writtenCoreRegs } from '../profile/cycle-model.js';
import { UC_ARM_REG, type Insn, type UnicornEngine } from './native.js';

export interface MemoryAccess {
  address: number;
  /** Bytes of this bus access (1, 2, 4, 8); absent: any. */
  size?: number;
  /** A store (true) or a load (false); absent: either. */
  write?: boolean;
  /** What a store wrote (its low `size` bytes), checked against a single store's source register. */
  value?: number;
}

/** A core register now by its Capstone name (r0–r12, sb, sl, fp, ip, sp, lr, pc, xpsr), or null. */
export type RegisterReader = (name: string) => number | null;

/**
 * The data transfer of one instruction, as a function of the registers: `bytes` from
 * base (+ disp ± index << shift), or ending there for a decrement-before transfer, in bus accesses
 * of `units` bytes.
 */
export interface Transfer {
  write: boolean;
  bytes: number;
  units: readonly number[];
  /** Base register (canonical name: r9–r12, not sb/sl/fp/ip), or null: `constant` (PC-relative). */
  base: string | null;
  constant: number;
  disp: number;
  index: string | null;
  shift: number;
  subtract: boolean;
  /** Decrement before (PUSH, STMDB, LDMDB…): the transfer ends at the base. */
  down: boolean;
  /** The core register a single store writes to memory (for the value check). */
  source: string | null;
  /** arm_cc of the instruction (1 EQ … 14 LE; 15 AL or 0 none). */
  cc: number;
}

const ALIASES: Record<string, string> = { sb: 'r9', sl: 'r10', fp: 'r11', ip: 'r12' };

function canonical(reg: string): string {
  return ALIASES[reg] ?? reg;
}

const BYTE = new Set(['ldrb', 'strb', 'ldrsb', 'ldrbt', 'strbt', 'ldrsbt', 'ldrexb', 'strexb', 'tbb']);
const HALF = new Set(['ldrh', 'strh', 'ldrsh', 'ldrht', 'strht', 'ldrsht', 'ldrexh', 'strexh', 'tbh']);
const WORD = new Set(['ldr', 'str', 'ldrt', 'strt', 'ldrex', 'strex']);
const SINGLE_STORES = new Set(['str', 'strb', 'strh', 'strt', 'strbt', 'strht']);
const MULTIPLE = /^(ldm|stm|vldm|vstm)/;
const WORD_UNITS = [4] as const;
// QEMU moves a D register as one 64-bit access or as two words, depending on the path.
const DOUBLE_UNITS = [4, 8] as const;

function registerOperands(insn: Insn): string[] {
  return insn.operands.filter((o) => o.type === 'reg' && o.reg !== undefined).map((o) => o.reg as string);
}

/** What `insn` transfers, or null (no data access: PLD/PLI are hints and make none). */
export function transferOf(insn: Insn): Transfer | null {
  const root = mnemonicRoot(insn);
  const regs = registerOperands(insn);
  const units = (list: string[]) => (list.some((r) => /^d\d+$/.test(r)) ? DOUBLE_UNITS : WORD_UNITS);
  const shape = { constant: 0, disp: 0, index: null, shift: 0, subtract: false, source: null, cc: insn.cc };
  if (root === 'push' || root === 'vpush' || root === 'pop' || root === 'vpop') {
    // ARMv7-M ARM A7.7.99/A7.7.101 (PUSH = STMDB SP!, POP = LDMIA SP!).
    const write = root.endsWith('push');
    return { ...shape, write, bytes: 4 * listWords(regs), units: units(regs), base: 'sp', down: write };
  }
  if (MULTIPLE.test(root)) {
    // LDM/STM (A7.7.40–42, A7.7.159–160), VLDM/VSTM: increment after, or decrement before (DB/EA/FD).
    const [base, ...list] = regs;
    if (base === undefined) return null;
    return {
      ...shape,
      write: root.startsWith('stm') || root.startsWith('vstm'),
      bytes: 4 * listWords(list),
      units: units(list),
      base: canonical(base),
      down: /db$|^ldmea$|^stmfd$/.test(root),
    };
  }
  let bytes: number;
  let unitList: readonly number[];
  if (BYTE.has(root)) [bytes, unitList] = [1, [1]];
  else if (HALF.has(root)) [bytes, unitList] = [2, [2]];
  else if (WORD.has(root)) [bytes, unitList] = [4, WORD_UNITS];
  else if (root === 'ldrd' || root === 'strd') [bytes, unitList] = [8, WORD_UNITS];
  else if (root === 'vldr' || root === 'vstr') {
    const d = /^d\d+$/.test(regs[0] ?? '');
    [bytes, unitList] = d ? [8, DOUBLE_UNITS] : [4, WORD_UNITS];
  } else return null;
  const mem = insn.operands.find((o) => o.type === 'mem');
  if (!mem?.base) return null;
  // TBB/TBH use PC (the instruction + 4); literal loads Align(PC, 4) (A7.7.43, A5.1.2).
  const pc = root === 'tbb' || root === 'tbh' ? insn.address + 4 : (insn.address + 4) & ~3;
  return {
    write: root.startsWith('str') || root.startsWith('vstr'),
    bytes,
    units: unitList,
    base: mem.base === 'pc' ? null : canonical(mem.base),
    constant: mem.base === 'pc' ? pc : 0,
    disp: mem.disp ?? 0, // post-indexed forms have disp 0: the access uses the base
    index: mem.index ? canonical(mem.index) : null,
    shift: mem.shiftValue,
    subtract: mem.subtracted,
    down: false,
    source: SINGLE_STORES.has(root) ? canonical(regs[0] ?? '') || null : null,
    cc: insn.cc,
  };
}

/** The first byte a transfer accesses with the registers now, or null when a register is unknown. */
export function transferBegin(t: Transfer, reg: RegisterReader): number | null {
  const base = t.base === null ? t.constant : reg(t.base);
  if (base === null) return null;
  let address = base + t.disp;
  if (t.index !== null) {
    const index = reg(t.index);
    if (index === null) return null;
    address = t.subtract ? address - (index << t.shift) : address + (index << t.shift);
  }
  return (t.down ? address - t.bytes : address) >>> 0;
}

/** A block prepared for accessingInstruction: its transfers and constants, made once per block. */
export interface AccessBlock {
  insns: readonly Insn[];
  transfers: (Transfer | null)[];
  known: BlockConstants;
}

/** Prepares a block; `readWord` reads literals (without it no literal load counts as a constant). */
export function accessBlock(
  insns: readonly Insn[],
  readWord: (address: number) => number | null = () => null,
): AccessBlock {
  return { insns, transfers: insns.map(transferOf), known: blockConstants(insns, readWord) };
}

/**
 * The index in the block of the instruction making `access` with the registers now, or -1.
 * `after`: the access matched last in this execution of the block; the search starts after it (at
 * it again for a later word of the same multi-word transfer). `slack`: bytes past the transfer still
 * accepted, sizes not checked (a fault may be reported at another address than the instruction
 * computes).
 */
export function accessingInstruction(
  block: AccessBlock,
  access: MemoryAccess,
  reg: RegisterReader,
  options: { after?: { index: number; address: number }; slack?: number } = {},
): number {
  const after = options.after;
  const slack = options.slack ?? 0;
  let first = -1;
  for (let k = after ? after.index : 0; k < block.transfers.length; k++) {
    const t = block.transfers[k];
    if (!t) continue;
    if (access.write !== undefined && t.write !== access.write) continue;
    if (access.size !== undefined && slack === 0 && !t.units.includes(access.size)) continue;
    const begin = transferBegin(t, reg);
    if (begin === null) continue;
    const offset = (access.address - begin) >>> 0;
    if (offset + (slack === 0 ? (access.size ?? 1) : 1) > t.bytes + slack) continue;
    if (after && k === after.index && (t.bytes === t.units[0] || offset <= (after.address - begin) >>> 0))
      continue;
    // The flags now are the flags before the accessing instruction: its condition must pass (an
    // instruction of an IT block whose condition fails makes no access).
    if (t.cc >= 1 && t.cc <= 14) {
      const xpsr = reg('xpsr');
      if (xpsr !== null && !conditionPasses(t.cc, xpsr)) continue;
    }
    if (access.value !== undefined && access.size !== undefined && t.source !== null) {
      const v = reg(t.source);
      const mask = access.size >= 4 ? 0xffffffff : (1 << (8 * access.size)) - 1;
      if (v !== null && (v & mask) >>> 0 !== (access.value & mask) >>> 0) continue;
    }
    // The registers now are those before the accessing instruction: a constant the block put in an
    // address register before this one must still be there.
    const before = block.known[k];
    let constant = true;
    let consistent = true;
    for (const r of [t.base, t.index]) {
      if (r === null) continue;
      const c = before?.get(r);
      if (typeof c !== 'number') constant = false;
      else if (reg(r) !== c) consistent = false;
    }
    if (!consistent) continue;
    if (constant) return k;
    if (first < 0) first = k;
  }
  return first;
}

/**
 * Before each instruction of a block, the core registers the block has set to a constant: a
 * literal load (`ldr rN, [pc, #imm]`, the word read with `readWord`), MOV/MOVW #imm, MOVT onto a
 * constant, MOV of a constant register, ADD/SUB #imm of one, writeback from a constant base. A
 * register maps to null once the block wrote it otherwise (or conditionally); registers the block
 * has not written are absent (their value comes from before the block).
 */
export type BlockConstants = ReadonlyMap<string, number | null>[];

export function blockConstants(
  insns: readonly Insn[],
  readWord: (address: number) => number | null,
): BlockConstants {
  const out: Map<string, number | null>[] = [];
  let known = new Map<string, number | null>();
  for (const insn of insns) {
    out.push(known);
    const next = new Map(known);
    const root = mnemonicRoot(insn);
    const conditional = insn.cc >= 1 && insn.cc <= 14 && root !== 'it';
    const ops = insn.operands;
    const mem = ops.find((o) => o.type === 'mem');
    const constant = (r: string | undefined): number | null => {
      const v = r === undefined ? undefined : known.get(canonical(r));
      return typeof v === 'number' ? v : null;
    };
    let result: { reg: string; value: number | null } | null = null;
    const rd = ops[0]?.type === 'reg' && ops[0].reg ? canonical(ops[0].reg) : null;
    const last = ops.at(-1);
    const imm = last?.type === 'imm' && last.imm !== undefined ? last.imm : null;
    const shifted = ops.some((o) => o.shiftValue !== 0);
    if (rd && !conditional && !shifted) {
      if ((root === 'mov' || root === 'movw') && ops.length === 2) {
        if (imm !== null) result = { reg: rd, value: imm >>> 0 };
        else if (last?.type === 'reg') result = { reg: rd, value: constant(last.reg) };
      } else if (root === 'movt' && imm !== null) {
        const low = constant(rd);
        result = { reg: rd, value: low === null ? null : ((low & 0xffff) | (imm << 16)) >>> 0 };
      } else if ((root === 'add' || root === 'sub' || root === 'addw' || root === 'subw') && imm !== null) {
        const source =
          ops.length === 2 ? rd : ops.length === 3 && ops[1]?.type === 'reg' ? ops[1].reg : undefined;
        const v = source === 'pc' ? null : constant(source);
        const sign = root.startsWith('add') ? 1 : -1;
        result = { reg: rd, value: v === null ? null : (v + sign * imm) >>> 0 };
      } else if (root === 'ldr' && mem?.base === 'pc' && !mem.index) {
        result = { reg: rd, value: readWord((((insn.address + 4) & ~3) + (mem.disp ?? 0)) >>> 0) };
      }
    }
    let writeback: { reg: string; value: number | null } | null = null;
    if (mem?.base && mem.base !== 'pc' && insn.writeback && !conditional) {
      // Pre-indexed `[rn, #imm]!` writes back rn + imm; post-indexed `[rn], #imm` has the offset as
      // the operand after the memory operand.
      const after = ops[ops.indexOf(mem) + 1];
      const delta = after === undefined ? (mem.disp ?? 0) : after.type === 'imm' ? (after.imm ?? null) : null;
      const base = constant(mem.base);
      writeback = {
        reg: canonical(mem.base),
        value: base === null || delta === null ? null : (base + delta) >>> 0,
      };
    }
    for (const r of writtenCoreRegs(insn)) next.set(canonical(r), null);
    if (writeback) next.set(writeback.reg, writeback.value);
    if (result) next.set(result.reg, result.value);
    known = next;
  }
  return out;
}

/**
 * ARMv7-M ARM A7.3.1 Table A7-1: a condition on APSR.N/Z/C/V (xPSR bits 31..28). Capstone numbers
 * them arm_cc = ARM condition + 1 (1 EQ … 14 LE, 15 AL).
 */
export function conditionPasses(cc: number, xpsr: number): boolean {
  const n = (xpsr >>> 31) & 1;
  const z = (xpsr >>> 30) & 1;
  const c = (xpsr >>> 29) & 1;
  const v = (xpsr >>> 28) & 1;
  switch (cc) {
    case 1:
      return z === 1;
    case 2:
      return z === 0;
    case 3:
      return c === 1;
    case 4:
      return c === 0;
    case 5:
      return n === 1;
    case 6:
      return n === 0;
    case 7:
      return v === 1;
    case 8:
      return v === 0;
    case 9:
      return c === 1 && z === 0;
    case 10:
      return c === 0 || z === 1;
    case 11:
      return n === v;
    case 12:
      return n !== v;
    case 13:
      return z === 0 && n === v;
    case 14:
      return z === 1 || n !== v;
    default:
      return true;
  }
}

const REGISTER_IDS = new Map<string, number>([
  ...Array.from({ length: 13 }, (_, i) => [`r${i}`, UC_ARM_REG.R0 + i] as [string, number]),
  ['sb', UC_ARM_REG.R9],
  ['sl', UC_ARM_REG.R10],
  ['fp', UC_ARM_REG.R11],
  ['ip', UC_ARM_REG.R12],
  ['sp', UC_ARM_REG.SP],
  ['lr', UC_ARM_REG.LR],
  ['pc', UC_ARM_REG.PC],
  ['xpsr', UC_ARM_REG.XPSR],
]);

/** Reads the engine's registers by Capstone name, each at most once (one N-API call per register). */
export function registerReader(uc: UnicornEngine): RegisterReader {
  const seen = new Map<string, number | null>();
  return (name) => {
    const cached = seen.get(name);
    if (cached !== undefined) return cached;
    const id = REGISTER_IDS.get(name);
    const value = id === undefined ? null : uc.reg_read_i32(id) >>> 0;
    seen.set(name, value);
    return value;
  };
}

/** Reads a word of memory (a literal), or null where nothing is mapped. */
export function wordReader(uc: UnicornEngine): (address: number) => number | null {
  return (address) => {
    try {
      return uc.mem_read(address, 4).readUInt32LE(0);
    } catch {
      return null;
    }
  };
}
