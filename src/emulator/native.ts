// Typed view of the N-API addon in native/m4sim_native.cc (built by node-gyp during `npm ci`).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UnavailableError } from '../util/units.js';

/** unicorn.h constants used by m4sim (values from Unicorn 2's public headers). */
export const UC_ARCH_ARM = 1;
export const UC_MODE_THUMB = 1 << 4;
export const UC_MODE_MCLASS = 1 << 5;
/** arm.h uc_cpu_arm: CORTEX_M4 (the default M-class model is the M33). */
export const UC_CPU_ARM_CORTEX_M4 = 9;
export const UC_PROT_READ = 1;
export const UC_PROT_WRITE = 2;
export const UC_PROT_EXEC = 4;
export const UC_PROT_ALL = 7;

export const UC_HOOK_INTR = 1 << 0;
export const UC_HOOK_CODE = 1 << 2;
export const UC_HOOK_BLOCK = 1 << 3;
export const UC_HOOK_MEM_READ_UNMAPPED = 1 << 4;
export const UC_HOOK_MEM_WRITE_UNMAPPED = 1 << 5;
export const UC_HOOK_MEM_FETCH_UNMAPPED = 1 << 6;
export const UC_HOOK_MEM_READ_PROT = 1 << 7;
export const UC_HOOK_MEM_WRITE_PROT = 1 << 8;
export const UC_HOOK_MEM_FETCH_PROT = 1 << 9;
export const UC_HOOK_MEM_READ = 1 << 10;
export const UC_HOOK_MEM_WRITE = 1 << 11;
export const UC_HOOK_INSN_INVALID = 1 << 14;
export const UC_HOOK_MEM_UNMAPPED =
  UC_HOOK_MEM_READ_UNMAPPED | UC_HOOK_MEM_WRITE_UNMAPPED | UC_HOOK_MEM_FETCH_UNMAPPED;
export const UC_HOOK_MEM_PROT = UC_HOOK_MEM_READ_PROT | UC_HOOK_MEM_WRITE_PROT | UC_HOOK_MEM_FETCH_PROT;

/** uc_mem_type values passed to memory hooks. */
export const UC_MEM_READ = 16;
export const UC_MEM_WRITE = 17;
export const UC_MEM_FETCH = 18;
export const UC_MEM_READ_UNMAPPED = 19;
export const UC_MEM_WRITE_UNMAPPED = 20;
export const UC_MEM_FETCH_UNMAPPED = 21;
export const UC_MEM_WRITE_PROT = 22;
export const UC_MEM_READ_PROT = 23;
export const UC_MEM_FETCH_PROT = 24;

/** uc_arm_reg ids. */
export const UC_ARM_REG = {
  LR: 10,
  PC: 11,
  SP: 12,
  XPSR: 120,
  IPSR: 114,
  MSP: 115,
  PSP: 116,
  CONTROL: 117,
  PRIMASK: 123,
  BASEPRI: 124,
  FAULTMASK: 126,
  FPSCR: 6,
  R0: 66,
  R1: 67,
  R2: 68,
  R3: 69,
  R4: 70,
  R5: 71,
  R6: 72,
  R7: 73,
  R8: 74,
  R9: 75,
  R10: 76,
  R11: 77,
  R12: 78,
} as const;

/** Block flags the cycle model reports to the native profiler (native/m4sim_native.cc). */
export const BLOCK_COND_BRANCH = 1;
export const BLOCK_CALL = 2;
export const BLOCK_SP_DYNAMIC = 4;
export const BLOCK_SP_LOWERS = 8;
/** Ends in an indirect branch (bx, pop {…, pc}, ldr pc, mov pc …): the native shadow stack checks for a return. */
export const BLOCK_INDIRECT = 16;
/** Cannot progress without an interrupt (`b .`, WFI, WFE): the run stops there (limitHit 4). */
export const BLOCK_HANG = 32;
/**
 * The block carries trap checks (BlockCost.checks) of this kind, evaluated natively at block entry
 * while the trap is armed: alignment that always faults (LDRD/LDM/LDREX…), alignment under
 * CCR.UNALIGN_TRP, division by zero under CCR.DIV_0_TRP, FPU use while CPACR denies it.
 */
export const BLOCK_CHECK_ALIGN = 64;
export const BLOCK_CHECK_UNALIGN = 128;
export const BLOCK_CHECK_DIV0 = 256;
export const BLOCK_CHECK_FP = 512;
/** The block's first FPU instruction, checked while a lazy FP save is pending (FPCCR.LSPACT, B1.5.7). */
export const BLOCK_CHECK_LAZYFP = 4096;
/**
 * Ends in a direct branch (B, B<cond>) to the entry of another function (machine.ts marks it from
 * the ELF's function symbols): taken, it is a tail call, and the callee replaces the caller's frame.
 */
export const BLOCK_TAILCALL = 8192;
/** Contains CPS or MSR: with a masked exception pending, the native profiler stops after the block. */
export const BLOCK_MASK_WRITE = 1024;
/**
 * An SP write in an IT block: SP after the block is not known statically. The native profiler
 * reads SP again after it, as after BLOCK_SP_DYNAMIC and BLOCK_MASK_WRITE (an MSR: MSP, PSP or
 * CONTROL.SPSEL may move the SP in use) blocks.
 */
export const BLOCK_SP_UNTRACKED = 16384;
/** Translated in ARM state (EPSR.T = 0): stops before it runs as trap kind TRAP_INVSTATE (5). */
export const BLOCK_INVSTATE = 2048;
export const TRAP_INVSTATE = 5;

/** debug_state() kinds: why the last emu_start stopped for the debugger (0: it did not). */
export const DEBUG_BREAK = 1;
export const DEBUG_STEP = 2;
export const DEBUG_WATCH = 3;
export const DEBUG_SLICE = 4;

/** A block's static cost, returned once per newly translated block. */
export interface BlockCost {
  /** Instructions in the block. */
  instructions: number;
  /** Modeled cycles when a final conditional branch is not taken (or there is none). */
  cycles: number;
  /** Extra cycles when the final conditional branch is taken. */
  takenCycles: number;
  /** BLOCK_* flags. */
  flags: number;
  /** Lowest SP reached in the block relative to SP at entry, before any dynamic SP write (≤ 0). */
  spPreMin: number;
  /** Lowest SP after the last dynamic SP write, relative to the SP that write produced (≤ 0). */
  spPostMin: number;
  /** SP at block exit minus SP right after the last dynamic SP write. */
  spPostNet: number;
  /** SP at block exit minus SP at entry when every SP write is static and unconditional (else 0). */
  spNet: number;
  /** Trap checks, TRAP_CHECK_FIELDS numbers each (see src/emulator/trap-checks.ts). */
  checks?: number[];
}

export interface ProfileOptions {
  onNewBlock: (address: number, size: number) => BlockCost;
  /**
   * Break functions to follow (the heap break, src/emulator/sram-report.ts): entry address and the
   * argument register (0–3: R0–R3) holding the increment. At most 8; calls nest up to 4 deep.
   */
  breaks?: { address: number; register: number }[];
  maxInstructions?: number;
  /**
   * The ELF's functions for the shadow call stack: [start, end, entry] per function, sorted by start
   * and disjoint (src/emulator/function-ranges.ts). Without it only calls and returns are followed.
   */
  functions?: Uint32Array;
  /** Entry of the reset handler: the root activation. */
  root?: number;
  /** Stop (limitHit 3) when SP would go below this address or below the heap break. */
  spLimit?: number;
  timeoutMs?: number;
  /** Exact mode: a per-instruction SP hook and a write hook over [exactBegin, exactEnd). */
  exact?: boolean;
  exactBegin?: number;
  exactEnd?: number;
}

export interface ProfileCounters {
  instructions: number;
  cycles: number;
  minSp: number;
  blocks: number;
  /** 0: none, 1: instruction limit reached, 2: wall-clock timeout, 3: stack overflow, 4: idle loop, 5: trap, 6: cycle limit (set_max_cycles). */
  limitHit: number;
  /** limitHit 5: the TRAP_* kind, the PC of the trapping instruction, the address or divisor it computed, and the alignment it needed. */
  trapKind: number;
  trapPc: number;
  trapValue: number;
  trapAlign: number;
  /** A break call succeeded: heapStart is the previous break the first one returned, heapHigh the highest break. */
  heapSeen: boolean;
  heapStart: number;
  heapHigh: number;
  /** Successful outermost break calls (a nested call inside one, e.g. _sbrk_r -> _sbrk, is not counted again). */
  breakCalls: number;
  exactMinSp: number;
  exactMinWrite: number;
  deepestDepth: number;
  /** Deepest the shadow call stack got (frames beyond depthLimit are counted, not kept). */
  maxDepth: number;
  /** Frames the native shadow call stack keeps (4,096). */
  depthLimit: number;
  /** Calls on a new call path after the calling-context tree reached its 1,048,576 nodes (charged to the caller). */
  droppedPaths: number;
  /** SP the stack would have reached when limitHit is 3. */
  overflowSp: number;
  /** The block executing when the run stopped. */
  lastBlock: number;
  lastBlockSize: number;
  /** Shadow call stack depth now. */
  depth: number;
  /** Modeled cycles when the lowest SP (minSp) was reached. */
  deepestCycles: number;
  /** With M4SIM_VERIFY_SP=1 when the addon loaded: uses of the tracked SP checked against the engine's, and how many differed. */
  spChecks: number;
  spMismatches: number;
}

/**
 * The calling-context tree the native shadow stack builds: node i is `function[i]` (entry address)
 * called from node `parent[i]`; node 0 is the root (the reset handler, address 0, parent -1). Self
 * figures are what ran while the node was on top of the shadow stack (tail calls stay in the caller).
 */
export interface ProfileCalls {
  function: Uint32Array;
  parent: Int32Array;
  calls: Float64Array;
  selfCycles: Float64Array;
  selfInstructions: Float64Array;
}

export interface ProfileBlocks {
  address: Uint32Array;
  size: Uint32Array;
  execs: Float64Array;
  taken: Float64Array;
}

export interface UnicornEngine {
  ctl_set_cpu_model(model: number): void;
  mem_map(address: number, size: number, perms?: number): void;
  mem_read(address: number, size: number): Buffer;
  mem_write(address: number, bytes: Uint8Array): void;
  reg_read_i32(reg: number): number;
  reg_write_i32(reg: number, value: number): void;
  emu_start(begin: number, until: number, timeoutUs?: number, count?: number): void;
  emu_stop(): void;
  hook_add(type: number, callback: (...args: number[]) => unknown, begin?: number, end?: number): number;
  hook_del(handle: number): void;
  mmio_map(
    address: number,
    size: number,
    read: (offset: number, size: number) => number,
    write: (offset: number, size: number, value: number) => void,
  ): void;
  close(): void;
  profile_enable(options: ProfileOptions): void;
  profile_counters(): ProfileCounters;
  profile_blocks(): ProfileBlocks;
  profile_deepest_path(): Uint32Array;
  /** Function entry addresses of the shadow call stack now, outermost first. */
  profile_call_stack(): Uint32Array;
  /**
   * The exception model tells the shadow call stack about exception entry (kind 1: handler entry
   * `a`, frame stacked at `b`), tail-chaining (2: the handler at `a` replaces the running one) and
   * return (3: unstacking the frame at `a`, resuming at `b`).
   */
  calls_exception(kind: 1 | 2 | 3, a: number, b: number): void;
  /** The calling-context tree with call counts and self cycles/instructions per node. */
  profile_calls(): ProfileCalls;
  /** Lowest SP the profiler saw since the previous call (0xffffffff: none); resets the window. */
  profile_window_min_sp(): number;
  cycles(): number;
  /**
   * Stop before the first block that starts at or after modeled cycle `cycle` (0: the next block;
   * -1: never); maskWatch: also stop after a block holding CPS/MSR (BLOCK_MASK_WRITE).
   */
  exc_stop_at(cycle: number, maskWatch: boolean): void;
  /** Before resuming at a handler or return address: charge cycles, forget the predecessor edge; resumeIdle: wake from an idle stop. */
  exc_boundary(extraCycles: number, resume: boolean, onPsp?: boolean): void;
  /** stopped: the last emu_start ended at an exception stop; limitHit as in ProfileCounters; minPsp: process-stack low-water. */
  exc_state(): { stopped: boolean; limitHit: number; minPsp: number };
  /** Records the SP an exception frame was stacked down to (on the process stack when psp). */
  exc_note_sp(sp: number, psp: boolean): void;
  /** Lowest main-stack SP since the previous call (0xffffffff: none); resets the window. */
  exc_min_sp(): number;
  /** R0, R1, R2, R3, R12, LR, xPSR, SP, CONTROL, PRIMASK, FAULTMASK, BASEPRI (one call). */
  exc_regs(): Uint32Array;
  /** Lowest process-stack SP since the previous call (0xffffffff: none); resets the window. */
  exc_psp_window(): number;
  /**
   * Modeled cycles now: the running total, incl. exception cycles and the whole cost of the block
   * executing (charged at its entry; block_clock gives its start).
   */
  now(): number;
  /**
   * Writes the block executing now into `out` (4 elements): address, size, modeled cycles at its
   * start, running instruction count (size 0 and the running cycle count when none is). Meaningful
   * inside a memory callback, where it is the block making the access (instruction-clock.ts).
   */
  block_clock(out: Float64Array): void;
  /**
   * End the run (limitHit 6) at the first block boundary at or after modeled cycle `cycles`, before
   * that block runs (0 or Infinity: no limit). Callable during the run, e.g. when the clock changes.
   */
  set_max_cycles(cycles: number): void;
  /**
   * The run stopped inside the current block before part of it ran (a stop address): take back the
   * part's counts. whole: the block did not run at all (exact); else the given instructions and cycles.
   */
  profile_take_back(whole: boolean, instructions?: number, cycles?: number): void;
  /**
   * The firmware wrote CCR or CPACR, or FPCCR.LSPACT changed (`lazyFp`): arms or disarms the native
   * trap checks.
   */
  trap_config(ccr: number, cpacr: number, lazyFp?: boolean): void;
  /**
   * Debugger (native/m4sim_native.cc "debugger"), called between emu_start calls only. A breakpoint
   * at `address` (a code hook on that instruction) is set or cleared.
   */
  debug_break(address: number, on: boolean): void;
  /** A watchpoint over [begin, end): kind 1 writes, 2 reads, 3 both; set or cleared. */
  debug_watch(begin: number, end: number, kind: number, on: boolean): void;
  /** While on, emu_start stops before the second instruction that starts (a per-instruction hook). */
  debug_step(on: boolean): void;
  /** Stop at the first block boundary at or after modeled cycle `cycle`, before that block (-1: none). */
  debug_slice(cycle: number): void;
  /** Resuming at `pc`: a breakpoint there does not fire before the first instruction runs. */
  debug_resume(pc: number): void;
  /** The debugger moved the PC: the next block is entered afresh (no predecessor edge). */
  debug_forget(): void;
  /**
   * Why the last emu_start stopped for the debugger: kind (DEBUG_*, 0: it did not), the PC the hook
   * stopped at, and for a watchpoint the first watched byte accessed and the watchpoint's kind.
   */
  debug_state(): { kind: number; pc: number; address: number; access: number };
}

/** One Capstone-decoded Thumb instruction (CS_MODE_THUMB | CS_MODE_MCLASS, details on). */
export interface Insn {
  address: number;
  size: number;
  id: number;
  mnemonic: string;
  opStr: string;
  /** arm_cc: 0 invalid, 1 EQ … 14 LE, 15 AL. */
  cc: number;
  updateFlags: boolean;
  writeback: boolean;
  regsRead: string[];
  regsWrite: string[];
  groups: string[];
  operands: InsnOperand[];
}

export interface InsnOperand {
  type: 'reg' | 'imm' | 'mem' | 'fp' | 'cimm' | 'pimm' | 'setend' | 'sysreg' | 'invalid';
  reg?: string;
  imm?: number;
  fp?: number;
  base?: string | null;
  index?: string | null;
  disp?: number;
  scale?: number;
  subtracted: boolean;
  /** cs_ac_type: 1 read, 2 write, 3 read-write. */
  access: number;
  shiftType: number;
  shiftValue: number;
}

/** What the addon reports of the libraries it loaded (native/m4sim_native.cc Versions). */
export interface NativeVersions {
  /** Unicorn's major.minor, as uc_version(&major, &minor) reports it. */
  unicorn: string;
  /** uc_version's packed word: major << 24 | minor << 16 | patch << 8 | extra. */
  unicornHex: number;
  /** major.minor.patch of the loaded library. */
  unicornVersion: string;
  /** major.minor.patch of the unicorn.h the addon was built against. */
  unicornHeaders: string;
  /** The file the dynamic linker loaded Unicorn from (null if it cannot say). */
  unicornLibrary: string | null;
  capstone: string;
}

/** native/m4sim_native.cc Disasm: instructions packed into numbers (the layout is described there). */
interface PackedInsns {
  count: number;
  ints: Int32Array;
  fps: Float64Array;
  strs: string[];
}

interface DisasmNames {
  regs: string[];
  groups: string[];
  opTypes: Record<number, InsnOperand['type']>;
}

interface NativeModule {
  Unicorn: new (arch: number, mode: number) => UnicornEngine;
  disasm(bytes: Uint8Array, address: number, count?: number): PackedInsns;
  disasm_names(): DisasmNames;
  versions(): NativeVersions;
}

function findAddon(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'build', 'Release', 'm4sim_native.node');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new UnavailableError(
    'the native addon is not built (build/Release/m4sim_native.node); run `npm ci` (it needs libunicorn-dev and libcapstone-dev)',
  );
}

let loaded: NativeModule | undefined;

/** Loads the addon on first use, so commands that need no emulator (doctor) still run without it. */
export function native(): NativeModule {
  if (!loaded) {
    const require = createRequire(import.meta.url);
    loaded = require(findAddon()) as NativeModule;
  }
  return loaded;
}

let names: DisasmNames | undefined;

/** Capstone's decoding of `bytes` at `address` as Thumb-2 (M-class), up to `count` instructions (0: all), to the first undecodable word. */
export function disasm(bytes: Uint8Array, address: number, count = 0): Insn[] {
  const addon = native();
  names ??= addon.disasm_names();
  const { regs, groups, opTypes } = names;
  const { count: n, ints, fps, strs } = addon.disasm(bytes, address, count);
  const name = (code: number, table: string[]): string => (code >= 0 ? table[code]! : strs[-2 - code]!);
  const list = (table: string[]): string[] => {
    const out: string[] = new Array<string>(ints[at++]!);
    for (let k = 0; k < out.length; k++) out[k] = name(ints[at++]!, table);
    return out;
  };
  const out: Insn[] = new Array<Insn>(n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const flags = ints[at + 4]!;
    const head = { address: ints[at]! >>> 0, size: ints[at + 1]!, id: ints[at + 2]!, cc: ints[at + 3]! };
    const mnemonic = strs[ints[at + 5]!]!;
    const opStr = strs[ints[at + 6]!]!;
    at += 7;
    const regsRead = list(regs);
    const regsWrite = list(regs);
    const groupNames = list(groups);
    const operands: InsnOperand[] = new Array<InsnOperand>(ints[at++]!);
    for (let k = 0; k < operands.length; k++, at += 9) {
      const type = opTypes[ints[at]!] ?? 'invalid';
      const a = ints[at + 1]!;
      const op: InsnOperand = { type } as InsnOperand;
      if (type === 'reg') op.reg = name(a, regs);
      if (type === 'sysreg') (op as { sysreg?: number }).sysreg = a;
      if (type === 'imm' || type === 'cimm' || type === 'pimm') op.imm = a;
      if (type === 'fp') op.fp = fps[a]!;
      if (type === 'mem') {
        op.base = a === -1 ? null : name(a, regs);
        const index = ints[at + 2]!;
        op.index = index === -1 ? null : name(index, regs);
        op.disp = ints[at + 3]!;
        op.scale = ints[at + 4]!;
      }
      op.subtracted = ints[at + 5] === 1;
      op.access = ints[at + 6]!;
      op.shiftType = ints[at + 7]!;
      op.shiftValue = ints[at + 8]!;
      operands[k] = op;
    }
    out[i] = {
      address: head.address,
      size: head.size,
      id: head.id,
      mnemonic,
      opStr,
      cc: head.cc,
      updateFlags: (flags & 1) !== 0,
      writeback: (flags & 2) !== 0,
      regsRead,
      regsWrite,
      groups: groupNames,
      operands,
    };
  }
  return out;
}
