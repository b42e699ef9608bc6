// Exception entry, return and tail-chaining on a Unicorn engine (ARMv7-M ARM B1.5.6 ExceptionEntry,
// B1.5.8 ExceptionReturn, B1.5.12 tail-chaining). Unicorn executes the instructions but delivers no
// M-profile exception (its UC_HOOK_INTR replaces QEMU's do_interrupt), so m4sim does it between
// emu_start calls: exceptions are taken at translation-block boundaries (src/emulator/run-loop.ts).
//
// Register order keeps QEMU's SP banking consistent (QEMU keeps the current SP in R13 and the other
// one aside, swapping when CONTROL.SPSEL changes in Thread mode; SPSEL writes are ignored in Handler
// mode): on entry from Thread/PSP, CONTROL.SPSEL is cleared while still in Thread mode, then IPSR is
// written; on return to Thread/PSP, IPSR is cleared first, then SPSEL set.
import { hex } from '../util/units.js';
import { UC_ARM_REG, type UnicornEngine } from './native.js';
import {
  decodeExcReturn,
  entryFrame,
  EXC,
  exceptionName,
  excReturnValue,
  ExceptionState,
  returnSp,
  type ExceptionConfig,
  type Masks,
} from './exceptions.js';
import { Nvic } from './peripherals/nvic.js';
import { Scb } from './peripherals/scb.js';
import { SysTick } from './peripherals/systick.js';
import { Fpu } from './peripherals/fpu.js';
import type { Peripheral } from './peripherals/peripheral.js';

/**
 * Modeled cycles of exception entry (stacking and vector fetch), return (unstacking) and
 * tail-chaining on the Cortex-M4 with zero-wait-state memory: 12, 10 and 6 (Cortex-M4 TRM DDI 0439,
 * "Exception handling"/interrupt latency: 12-cycle latency, 6-cycle tail-chain; return as in the
 * Cortex-M3/M4 documentation, 10). The FP part of the extended frame (S0-S15 and FPSCR: 17 words)
 * costs `fpWords` more where it is transferred, as Arm documents for the Cortex-M4 with FPU ("12
 * cycles, plus a possible 17 cycles more" on entry, "ten cycles, plus a possible 17 cycles more" on
 * exit: Arm knowledge article KA16366 / 103489845, after the Cortex-M4 TRM): at entry with
 * FPCCR.LSPEN = 0, at the deferred save (PreserveFPState) with lazy stacking, and at a return that
 * restores S0-S15 (none when the handler never used the FPU: LSPACT still set).
 */
export const EXCEPTION_CYCLES = { entry: 12, return: 10, tailChain: 6, fpWords: 17 } as const;

const CONTROL_SPSEL = 2;
const CONTROL_FPCA = 4;
/**
 * QEMU sets bit 3 (v8-M SFPA) with FPCA on FP use; ARMv7-M has no such bit. Cleared at entry with
 * FPCA, set again with FPCA by a return to an FP context (QEMU needs both to keep FPSCR).
 */
const CONTROL_SFPA = 8;
const UC_ARM_REG_S0 = 79;

export interface ExceptionStats {
  number: number;
  name: string;
  count: number;
  /** Modeled cycles inside the handler, nested handlers excluded (entry and return cycles included). */
  selfCycles: number;
  /**
   * Deepest stack use of one activation, in bytes: its frame (and alignment padding) plus what the
   * handler and the exceptions nested in it took below the frame on the main stack.
   */
  maxStack: number;
}

/** Why an exception could not be taken: one line and the run's exit reason. */
export interface ExceptionFault {
  reason: 'invalid-instruction' | 'memory-fault' | 'hang';
  message: string;
  pc: number;
}

interface Running {
  number: number;
  enteredAt: number;
  child: number;
  /** Bytes of the frame (on MSP or PSP) and the MSP the handler started with. */
  frameBytes: number;
  mspStart: number;
  /** Lowest MSP seen while this activation ran (nested ones included). */
  minSp: number;
}

/** One process stack (an RTOS task's): the static object holding it and its high-water. */
export interface PspStack {
  /** The data object (STT_OBJECT) the stack lies in, or null when PSP was outside any. */
  symbol: string | null;
  /** The object's address and size (the PSP values seen, when no object holds them). */
  base: number;
  size: number;
  /** Lowest PSP seen in it, frames included. */
  lowest: number;
  /** base + size − lowest: bytes of the object the stack reached. */
  highWater: number;
}

/** Finds the data object holding an address (task stacks are arrays in .bss or .data). */
export type ObjectAt = (address: number) => { name: string; base: number; size: number } | null;

export class ExceptionCore {
  readonly state: ExceptionState;
  readonly systick: SysTick;
  readonly nvic: Nvic;
  readonly scb: Scb;
  /** FPCCR, FPCAR, FPDSCR and the pending lazy FP save (B1.5.7). */
  readonly fpu = new Fpu();
  /** Lazy FP saves performed (PreserveFPState) and entries that only reserved the FP area. */
  lazyFpSaves = 0;
  lazyFpReserved = 0;
  readonly stats = new Map<number, ExceptionStats>();
  sleepCycles = 0;
  private readonly running: Running[] = [];
  private readonly pspStacks = new Map<string, PspStack>();
  /** objectAt for PSP attribution (set by the machine; none: one anonymous PSP range). */
  objectAt: ObjectAt = () => null;
  /** Devices with timed behaviour (a board's timers): asked for their next event like SysTick. */
  timed: { nextEvent(): number; advance(now: number): void }[] = [];
  /**
   * Level of each external interrupt line as the board's devices drive it. A line high pends its
   * interrupt (ARMv7-M ARM B3.4.1: pending is latched, so it stays pending if the line drops before
   * the handler runs); when the handler returns with the line still high, it is pending again.
   */
  private readonly lineLevel: Uint8Array;

  constructor(
    private readonly uc: UnicornEngine,
    config: ExceptionConfig,
    /** VTOR now. */
    private readonly vtor: () => number,
    /** CCR now (STKALIGN, bit 9). */
    private readonly ccr: () => number,
    /** Flash and RAM: where a handler may be. */
    private readonly executable: (address: number) => boolean,
    /**
     * Modeled cycles as SysTick sees them: at the accessing instruction inside an MMIO callback
     * (src/emulator/instruction-clock.ts), the running count otherwise.
     */
    clock: () => number = () => uc.now(),
  ) {
    this.state = new ExceptionState(config);
    this.lineLevel = new Uint8Array(config.irqLines);
    this.systick = new SysTick(clock);
    this.nvic = new Nvic(this.state);
    this.scb = new Scb(this.state, this.nvic);
    const changed = () => this.schedule();
    this.systick.onChange = changed;
    this.nvic.onChange = changed;
    this.scb.onChange = changed;
  }

  get peripherals(): Peripheral[] {
    return [this.systick, this.nvic, this.scb, this.fpu];
  }

  masks(): Masks {
    const r = this.uc.exc_regs();
    return { primask: r[9]!, faultmask: r[10]!, basepri: r[11]! };
  }

  /** Tells the native profiler when to stop next: now (something can be taken), at the next SysTick, or never. */
  schedule(): void {
    const masks = this.masks();
    const next = this.state.toTake(masks) !== null ? 0 : this.nextWake();
    this.uc.exc_stop_at(Number.isFinite(next) ? next : -1, this.state.maskedPending(masks));
  }

  /** The next modeled cycle at which SysTick or a timed device has something to do (Infinity: none). */
  nextWake(): number {
    let next = this.systick.nextInterrupt();
    for (const t of this.timed) next = Math.min(next, t.nextEvent());
    return next;
  }

  /** SysTick interrupts due by `now` become pending; timed devices catch up to `now`. */
  syncPending(now: number): void {
    const due = this.systick.nextInterrupt();
    if (due <= now) {
      this.systick.deliver(now);
      this.state.pending[EXC.SysTick] = 1;
    }
    for (const t of this.timed) if (t.nextEvent() <= now) t.advance(now);
  }

  /** A device drives external interrupt line `line` (IRQn) to `level`. */
  setIrqLevel(line: number, level: boolean): void {
    if (line < 0 || line >= this.lineLevel.length) return;
    const was = this.lineLevel[line] === 1;
    this.lineLevel[line] = level ? 1 : 0;
    if (level && !was && !this.state.active.includes(16 + line)) {
      this.state.pending[16 + line] = 1;
      this.schedule();
    }
  }

  /** After `n` returned: an interrupt whose line is still high is pending again. */
  private repend(n: number): void {
    if (n >= 16 && this.lineLevel[n - 16] === 1) this.state.pending[n] = 1;
  }

  /** The exception to take now, or null. */
  toTake(): number | null {
    return this.state.toTake(this.masks());
  }

  /** The handler address in the vector table (Thumb bit included). */
  vector(n: number): number {
    return this.uc.mem_read((this.vtor() + 4 * n) >>> 0, 4).readUInt32LE(0);
  }

  /**
   * A handler the firmware really has: not the start-up's default (`bkpt 0`) nor an infinite loop
   * (`b .`), and in flash or RAM. Faults go through the vector table only then.
   */
  hasHandler(n: number): boolean {
    let v: number;
    try {
      v = this.vector(n);
    } catch {
      return false;
    }
    const a = (v & ~1) >>> 0;
    if (!this.executable(a) || (v & 1) === 0) return false;
    const first = this.uc.mem_read(a, 2).readUInt16LE(0);
    return first !== 0xbe00 && first !== 0xe7fe;
  }

  /** Charges the cycles and resumes bookkeeping; `onPsp` is the stack Thread mode is on now. */
  private boundary(extra: number, resume: boolean): void {
    const control = this.uc.reg_read_i32(UC_ARM_REG.CONTROL);
    const onPsp = this.state.active.length === 0 && (control & CONTROL_SPSEL) !== 0;
    this.uc.exc_boundary(extra, resume, onPsp);
  }

  private stat(n: number): ExceptionStats {
    let s = this.stats.get(n);
    if (!s) {
      s = { number: n, name: exceptionName(n), count: 0, selfCycles: 0, maxStack: 0 };
      this.stats.set(n, s);
    }
    return s;
  }

  /**
   * ExceptionEntry (B1.5.6): stacks the frame at `returnAddress`, sets LR, IPSR, CONTROL and jumps to
   * the handler. Returns the PC to resume at (Thumb bit set), or a fault when the vector is bad.
   */
  enter(n: number, returnAddress: number, resume = false): number | ExceptionFault {
    const uc = this.uc;
    const vector = this.vector(n);
    const target = (vector & ~1) >>> 0;
    const name = exceptionName(n);
    if ((vector & 1) === 0)
      return {
        reason: 'invalid-instruction',
        message: `vector table entry for ${name} (${hex(vector)}) has no Thumb bit (INVSTATE UsageFault)`,
        pc: returnAddress,
      };
    if (!this.executable(target))
      return {
        reason: 'memory-fault',
        message: `vector table entry for ${name} (${hex(vector)}) is outside flash and RAM`,
        pc: returnAddress,
      };
    const fromHandler = this.state.active.length > 0;
    const regs = uc.exc_regs(); // R0-R3, R12, LR, xPSR, SP, CONTROL, …
    const control = regs[8]!;
    const threadPsp = !fromHandler && (control & CONTROL_SPSEL) !== 0;
    const fp = (control & CONTROL_FPCA) !== 0;
    const sp = regs[7]!;
    const xpsr = (regs[6]! | (1 << 24)) >>> 0; // EPSR.T: Thumb
    const frame = entryFrame(sp, xpsr, (this.ccr() & (1 << 9)) !== 0, fp);
    // Lazy stacking (FPCCR.LSPEN, B1.5.7): the FP area is reserved, written only by PreserveFPState.
    const lazy = fp && this.fpu.lspen;
    const words = new Uint32Array(lazy ? 8 : frame.size / 4);
    words.set(regs.subarray(0, 6));
    words[6] = (returnAddress & ~1) >>> 0;
    words[7] = frame.xpsr;
    if (fp && !lazy) {
      for (let i = 0; i < 16; i++) words[8 + i] = uc.reg_read_i32(UC_ARM_REG_S0 + i);
      words[24] = uc.reg_read_i32(UC_ARM_REG.FPSCR);
    }
    if (lazy) this.reserveFpArea(frame.sp + 0x20, fromHandler, control);
    try {
      uc.mem_write(frame.sp, new Uint8Array(words.buffer));
    } catch {
      return {
        reason: 'memory-fault',
        message: `stacking the ${name} frame at ${hex(frame.sp)} failed: SP ${hex(sp)} is outside RAM (MSTKERR)`,
        pc: returnAddress,
      };
    }
    this.harvestMinSp();
    if (threadPsp) this.notePsp(sp, Math.min(frame.sp, uc.exc_psp_window()));
    uc.exc_note_sp(frame.sp, threadPsp);
    // SPSEL = 0 while still in Thread mode (QEMU swaps SP to MSP), FPCA = 0, then IPSR.
    uc.reg_write_i32(UC_ARM_REG.SP, frame.sp);
    uc.reg_write_i32(UC_ARM_REG.CONTROL, control & ~(CONTROL_SPSEL | CONTROL_FPCA | CONTROL_SFPA));
    uc.reg_write_i32(UC_ARM_REG.IPSR, n);
    uc.reg_write_i32(UC_ARM_REG.LR, excReturnValue(fromHandler, threadPsp, fp));
    const mspStart = threadPsp ? uc.reg_read_i32(UC_ARM_REG.SP) >>> 0 : frame.sp;
    uc.calls_exception(1, target, frame.sp);
    this.activate(n, sp - frame.sp, mspStart);
    this.boundary(EXCEPTION_CYCLES.entry + (fp && !lazy ? EXCEPTION_CYCLES.fpWords : 0), resume);
    this.schedule();
    return target | 1;
  }

  /**
   * UpdateFPCCR (B1.5.7), before the exception is activated: LSPACT, FPCAR = the FP area, THREAD and
   * USER from the mode, and the *RDY bits: which fault the deferred save could raise could be taken
   * at the execution priority the frame was stacked at (MONRDY stays 0: no DebugMonitor modeled).
   */
  private reserveFpArea(area: number, fromHandler: boolean, control: number): void {
    const s = this.state;
    const priority = s.executionPriority(this.masks());
    this.fpu.reserve(area >>> 0, {
      thread: !fromHandler,
      user: !fromHandler && (control & 1) !== 0,
      hf: priority > -1,
      mm: s.faultEnabled.memManage && priority > s.priorityOf(EXC.MemManage),
      bf: s.faultEnabled.busFault && priority > s.priorityOf(EXC.BusFault),
      mon: false,
    });
    this.lazyFpReserved++;
  }

  /**
   * PreserveFPState (B1.5.7): the first FPU instruction while FPCCR.LSPACT is set (the native lazy-FP
   * check stopped before its block, at `pc`) stores S0-S15 and FPSCR at FPCAR, clears LSPACT and
   * resumes at the block; charged the 17 words of the FP frame.
   */
  preserveFpState(pc: number): number | ExceptionFault {
    const uc = this.uc;
    const area = this.fpu.fpcar;
    const words = new Uint32Array(17);
    for (let i = 0; i < 16; i++) words[i] = uc.reg_read_i32(UC_ARM_REG_S0 + i);
    words[16] = uc.reg_read_i32(UC_ARM_REG.FPSCR);
    try {
      uc.mem_write(area, new Uint8Array(words.buffer));
    } catch {
      return {
        reason: 'memory-fault',
        message: `lazy FP state preservation at FPCAR ${hex(area)} failed (MLSPERR/LSPERR)`,
        pc,
      };
    }
    this.lazyFpSaves++;
    this.fpu.setLspact(false);
    this.boundary(EXCEPTION_CYCLES.fpWords, true);
    this.schedule();
    return pc | 1;
  }

  private activate(n: number, frameBytes: number, mspStart: number): void {
    const now = this.uc.now();
    this.state.activate(n);
    this.stat(n).count++;
    this.running.push({ number: n, enteredAt: now, child: 0, frameBytes, mspStart, minSp: mspStart });
  }

  /** Folds the main-stack low-water since the last entry or return into the running activation. */
  private harvestMinSp(): void {
    const m = this.uc.exc_min_sp();
    const top = this.running.at(-1);
    if (top && m < top.minSp) top.minSp = m;
  }

  private finish(cost: number): Running | undefined {
    this.harvestMinSp();
    const r = this.running.pop();
    if (!r) return undefined;
    const elapsed = this.uc.now() - r.enteredAt + cost;
    const s = this.stat(r.number);
    s.selfCycles += elapsed - r.child;
    s.maxStack = Math.max(s.maxStack, r.frameBytes + r.mspStart - r.minSp);
    const parent = this.running.at(-1);
    if (parent) {
      parent.child += elapsed;
      parent.minSp = Math.min(parent.minSp, r.minSp);
    }
    return r;
  }

  get inHandler(): boolean {
    return this.state.active.length > 0;
  }

  /**
   * ExceptionReturn (B1.5.8) for a branch to `excReturn` in Handler mode: tail-chains to a pending
   * exception that can preempt what we return to (B1.5.12), else unstacks. Returns the PC to resume at.
   */
  exceptionReturn(excReturn: number): number | ExceptionFault {
    const uc = this.uc;
    const decoded = decodeExcReturn(excReturn);
    const returning = this.state.ipsr;
    const invalid = (why: string): ExceptionFault => ({
      reason: 'invalid-instruction',
      message: `exception return from ${exceptionName(returning)} to EXC_RETURN ${hex(excReturn >>> 0)}: ${why} (INVPC UsageFault)`,
      pc: excReturn >>> 0,
    });
    if (!decoded) return invalid('not a valid EXC_RETURN value');
    if (decoded.toHandler && this.state.active.length < 2)
      return invalid('returns to Handler mode with no other exception active');
    if (!decoded.toHandler && this.state.active.length > 1)
      return invalid('returns to Thread mode with other exceptions active (CCR.NONBASETHRDENA is 0)');
    const masks = this.masks();
    // A line still high pends its interrupt again before the tail-chain decision (B1.5.12).
    this.repend(returning);
    const { tailChain } = this.state.deactivate(masks);
    if (returning !== EXC.NMI) uc.reg_write_i32(UC_ARM_REG.FAULTMASK, 0);
    if (tailChain !== null) {
      const chained = this.finish(0);
      const vector = this.vector(tailChain);
      const target = (vector & ~1) >>> 0;
      if ((vector & 1) === 0 || !this.executable(target))
        return {
          reason: (vector & 1) === 0 ? 'invalid-instruction' : 'memory-fault',
          message: `vector table entry for ${exceptionName(tailChain)} (${hex(vector)}) is ${(vector & 1) === 0 ? 'without the Thumb bit' : 'outside flash and RAM'}`,
          pc: excReturn >>> 0,
        };
      // The frame stays; the new handler returns with the same EXC_RETURN.
      uc.reg_write_i32(UC_ARM_REG.IPSR, tailChain);
      uc.reg_write_i32(UC_ARM_REG.LR, excReturn >>> 0);
      // The frame stays the returning handler's (B1.5.12): the new one runs on it.
      const sp = uc.reg_read_i32(UC_ARM_REG.SP) >>> 0;
      uc.calls_exception(2, target, 0);
      this.activate(tailChain, chained?.frameBytes ?? 0, chained?.mspStart ?? sp);
      this.boundary(EXCEPTION_CYCLES.tailChain, false);
      this.schedule();
      return target | 1;
    }
    // An extended frame whose FP area was never written (LSPACT still set: the handler did not use
    // the FPU) restores nothing: S0-S15 and FPSCR still hold the interrupted context (B1.5.8 PopStack).
    const lazyPending = decoded.fp && this.fpu.lspact;
    const restoreFp = decoded.fp && !lazyPending;
    const cost = EXCEPTION_CYCLES.return + (restoreFp ? EXCEPTION_CYCLES.fpWords : 0);
    if (lazyPending) this.fpu.setLspact(false);
    this.finish(cost);
    // IPSR first (Thread mode, still on MSP), then SPSEL (QEMU swaps to PSP), then the FP state.
    const control = uc.reg_read_i32(UC_ARM_REG.CONTROL) >>> 0;
    uc.reg_write_i32(UC_ARM_REG.IPSR, this.state.ipsr);
    let next = control & ~(CONTROL_SPSEL | CONTROL_FPCA | CONTROL_SFPA);
    if (decoded.psp) next |= CONTROL_SPSEL;
    // With FPCA, SFPA as QEMU sets it on FP use: without it QEMU's translator sees a "new FP
    // context needed" and resets FPSCR to its FPDSCR at the next FPU instruction of the context
    // returned to, losing the FPSCR just unstacked (or never changed, under lazy stacking).
    if (decoded.fp) next |= CONTROL_FPCA | CONTROL_SFPA;
    uc.reg_write_i32(UC_ARM_REG.CONTROL, next);
    const framePtr = uc.reg_read_i32(UC_ARM_REG.SP) >>> 0;
    const size = decoded.fp ? 0x68 : 0x20;
    let frame: Buffer;
    try {
      frame = uc.mem_read(framePtr, size);
    } catch {
      return {
        reason: 'memory-fault',
        message: `unstacking at ${hex(framePtr)} on exception return failed (MUNSTKERR)`,
        pc: excReturn >>> 0,
      };
    }
    const w = (i: number) => frame.readUInt32LE(4 * i);
    uc.reg_write_i32(UC_ARM_REG.R0, w(0));
    uc.reg_write_i32(UC_ARM_REG.R1, w(1));
    uc.reg_write_i32(UC_ARM_REG.R2, w(2));
    uc.reg_write_i32(UC_ARM_REG.R3, w(3));
    uc.reg_write_i32(UC_ARM_REG.R12, w(4));
    uc.reg_write_i32(UC_ARM_REG.LR, w(5));
    const psr = w(7);
    if (restoreFp) {
      for (let i = 0; i < 16; i++) uc.reg_write_i32(UC_ARM_REG_S0 + i, w(8 + i));
      uc.reg_write_i32(UC_ARM_REG.FPSCR, w(24));
    }
    // APSR flags and GE from the frame; IPSR is the exception returned to.
    uc.reg_write_i32(UC_ARM_REG.XPSR, ((psr & 0xff0f0000) | (1 << 24) | this.state.ipsr) >>> 0);
    uc.reg_write_i32(UC_ARM_REG.IPSR, this.state.ipsr);
    uc.reg_write_i32(UC_ARM_REG.SP, returnSp(framePtr, psr, decoded.fp));
    // The shadow call stack pops the handler after its return cycles are charged to it.
    this.boundary(cost, false);
    uc.calls_exception(3, framePtr, w(6) & ~1);
    this.schedule();
    return w(6) | 1;
  }

  /**
   * Wakes from an idle stop (WFI/WFE, or `b .` woken by SysTick): takes the idle block's counts back
   * and skips simulated time to `until`, counted as sleep when `sleeping` (WFI/WFE).
   */
  sleepUntil(until: number, sleeping: boolean): void {
    const onPsp =
      this.state.active.length === 0 && (this.uc.reg_read_i32(UC_ARM_REG.CONTROL) & CONTROL_SPSEL) !== 0;
    this.uc.exc_boundary(0, true, onPsp);
    const skipped = Math.max(0, until - this.uc.now());
    if (sleeping) this.sleepCycles += skipped;
    this.uc.exc_boundary(skipped, false, onPsp);
  }

  /** Resume after a stop that took no exception (a masked exception is still pending). */
  resume(): void {
    this.boundary(0, false);
    this.schedule();
  }

  /** Attributes the lowest PSP of a thread's run to the object holding `at` (SP before stacking). */
  notePsp(at: number, lowest: number): void {
    if (lowest === 0xffffffff) return;
    const o = this.objectAt((at - 1) >>> 0) ?? this.objectAt(lowest);
    const key = o ? o.name : '';
    let s = this.pspStacks.get(key);
    if (!s) {
      s = { symbol: o?.name ?? null, base: o ? o.base : lowest, size: o ? o.size : 0, lowest, highWater: 0 };
      this.pspStacks.set(key, s);
    }
    s.lowest = Math.min(s.lowest, lowest);
    if (!o) {
      const top = Math.max(s.base + s.size, at);
      s.base = Math.min(s.base, s.lowest);
      s.size = top - s.base;
    }
    s.highWater = s.base + s.size - s.lowest;
  }

  /** Process stacks by object, at the end of the run (what the thread running now used too). */
  describePspStacks(): PspStack[] {
    const control = this.uc.reg_read_i32(UC_ARM_REG.CONTROL);
    if (this.state.active.length === 0 && (control & CONTROL_SPSEL) !== 0) {
      const sp = this.uc.reg_read_i32(UC_ARM_REG.SP) >>> 0;
      this.notePsp(sp, Math.min(sp, this.uc.exc_psp_window()));
    }
    return [...this.pspStacks.values()].sort((a, b) => a.base - b.base);
  }

  describeStats(): ExceptionStats[] {
    return [...this.stats.values()].sort((a, b) => a.number - b.number);
  }
}
