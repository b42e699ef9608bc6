// Runs one Cortex-M4 ELF in Unicorn: maps the board, loads PT_LOAD segments at their load
// addresses, paints RAM, resets from the vector table, services semihosting and the PPB, and turns
// however the run ended into a one-line diagnosis. runFirmware runs it to completion; startMachine
// gives the same run as a Machine a debugger (src/gdb/) stops at breakpoints, watchpoints, single
// steps and time slices, inspects and resumes, every count left as a free run has it.
import { parseElf, staticSizes, type Elf } from '../elf/elf.js';
import { SymbolTable } from '../elf/symbols.js';
import {
  blockCost,
  DEFAULT_CYCLE_MODEL,
  describeCycleModel,
  type CycleModelParams,
} from '../profile/cycle-model.js';
import { buildFunctionProfile, type FunctionsProfile } from '../profile/functions.js';
import { writeStderr, writeStdout } from '../util/stdio.js';
import { hex, UsageError } from '../util/units.js';
import { regionOf, type Board } from './board.js';
import { ElfError } from '../elf/elf.js';
import {
  native,
  BLOCK_INVSTATE,
  BLOCK_TAILCALL,
  UC_ARCH_ARM,
  UC_ARM_REG,
  UC_CPU_ARM_CORTEX_M4,
  UC_HOOK_CODE,
  UC_HOOK_INSN_INVALID,
  UC_HOOK_INTR,
  UC_HOOK_MEM_PROT,
  UC_HOOK_MEM_UNMAPPED,
  UC_MEM_FETCH_PROT,
  UC_MEM_FETCH_UNMAPPED,
  UC_MEM_WRITE_PROT,
  UC_MEM_WRITE_UNMAPPED,
  UC_MODE_MCLASS,
  UC_MODE_THUMB,
  DEBUG_BREAK,
  DEBUG_SLICE,
  DEBUG_STEP,
  type ProfileCounters,
  type UnicornEngine,
} from './native.js';
import { PPB_BASE, PPB_SIZE, PrivatePeripheralBus, type ItmEvent } from './ppb.js';
import type { CameraFrame } from './camera.js';
import { Semihosting } from './semihosting.js';
import { readVectorTable } from './vector-table.js';
import { loadMemory, stackLimit } from './load.js';
import { BoardDevices } from './board-devices.js';
import type { DeviceEvent } from './peripherals/device.js';
import { breakFunctions, sramReport, staticEnd, type SramReport } from './sram-report.js';
import { readDebugRegister, writeDebugRegister, type DebugRegister } from './debug-registers.js';

export type { SramReport } from './sram-report.js';
import { withTrapChecks } from './trap-checks.js';
import { coveredBy } from './regions.js';
import { FunctionRanges } from './function-ranges.js';
import { ExceptionCore, type ExceptionStats, type PspStack } from './exception-core.js';
import { InstructionClock } from './instruction-clock.js';
import { EXC, isExcReturnAddress } from './exceptions.js';
import { CFSR, SCB_AIRCR } from './peripherals/scb.js';
import { exceptionStep, type Fault, type SyncEvent } from './run-loop.js';
import {
  decodeBlock,
  describeAccess,
  describeExit,
  faultingPc,
  fetchFault,
  unalignedExclusive,
} from './faults.js';

import { type ExitReason } from './faults.js';
import { POLL_READ_LIMIT } from './peripherals/unmodeled.js';
import {
  checkStopConditions,
  findStopSymbol,
  formatSimTime,
  OutputWatch,
  shown,
  type StopConditions,
} from './stop-conditions.js';
export { EXIT_STATUS, isStopReason, type ExitReason } from './faults.js';
export type { StopConditions } from './stop-conditions.js';
export type { DebugRegister } from './debug-registers.js';

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
  /** Bytes the board's UARTs transmit; default: the firmware's stdout (`stdout`). */
  uart?: (bytes: Uint8Array) => void;
  cmdline?: string;
  maxInstructions?: number;
  timeoutMs?: number;
  /**
   * End the run when the first of these is reached, with exit status 0 (src/emulator/faults.ts
   * STOP_REASONS): the output contains a text, the PC reaches a symbol, a simulated time, a cycle
   * count. Needs the block profiler (not with `profile: false`).
   */
  until?: StopConditions;
  /** An access to a peripheral register no model serves ends the run (`unmodeled-peripheral`). */
  strictPeripherals?: boolean;
  /**
   * Reads of one unmodeled register in a row, with nothing else in between, that end the run as
   * `polling` (default POLL_READ_LIMIT; 0: never).
   */
  pollReads?: number;
  /** Exact SRAM mode: per-instruction SP hook and a write hook over RAM (slow; cross-checks the fast path). */
  exact?: boolean;
  /**
   * false: no block profiler at all (only the benchmark's baseline uses this; instruction, cycle and
   * stack figures are then 0).
   */
  profile?: boolean;
  /**
   * The frame a streaming firmware reads in rows through the camera semihosting call (0x100,
   * src/emulator/camera.ts); absent: that call is refused.
   */
  camera?: CameraFrame;
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

export interface RunResult {
  exit: { reason: ExitReason; code: number; message: string; pc: number | null; location: string | null };
  instructions: number;
  /** Timestamped changes of the board's modeled peripherals (GPIO pins …), the first 100,000. */
  deviceEvents: DeviceEvent[];
  /** Device events after the first 100,000: counted, not kept. */
  deviceEventsDropped: number;
  /** Writes the board's models ignored (read-only registers or bits, reserved words), per register. */
  deviceIgnoredWrites: { device: string; offset: number; writes: number }[];
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
  /**
   * Registers of the board's peripheral ranges that no model serves, with the named register block
   * (board file `registerBlocks`) and offset when one holds them (else null).
   */
  peripherals: {
    address: number;
    block: string | null;
    offset: number | null;
    reads: number;
    writes: number;
  }[];
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
  exceptions: ExceptionReport;
  wallSeconds: number;
}

/** What the firmware's exceptions did (JSON `exceptions`, `sleepCycles`, `sram.msp`/`sram.psp`). */
export interface ExceptionReport {
  /** Per exception number taken: count, modeled cycles in the handler (self), lowest frame SP. */
  taken: ExceptionStats[];
  /** Cycles skipped in WFI/WFE until the interrupt that woke the core (included in `cycles`). */
  sleepCycles: number;
}

export { PERIPHERAL_REGISTER_LIMIT } from './peripherals/unmodeled.js';

/** What a debugger asks of one run() call. */
export interface RunControl {
  /** Stop before the second instruction that starts (a single step). */
  step?: boolean;
  /** Return after about this many modeled cycles (at a block boundary) so the event loop can run. */
  sliceCycles?: number;
}

export type WatchAccess = 'write' | 'read' | 'access';
const WATCH_KINDS: readonly WatchAccess[] = ['write', 'read', 'access'];

/** Why run() returned: a debugger's stop (the run goes on with the next run()) or the end of the run. */
export type MachineStop =
  | { kind: 'breakpoint' | 'step' | 'slice'; pc: number }
  /** Stopped right after an instruction accessed the watched `address` (the first watched byte it touched). */
  | { kind: 'watchpoint'; pc: number; address: number; access: WatchAccess }
  | { kind: 'ended' };

/** Figures so far, at the instruction the PC is at (its own cost not included); once the run ended, its own. */
export interface MachineProgress {
  instructions: number;
  cycles: number;
  seconds: number;
  clockHz: number;
  sram: SramReport;
}

/** Most breakpoints and watchpoints at once: each is a Unicorn hook (a debugger asks for a few). */
export const MAX_BREAKPOINTS = 256;
export const MAX_WATCHPOINTS = 32;

/** One run of one firmware, which a debugger can stop, inspect and resume (startMachine). */
export interface Machine {
  readonly elf: Elf;
  readonly symbols: SymbolTable;
  /** The run is over (exit, fault, limit, stop condition or end()): result() has its figures. */
  readonly ended: boolean;
  /** Where the core resumes (Thumb bit clear). */
  readonly pc: number;
  /** Runs until the run ends or, when debugging, a breakpoint, watchpoint, step or slice stops it. */
  run(control?: RunControl): MachineStop;
  /** Ends the run now (reason `killed`), e.g. when the debugger kills it. */
  end(message: string): void;
  result(): RunResult;
  readRegister(name: DebugRegister): number;
  /** False when the register cannot be written (a system register), or the run has ended. */
  writeRegister(name: DebugRegister, value: number): boolean;
  /** Flash and RAM only (null otherwise): device registers have read side effects. */
  readMemory(address: number, length: number): Uint8Array | null;
  /** RAM only (false otherwise). */
  writeMemory(address: number, bytes: Uint8Array): boolean;
  /** False when MAX_BREAKPOINTS are set already. */
  setBreakpoint(address: number, on: boolean): boolean;
  /** False for a bad range or when MAX_WATCHPOINTS are set already. */
  setWatchpoint(address: number, length: number, access: WatchAccess, on: boolean): boolean;
  progress(): MachineProgress;
  close(): void;
}

/** The diagnosis of a stop condition reached: which one and when; null when none ended the run. */
function stopDiagnosis(
  stopped: { reason: 'until-output' | 'until-symbol'; pc: number | null } | null,
  limitHit: number,
  ctx: {
    until: StopConditions;
    instructions: number;
    cycles: number;
    seconds: number;
    clockHz: number;
    pc: number;
    symbols: SymbolTable;
    timeCycles: number;
  },
): Fault | null {
  const when =
    `after ${ctx.instructions.toLocaleString('en-US')} instructions and ${ctx.cycles.toLocaleString('en-US')} cycles ` +
    `(${simTime(ctx.seconds)} at ${ctx.clockHz / 1e6} MHz)`;
  if (stopped?.reason === 'until-output')
    return {
      reason: 'until-output',
      message: `the output contains ${shown(ctx.until.output ?? '')} ${when}`,
      pc: stopped.pc ?? ctx.pc,
    };
  if (stopped?.reason === 'until-symbol') {
    const pc = stopped.pc ?? ctx.pc;
    return {
      reason: 'until-symbol',
      message: `reached ${ctx.until.symbol ?? ctx.symbols.format(pc)} ${when}`,
      pc,
    };
  }
  if (limitHit !== 6) return null;
  const cycles = ctx.until.cycles ?? Infinity;
  if (ctx.until.simTimeNs !== undefined && ctx.timeCycles < cycles)
    return {
      reason: 'sim-time',
      message: `simulated time ${formatSimTime(ctx.until.simTimeNs)} reached (the first block boundary at or after cycle ${ctx.timeCycles.toLocaleString('en-US')}) ${when}`,
      pc: ctx.pc,
    };
  return {
    reason: 'max-cycles',
    message: `cycle limit ${cycles.toLocaleString('en-US')} reached (the first block boundary at or after it) ${when}`,
    pc: ctx.pc,
  };
}

function simTime(seconds: number): string {
  if (seconds >= 1) return `${seconds.toFixed(3)} s`;
  if (seconds >= 1e-3) return `${(seconds * 1e3).toFixed(3)} ms`;
  return `${(seconds * 1e6).toFixed(1)} µs`;
}

export function loadElf(bytes: Uint8Array, name: string): Elf {
  return parseElf(bytes, name);
}

/** Runs the firmware to its end and measures it. Bad firmware ends in `exit`, never in a throw. */
export function runFirmware(elf: Elf, options: RunOptions): RunResult {
  const machine = startMachine(elf, options);
  try {
    machine.run();
    return machine.result();
  } finally {
    machine.close();
  }
}

/**
 * Loads the firmware and resets the core: a machine ready to run. A free run (runFirmware) and a
 * debugged one (src/gdb/) go through the same run loop; a debugger's stops leave every count where
 * a free run would have it, so a stepped run ends with the same figures.
 */
export function startMachine(elf: Elf, options: RunOptions): Machine {
  const board = options.board;
  const model = { ...(options.cycleModel ?? DEFAULT_CYCLE_MODEL), flashWaitStates: board.flashWaitStates };
  const clockHz = options.clockHz ?? board.clockHz;
  const symbols = new SymbolTable(elf);
  const vectors = readVectorTable(elf, board);
  // Synchronous writes by default: the event loop does not run during emulation (src/util/stdio.ts).
  const stdout = options.stdout ?? writeStdout;
  const stderr = options.stderr ?? writeStderr;
  const initialRegion = regionOf(board, vectors.initialSp - 1);
  if (!initialRegion)
    throw new ElfError(
      `${elf.name}: initial stack pointer ${hex(vectors.initialSp)} is not in the board's RAM`,
    );
  const stackRegion = initialRegion;
  const until = options.until ?? {};
  checkStopConditions(until);
  if (options.profile === false && (until.cycles !== undefined || until.simTimeNs !== undefined))
    throw new Error('until.cycles and until.simTimeNs need the block profiler (profile: false)');
  const stopAddress = until.symbol === undefined ? null : findStopSymbol(elf, until.symbol);
  if (until.symbol !== undefined && stopAddress === null)
    throw new UsageError(
      `until symbol ${shown(until.symbol)}: no function or label of that name in ${elf.name}`,
    );
  const pollReads = options.pollReads ?? POLL_READ_LIMIT;
  if (!(Number.isSafeInteger(pollReads) && pollReads >= 0))
    throw new UsageError(`pollReads: expected a whole number, got ${pollReads}`);

  const uc: UnicornEngine = new (native().Unicorn)(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS);
  const started = process.hrtime.bigint();
  try {
    uc.ctl_set_cpu_model(UC_CPU_ARM_CORTEX_M4);
    loadMemory(uc, elf, board, options.preload ?? []);
    const sizes = staticSizes(elf, board.ram, board.flash);
    const spLimit = stackLimit(elf, board, stackRegion, sizes.reservedNames, vectors.initialSp);

    const heapBase = (symbols.address('end') ?? symbols.address('_end') ?? spLimit) >>> 0;
    let fault: Fault | null = null;
    let exitCode: number | null = null;
    let exitMessage = '';
    /** A stop condition reached (until.output or until.symbol), and the PC it was reached at. */
    let stopped: { reason: 'until-output' | 'until-symbol'; pc: number | null } | null = null;
    // The firmware's output, watched for until.output: semihosting and ITM stdout, and the UARTs.
    // The write that completes the text is passed on first, then the run stops (emu_stop: after
    // the semihosting call returns, or at the end of the block of a UART store).
    const watch = until.output === undefined ? null : new OutputWatch(until.output);
    const watched = (sink: (bytes: Uint8Array) => void) =>
      watch === null
        ? sink
        : (bytes: Uint8Array) => {
            sink(bytes);
            if (watch.feed(bytes) && !stopped) {
              stopped = { reason: 'until-output', pc: null };
              uc.emu_stop();
            }
          };
    const firmwareStdout = watched(stdout);
    const uartOut = options.uart ? watched(options.uart) : firmwareStdout;

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
        stdout: firmwareStdout,
        stderr,
        stdin: options.stdin,
        cmdline: options.cmdline ?? 'firmware',
        heapInfo: {
          heapBase,
          heapLimit: vectors.initialSp,
          stackBase: vectors.initialSp,
          stackLimit: heapBase,
        },
        elapsedSeconds: () => devices.seconds(uc.now()),
        camera: options.camera,
      },
    );
    // One clock for the PPB (DWT CYCCNT, SysTick, ITM timestamps) and the board's peripherals: inside
    // an MMIO callback it is the count at the start of the accessing instruction, else the running count.
    const inFlash = (a: number) => a >= board.flash.base && a < board.flash.base + board.flash.size;
    const clock = new InstructionClock(uc, model, inFlash);
    const now = () => clock.now();
    // The board's modeled peripherals (RCC, GPIO, USART, timers …) and its unmodeled ranges. The
    // exception model is created below: interrupt lines reach it through `core` once it exists.
    const devices = new BoardDevices(board, {
      now,
      setIrqLine: (line, level) => core.setIrqLevel(line, level),
      output: (_device, bytes) => uartOut(bytes),
      input: options.stdin,
      followClock: options.clockHz === undefined,
      clockHz,
      reschedule: () => core.schedule(),
      // The simulated-time limit is a cycle count at the clock now: a new clock moves it.
      clockChanged: () => applyCycleLimit(),
    });
    const unmodeled = devices.unmodeled;
    const peripheralRange = (address: number) =>
      board.peripherals.find((r) => address >= r.base && address < r.base + r.size)?.name ?? 'peripherals';
    if (options.strictPeripherals) {
      unmodeled.onAccess = (address, size, write) => {
        if (fault) return; // the first access is the diagnosis; the rest of its block still runs
        // Inside an MMIO callback the PC is the block's start: find the access in the block.
        const pc = faultingPc(uc, address);
        fault = {
          reason: 'unmodeled-peripheral',
          message:
            `${write ? 'write to' : 'read from'} unmodeled peripheral register ${hex(address)}, ` +
            `${size} byte${size === 1 ? '' : 's'} (${peripheralRange(address)}: no model serves it; --strict-peripherals)`,
          pc,
        };
        uc.emu_stop();
      };
    }
    unmodeled.pollLimit = pollReads;
    unmodeled.onStuckPoll = (address, value, reads) => {
      if (fault) return;
      const pc = faultingPc(uc, address);
      fault = {
        reason: 'polling',
        message:
          `polling ${hex(address)} (unmodeled, reads ${hex(value)}) in ${symbols.functionName(pc)}: ` +
          `no model changes it (${reads.toLocaleString('en-US')} reads in a row, with no write, other peripheral access, semihosting call or exception in between)`,
        pc,
      };
      uc.emu_stop();
    };
    for (const region of board.peripherals)
      uc.mmio_map(
        region.base,
        region.size,
        (offset, size) =>
          clock.during({ address: region.base + offset, size, write: false }, () =>
            devices.bus.read(region.base + offset, size),
          ),
        (offset, size, value) =>
          clock.during({ address: region.base + offset, size, write: true, value }, () =>
            devices.bus.write(region.base + offset, size, value),
          ),
      );
    // SP is valid inside the PPB write callback: it runs inside the emulator at the store.
    const ppb = new PrivatePeripheralBus(
      now,
      firmwareStdout,
      vectors.address,
      () => {
        const sp = uc.reg_read_i32(UC_ARM_REG.SP) >>> 0;
        return { sp, minSp: Math.min(sp, uc.profile_window_min_sp() >>> 0) };
      },
      options.onItmEvent,
    );
    // CCR and CPACR arm the trap checks the native profiler evaluates at block entry.
    // So does FPCCR.LSPACT: the first FPU instruction then performs the lazy FP save (fpu.ts).
    ppb.onTrapConfig = (ccr, cpacr) => uc.trap_config(ccr, cpacr, core.fpu.lspact);
    const executable = (a: number) => coveredBy([board.flash, ...board.ram], a, 2);
    const core = new ExceptionCore(
      uc,
      { irqLines: board.nvic.interrupts, priorityBits: board.nvic.priorityBits },
      () => ppb.vtor,
      () => ppb.ccr,
      executable,
      now,
    );
    core.timed = devices.bus.timed.map((d) => ({
      nextEvent: () => d.nextEvent!(),
      advance: (now: number) => d.advance!(now),
    }));
    core.fpu.onLazyChange = () => uc.trap_config(ppb.ccr, ppb.cpacr, core.fpu.lspact);
    // A system reset request ends the run (m4sim does not reboot the firmware: a reset loop would
    // never end, and the figures are those of the run that asked for it).
    core.scb.onResetRequest = () => {
      if (!fault) {
        // Inside an MMIO callback the PC is the block's start: find the store to AIRCR in the block.
        const pc = faultingPc(uc, SCB_AIRCR, { write: true });
        fault = {
          reason: 'system-reset',
          message: 'the firmware requested a system reset (AIRCR.SYSRESETREQ)',
          pc,
        };
      }
      uc.emu_stop();
    };
    ppb.attach(core.peripherals, (v) => core.nvic.softwareTrigger(v));
    const objects = elf.symbols
      .filter(
        (o) =>
          o.type === 'object' &&
          o.size > 0 &&
          board.ram.some((r) => o.value >= r.base && o.value < r.base + r.size),
      )
      .sort((a, b) => a.value - b.value);
    core.objectAt = (address) => {
      const o = objects.find((x) => address >= x.value && address < x.value + x.size);
      return o ? { name: o.name, base: o.value, size: o.size } : null;
    };
    /** A synchronous event the run loop handles after emu_start returns: SVC or an exception return. */
    let sync: SyncEvent | null = null;
    // A PPB access (SysTick, DWT.CYCCNT …) in a poll loop may be its timeout: not a stuck poll.
    uc.mmio_map(
      PPB_BASE,
      PPB_SIZE,
      (offset, size) => {
        unmodeled.breakPoll();
        return clock.during({ address: PPB_BASE + offset, size, write: false }, () => ppb.read(offset, size));
      },
      (offset, size, value) => {
        unmodeled.breakPoll();
        clock.during({ address: PPB_BASE + offset, size, write: true, value }, () =>
          ppb.write(offset, size, value),
        );
      },
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
          // The host answers (SYS_CLOCK, SYS_READ …): a poll loop around it is not stuck.
          unmodeled.breakPoll();
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
          if (stopped?.reason === 'until-output') {
            // The write completed the text: the run ends after the call. Not by writing PC: a PC
            // write inside a hook restarts the emulation loop, which forgets the stop request.
            stopped.pc = (pc + 2) >>> 0;
            uc.emu_stop();
            return;
          }
          uc.reg_write_i32(UC_ARM_REG.PC, (pc + 2) | 1); // keep the Thumb bit: writing PC sets the state
          return;
        }
        fault = { reason: 'breakpoint', message: `breakpoint bkpt #${imm}`, pc };
      } else if (intno === EXCP_UDEF) {
        fault = {
          reason: 'invalid-instruction',
          message: 'undefined instruction',
          pc,
          exception: { number: EXC.UsageFault, cfsr: CFSR.UNDEFINSTR },
        };
      } else if (intno === EXCP_SWI) {
        // PC is past the SVC: the return address the architecture stacks (B1.5.6).
        sync = { kind: 'svc' };
      } else if (
        (intno === EXCP_PREFETCH_ABORT || intno === EXCP_EXCEPTION_EXIT) &&
        core.inHandler &&
        isExcReturnAddress(pc | 1)
      ) {
        sync = { kind: 'return', value: (pc | 1) >>> 0 };
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
        // QEMU's EXCP_NOCP (17) and EXCP_INVSTATE (18) are the UsageFaults of B3.2.15.
        const cfsr = intno === 17 ? CFSR.NOCP : intno === 18 ? CFSR.INVSTATE : 0;
        fault = {
          reason: 'invalid-instruction',
          message: EXCP_NAMES[intno] ?? `CPU exception ${intno}`,
          pc,
          ...(cfsr ? { exception: { number: EXC.UsageFault, cfsr } } : {}),
        };
      }
      uc.emu_stop();
    });
    uc.hook_add(UC_HOOK_INSN_INVALID, () => {
      fault = {
        reason: 'invalid-instruction',
        message: 'undefined instruction',
        pc: uc.reg_read_i32(UC_ARM_REG.PC),
        exception: { number: EXC.UsageFault, cfsr: CFSR.UNDEFINSTR },
      };
      return false;
    });
    uc.hook_add(UC_HOOK_MEM_UNMAPPED | UC_HOOK_MEM_PROT, (type: number, address: number, size: number) => {
      if (type === UC_MEM_FETCH_UNMAPPED || type === UC_MEM_FETCH_PROT) {
        if (core.inHandler && isExcReturnAddress(address)) {
          sync = { kind: 'return', value: (address | 1) >>> 0 };
          uc.emu_stop();
          return false;
        }
        fault = {
          ...fetchFault(board, uc, symbols, address),
          exception: { number: EXC.BusFault, cfsr: CFSR.IBUSERR },
        };
        return false;
      }
      const write = type === UC_MEM_WRITE_UNMAPPED || type === UC_MEM_WRITE_PROT;
      const pc = faultingPc(uc, address, { size, write });
      // A precise data bus error with the address in BFAR (B3.2.15, B3.2.18).
      fault = {
        reason: 'memory-fault',
        message: describeAccess(board, type, address, size),
        pc,
        exception: { number: EXC.BusFault, cfsr: CFSR.PRECISERR | CFSR.BFARVALID, bfar: address >>> 0 },
      };
      return false;
    });

    const ranges = new FunctionRanges(symbols);
    if (options.profile !== false)
      uc.profile_enable({
        onNewBlock: (address, size) => {
          // EPSR.T = 0: a BX/BLX/POP to an even address left Thumb state; the core takes an INVSTATE
          // UsageFault instead of running this block (B1.4.2), which Unicorn would run as ARM code.
          if (((uc.reg_read_i32(UC_ARM_REG.XPSR) >>> 24) & 1) === 0)
            return {
              instructions: 0,
              cycles: 0,
              takenCycles: 0,
              flags: BLOCK_INVSTATE,
              spPreMin: 0,
              spPostMin: 0,
              spPostNet: 0,
              spNet: 0,
            };
          const insns = decodeBlock(uc, address, size);
          const cost = blockCost(insns, model, { inFlash: inFlash(address) });
          if (ranges.endsInTailCall(insns)) cost.flags |= BLOCK_TAILCALL;
          return withTrapChecks(cost, insns);
        },
        functions: ranges.table,
        root: vectors.reset & ~1,
        breaks: breakFunctions(symbols),
        maxInstructions: options.maxInstructions,
        timeoutMs: options.timeoutMs,
        spLimit,
        exact: options.exact,
        exactBegin: stackRegion.base,
        exactEnd: stackRegion.base + stackRegion.size,
      });

    // until.cycles and until.simTimeNs: one native cycle limit, the smaller of the two (the native
    // block hook folds it into the exception model's stop threshold, so it costs nothing per block).
    // The simulated time is converted at the clock now, and again whenever the clock changes, so the
    // run stops at the first block boundary at or after that time whatever clock the firmware sets.
    function applyCycleLimit(): void {
      const timeCycles = until.simTimeNs === undefined ? Infinity : devices.cyclesAtTime(until.simTimeNs);
      uc.set_max_cycles(Math.min(until.cycles ?? Infinity, timeCycles));
    }
    if (until.cycles !== undefined || until.simTimeNs !== undefined) applyCycleLimit();

    // until.symbol: a code hook on that one address (Unicorn instruments only the instructions in a
    // hook's range, so nothing else pays for it), added before the first emu_start as Unicorn needs.
    // Stopping in a code hook stops before the instruction runs; the block profiler counted the block
    // when it was entered, so what did not run is taken back.
    if (stopAddress !== null)
      uc.hook_add(
        UC_HOOK_CODE,
        () => {
          if (!stopped) {
            stopped = { reason: 'until-symbol', pc: stopAddress };
            if (options.profile !== false) takeBackFrom(stopAddress);
          }
          uc.emu_stop();
        },
        stopAddress,
        stopAddress,
      );
    /** The current block stopped before `address`: its instructions from there on did not run. */
    function takeBackFrom(address: number): void {
      const { lastBlock, lastBlockSize } = uc.profile_counters();
      if (address === lastBlock) {
        uc.profile_take_back(true);
        return;
      }
      if (address < lastBlock || address >= lastBlock + lastBlockSize) return;
      let insns;
      try {
        insns = decodeBlock(uc, lastBlock, lastBlockSize);
      } catch {
        return;
      }
      // A label inside a block: the ran part is costed as a block of its own (exact for the
      // instruction count; the cycles to within the pipelining of the two instructions at the seam).
      const ran = insns.filter((i) => i.address < address);
      const opts = { inFlash: inFlash(lastBlock) };
      const whole = blockCost(insns, model, opts);
      const part = blockCost(ran, model, opts);
      uc.profile_take_back(
        false,
        whole.instructions - part.instructions,
        Math.max(0, whole.cycles - part.cycles),
      );
    }

    uc.reg_write_i32(UC_ARM_REG.SP, vectors.initialSp);
    // The run loop: emu_start runs until the firmware exits, faults, hits a limit, or stops for an
    // exception (a SysTick expiry or software pend at a block boundary, SVC, an exception return, a
    // fault with a firmware handler, WFI woken by SysTick); the exception is then taken here and
    // emulation resumes at the handler (src/emulator/exception-core.ts). A debugger's stop
    // (breakpoint, step, watchpoint, time slice) returns from run() instead, with everything in
    // place to resume where it stopped.
    const timeoutUs = options.profile === false && options.timeoutMs ? options.timeoutMs * 1000 : 0;
    let pc = vectors.reset | 1;
    // emu_start sets the PC; before the first one a debugger reads it, so it is the reset vector's.
    uc.reg_write_i32(UC_ARM_REG.PC, pc);
    const loop = { until: 0xffffffff };
    let ended: RunResult | null = null;
    /** A debugger used this machine: resuming tells the native side where (debug_resume). */
    let debugged = false;
    let stepping = false;

    function runLoop(opts: RunControl): MachineStop {
      if (ended) return { kind: 'ended' };
      if (opts.step !== undefined || opts.sliceCycles !== undefined) debugged = true;
      if (debugged) {
        if (options.profile === false) throw new Error('debugging needs the block profiler (profile: false)');
        const step = opts.step === true;
        if (step !== stepping) uc.debug_step(step);
        stepping = step;
        uc.debug_slice(opts.sliceCycles === undefined ? -1 : uc.now() + opts.sliceCycles);
        uc.debug_resume(pc);
      }
      let hostError: Error | null = null;
      for (;;) {
        sync = null;
        try {
          uc.emu_start(pc, loop.until, timeoutUs, 0);
        } catch (e) {
          if (!fault && !sync) hostError = e as Error;
        }
        if (hostError || exitCode !== null || stopped || options.profile === false) break;
        if (debugged && !fault && !sync) {
          const d = uc.debug_state();
          if (d.kind === DEBUG_SLICE) {
            // A block boundary where nothing was due: resume there as the exception model does.
            core.resume();
            pc = uc.reg_read_i32(UC_ARM_REG.PC) | 1;
            return { kind: 'slice', pc: pc & ~1 };
          }
          if (d.kind !== 0) {
            const at = uc.reg_read_i32(UC_ARM_REG.PC) >>> 0;
            pc = at | 1;
            if (d.kind === DEBUG_BREAK) return { kind: 'breakpoint', pc: at };
            if (d.kind === DEBUG_STEP) return { kind: 'step', pc: at };
            return { kind: 'watchpoint', pc: at, address: d.address, access: WATCH_KINDS[d.access - 1]! };
          }
        }
        const next = exceptionStep(uc, core, sync, fault, loop);
        if (next === null) break;
        if (typeof next === 'number') {
          fault = null;
          pc = next;
          // An exception (an interrupt handler, a timeout tick) may change what a poll waits for.
          unmodeled.breakPoll();
          // Stacking the frame may have taken SP into static data (stack overflow, limitHit 3).
          if (uc.exc_state().limitHit !== 0) break;
          continue;
        }
        fault = next;
        break;
      }
      if (hostError) {
        const pc = uc.reg_read_i32(UC_ARM_REG.PC);
        if ((hostError as { ucErrno?: number }).ucErrno !== undefined) {
          fault = { reason: 'invalid-instruction', message: hostError.message, pc };
        } else {
          throw hostError; // an exception from our own hooks is a bug in m4sim, not in the firmware
        }
      }
      ended = finish();
      return { kind: 'ended' };
    }

    function sramNow(counters: ProfileCounters, pspStacks: () => PspStack[]): SramReport {
      return sramReport(uc, {
        board,
        stackRegion,
        sizes,
        spLimit,
        staticEnd: staticEnd(symbols, stackRegion, spLimit, vectors.initialSp),
        profiled: options.profile !== false,
        vectors,
        counters,
        exact: options.exact === true,
        stackPath: [vectors.reset & ~1, ...uc.profile_deepest_path()].map((a) => symbols.functionName(a)),
        pspStacks,
      });
    }

    /** The figures of the run, once it ended. */
    function finish(): RunResult {
      const counters = uc.profile_counters();
      if (!fault && exitCode === null)
        fault = stopDiagnosis(stopped, counters.limitHit, {
          until,
          instructions: counters.instructions,
          cycles: counters.cycles,
          seconds: devices.seconds(counters.cycles),
          clockHz: devices.clockHz,
          pc: uc.reg_read_i32(UC_ARM_REG.PC) >>> 0,
          symbols,
          timeCycles: until.simTimeNs === undefined ? Infinity : devices.cyclesAtTime(until.simTimeNs),
        });
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
      // A debugger looks at the state the run ended in: the PC of the instruction the diagnosis names
      // (inside a memory hook Unicorn's PC is the block's start).
      if (exit.pc !== null && exit.reason !== 'exit') uc.reg_write_i32(UC_ARM_REG.PC, exit.pc | 1);
      const sram = sramNow(counters, () => core.describePspStacks());
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
        deviceEvents: devices.events,
        deviceIgnoredWrites: devices.bus.describeIgnored(),
        deviceEventsDropped: devices.eventsDropped,
        clockHz: devices.clockHz,
        seconds: devices.seconds(counters.cycles),
        cycleModel: { name: model.name, description: describeCycleModel(model), params: model },
        sram,
        flash: { used: sizes.flashUsed, size: board.flash.size },
        board: board.name,
        itm: ppb.events,
        itmDropped: ppb.describeItmDropped(),
        semihosting: { refused: semihosting.refused },
        ppbUnmodeled: ppb.describeUnmodeled(),
        peripherals: unmodeled.describe().map((p) => {
          const blk = board.registerBlocks.find((x) => p.address >= x.base && p.address < x.base + x.size);
          return {
            address: p.address,
            block: blk?.name ?? null,
            offset: blk ? p.address - blk.base : null,
            reads: p.reads,
            writes: p.writes,
          };
        }),
        peripheralsUntracked: unmodeled.untracked,
        blocks,
        collected,
        symbols,
        functions: buildFunctionProfile(uc.profile_calls(), vectors.reset & ~1, symbols, counters),
        exceptions: { taken: core.describeStats(), sleepCycles: core.sleepCycles },
        wallSeconds: Number(process.hrtime.bigint() - started) / 1e9,
      };
    }

    // What a debugger may touch: flash and RAM to read (never device memory, whose reads have side
    // effects), RAM to write (as semihosting may).
    const readable = (address: number, length: number) =>
      coveredBy([board.flash, ...board.ram], address, length);
    const writable = (address: number, length: number) => coveredBy(board.ram, address, length);
    const breakpoints = new Set<number>();
    const watchpoints = new Set<string>();

    return {
      elf,
      symbols,
      get ended() {
        return ended !== null;
      },
      get pc() {
        return ended ? uc.reg_read_i32(UC_ARM_REG.PC) >>> 0 : (pc & ~1) >>> 0;
      },
      run: (opts = {}) => runLoop(opts),
      end(message) {
        if (ended) return;
        const at = (pc & ~1) >>> 0;
        // A debugger's stop left the block it stopped in charged whole: the run ends before the
        // instruction at the PC, so what of the block did not run is taken back.
        const { lastBlock } = uc.profile_counters();
        if (at === lastBlock) uc.profile_take_back(true);
        else {
          const done = clock.atInstruction(at);
          const counted = uc.profile_counters().instructions;
          if (done.instructions < counted)
            uc.profile_take_back(false, counted - done.instructions, uc.now() - done.cycles);
        }
        fault = { reason: 'killed', message, pc: at };
        ended = finish();
      },
      result() {
        if (!ended) throw new Error('the run has not ended');
        return ended;
      },
      readRegister: (name) => readDebugRegister(uc, name),
      writeRegister(name, value) {
        if (ended || !writeDebugRegister(uc, name, value)) return false;
        if (name === 'pc') {
          const moved = (value & ~1) >>> 0 !== (pc & ~1) >>> 0;
          pc = (value | 1) >>> 0;
          // The debugger moved the PC: the next block is entered afresh.
          if (moved) {
            uc.debug_forget();
            loop.until = 0xffffffff;
          }
        }
        return true;
      },
      readMemory(address, length) {
        if (length === 0) return new Uint8Array(0);
        if (!readable(address, length)) return null;
        return new Uint8Array(uc.mem_read(address, length));
      },
      writeMemory(address, bytes) {
        if (ended || !writable(address, bytes.length)) return false;
        if (bytes.length > 0) uc.mem_write(address, bytes);
        return true;
      },
      setBreakpoint(address, on) {
        debugged = true;
        const a = (address & ~1) >>> 0;
        if (on && !breakpoints.has(a) && breakpoints.size >= MAX_BREAKPOINTS) return false;
        uc.debug_break(a, on);
        if (on) breakpoints.add(a);
        else breakpoints.delete(a);
        return true;
      },
      setWatchpoint(address, length, access, on) {
        debugged = true;
        if (!(Number.isSafeInteger(address) && address >= 0 && length >= 1 && address + length <= 2 ** 32))
          return false;
        const key = `${address}:${length}:${access}`;
        if (on && !watchpoints.has(key) && watchpoints.size >= MAX_WATCHPOINTS) return false;
        uc.debug_watch(address, address + length, WATCH_KINDS.indexOf(access) + 1, on);
        if (on) watchpoints.add(key);
        else watchpoints.delete(key);
        return true;
      },
      progress() {
        if (ended)
          return {
            instructions: ended.instructions,
            cycles: ended.cycles,
            seconds: ended.seconds,
            clockHz: ended.clockHz,
            sram: ended.sram,
          };
        const counters = uc.profile_counters();
        const at = clock.atInstruction((pc & ~1) >>> 0);
        return {
          instructions: at.instructions,
          cycles: at.cycles,
          seconds: devices.seconds(at.cycles),
          clockHz: devices.clockHz,
          sram: sramNow(counters, () => []),
        };
      },
      close: () => uc.close(),
    };
  } catch (e) {
    uc.close();
    throw e;
  }
}
