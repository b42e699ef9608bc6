// Static Cortex-M4 cycle model: turns the Capstone decoding of one Unicorn translation block into the
// BlockCost the native block profiler charges on every execution of that block.
//
// Sources (ARM DDI 0439, Cortex-M4 Technical Reference Manual):
//   - 3.3.1 Table 3-1 "Cortex-M4 instruction set summary": per-instruction cycles, with
//     P = pipeline refill (1..3), B = barrier cycles, N = registers transferred, W = wait for event.
//   - 3.3.2 "Load/store timings": how neighbouring loads and stores overlap (see blockCost); the same
//     text as the Cortex-M3 TRM (DDI 0337) section of that name.
//   - Chapter 7 "Floating Point Unit", Table 7-1 "FPU instruction set": floating-point cycles.
// Counts assume zero-wait-state memory, like the tables, except for the optional flash wait states
// charged per pipeline refill and per literal load (see CycleModelParams.flashWaitStates).
import {
  BLOCK_CALL,
  BLOCK_COND_BRANCH,
  BLOCK_SP_DYNAMIC,
  BLOCK_SP_LOWERS,
  BLOCK_SP_UNTRACKED,
  BLOCK_INDIRECT,
  BLOCK_HANG,
  BLOCK_MASK_WRITE,
  type BlockCost,
  type Insn,
} from '../emulator/native.js';

export interface CycleModelParams {
  /** Model name and version, printed in reports. */
  name: string;
  /** P in Table 3-1: cycles to refill the pipeline after a taken branch or any other write to PC. */
  branchRefill: number;
  /** Extra cycles per pipeline refill and per PC-relative (literal) load when the block runs from flash. */
  flashWaitStates: number;
  /** SDIV/UDIV: Table 3-1 gives 2..12 (early termination on the operands); a static model needs one value. */
  divideCycles: number;
  /** B in Table 3-1 for DMB/DSB (TRM minimum 0); ISB costs at least a refill, so 1 + max(B, P). */
  barrierCycles: number;
}

/**
 * Defaults. P = 2 is the middle of the TRM's 1..3 range (the range depends on target alignment and
 * width and on early branch speculation, which a static model cannot see). SDIV/UDIV use the TRM's
 * worst case 12: the operands are not known statically and 12 keeps a division-heavy loop from being
 * reported cheaper than the hardware can be. B = 0 is the TRM minimum for DMB/DSB: the emulated
 * system has no write buffer or bus traffic to drain.
 */
export const DEFAULT_CYCLE_MODEL: CycleModelParams = {
  name: 'cortex-m4-trm v1',
  branchRefill: 2,
  flashWaitStates: 0,
  divideCycles: 12,
  barrierCycles: 0,
};

/** One line for reports. */
export function describeCycleModel(p: CycleModelParams): string {
  return (
    `${p.name}: P=${p.branchRefill}, flash wait states ${p.flashWaitStates} (per taken branch and per literal ` +
    `load, code in flash only), SDIV/UDIV ${p.divideCycles}, DMB/DSB 1+${p.barrierCycles}, ` +
    `ISB 1+max(B,P), LDR/STR pipelining per TRM 3.3.2, IT-skipped instructions at full cost`
  );
}

// --- unknown mnemonics ------------------------------------------------------------------------

const unknownSeen = new Map<string, number>();

/** Mnemonics the model did not recognise (each charged 1 cycle), with how many block translations met them. */
export function unknownMnemonics(): Array<{ mnemonic: string; count: number }> {
  return [...unknownSeen.entries()]
    .map(([mnemonic, count]) => ({ mnemonic, count }))
    .sort((a, b) => a.mnemonic.localeCompare(b.mnemonic));
}

export function resetUnknownMnemonics(): void {
  unknownSeen.clear();
}

// --- instruction classification --------------------------------------------------------------

/** How an instruction takes part in the load/store rules of TRM 3.3.2. */
export type MemClass =
  | 'none' // no data memory access
  | 'load' // single LDR/LDRB/LDRH/LDRSB/LDRSH/LDRT…/LDREX…: pipelines with its neighbours
  | 'strex' // STREX…: "treated more like an LDR", pipelines like one
  | 'store' // single STR/STRB/STRH/STRT…
  | 'other'; // LDRD/STRD, LDM/STM/PUSH/POP, TBB/TBH, VLDR/VSTR/VLDM/VSTM/VPUSH/VPOP: no pipelining

export interface InsnTiming {
  /** Normalised mnemonic: no condition, width, data type or flag-setting suffix. */
  root: string;
  /** Cycles from Table 3-1 / 7-1, without the refill (P) of a PC write. */
  cycles: number;
  /** Writes PC: pays P (and flash wait states) when it takes effect. */
  writesPc: boolean;
  /** Conditional: condition code other than AL, or CBZ/CBNZ. */
  conditional: boolean;
  /** BL/BLX. */
  call: boolean;
  mem: MemClass;
  /** Registers the address is computed from. */
  addressRegs: string[];
  /** Destination of a 'load'/'strex' (for the pipelining rule). */
  loadDest: string[];
  /** STR with a register offset (nothing overlaps it). */
  registerOffset: boolean;
  /** Reads data memory PC-relative (literal pool, TBB/TBH table). */
  literal: boolean;
  /** A data-processing instruction (ALU, multiply, divide, FP-to-core move…) and the core registers it writes. */
  dataProcessingWrites: string[];
  known: boolean;
}

const CORE_REGS = new Set([
  'r0',
  'r1',
  'r2',
  'r3',
  'r4',
  'r5',
  'r6',
  'r7',
  'r8',
  'sb',
  'sl',
  'fp',
  'ip',
  'r9',
  'r10',
  'r11',
  'r12',
  'sp',
  'lr',
  'pc',
]);

// Table 3-1: one cycle. Moves, add/sub, logical, shifts, compare, saturate, reverse, extend, bit field,
// parallel add/sub (DSP), pack/select, special registers, hints.
const ONE_CYCLE = words(`
  mov movw movt mvn add addw adc sub subw sbc rsb adr neg cpy and orr eor orn bic tst teq cmp cmn
  lsl lsr asr ror rrx clz rbit rev rev16 revsh
  sxtb sxth uxtb uxth sxtab sxtah uxtab uxtah sxtb16 uxtb16 sxtab16 uxtab16
  bfc bfi sbfx ubfx ssat usat ssat16 usat16 qadd qsub qdadd qdsub
  sadd16 sadd8 ssub16 ssub8 sasx ssax qadd16 qadd8 qsub16 qsub8 qasx qsax
  shadd16 shadd8 shsub16 shsub8 shasx shsax uadd16 uadd8 usub16 usub8 uasx usax
  uqadd16 uqadd8 uqsub16 uqsub8 uqasx uqsax uhadd16 uhadd8 uhsub16 uhsub8 uhasx uhsax
  sel pkhbt pkhtb usad8 usada8
  mrs msr cpsid cpsie nop yield sev wfi wfe it clrex bkpt svc udf pld pli dbg
`);

// Table 3-1: every multiply and multiply-accumulate, 32- and 64-bit, including the DSP extension, is one
// cycle on the M4 (single-cycle MAC).
const MULTIPLY = words(`
  mul mla mls smull umull smlal umlal umaal
  smlabb smlabt smlatb smlatt smlawb smlawt smulbb smulbt smultb smultt smulwb smulwt
  smmul smmulr smmla smmlar smmls smmlsr smuad smuadx smusd smusdx smlad smladx smlsd smlsdx
  smlald smlaldx smlsld smlsldx smlalbb smlalbt smlaltb smlaltt
`);

const SINGLE_LOADS = words('ldr ldrb ldrh ldrsb ldrsh ldrt ldrbt ldrht ldrsbt ldrsht ldrex ldrexb ldrexh');
const SINGLE_STORES = words('str strb strh strt strbt strht');
const STORE_EXCLUSIVE = words('strex strexb strexh');
const LOAD_MULTIPLE = words('ldm ldmia ldmfd ldmdb ldmea pop');
const STORE_MULTIPLE = words('stm stmia stmea stmdb stmfd push');

// Table 7-1.
const FP_ONE = words(`
  vadd vsub vmul vnmul vabs vneg vcmp vcmpe vcvt vcvtr vcvtb vcvtt vmrs vmsr
`);
const FP_MAC = words('vmla vmls vnmla vnmls vfma vfms vfnma vfnms');
const FP_LONG = words('vdiv vsqrt');
const FP_MULTIPLE = words('vldm vldmia vldmdb vstm vstmia vstmdb vpush vpop');

const BRANCHES = words('b bl blx bx cbz cbnz tbb tbh');
/** PC writes whose target is the instruction's immediate, or a table entry inside the function. */
const DIRECT_OR_TABLE = words('b bl cbz cbnz tbb tbh');

const KNOWN = new Set([
  ...ONE_CYCLE,
  ...MULTIPLY,
  ...SINGLE_LOADS,
  ...SINGLE_STORES,
  ...STORE_EXCLUSIVE,
  ...LOAD_MULTIPLE,
  ...STORE_MULTIPLE,
  ...FP_ONE,
  ...FP_MAC,
  ...FP_LONG,
  ...FP_MULTIPLE,
  ...BRANCHES,
  'sdiv',
  'udiv',
  'ldrd',
  'strd',
  'dmb',
  'dsb',
  'isb',
  'vmov',
  'vldr',
  'vstr',
]);

function words(s: string): Set<string> {
  return new Set(s.split(/\s+/).filter((w) => w.length > 0));
}

// arm_cc 1..14 as Capstone prints them.
const COND_SUFFIX = ['', 'eq', 'ne', 'hs', 'lo', 'mi', 'pl', 'vs', 'vc', 'hi', 'ls', 'ge', 'lt', 'gt', 'le'];
const COND_ALIAS: Record<string, string> = { hs: 'cs', lo: 'cc' };
const CC_AL = 15;

/** Normalised mnemonic: `addeq` → `add`, `bne.w` → `b`, `vadd.f32` → `vadd`, `muls` → `mul`, `ittet` → `it`. */
export function mnemonicRoot(insn: Insn): string {
  let m = insn.mnemonic.toLowerCase().split('.')[0] ?? '';
  if (/^it[te]{0,3}$/.test(m)) return 'it';
  if (insn.cc >= 1 && insn.cc <= 14) {
    const suffix = COND_SUFFIX[insn.cc] ?? '';
    for (const s of [suffix, COND_ALIAS[suffix] ?? '']) {
      if (s && m.length > s.length && m.endsWith(s) && KNOWN.has(stripS(m.slice(0, -s.length)))) {
        m = m.slice(0, -s.length);
        break;
      }
    }
  }
  return stripS(m);
}

/** Drops a flag-setting `s` (`adds` → `add`) when that turns an unknown mnemonic into a known one. */
function stripS(m: string): string {
  if (KNOWN.has(m) || !m.endsWith('s')) return m;
  const bare = m.slice(0, -1);
  return KNOWN.has(bare) ? bare : m;
}

function regOps(insn: Insn): string[] {
  return insn.operands.filter((o) => o.type === 'reg' && o.reg !== undefined).map((o) => o.reg as string);
}

function memOp(insn: Insn) {
  return insn.operands.find((o) => o.type === 'mem');
}

/** 32-bit words a register list moves: S and core registers 1, D registers 2. */
export function listWords(regs: string[]): number {
  let n = 0;
  for (const r of regs) n += /^d\d+$/.test(r) ? 2 : 1;
  return n;
}

/** Register list of LDM/STM/VLDM/VSTM (operand 0 is the base) or PUSH/POP/VPUSH/VPOP (no base operand). */
function registerList(insn: Insn, root: string): string[] {
  const regs = regOps(insn);
  return root === 'push' || root === 'pop' || root === 'vpush' || root === 'vpop' ? regs : regs.slice(1);
}

function baseOfMultiple(insn: Insn, root: string): string {
  if (root === 'push' || root === 'pop' || root === 'vpush' || root === 'vpop') return 'sp';
  return regOps(insn)[0] ?? 'sp';
}

export function writtenCoreRegs(insn: Insn): string[] {
  const out = new Set<string>();
  for (const o of insn.operands) {
    if (o.type === 'reg' && o.reg && CORE_REGS.has(o.reg) && (o.access & 2) !== 0) out.add(o.reg);
  }
  for (const r of insn.regsWrite) if (CORE_REGS.has(r)) out.add(r);
  return [...out];
}

/**
 * Cycles of one instruction on its own (Table 3-1 / Table 7-1), before the neighbour rules of 3.3.2 and
 * without the refill P of a PC write (`writesPc` says whether one is due).
 */
export function instructionCycles(insn: Insn, p: CycleModelParams): InsnTiming {
  const root = mnemonicRoot(insn);
  const regs = regOps(insn);
  const mem = memOp(insn);
  const writes = writtenCoreRegs(insn);
  const t: InsnTiming = {
    root,
    cycles: 1,
    writesPc: writes.includes('pc'),
    conditional: (insn.cc !== CC_AL && insn.cc !== 0) || root === 'cbz' || root === 'cbnz',
    call: root === 'bl' || root === 'blx',
    mem: 'none',
    addressRegs: [],
    loadDest: [],
    registerOffset: false,
    literal: false,
    dataProcessingWrites: [],
    known: KNOWN.has(root),
  };
  if (root === 'it') t.conditional = false; // IT's cc is the block's first condition, not its own
  const address = (): string[] =>
    mem ? [mem.base, mem.index].filter((r): r is string => typeof r === 'string') : [];
  const isLiteral = (): boolean => mem?.base === 'pc';

  if (SINGLE_LOADS.has(root) || STORE_EXCLUSIVE.has(root)) {
    // Table 3-1: LDR*, LDREX*, STREX* 2. LDR to PC: 2 + P (3.3.2 says "at least 5", i.e. P = 3).
    t.cycles = 2;
    t.mem = SINGLE_LOADS.has(root) ? 'load' : 'strex';
    t.addressRegs = address();
    t.loadDest = regs.slice(0, 1);
    t.literal = isLiteral();
    if (t.writesPc) t.mem = 'other'; // 3.3.2: LDR PC is always blocking
  } else if (SINGLE_STORES.has(root)) {
    // Table 3-1: STR* 2; 3.3.2 refines it (see blockCost).
    t.cycles = 2;
    t.mem = 'store';
    t.addressRegs = address();
    t.registerOffset = typeof mem?.index === 'string';
  } else if (root === 'ldrd' || root === 'strd') {
    // Table 3-1: LDRD/STRD 1 + N with N = 2; 3.3.2: never pipelined with neighbours.
    t.cycles = 3;
    t.mem = 'other';
    t.addressRegs = address();
    t.literal = root === 'ldrd' && isLiteral();
  } else if (LOAD_MULTIPLE.has(root) || STORE_MULTIPLE.has(root)) {
    // Table 3-1: LDM/STM/PUSH/POP 1 + N; with PC in the list 1 + N + P.
    t.cycles = 1 + registerList(insn, root).length;
    t.mem = 'other';
    t.addressRegs = [baseOfMultiple(insn, root)];
  } else if (MULTIPLY.has(root)) {
    t.cycles = 1;
  } else if (root === 'sdiv' || root === 'udiv') {
    t.cycles = p.divideCycles; // Table 3-1: 2..12
  } else if (root === 'dmb' || root === 'dsb') {
    t.cycles = 1 + p.barrierCycles; // Table 3-1: 1 + B
  } else if (root === 'isb') {
    t.cycles = 1 + Math.max(p.barrierCycles, p.branchRefill); // Table 3-1 note: ISB's B is at least a refill
  } else if (root === 'tbb' || root === 'tbh') {
    // Table 3-1: TBB/TBH 2 + P (3.3.2: "at least six cycles").
    t.cycles = 2;
    t.writesPc = true;
    t.mem = 'other';
    t.addressRegs = address();
    t.literal = isLiteral();
  } else if (BRANCHES.has(root)) {
    // Table 3-1: B/BL/BX/BLX 1 + P; B<cond>, CBZ/CBNZ 1 not taken, 1 + P taken.
    t.cycles = 1;
    t.writesPc = true;
  } else if (FP_MAC.has(root)) {
    t.cycles = 3; // Table 7-1: VMLA/VMLS/VNMLA/VNMLS/VFMA/VFMS/VFNMA/VFNMS 3
  } else if (FP_LONG.has(root)) {
    t.cycles = 14; // Table 7-1: VDIV, VSQRT 14
  } else if (root === 'vldr' || root === 'vstr') {
    // Table 7-1: VLDR.32/VSTR.32 2, VLDR.64/VSTR.64 3.
    t.cycles = 1 + listWords(regs.slice(0, 1));
    t.mem = 'other';
    t.addressRegs = address();
    t.literal = root === 'vldr' && isLiteral();
  } else if (FP_MULTIPLE.has(root)) {
    // Table 7-1: VLDM/VSTM/VPUSH/VPOP .32 1 + N, .64 1 + 2N.
    t.cycles = 1 + listWords(registerList(insn, root));
    t.mem = 'other';
    t.addressRegs = [baseOfMultiple(insn, root)];
  } else if (root === 'vmov') {
    // Table 7-1: VMOV 1, except two core registers <-> two S registers or one D register: 2.
    const core = regs.filter((r) => CORE_REGS.has(r)).length;
    t.cycles = core >= 2 ? 2 : 1;
  } else if (FP_ONE.has(root)) {
    t.cycles = 1; // Table 7-1: VADD/VSUB/VMUL/VNMUL/VABS/VNEG/VCMP/VCVT/VMRS/VMSR 1
  }
  // Everything else (ONE_CYCLE and unknown): 1. A write to PC by MOV/ADD costs 1 + P (Table 3-1).

  if (t.mem === 'none' && !BRANCHES.has(root)) {
    t.dataProcessingWrites = writes.filter((r) => r !== 'pc');
  }
  return t;
}

// --- SP tracking ---------------------------------------------------------------------------------

export type SpEffect = { kind: 'none' } | { kind: 'static'; delta: number } | { kind: 'dynamic' };

const MSP_SYSREG = 275; // Capstone 4 ARM_SYSREG_MSP

/** How one instruction moves SP: by a constant, by a value only known at run time, or not at all. */
export function spEffect(insn: Insn, root = mnemonicRoot(insn)): SpEffect {
  const regs = regOps(insn);
  const mem = memOp(insn);
  if (root === 'push' || root === 'vpush') return { kind: 'static', delta: -4 * listWords(regs) };
  if (root === 'pop' || root === 'vpop') return { kind: 'static', delta: 4 * listWords(regs) };
  if ((LOAD_MULTIPLE.has(root) || STORE_MULTIPLE.has(root) || FP_MULTIPLE.has(root)) && regs[0] === 'sp') {
    if (!insn.writeback) return { kind: 'none' };
    const bytes = 4 * listWords(regs.slice(1));
    const down = root.endsWith('db') || root === 'ldmea' || root === 'stmfd';
    return { kind: 'static', delta: down ? -bytes : bytes };
  }
  if (mem && mem.base === 'sp' && insn.writeback) {
    // Pre-indexed `[sp, #imm]!` writes back sp + disp; post-indexed `[sp], #imm` has the offset as the
    // operand after the memory operand.
    const after = insn.operands[insn.operands.indexOf(mem) + 1];
    if (after === undefined) return { kind: 'static', delta: mem.disp ?? 0 };
    if (after.type === 'imm' && after.imm !== undefined) return { kind: 'static', delta: after.imm };
    return { kind: 'dynamic' };
  }
  if ((root === 'add' || root === 'sub' || root === 'addw' || root === 'subw') && regs[0] === 'sp') {
    const ops = insn.operands;
    const first = ops[0];
    if (first && (first.access & 2) !== 0) {
      const sign = root.startsWith('add') ? 1 : -1;
      const imm = ops[ops.length - 1];
      const srcIsSp =
        ops.length === 2 ? true : ops.length === 3 && ops[1]?.type === 'reg' && ops[1].reg === 'sp';
      if (imm?.type === 'imm' && imm.imm !== undefined && srcIsSp)
        return { kind: 'static', delta: sign * imm.imm };
      return { kind: 'dynamic' };
    }
  }
  // The addon sets `sysreg` on sysreg operands (not declared in InsnOperand).
  const sysreg = (o: object): number | undefined => (o as { sysreg?: number }).sysreg;
  if (root === 'msr' && insn.operands.some((o) => o.type === 'sysreg' && sysreg(o) === MSP_SYSREG)) {
    // Bare-metal firmware runs on MSP, so writing MSP moves the live SP.
    return { kind: 'dynamic' };
  }
  if (writtenCoreRegs(insn).includes('sp')) return { kind: 'dynamic' };
  return { kind: 'none' };
}

// --- blocks --------------------------------------------------------------------------------------

/**
 * Cost of one translation block.
 *
 * Per instruction: Table 3-1 / 7-1 (instructionCycles), then the load/store rules of TRM 3.3.2, applied
 * between neighbours inside the block (the first instruction of a block is treated as having no
 * load/store predecessor):
 *  1. An LDR (any single load, LDREX, or STREX) followed by a single LDR/STR/LDREX/STREX whose address
 *     does not use the first one's destination: the second costs one cycle less.
 *  2. LDR PC, LDRD/STRD, LDM/STM/PUSH/POP, TBB/TBH and FP loads/stores neither pipeline nor are pipelined.
 *  3. Nothing pipelines after a store (STR is only ever the second of a pair).
 *  4. STR with an immediate offset is one cycle: its data phase overlaps the next instruction. When the
 *     next instruction also accesses memory it has to wait, so the STR then costs the table's 2.
 *     STR with a register offset costs 2 (nothing overlaps it), or 1 when pipelined after an LDR.
 *  5. A load or store whose address register was written by the instruction just before it by a
 *     data-processing operation (ALU, multiply, divide, FP-to-core move) stalls one cycle.
 * Not modelled: "LDR Rx,[PC,#imm] might add a cycle" (contention with fetch; only the flash wait states
 * are charged), write-buffer stalls, unaligned accesses, FPU result latency, IT folding.
 *
 * Instructions inside an IT block are charged their full cost whether or not their condition passes.
 * A final conditional PC write (B<cond>, CBZ/CBNZ, or a conditional BX/POP/LDR PC in an IT block) costs
 * its base cycles in `cycles` and P (+ flash wait states) in `takenCycles`.
 */
export function blockCost(insns: Insn[], p: CycleModelParams, opts: { inFlash: boolean }): BlockCost {
  const refill = p.branchRefill + (opts.inFlash ? p.flashWaitStates : 0);
  const timings = insns.map((i) => instructionCycles(i, p));
  const costs = neighbourCosts(timings, p, opts);
  let cycles = 0;
  let takenCycles = 0;
  let flags = 0;

  for (let k = 0; k < insns.length; k++) {
    const t = timings[k] as InsnTiming;
    const last = k === insns.length - 1;
    if (!t.known) {
      const m = (insns[k] as Insn).mnemonic;
      unknownSeen.set(m, (unknownSeen.get(m) ?? 0) + 1);
    }
    cycles += costs[k] as number;

    if (t.writesPc) {
      if (t.conditional) {
        // Not the last instruction: it cannot have been taken, or the block would have ended there.
        if (last) {
          takenCycles += refill;
          flags |= BLOCK_COND_BRANCH;
        }
      } else {
        cycles += refill;
      }
    }
    if (last && t.call) flags |= BLOCK_CALL;
    // Any other PC write than a direct branch (B, BL, CBZ/CBNZ: the target is their immediate) or a
    // table branch (TBB/TBH: always within the function) may be a return or a tail call: bx lr,
    // bx rN, pop {…, pc}, ldm …, ldr pc, [sp], #4 (whose immediate is an offset), mov pc, rN.
    if (last && t.writesPc && !DIRECT_OR_TABLE.has(t.root)) flags |= BLOCK_INDIRECT;
  }

  if (isIdleLoop(insns)) flags |= BLOCK_HANG;
  if (insns.some(writesExceptionMask)) flags |= BLOCK_MASK_WRITE;

  const { spPreMin, spPostMin, spPostNet, spNet, dynamic, lowers, untracked } = blockSp(insns, timings);
  if (dynamic) flags |= BLOCK_SP_DYNAMIC;
  if (lowers) flags |= BLOCK_SP_LOWERS;
  if (untracked) flags |= BLOCK_SP_UNTRACKED;

  return {
    instructions: insns.length,
    cycles,
    takenCycles,
    flags,
    spPreMin,
    spPostMin,
    spPostNet,
    spNet,
  };
}

/**
 * Cycles of each instruction of a block after the neighbour rules of 3.3.2 (see blockCost) and the
 * flash wait states of a literal load, without the refill P of a PC write. A PC write ends a
 * translation block, so the refill never falls before another instruction of the same block: the
 * cycles from a block's start to the start of its instruction k are the sum of the first k costs.
 */
export function instructionCosts(insns: Insn[], p: CycleModelParams, opts: { inFlash: boolean }): number[] {
  return neighbourCosts(
    insns.map((i) => instructionCycles(i, p)),
    p,
    opts,
  );
}

function neighbourCosts(timings: InsnTiming[], p: CycleModelParams, opts: { inFlash: boolean }): number[] {
  const costs: number[] = [];
  for (let k = 0; k < timings.length; k++) {
    const t = timings[k] as InsnTiming;
    const prev = k > 0 ? timings[k - 1] : undefined;
    const next = timings[k + 1];
    let c = t.cycles;
    const pipelined =
      prev !== undefined &&
      (prev.mem === 'load' || prev.mem === 'strex') &&
      (t.mem === 'load' || t.mem === 'strex' || t.mem === 'store') &&
      !t.addressRegs.some((r) => prev.loadDest.includes(r));
    if (pipelined) {
      c -= 1; // rule 1
    } else if (
      prev !== undefined &&
      t.mem !== 'none' &&
      t.addressRegs.some((r) => prev.dataProcessingWrites.includes(r))
    ) {
      c += 1; // rule 5
    }
    if (t.mem === 'store' && !pipelined && !t.registerOffset && (next === undefined || next.mem === 'none')) {
      c -= 1; // rule 4
    }
    if (t.literal && opts.inFlash) c += p.flashWaitStates;
    costs.push(c);
  }
  return costs;
}

// --- SP within a block ---------------------------------------------------------------------------

/** What is known about a core register inside a block: a constant, SP plus an offset, or nothing. */
type Known = { kind: 'const'; value: number } | { kind: 'sp'; offset: number };

/**
 * SP offsets through a block: from block entry until the last SP write whose value is not known
 * statically, then from the value that write produced (the native profiler recovers that value from
 * SP at the next block entry). Register values set earlier in the block (`movs r3, #40`,
 * `mov r4, sp`) are followed, so `sub sp, sp, r3` and `mov sp, r4` stay static when they can.
 */
export function blockSp(
  insns: Insn[],
  timings: { root: string; conditional: boolean }[],
): {
  spPreMin: number;
  spPostMin: number;
  spPostNet: number;
  spNet: number;
  dynamic: boolean;
  lowers: boolean;
  untracked: boolean;
} {
  const known = new Map<string, Known>();
  let sp = 0;
  let spPreMin = 0;
  let spPostMin = 0;
  let dynamic = false;
  let lowers = false;
  // An SP write that may not happen (in an IT block) leaves SP after the block unknown statically
  // even when its operands are known.
  let untracked = false;
  for (let k = 0; k < insns.length; k++) {
    const insn = insns[k] as Insn;
    const { root, conditional } = timings[k] as { root: string; conditional: boolean };
    let e = spEffect(insn, root);
    if (e.kind === 'dynamic') {
      const to = resolvedSpWrite(insn, root, known, sp);
      if (to !== null) e = { kind: 'static', delta: to - sp };
    }
    if (conditional && e.kind !== 'none') untracked = true;
    if (e.kind === 'dynamic') {
      dynamic = true;
      sp = 0;
      spPostMin = 0;
      // SP-relative values from before now have an unknown base.
      for (const [r, v] of known) if (v.kind === 'sp') known.delete(r);
    } else if (e.kind === 'static') {
      sp += e.delta;
      if (e.delta < 0) lowers = true;
      if (dynamic) spPostMin = Math.min(spPostMin, sp);
      else spPreMin = Math.min(spPreMin, sp);
    }
    trackRegisters(insn, root, conditional, known, sp);
  }
  return {
    spPreMin,
    spPostMin: dynamic ? spPostMin : 0,
    spPostNet: dynamic ? sp : 0,
    spNet: dynamic || untracked ? 0 : sp,
    dynamic,
    lowers,
    untracked,
  };
}

/** The SP offset a `mov sp, rN` / `sub sp, sp, rN` / `add sp, rN` produces when rN is known, else null. */
function resolvedSpWrite(insn: Insn, root: string, known: Map<string, Known>, sp: number): number | null {
  const regs = regOps(insn);
  if (regs[0] !== 'sp' || insn.operands.some((o) => o.type === 'mem' || o.shiftValue !== 0)) return null;
  const source = regs[regs.length - 1];
  const v = source !== undefined && source !== 'sp' ? known.get(source) : undefined;
  if (!v) return null;
  if (root === 'mov' && regs.length === 2) return v.kind === 'sp' ? v.offset : null;
  const fromSp = regs.length === 2 || regs[1] === 'sp';
  if (!fromSp || v.kind !== 'const') return null;
  if (root === 'sub') return sp - v.value;
  if (root === 'add') return sp + v.value;
  return null;
}

function trackRegisters(
  insn: Insn,
  root: string,
  conditional: boolean,
  known: Map<string, Known>,
  sp: number,
) {
  const written = writtenCoreRegs(insn).filter((r) => r !== 'sp' && r !== 'pc');
  for (const r of written) known.delete(r);
  if (conditional || written.length !== 1) return;
  const rd = written[0] as string;
  const ops = insn.operands;
  const imm = ops[ops.length - 1];
  if ((root === 'mov' || root === 'movw') && ops.length === 2) {
    if (imm?.type === 'imm' && imm.imm !== undefined) known.set(rd, { kind: 'const', value: imm.imm >>> 0 });
    else if (imm?.type === 'reg' && imm.reg === 'sp' && imm.shiftValue === 0)
      known.set(rd, { kind: 'sp', offset: sp });
  } else if ((root === 'add' || root === 'sub' || root === 'addw' || root === 'subw') && ops.length === 3) {
    if (ops[1]?.type === 'reg' && ops[1].reg === 'sp' && imm?.type === 'imm' && imm.imm !== undefined) {
      known.set(rd, { kind: 'sp', offset: sp + (root.startsWith('add') ? imm.imm : -imm.imm) });
    }
  }
}

/**
 * CPSIE/CPSID or an MSR (to PRIMASK, BASEPRI, BASEPRI_MAX, FAULTMASK or anything else): the
 * execution priority may have dropped, so a pending exception may now be taken (ARMv7-M ARM B1.5.4).
 */
export function writesExceptionMask(i: Insn): boolean {
  return i.mnemonic.startsWith('cps') || i.mnemonic === 'msr';
}

/**
 * A block that can never make progress without an interrupt, which m4sim does not model: a lone
 * `b .` (the "LoopForever" of start-up code and default handlers), or WFI/WFE.
 */
export function isIdleLoop(insns: Insn[]): boolean {
  if (insns.some((i) => i.mnemonic === 'wfi' || i.mnemonic === 'wfe')) return true;
  const only = insns.length === 1 ? insns[0] : undefined;
  if (!only || only.cc !== 15 || !/^b(\.[nw])?$/.test(only.mnemonic)) return false;
  const target = only.operands[0];
  return target?.type === 'imm' && target.imm === only.address;
}
