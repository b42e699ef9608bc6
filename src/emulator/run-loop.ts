// One step of the run loop between two emu_start calls (src/emulator/machine.ts runs the loop):
// whatever stopped the emulation for the exception model is turned into an exception entry, an
// exception return, a wake-up from WFI, or a fault through the vector table; the PC to resume at
// comes back, or the fault that ends the run. Where exceptions are taken: at translation-block
// boundaries (asynchronous ones), at the SVC (synchronous), at the faulting instruction (faults).
import { hex } from '../util/units.js';
import { decodeBlock, type ExitReason } from './faults.js';
import { TRAP_INVSTATE, UC_ARM_REG, type Insn, type UnicornEngine } from './native.js';
import type { ExceptionCore } from './exception-core.js';
import { EXC, exceptionName } from './exceptions.js';
import { TRAP_LAZYFP } from './trap-checks.js';
import { HFSR_FORCED, CFSR } from './peripherals/scb.js';

export interface Fault {
  reason: ExitReason;
  message: string;
  pc: number | null;
  /** The fault exception silicon would take (B3.2.15): taken when the firmware has a handler. */
  exception?: { number: number; cfsr: number; bfar?: number; mmfar?: number };
}

/** A synchronous event the loop handles after emu_start returns: SVC, or an exception return. */
export type SyncEvent = { kind: 'svc' } | { kind: 'return'; value: number };

/** CFSR bits of the UsageFault a native trap stands for (src/emulator/trap-checks.ts TRAP_* kinds). */
const TRAP_CFSR: Record<number, number> = {
  1: CFSR.UNALIGNED,
  2: CFSR.UNALIGNED,
  3: CFSR.DIVBYZERO,
  4: CFSR.NOCP,
};

/**
 * After emu_start returned: takes the exception the stop was for. Returns the PC to resume at, a
 * fault that ends the run, or null (the run ended for another reason: keep the diagnosis).
 */
export function exceptionStep(
  uc: UnicornEngine,
  core: ExceptionCore,
  sync: SyncEvent | null,
  fault: Fault | null,
  loop: { until: number },
): number | Fault | null {
  const pc = uc.reg_read_i32(UC_ARM_REG.PC) >>> 0;
  // An instruction limit, the timeout, a stack overflow or the cycle limit (6) ends the run
  // whatever else is due.
  const limit = uc.exc_state().limitHit;
  if ((limit >= 1 && limit <= 3) || limit === 6) return null;
  const wfiReached = loop.until !== 0xffffffff && pc === loop.until && !sync && !fault;
  loop.until = 0xffffffff;
  if (sync?.kind === 'return') return core.exceptionReturn(sync.value);
  if (sync?.kind === 'svc') {
    // SVCall is synchronous: taken now unless its priority cannot preempt (then HardFault, B1.5.4).
    const n =
      core.state.groupPriority(core.state.priorityOf(EXC.SVCall)) < core.state.executionPriority(core.masks())
        ? EXC.SVCall
        : EXC.HardFault;
    if (n === EXC.HardFault) core.scb.hfsr |= HFSR_FORCED;
    return core.enter(n, pc);
  }
  const state = uc.exc_state();
  // The first FPU instruction while a lazy FP save is pending: PreserveFPState, then resume (B1.5.7).
  if (state.limitHit === 5 && !fault && uc.profile_counters().trapKind === TRAP_LAZYFP)
    return core.preserveFpState(pc);
  if (fault?.exception) return takeFault(core, fault, fault.exception, fault.pc ?? pc, false);
  if (fault) return null;
  if (state.limitHit === 5 && uc.profile_counters().trapKind === TRAP_INVSTATE) {
    // The stacked PC is the target the branch left Thumb state for (B1.4.2).
    const target = uc.profile_counters().trapPc;
    const taken = takeFault(core, null, { number: EXC.UsageFault, cfsr: CFSR.INVSTATE }, target, true);
    return (
      taken ?? {
        reason: 'invalid-instruction',
        message: `invalid state (INVSTATE UsageFault): branch to ${hex(target)} with bit 0 clear (ARM state)`,
        pc: target,
      }
    );
  }
  if (state.limitHit === 5) {
    const c = uc.profile_counters();
    const cfsr = TRAP_CFSR[c.trapKind];
    if (cfsr === undefined) return null;
    return takeFault(core, null, { number: EXC.UsageFault, cfsr }, c.trapPc, true);
  }
  const now = uc.now();
  if (state.limitHit === 4 || wfiReached) {
    // WFI/WFE or `b .`: sleep until SysTick (or take what is pending now); nothing to wake: a hang.
    // The idle block was stopped before it ran: when instructions precede its WFI, run them first
    // (emu_start up to the WFI), then sleep at the WFI.
    let sleeping = false;
    let resumeAt = pc;
    if (wfiReached) {
      sleeping = true;
      resumeAt = pc + 2;
    } else {
      const c = uc.profile_counters();
      resumeAt = c.lastBlock;
      let insns: Insn[];
      try {
        insns = decodeBlock(uc, c.lastBlock, c.lastBlockSize);
      } catch {
        return null;
      }
      const k = insns.findIndex((i) => i.mnemonic === 'wfi' || i.mnemonic === 'wfe');
      if (k > 0) {
        core.sleepUntil(0, false);
        loop.until = insns[k]!.address;
        return c.lastBlock | 1;
      }
      if (k === 0) {
        sleeping = true;
        resumeAt = c.lastBlock + insns[0]!.size;
      }
    }
    let n = core.toTake();
    if (n === null) {
      const wake = core.nextWake();
      if (!Number.isFinite(wake)) {
        if (!wfiReached) return null;
        return {
          reason: 'hang',
          message: 'firmware is idling forever (WFI/WFE, and no enabled interrupt will fire)',
          pc,
        };
      }
      core.syncPending(wake);
      n = core.toTake();
      // A masked SysTick cannot end a `b .`; WFI wakes and continues (B1.5.19).
      if (n === null && !sleeping) return null;
      core.sleepUntil(wake, sleeping);
    } else {
      core.sleepUntil(0, false);
    }
    if (n === null) {
      core.resume();
      return resumeAt | 1;
    }
    return core.enter(n, resumeAt);
  }
  if (!state.stopped) return null;
  core.syncPending(now);
  const n = core.toTake();
  if (n === null) {
    core.resume();
    return pc | 1;
  }
  return core.enter(n, pc);
}

/**
 * A fault with its CFSR bits: through the vector table when the firmware has a handler for the
 * exception it escalates to (B1.5.4: disabled or not preempting → HardFault with HFSR.FORCED);
 * a fault while HardFault is active is a lockup (B1.5.15), reported as the original fault.
 */
function takeFault(
  core: ExceptionCore,
  fault: Fault | null,
  exc: NonNullable<Fault['exception']>,
  pc: number,
  trap: boolean,
): number | Fault | null {
  const masks = core.masks();
  if (core.state.active.includes(EXC.HardFault) || (masks.faultmask & 1) !== 0) {
    if (!core.hasHandler(EXC.HardFault)) return null;
    const what = fault?.message ?? `${exceptionName(exc.number)} (CFSR ${hex(exc.cfsr)})`;
    return {
      reason: fault?.reason ?? 'invalid-instruction',
      message: `lockup: ${what} while HardFault is active`,
      pc,
    };
  }
  const target = core.state.faultTarget(exc.number, masks);
  if (!core.hasHandler(target)) return null;
  const scb = core.scb;
  scb.cfsr = (scb.cfsr | exc.cfsr) >>> 0;
  if (exc.bfar !== undefined) scb.bfar = exc.bfar;
  if (exc.mmfar !== undefined) scb.mmfar = exc.mmfar;
  if (target === EXC.HardFault) scb.hfsr = (scb.hfsr | HFSR_FORCED) >>> 0;
  core.state.pending[target] = 0;
  return core.enter(target, pc, trap);
}
