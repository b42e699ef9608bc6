// Runs one Cortex-M4 ELF to completion in Unicorn: maps the board, loads PT_LOAD segments at their
// load addresses, paints RAM, resets from the vector table, services semihosting and the PPB, and
// turns however the run ended into a one-line diagnosis.
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
import { hex } from '../util/units.js';
import { regionOf, type Board } from './board.js';
import { ElfError } from '../elf/elf.js';
import {
  native,
  BLOCK_INVSTATE,
  BLOCK_TAILCALL,
  UC_ARCH_ARM,
  UC_ARM_REG,
  UC_CPU_ARM_CORTEX_M4,
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
  type UnicornEngine,
} from './native.js';
import { PPB_BASE, PPB_SIZE, PrivatePeripheralBus, type ItmEvent } from './ppb.js';
import { Semihosting } from './semihosting.js';
import { readVectorTable } from './vector-table.js';
import { loadMemory, stackLimit } from './load.js';
import { BoardDevices } from './board-devices.js';
import type { DeviceEvent } from './peripherals/device.js';
import { breakFunctions, sramReport, staticEnd, type SramReport } from './sram-report.js';

export type { SramReport } from './sram-report.js';
import { withTrapChecks } from './trap-checks.js';
import { coveredBy } from './regions.js';
import { FunctionRanges } from './function-ranges.js';
import { ExceptionCore, type ExceptionStats } from './exception-core.js';
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
export { EXIT_STATUS, type ExitReason } from './faults.js';

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

export interface RunResult {
  exit: { reason: ExitReason; code: number; message: string; pc: number | null; location: string | null };
  instructions: number;
  /** Timestamped changes of the board's modeled peripherals (GPIO pins …), the first 100,000. */
  deviceEvents: DeviceEvent[];
  /** Device events after the first 100,000: counted, not kept. */
  deviceEventsDropped: number;
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
    loadMemory(uc, elf, board, options.preload ?? []);
    const sizes = staticSizes(elf, board.ram, board.flash);
    const spLimit = stackLimit(elf, board, stackRegion, sizes.reservedNames, vectors.initialSp);

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
        elapsedSeconds: () => devices.seconds(uc.now()),
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
      output: (_device, bytes) => (options.uart ?? stdout)(bytes),
      input: options.stdin,
      followClock: options.clockHz === undefined,
      clockHz,
      reschedule: () => core.schedule(),
    });
    const unmodeled = devices.unmodeled;
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
      stdout,
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
    uc.mmio_map(
      PPB_BASE,
      PPB_SIZE,
      (offset, size) =>
        clock.during({ address: PPB_BASE + offset, size, write: false }, () => ppb.read(offset, size)),
      (offset, size, value) =>
        clock.during({ address: PPB_BASE + offset, size, write: true, value }, () =>
          ppb.write(offset, size, value),
        ),
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

    uc.reg_write_i32(UC_ARM_REG.SP, vectors.initialSp);
    let hostError: Error | null = null;
    // The run loop: emu_start runs until the firmware exits, faults, hits a limit, or stops for an
    // exception (a SysTick expiry or software pend at a block boundary, SVC, an exception return, a
    // fault with a firmware handler, WFI woken by SysTick); the exception is then taken here and
    // emulation resumes at the handler (src/emulator/exception-core.ts).
    const timeoutUs = options.profile === false && options.timeoutMs ? options.timeoutMs * 1000 : 0;
    let pc = vectors.reset | 1;
    const loop = { until: 0xffffffff };
    for (;;) {
      sync = null;
      try {
        uc.emu_start(pc, loop.until, timeoutUs, 0);
      } catch (e) {
        if (!fault && !sync) hostError = e as Error;
      }
      if (hostError || exitCode !== null || options.profile === false) break;
      const next = exceptionStep(uc, core, sync, fault, loop);
      if (next === null) break;
      if (typeof next === 'number') {
        fault = null;
        pc = next;
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

    const sram = sramReport(uc, {
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
      pspStacks: () => core.describePspStacks(),
    });

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
      peripherals: unmodeled.describe(),
      peripheralsUntracked: unmodeled.untracked,
      blocks,
      collected,
      symbols,
      functions: buildFunctionProfile(uc.profile_calls(), vectors.reset & ~1, symbols, counters),
      exceptions: { taken: core.describeStats(), sleepCycles: core.sleepCycles },
      wallSeconds: Number(process.hrtime.bigint() - started) / 1e9,
    };
  } finally {
    uc.close();
  }
}
