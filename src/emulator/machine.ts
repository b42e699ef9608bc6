// Runs one Cortex-M4 ELF to completion in Unicorn: maps the board, loads PT_LOAD segments at their
// load addresses, paints RAM, resets from the vector table, services semihosting and the PPB, and
// turns however the run ended into a one-line diagnosis.
import { parseElf, SHF_ALLOC, staticSizes, type Elf } from '../elf/elf.js';
import { SymbolTable } from '../elf/symbols.js';
import {
  blockCost,
  DEFAULT_CYCLE_MODEL,
  describeCycleModel,
  type CycleModelParams,
} from '../profile/cycle-model.js';
import { buildFunctionProfile, type FunctionsProfile } from '../profile/functions.js';
import { lowestTouchedBelow, paintBuffer, touchedBytes, type TouchedRegion } from '../profile/sram.js';
import { writeStderr, writeStdout } from '../util/stdio.js';
import { hex } from '../util/units.js';
import { regionOf, type Board, type MemoryRegion } from './board.js';
import { ElfError } from '../elf/elf.js';
import {
  disasm,
  native,
  UC_ARCH_ARM,
  UC_ARM_REG,
  UC_CPU_ARM_CORTEX_M4,
  UC_HOOK_INSN_INVALID,
  UC_HOOK_INTR,
  UC_HOOK_MEM_PROT,
  UC_HOOK_MEM_UNMAPPED,
  UC_MEM_FETCH_PROT,
  UC_MEM_FETCH_UNMAPPED,
  UC_MEM_READ_PROT,
  UC_MEM_READ_UNMAPPED,
  UC_MEM_WRITE_PROT,
  UC_MEM_WRITE_UNMAPPED,
  UC_MODE_MCLASS,
  UC_MODE_THUMB,
  UC_PROT_ALL,
  UC_PROT_EXEC,
  UC_PROT_READ,
  type Insn,
  type ProfileCounters,
  type UnicornEngine,
} from './native.js';
import { PPB_BASE, PPB_SIZE, PrivatePeripheralBus, type ItmEvent } from './ppb.js';
import { Semihosting } from './semihosting.js';
import { readVectorTable } from './vector-table.js';
import { describeTrap, exclusiveAlignmentTrap, ucRegister, withTrapChecks } from './trap-checks.js';
import { coveredBy, executeNeverRegion, mappedRegionName } from './regions.js';

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
  | 'stopped';

export const EXIT_STATUS: Record<Exclude<ExitReason, 'exit'>, number> = {
  timeout: 124,
  'instruction-limit': 125,
  hang: 126,
  'invalid-instruction': 132, // 128 + SIGILL
  breakpoint: 133, // 128 + SIGTRAP
  'stack-overflow': 134, // 128 + SIGABRT
  'unaligned-access': 135, // 128 + SIGBUS: UsageFault UNALIGNED
  'divide-by-zero': 136, // 128 + SIGFPE: UsageFault DIVBYZERO
  'memory-fault': 139, // 128 + SIGSEGV
  stopped: 70,
};

export interface RunOptions {
  board: Board;
  /** Core clock in Hz for "time at clock", SYS_CLOCK and SYS_TIME. */
  clockHz?: number;
  cycleModel?: CycleModelParams;
  /** Host folder semihosting may open files in; none → no host file access. */
  sandbox?: string;
  /**
   * Firmware's stdout/stderr (semihosting and ITM port 0); default: synchronous writes to fd 1 and 2.
   * A throw (e.g. BrokenPipeError when the reader went away) stops the emulation at once and leaves
   * runFirmware with that error.
   */
  stdout?: (bytes: Uint8Array) => void;
  stderr?: (bytes: Uint8Array) => void;
  stdin?: () => Uint8Array | null;
  cmdline?: string;
  maxInstructions?: number;
  timeoutMs?: number;
  /** Exact SRAM mode: per-instruction SP hook and a write hook over RAM (slow; cross-checks the fast path). */
  exact?: boolean;
  /**
   * false: no block profiler at all (only the benchmark's baseline uses this; instruction, cycle and
   * stack figures are then 0).
   */
  profile?: boolean;
  /** Bytes to write into RAM after loading and before reset (e.g. an input frame at a symbol). */
  preload?: { address: number; bytes: Uint8Array }[];
  /** Memory to read back after the run (e.g. results at a symbol), returned in `collected`. */
  collect?: { name: string; address: number; length: number }[];
  /**
   * Called at each write to ITM stimulus ports 1–31 as it happens (the event also lands in
   * `RunResult.itm`), e.g. for progress on layer markers. Runs inside the emulator: keep it cheap, and
   * do not throw (a throw ends the run as an internal error).
   */
  onItmEvent?: (e: ItmEvent) => void;
}

export interface SramReport {
  /** Main SRAM size (the region holding the initial stack pointer). */
  size: number;
  data: number;
  bss: number;
  /** Other static RAM sections (.noinit and friends), counted in total. */
  otherStatic: number;
  /** Linker-reserved heap/stack placeholders (not counted: the heap and stack figures measure them). */
  reserved: number;
  /** Heap high-water: highest break minus the first break _sbrk returned. */
  heap: number;
  /** Initial SP minus the lowest SP reached, in bytes. */
  stack: number;
  /** data + bss + otherStatic + heap + stack. */
  total: number;
  /** Bytes written anywhere in RAM during the run (painting), including loaded .data. */
  touched: number;
  initialSp: number;
  lowestSp: number;
  /** Functions on the call path (outermost first) when the stack was deepest. */
  stackPath: string[];
  /** Modeled cycles when the stack was deepest. */
  stackPeakCycles: number;
  /** Stack high-water seen by painting: initial SP minus the lowest written byte below it. */
  stackPainted: number;
  regions: TouchedRegion[];
  /** Present in exact mode: the per-instruction SP minimum and the lowest stack write. */
  exact?: { stack: number; lowestWrite: number | null };
}

export interface RunResult {
  exit: { reason: ExitReason; code: number; message: string; pc: number | null; location: string | null };
  instructions: number;
  cycles: number;
  cpi: number;
  clockHz: number;
  seconds: number;
  cycleModel: { name: string; description: string; params: CycleModelParams };
  sram: SramReport;
  flash: { used: number; size: number };
  board: string;
  /** ITM events in order, the first ITM_EVENT_LIMIT of them (src/emulator/ppb.ts). */
  itm: ItmEvent[];
  /** Events past that limit, counted per port (not kept); empty when none were dropped. */
  itmDropped: { port: number; events: number }[];
  semihosting: { refused: string[] };
  ppbUnmodeled: string[];
  /** Registers in the board's unmodeled peripheral ranges the firmware read or wrote. */
  peripherals: { address: number; reads: number; writes: number }[];
  /**
   * Accesses to peripheral registers beyond the first PERIPHERAL_REGISTER_LIMIT distinct ones: not
   * stored (reads return 0) and not listed in `peripherals`, only counted.
   */
  peripheralsUntracked: number;
  /** The `collect` ranges as they were when the run ended. */
  collected: Record<string, Uint8Array>;
  /** Translated blocks, for profiles: address, size, executions, taken final branches. */
  blocks: { address: number; size: number; execs: number; taken: number }[];
  symbols: SymbolTable;
  /** Per-function and per-call-path cycles, instructions and calls from the native shadow stack. */
  functions: FunctionsProfile;
  wallSeconds: number;
}

interface Fault {
  reason: ExitReason;
  message: string;
  pc: number | null;
}

const MEM_KIND: Record<number, string> = {
  [UC_MEM_READ_UNMAPPED]: 'read from unmapped address',
  [UC_MEM_WRITE_UNMAPPED]: 'write to unmapped address',
  [UC_MEM_FETCH_UNMAPPED]: 'instruction fetch from unmapped address',
  [UC_MEM_READ_PROT]: 'read from protected address',
  [UC_MEM_WRITE_PROT]: 'write to read-only address',
  [UC_MEM_FETCH_PROT]: 'instruction fetch from non-executable address',
};

/**
 * Distinct unmodeled peripheral registers (word addresses) tracked per run. Real parts have a few
 * thousand; a firmware sweeping a 512 MiB peripheral range would otherwise fill host memory (and
 * a JavaScript Map stops at 2^24 entries).
 */
export const PERIPHERAL_REGISTER_LIMIT = 65_536;

function pageAlign(n: number): number {
  return Math.ceil(n / 4096) * 4096;
}

export function loadElf(bytes: Uint8Array, name: string): Elf {
  return parseElf(bytes, name);
}

/** Runs the firmware to its end and measures it. Bad firmware ends in `exit`, never in a throw. */
export function runFirmware(elf: Elf, options: RunOptions): RunResult {
  const board = options.board;
  const model = { ...(options.cycleModel ?? DEFAULT_CYCLE_MODEL), flashWaitStates: board.flashWaitStates };
  const clockHz = options.clockHz ?? board.clockHz;
  const symbols = new SymbolTable(elf);
  const vectors = readVectorTable(elf, board);
  // Synchronous writes by default: the event loop does not run during emulation (src/util/stdio.ts).
  const stdout = options.stdout ?? writeStdout;
  const stderr = options.stderr ?? writeStderr;
  const stackRegion = regionOf(board, vectors.initialSp - 1);
  if (!stackRegion)
    throw new ElfError(
      `${elf.name}: initial stack pointer ${hex(vectors.initialSp)} is not in the board's RAM`,
    );

  const uc: UnicornEngine = new (native().Unicorn)(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS);
  const started = process.hrtime.bigint();
  try {
    uc.ctl_set_cpu_model(UC_CPU_ARM_CORTEX_M4);
    // Flash is read/execute only: a store to it is a fault on a real part, and a diagnosis here.
    uc.mem_map(board.flash.base, pageAlign(board.flash.size), UC_PROT_READ | UC_PROT_EXEC);
    for (const r of board.ram) {
      uc.mem_map(r.base, pageAlign(r.size), UC_PROT_ALL);
      uc.mem_write(r.base, paintBuffer(r.size));
    }

    for (const seg of elf.segments.filter((s) => s.type === 1 && s.filesz > 0)) {
      const start = seg.paddr;
      const end = seg.paddr + seg.filesz;
      const inFlash = start >= board.flash.base && end <= board.flash.base + board.flash.size;
      const ram = board.ram.find((r) => start >= r.base && end <= r.base + r.size);
      if (!inFlash && !ram) {
        throw new ElfError(
          `${elf.name}: segment at ${hex(start)} (${seg.filesz} bytes) does not fit the ${board.name} memory map ` +
            `(flash ${hex(board.flash.base)}+${board.flash.size}, ${board.ram.map((r) => `${r.name} ${hex(r.base)}+${r.size}`).join(', ')})`,
        );
      }
      uc.mem_write(start, elf.bytes.subarray(seg.offset, seg.offset + seg.filesz));
    }
    for (const p of options.preload ?? []) uc.mem_write(p.address, p.bytes);

    const sizes = staticSizes(elf, board.ram, board.flash);
    // The stack may grow down to the end of whatever static data lies below the initial SP.
    let spLimit = stackRegion.base;
    for (const s of elf.sections) {
      const isRam = regionOf(board, s.addr) === stackRegion;
      const alloc = (s.flags & 2) !== 0;
      if (!isRam || !alloc || s.size === 0) continue;
      if (sizes.reservedNames.includes(s.name)) continue;
      const end = s.addr + s.size;
      if (end <= vectors.initialSp && end > spLimit) spLimit = end;
    }

    const heapBase = (symbols.address('end') ?? symbols.address('_end') ?? spLimit) >>> 0;
    let fault: Fault | null = null;
    let exitCode: number | null = null;
    let exitMessage = '';

    const semihosting = new Semihosting(
      {
        read: (address, length) => uc.mem_read(address, length),
        write: (address, bytes) => uc.mem_write(address, bytes),
        // uc.mem_write ignores the flash's read-only protection: the host may only write RAM, and
        // only read flash and RAM (never device memory, whose reads have side effects).
        readable: (address, length) => coveredBy([board.flash, ...board.ram], address, length),
        writable: (address, length) => coveredBy(board.ram, address, length),
      },
      {
        sandbox: options.sandbox,
        stdout,
        stderr,
        stdin: options.stdin,
        cmdline: options.cmdline ?? 'firmware',
        heapInfo: {
          heapBase,
          heapLimit: vectors.initialSp,
          stackBase: vectors.initialSp,
          stackLimit: heapBase,
        },
        elapsedSeconds: () => uc.cycles() / clockHz,
      },
    );
    // Each tracked register: its access counts and the value reads return (the last write).
    const peripheralAccesses = new Map<number, { reads: number; writes: number; value: number }>();
    let peripheralsUntracked = 0;
    for (const region of board.peripherals) {
      /** The register's entry, or null when it is new and the limit is reached (then only counted). */
      const note = (offset: number, kind: 'reads' | 'writes') => {
        const address = (region.base + (offset & ~3)) >>> 0;
        let entry = peripheralAccesses.get(address);
        if (!entry) {
          if (peripheralAccesses.size >= PERIPHERAL_REGISTER_LIMIT) {
            peripheralsUntracked++;
            return null;
          }
          entry = { reads: 0, writes: 0, value: 0 };
          peripheralAccesses.set(address, entry);
        }
        entry[kind]++;
        return entry;
      };
      uc.mmio_map(
        region.base,
        region.size,
        (offset, size) => {
          const word = note(offset, 'reads')?.value ?? 0;
          const shift = (offset & 3) * 8;
          return size >= 4 ? word : (word >>> shift) & ((1 << (size * 8)) - 1);
        },
        (offset, size, value) => {
          const entry = note(offset, 'writes');
          if (!entry) return;
          if (size >= 4) {
            entry.value = value >>> 0;
          } else {
            const shift = (offset & 3) * 8;
            const mask = ((1 << (size * 8)) - 1) << shift;
            entry.value = ((entry.value & ~mask) | ((value << shift) & mask)) >>> 0;
          }
        },
      );
    }
    // SP is valid inside the PPB write callback: it runs inside the emulator at the store.
    const ppb = new PrivatePeripheralBus(
      () => uc.cycles(),
      stdout,
      vectors.address,
      () => {
        const sp = uc.reg_read_i32(UC_ARM_REG.SP) >>> 0;
        return { sp, minSp: Math.min(sp, uc.profile_window_min_sp() >>> 0) };
      },
      options.onItmEvent,
    );
    // CCR and CPACR arm the trap checks the native profiler evaluates at block entry.
    ppb.onTrapConfig = (ccr, cpacr) => uc.trap_config(ccr, cpacr);
    uc.mmio_map(
      PPB_BASE,
      PPB_SIZE,
      (offset, size) => ppb.read(offset, size),
      (offset, size, value) => ppb.write(offset, size, value),
    );

    // ARM exception numbers as Unicorn reports them (QEMU target/arm/cpu.h EXCP_*).
    const EXCP_UDEF = 1;
    const EXCP_SWI = 2;
    const EXCP_PREFETCH_ABORT = 3;
    const EXCP_DATA_ABORT = 4;
    const EXCP_BKPT = 7;
    const EXCP_EXCEPTION_EXIT = 8;
    const EXCP_UNALIGNED = 22;
    const EXCP_NAMES: Record<number, string> = {
      1: 'undefined instruction (UsageFault)',
      2: 'SVC (no exception model: m4sim does not take SVCall)',
      4: 'data abort (BusFault)',
      5: 'IRQ',
      17: 'UsageFault (CFSR.NOCP): coprocessor instruction with the coprocessor disabled',
      18: 'invalid state (INVSTATE UsageFault: BX to an ARM-state address?)',
      19: 'stack limit (STKOF)',
      22: 'UsageFault (CFSR.UNALIGNED): unaligned access',
    };
    uc.hook_add(UC_HOOK_INTR, (intno: number) => {
      const pc = uc.reg_read_i32(UC_ARM_REG.PC);
      if (intno === EXCP_BKPT) {
        const insn = uc.mem_read(pc, 2);
        const imm = insn[0]!;
        if (insn[1] === 0xbe && imm === 0xab) {
          const op = uc.reg_read_i32(UC_ARM_REG.R0);
          const param = uc.reg_read_i32(UC_ARM_REG.R1);
          const outcome = semihosting.handle(op, param);
          if (outcome.kind === 'exit') {
            exitCode = outcome.code;
            exitMessage = outcome.reason;
            uc.emu_stop();
            return;
          }
          uc.reg_write_i32(UC_ARM_REG.R0, outcome.value >>> 0);
          uc.reg_write_i32(UC_ARM_REG.PC, (pc + 2) | 1); // keep the Thumb bit: writing PC sets the state
          return;
        }
        fault = { reason: 'breakpoint', message: `breakpoint bkpt #${imm}`, pc };
      } else if (intno === EXCP_UDEF) {
        fault = { reason: 'invalid-instruction', message: 'undefined instruction', pc };
      } else if (intno === EXCP_SWI) {
        fault = { reason: 'breakpoint', message: EXCP_NAMES[intno]!, pc };
      } else if (intno === EXCP_PREFETCH_ABORT || intno === EXCP_EXCEPTION_EXIT) {
        fault = fetchFault(board, uc, symbols, pc);
      } else if (intno === EXCP_DATA_ABORT) {
        fault = unalignedExclusive(uc, pc) ?? {
          reason: 'memory-fault',
          message: EXCP_NAMES[intno]!,
          pc,
        };
      } else if (intno === EXCP_UNALIGNED) {
        // QEMU raises this itself for the accesses it checks (e.g. LDREX); the rest: trap-checks.ts.
        fault = { reason: 'unaligned-access', message: EXCP_NAMES[intno]!, pc };
      } else {
        fault = { reason: 'invalid-instruction', message: EXCP_NAMES[intno] ?? `CPU exception ${intno}`, pc };
      }
      uc.emu_stop();
    });
    uc.hook_add(UC_HOOK_INSN_INVALID, () => {
      fault = {
        reason: 'invalid-instruction',
        message: 'undefined instruction',
        pc: uc.reg_read_i32(UC_ARM_REG.PC),
      };
      return false;
    });
    uc.hook_add(UC_HOOK_MEM_UNMAPPED | UC_HOOK_MEM_PROT, (type: number, address: number, size: number) => {
      if (type === UC_MEM_FETCH_UNMAPPED || type === UC_MEM_FETCH_PROT) {
        fault = fetchFault(board, uc, symbols, address);
        return false;
      }
      const pc = faultingPc(uc, address);
      fault = { reason: 'memory-fault', message: describeAccess(board, type, address, size), pc };
      return false;
    });

    const inFlash = (a: number) => a >= board.flash.base && a < board.flash.base + board.flash.size;
    if (options.profile !== false)
      uc.profile_enable({
        onNewBlock: (address, size) => {
          const insns = decodeBlock(uc, address, size);
          return withTrapChecks(blockCost(insns, model, { inFlash: inFlash(address) }), insns);
        },
        sbrk: symbols.address('_sbrk') ?? undefined,
        maxInstructions: options.maxInstructions,
        timeoutMs: options.timeoutMs,
        spLimit,
        exact: options.exact,
        exactBegin: stackRegion.base,
        exactEnd: stackRegion.base + stackRegion.size,
      });

    uc.reg_write_i32(UC_ARM_REG.SP, vectors.initialSp);
    let hostError: Error | null = null;
    try {
      const timeoutUs = options.profile === false && options.timeoutMs ? options.timeoutMs * 1000 : 0;
      uc.emu_start(vectors.reset | 1, 0xffffffff, timeoutUs, 0);
    } catch (e) {
      if (!fault) hostError = e as Error;
    }
    if (hostError) {
      const pc = uc.reg_read_i32(UC_ARM_REG.PC);
      if ((hostError as { ucErrno?: number }).ucErrno !== undefined) {
        fault = { reason: 'invalid-instruction', message: hostError.message, pc };
      } else {
        throw hostError; // an exception from our own hooks is a bug in m4sim, not in the firmware
      }
    }

    const counters = uc.profile_counters();
    const exit = describeExit(
      counters,
      fault,
      exitCode,
      exitMessage,
      symbols,
      options,
      uc,
      stackRegion,
      sizes,
      elf,
    );

    // SRAM accounting.
    const regions = board.ram.map((r) => touchedBytes(r, uc.mem_read(r.base, r.size)));
    const stackBytes = uc.mem_read(stackRegion.base, stackRegion.size);
    const heapHigh = counters.heapSeen ? counters.heapHigh : 0;
    const floor = Math.max(spLimit, heapHigh);
    const paintedLow = lowestTouchedBelow(stackRegion.base, stackBytes, floor, vectors.initialSp);
    const lowestSp = Math.min(counters.minSp, vectors.initialSp);
    const stack = vectors.initialSp - lowestSp;
    const heap = counters.heapSeen ? counters.heapHigh - counters.heapStart : 0;
    const sram: SramReport = {
      size: stackRegion.size,
      data: sizes.data,
      bss: sizes.bss,
      otherStatic: sizes.other,
      reserved: sizes.reserved,
      heap,
      stack,
      total: sizes.data + sizes.bss + sizes.other + heap + stack,
      touched: regions.reduce((n, r) => n + r.touched, 0),
      initialSp: vectors.initialSp,
      lowestSp,
      // The shadow call stack holds callees; the reset handler is the root of every path.
      stackPath: [vectors.reset & ~1, ...uc.profile_deepest_path()].map((a) => symbols.functionName(a)),
      stackPeakCycles: counters.deepestCycles,
      stackPainted: vectors.initialSp - paintedLow,
      regions,
    };
    if (options.exact) {
      const exactMin = Math.min(counters.exactMinSp, vectors.initialSp);
      sram.exact = {
        stack: vectors.initialSp - exactMin,
        lowestWrite: counters.exactMinWrite === 0xffffffff ? null : counters.exactMinWrite,
      };
    }

    const raw = uc.profile_blocks();
    const blocks = Array.from(raw.address, (address, i) => ({
      address,
      size: raw.size[i]!,
      execs: raw.execs[i]!,
      taken: raw.taken[i]!,
    }));
    semihosting.close();
    const collected: Record<string, Uint8Array> = {};
    for (const c of options.collect ?? [])
      collected[c.name] = new Uint8Array(uc.mem_read(c.address, c.length));
    return {
      exit,
      instructions: counters.instructions,
      cycles: counters.cycles,
      cpi: counters.instructions > 0 ? counters.cycles / counters.instructions : 0,
      clockHz,
      seconds: counters.cycles / clockHz,
      cycleModel: { name: model.name, description: describeCycleModel(model), params: model },
      sram,
      flash: { used: sizes.flashUsed, size: board.flash.size },
      board: board.name,
      itm: ppb.events,
      itmDropped: ppb.describeItmDropped(),
      semihosting: { refused: semihosting.refused },
      ppbUnmodeled: ppb.describeUnmodeled(),
      peripherals: [...peripheralAccesses]
        .sort((a, b) => a[0] - b[0])
        .map(([address, n]) => ({ address, reads: n.reads, writes: n.writes })),
      peripheralsUntracked,
      blocks,
      collected,
      symbols,
      functions: buildFunctionProfile(uc.profile_calls(), vectors.reset & ~1, symbols),
      wallSeconds: Number(process.hrtime.bigint() - started) / 1e9,
    };
  } finally {
    uc.close();
  }
}

/** A data abort at an LDREX/STREX whose address is not aligned: UsageFault UNALIGNED (trap-checks.ts). */
function unalignedExclusive(uc: UnicornEngine, pc: number): Fault | null {
  let insn: Insn | undefined;
  try {
    insn = disasm(uc.mem_read(pc, 4), pc, 1)[0];
  } catch {
    return null;
  }
  const trap = insn && exclusiveAlignmentTrap(insn, (r) => uc.reg_read_i32(ucRegister(r)) >>> 0);
  return trap ? { reason: 'unaligned-access', message: describeTrap(trap).message, pc } : null;
}

function decodeBlock(uc: UnicornEngine, address: number, size: number): Insn[] {
  return disasm(uc.mem_read(address, size), address);
}

/**
 * Unicorn 2.0 reports the PC of the block's start inside memory hooks, so find the instruction in
 * the current block whose effective address (with the registers as they are at the fault) covers
 * the faulting address. Falls back to the block start.
 */
function faultingPc(uc: UnicornEngine, address: number): number {
  const counters = uc.profile_counters();
  const start = counters.lastBlock || uc.reg_read_i32(UC_ARM_REG.PC);
  const size = counters.lastBlock ? counters.lastBlockSize : 64;
  let insns: Insn[];
  try {
    insns = decodeBlock(uc, start, size);
  } catch {
    return start;
  }
  const reg = (name: string): number | null => {
    const table: Record<string, number> = { sp: UC_ARM_REG.SP, lr: UC_ARM_REG.LR, pc: UC_ARM_REG.PC };
    const m = /^r(\d+)$/.exec(name);
    if (m) return uc.reg_read_i32(UC_ARM_REG.R0 + Number(m[1]));
    if (name === 'sb') return uc.reg_read_i32(UC_ARM_REG.R9);
    if (name === 'sl') return uc.reg_read_i32(UC_ARM_REG.R10);
    if (name === 'fp') return uc.reg_read_i32(UC_ARM_REG.R11);
    if (name === 'ip') return uc.reg_read_i32(UC_ARM_REG.R12);
    return table[name] !== undefined ? uc.reg_read_i32(table[name]!) : null;
  };
  for (const insn of insns) {
    const m = insn.mnemonic.replace(/\.w$/, '');
    const lists = insn.operands.filter((o) => o.type === 'reg').length;
    if (m === 'push' || m.startsWith('stmdb') || m === 'vpush') {
      const sp = reg(m === 'push' || m === 'vpush' ? 'sp' : (insn.operands[0]?.reg ?? 'sp'));
      if (sp !== null && address < sp && address >= sp - 8 * lists) return insn.address;
      continue;
    }
    for (const op of insn.operands) {
      if (op.type !== 'mem' || !op.base) continue;
      const base = op.base === 'pc' ? (insn.address + 4) & ~3 : reg(op.base);
      if (base === null) continue;
      const index = op.index ? (reg(op.index) ?? 0) : 0;
      const ea = (base + (op.disp ?? 0) + (op.index ? index << op.shiftValue : 0)) >>> 0;
      if (address >= ea && address < ea + 64) return insn.address;
    }
    if (/^(ldm|stm|pop)/.test(m)) {
      const base = m === 'pop' ? reg('sp') : reg(insn.operands[0]?.reg ?? '');
      if (base !== null && address >= base && address < base + 4 * lists) return insn.address;
    }
  }
  return start;
}

function describeAccess(board: Board, type: number, address: number, size: number): string {
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

function describeExit(
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
      message: `firmware is idling forever (a branch to itself or WFI/WFE; m4sim takes no interrupts) at ${location} (pc ${hex(counters.lastBlock)}); did main return without exit()?`,
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
function fetchFault(board: Board, uc: UnicornEngine, symbols: SymbolTable, address: number): Fault {
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
