// How a run ended, as one line: the diagnosis of a memory fault (which instruction, what address,
// what is there), an instruction fetch the core cannot make, a stack overflow (what SP would enter),
// a trap, a limit or an idle loop; with the PC and the function (ARMv7-M ARM B3.1 for the memory map).
import { SHF_ALLOC, type Elf, type staticSizes } from '../elf/elf.js';
import type { SymbolTable } from '../elf/symbols.js';
import { hex } from '../util/units.js';
import type { Board, MemoryRegion } from './board.js';
import type { RunOptions, RunResult } from './machine.js';
import {
  disasm,
  UC_ARM_REG,
  UC_MEM_FETCH_PROT,
  UC_MEM_FETCH_UNMAPPED,
  UC_MEM_READ_PROT,
  UC_MEM_READ_UNMAPPED,
  UC_MEM_WRITE_PROT,
  UC_MEM_WRITE_UNMAPPED,
  type Insn,
  type ProfileCounters,
  type UnicornEngine,
} from './native.js';
import { executeNeverRegion, mappedRegionName } from './regions.js';
import {
  accessBlock,
  accessingInstruction,
  registerReader,
  wordReader,
  type MemoryAccess,
} from './accessing-instruction.js';
import type { Fault } from './run-loop.js';
import { describeTrap, exclusiveAlignmentTrap, ucRegister } from './trap-checks.js';

/**
 * How a run ended. `code` is the process exit status m4sim returns: the firmware's own status for
 * `exit`, otherwise one of EXIT_STATUS (128 + the signal a hosted program would have died of).
 */
export type ExitReason =
  | 'exit'
  | 'timeout'
  | 'instruction-limit'
  | 'invalid-instruction'
  | 'memory-fault'
  | 'stack-overflow'
  | 'breakpoint'
  | 'hang'
  | 'divide-by-zero'
  | 'unaligned-access'
  | 'system-reset'
  | 'polling'
  | 'unmodeled-peripheral'
  | 'stopped'
  | 'killed'
  | StopReason;

/**
 * A stop condition the user asked for was reached (src/emulator/stop-conditions.ts): the run did what
 * was asked, so its status is 0 (a limit like --max-instructions, in contrast, guards against
 * runaway firmware and ends with its own status).
 */
export type StopReason = 'until-output' | 'until-symbol' | 'sim-time' | 'max-cycles';

export const STOP_REASONS: readonly StopReason[] = ['until-output', 'until-symbol', 'sim-time', 'max-cycles'];

/** True for the reasons of a stop condition: a run that ended as asked, not a firmware exit. */
export function isStopReason(reason: string): reason is StopReason {
  return (STOP_REASONS as readonly string[]).includes(reason);
}

export const EXIT_STATUS: Record<Exclude<ExitReason, 'exit'>, number> = {
  'until-output': 0,
  'until-symbol': 0,
  'sim-time': 0,
  'max-cycles': 0,
  // Next to timeout, instruction-limit and hang: the firmware would wait forever, here for
  // hardware m4sim does not model (an unmodeled register polled that nothing can change).
  polling: 123,
  timeout: 124,
  'instruction-limit': 125,
  hang: 126,
  'invalid-instruction': 132, // 128 + SIGILL
  breakpoint: 133, // 128 + SIGTRAP
  'stack-overflow': 134, // 128 + SIGABRT
  'unaligned-access': 135, // 128 + SIGBUS: UsageFault UNALIGNED
  'divide-by-zero': 136, // 128 + SIGFPE: UsageFault DIVBYZERO
  'memory-fault': 139, // 128 + SIGSEGV
  // --strict-peripherals: an access no model serves, as a bus error on a part without the
  // peripheral would be; the same status as a memory fault, its own reason.
  'unmodeled-peripheral': 139,
  'system-reset': 143, // 128 + SIGTERM: the firmware ended itself by asking for a reset
  killed: 137, // 128 + SIGKILL: the debugger killed the run (gdb's `kill`, or its client went away)
  stopped: 70,
};

const MEM_KIND: Record<number, string> = {
  [UC_MEM_READ_UNMAPPED]: 'read from unmapped address',
  [UC_MEM_WRITE_UNMAPPED]: 'write to unmapped address',
  [UC_MEM_FETCH_UNMAPPED]: 'instruction fetch from unmapped address',
  [UC_MEM_READ_PROT]: 'read from protected address',
  [UC_MEM_WRITE_PROT]: 'write to read-only address',
  [UC_MEM_FETCH_PROT]: 'instruction fetch from non-executable address',
};

/** A data abort at an LDREX/STREX whose address is not aligned: UsageFault UNALIGNED (trap-checks.ts). */
export function unalignedExclusive(uc: UnicornEngine, pc: number): Fault | null {
  let insn: Insn | undefined;
  try {
    insn = disasm(uc.mem_read(pc, 4), pc, 1)[0];
  } catch {
    return null;
  }
  const trap = insn && exclusiveAlignmentTrap(insn, (r) => uc.reg_read_i32(ucRegister(r)) >>> 0);
  return trap ? { reason: 'unaligned-access', message: describeTrap(trap).message, pc } : null;
}

export function decodeBlock(uc: UnicornEngine, address: number, size: number): Insn[] {
  return disasm(uc.mem_read(address, size), address);
}

/**
 * Unicorn 2.0 reports the PC of the block's start inside memory hooks, so find the instruction in
 * the current block whose transfer (with the registers as they are at the fault) covers the
 * faulting address (accessing-instruction.ts): exactly, with the access's direction and size when
 * given, else within 64 bytes of it. Falls back to the block start.
 */
export function faultingPc(
  uc: UnicornEngine,
  address: number,
  access: Omit<MemoryAccess, 'address'> = {},
): number {
  const counters = uc.profile_counters();
  const start = counters.lastBlock || uc.reg_read_i32(UC_ARM_REG.PC);
  const size = counters.lastBlock ? counters.lastBlockSize : 64;
  let insns: Insn[];
  try {
    insns = decodeBlock(uc, start, size);
  } catch {
    return start;
  }
  const reg = registerReader(uc);
  const block = accessBlock(insns, wordReader(uc));
  let k = accessingInstruction(block, { ...access, address }, reg);
  if (k < 0) k = accessingInstruction(block, { address, write: access.write }, reg, { slack: 64 });
  return k >= 0 ? (insns[k] as Insn).address : start;
}

export function describeAccess(board: Board, type: number, address: number, size: number): string {
  const kind = MEM_KIND[type] ?? 'invalid memory access';
  let where = '';
  const after = [...board.ram].sort((a, b) => b.base + b.size - (a.base + a.size));
  for (const r of after) {
    const end = r.base + r.size;
    if (address >= end && address < end + 0x100000) {
      where = ` (${address - end} bytes past the end of ${r.name} at ${hex(end)})`;
      break;
    }
  }
  if (!where && address >= board.flash.base && address < board.flash.base + board.flash.size)
    where = ' (flash)';
  if (
    !where &&
    address >= board.flash.base + board.flash.size &&
    address < board.flash.base + 2 * board.flash.size
  ) {
    where = ` (${address - board.flash.base - board.flash.size} bytes past the end of flash)`;
  }
  return `${kind} ${hex(address)}, ${size} byte${size === 1 ? '' : 's'}${where}`;
}

export function describeExit(
  counters: ProfileCounters,
  fault: Fault | null,
  exitCode: number | null,
  exitMessage: string,
  symbols: SymbolTable,
  options: RunOptions,
  uc: UnicornEngine,
  stackRegion: MemoryRegion,
  sizes: ReturnType<typeof staticSizes>,
  elf: Elf,
): RunResult['exit'] {
  const at = (pc: number | null) => (pc === null ? null : symbols.format(pc));
  if (exitCode !== null) {
    return {
      reason: 'exit',
      code: exitCode & 0xff,
      message: exitMessage || `exit(${exitCode})`,
      pc: null,
      location: null,
    };
  }
  if (fault) {
    const location = at(fault.pc);
    return {
      reason: fault.reason,
      code: EXIT_STATUS[fault.reason as Exclude<ExitReason, 'exit'>],
      message: `${fault.message} at ${placeOf(symbols, options.board, fault.pc)}`,
      pc: fault.pc,
      location,
    };
  }
  const pc = uc.reg_read_i32(UC_ARM_REG.PC);
  if (counters.limitHit === 1) {
    return {
      reason: 'instruction-limit',
      code: EXIT_STATUS['instruction-limit'],
      message: `stopped after ${counters.instructions} instructions (--max-instructions ${options.maxInstructions}) in ${symbols.format(pc)}`,
      pc,
      location: symbols.format(pc),
    };
  }
  if (counters.limitHit === 4) {
    const location = symbols.format(counters.lastBlock);
    return {
      reason: 'hang',
      code: EXIT_STATUS.hang,
      message: `firmware is idling forever (a branch to itself or WFI/WFE, and no enabled interrupt will fire) at ${location} (pc ${hex(counters.lastBlock)}); did main return without exit()?`,
      pc: counters.lastBlock,
      location,
    };
  }
  if (counters.limitHit === 5) {
    const decoded = (() => {
      try {
        return disasm(uc.mem_read(counters.trapPc, 4), counters.trapPc, 1)[0];
      } catch {
        return undefined; // the last halfword of a region: the mnemonic is optional
      }
    })();
    const trap = describeTrap({
      kind: counters.trapKind,
      pc: counters.trapPc,
      value: counters.trapValue,
      align: counters.trapAlign,
      mnemonic: decoded?.mnemonic ?? null,
    });
    const location = symbols.format(counters.trapPc);
    return {
      reason: trap.reason,
      code: EXIT_STATUS[trap.reason],
      message: `${trap.message} at ${placeOf(symbols, options.board, counters.trapPc)}`,
      pc: counters.trapPc,
      location,
    };
  }
  if (counters.limitHit === 2) {
    return {
      reason: 'timeout',
      code: EXIT_STATUS.timeout,
      message: `stopped after ${options.timeoutMs} ms of wall-clock time (--timeout) in ${symbols.format(pc)}`,
      pc,
      location: symbols.format(pc),
    };
  }
  if (counters.limitHit === 3) {
    const into = overflowInto(elf, counters, stackRegion, sizes.reservedNames);
    const stack = [...uc.profile_call_stack()].map((a) => symbols.functionName(a));
    const where = stack.length > 0 ? stack[stack.length - 1]! : symbols.format(counters.lastBlock);
    return {
      reason: 'stack-overflow',
      code: EXIT_STATUS['stack-overflow'],
      message:
        `stack overflow into ${into}: SP would reach ${hex(counters.overflowSp)} in ${where} ` +
        `(${stackRegion.name} ${hex(stackRegion.base)}..${hex(stackRegion.base + stackRegion.size)}, call depth ${counters.depth})`,
      pc: counters.lastBlock,
      location: where,
    };
  }
  return {
    reason: 'stopped',
    code: EXIT_STATUS.stopped,
    message: `emulation stopped without an exit call at ${symbols.format(pc)}`,
    pc,
    location: symbols.format(pc),
  };
}

/**
 * What SP would enter: the heap when it is between the first and the highest break, else the static
 * section holding the address (.data, .bss, .noinit…), else the nearest static section below it in
 * the stack's RAM region, else the memory below that region.
 */
function overflowInto(
  elf: Elf,
  counters: ProfileCounters,
  stackRegion: MemoryRegion,
  reservedNames: readonly string[],
): string {
  const sp = counters.overflowSp >>> 0;
  if (counters.heapSeen && sp >= counters.heapStart && sp < counters.heapHigh) return 'the heap';
  const statics = elf.sections.filter(
    (s) =>
      (s.flags & SHF_ALLOC) !== 0 &&
      s.size > 0 &&
      s.name !== '' &&
      !reservedNames.includes(s.name) &&
      s.addr >= stackRegion.base &&
      s.addr < stackRegion.base + stackRegion.size,
  );
  const holding = statics.find((s) => sp >= s.addr && sp < s.addr + s.size);
  if (holding) return holding.name;
  const below = statics
    .filter((s) => s.addr + s.size <= sp)
    .sort((a, b) => b.addr + b.size - (a.addr + a.size));
  if (below[0]) return below[0].name;
  return `the memory below ${stackRegion.name} (${hex(stackRegion.base)})`;
}

/**
 * "main+0x8 (pc 0x08000208)" when a function contains the PC; otherwise the address alone and what
 * is there: "0x08002390 (in flash, outside any function)", "0x30000000 (unmapped)".
 */
function placeOf(symbols: SymbolTable, board: Board, pc: number | null): string {
  if (pc === null) return 'an unknown PC';
  if (symbols.lookup(pc)) return `${symbols.format(pc)} (pc ${hex(pc)})`;
  const region = mappedRegionName(board, pc);
  const code = region === 'flash' || board.ram.some((r) => r.name === region);
  return `${hex(pc)} (${region === undefined ? 'unmapped' : `in ${region}${code ? ', outside any function' : ''}`})`;
}

/**
 * An instruction fetch the core cannot make, with one message shape however Unicorn reports it: from
 * unmapped memory (the unmapped-memory hook); from an Execute Never region of the default memory map
 * (ARMv7-M ARM B3.1, Table B3-1: QEMU raises a prefetch abort, EXCP 3, before any hook); from
 * 0xFFFFFFF0 and up (QEMU's EXCP_EXCEPTION_EXIT, 8: an EXC_RETURN value, but m4sim runs in Thread mode
 * with no exception active, where B1.5.8 makes it a plain branch into the XN System region). Silicon
 * takes a MemManage or BusFault with the fetched address as the stacked PC; so is the PC here.
 */
export function fetchFault(board: Board, uc: UnicornEngine, symbols: SymbolTable, address: number): Fault {
  const target = address >>> 0;
  const notes: string[] = [];
  const xn = executeNeverRegion(target);
  if (xn) notes.push(`${xn} region: Execute Never`);
  if (target >= 0xfffffff0) notes.push('an EXC_RETURN value, but no exception is active');
  const from = lastInstruction(uc, target);
  if (from !== null) notes.push(`reached from ${symbols.format(from)}`);
  const kind = mappedRegionName(board, target) === undefined ? 'unmapped' : 'non-executable';
  const note = notes.length > 0 ? ` (${notes.join('; ')})` : '';
  return {
    reason: 'memory-fault',
    message: `instruction fetch from ${kind} address ${hex(target)}${note}`,
    pc: target,
  };
}

/** The last instruction of the last block the profiler saw enter, unless that block is the target's. */
function lastInstruction(uc: UnicornEngine, target: number): number | null {
  const { lastBlock, lastBlockSize } = uc.profile_counters();
  if (!lastBlock || (target >= lastBlock && target < lastBlock + lastBlockSize)) return null;
  try {
    return decodeBlock(uc, lastBlock, lastBlockSize).at(-1)?.address ?? lastBlock;
  } catch {
    return lastBlock;
  }
}
