// The ARMv7-M exception model as a state machine without Unicorn: what is pending and active, the
// priorities (ARMv7-M ARM DDI 0403 B1.5.4), which pending exception is taken and when (preemption by
// group priority only, PRIMASK/FAULTMASK/BASEPRI boosting), tail-chaining (B1.5.12), and the frame
// layout of exception entry and return (B1.5.6 PushStack, B1.5.8 PopStack, EXC_RETURN B1.5.8 Table
// B1-8). The run loop (src/emulator/run-loop.ts) moves registers and memory; this file decides.

/** Exception numbers, B1.5.2 Table B1-4. External interrupt n is 16 + n. */
export const EXC = {
  Reset: 1,
  NMI: 2,
  HardFault: 3,
  MemManage: 4,
  BusFault: 5,
  UsageFault: 6,
  SVCall: 11,
  DebugMonitor: 12,
  PendSV: 14,
  SysTick: 15,
} as const;

export const EXCEPTION_NAMES: Record<number, string> = {
  1: 'Reset',
  2: 'NMI',
  3: 'HardFault',
  4: 'MemManage',
  5: 'BusFault',
  6: 'UsageFault',
  11: 'SVCall',
  12: 'DebugMonitor',
  14: 'PendSV',
  15: 'SysTick',
};

export function exceptionName(n: number): string {
  return EXCEPTION_NAMES[n] ?? (n >= 16 ? `IRQ${n - 16}` : `exception ${n}`);
}

/** EXC_RETURN values (B1.5.8 Table B1-8): return to Handler/MSP, Thread/MSP, Thread/PSP; E* with an FP frame. */
export const EXC_RETURN = {
  handler: 0xfffffff1,
  threadMsp: 0xfffffff9,
  threadPsp: 0xfffffffd,
  handlerFp: 0xffffffe1,
  threadMspFp: 0xffffffe9,
  threadPspFp: 0xffffffed,
} as const;

/** Basic frame: R0-R3, R12, LR, return address, xPSR (8 words). Extended: + S0-S15, FPSCR, reserved. */
export const BASIC_FRAME_BYTES = 0x20;
export const FP_FRAME_BYTES = 0x68;

/** Priority of "no exception active, nothing boosted": one more than the lowest configurable (B1.5.4). */
export const NO_PRIORITY = 256;

export interface ExceptionConfig {
  /** Implemented priority bits (3..8 on the Cortex-M4; 4 like STM32F4 by default). */
  priorityBits: number;
  /** External interrupt lines (at most 496 in ARMv7-M; the Cortex-M4 implements up to 240). */
  irqLines: number;
}

export const DEFAULT_EXCEPTION_CONFIG: ExceptionConfig = { priorityBits: 4, irqLines: 240 };

/** The special-purpose mask registers as MRS reads them. */
export interface Masks {
  primask: number;
  faultmask: number;
  basepri: number;
}

export interface EntryFrame {
  /** SP after stacking (the frame's lowest address). */
  sp: number;
  /** Bytes of the frame (0x20 or 0x68). */
  size: number;
  /** 4 when a padding word was inserted for 8-byte alignment (xPSR bit 9 set in the frame). */
  padding: number;
  /** The xPSR value to stack (bit 9 = padding). */
  xpsr: number;
}

/**
 * PushStack (B1.5.6): the frame goes below `sp`; with forced alignment (CCR.STKALIGN, always for the
 * FP frame) bit 2 of SP is cleared after subtracting and recorded in bit 9 of the stacked xPSR.
 */
export function entryFrame(sp: number, xpsr: number, stkalign: boolean, fp: boolean): EntryFrame {
  const size = fp ? FP_FRAME_BYTES : BASIC_FRAME_BYTES;
  const forceAlign = fp || stkalign;
  const padding = forceAlign && (sp & 4) !== 0 ? 4 : 0;
  const framePtr = ((sp - size) & ~(forceAlign ? 4 : 0)) >>> 0;
  return { sp: framePtr, size, padding, xpsr: ((xpsr & ~(1 << 9)) | (padding ? 1 << 9 : 0)) >>> 0 };
}

/** PopStack (B1.5.8): SP after unstacking a frame at `framePtr` whose stacked xPSR is `xpsr`. */
export function returnSp(framePtr: number, xpsr: number, fp: boolean): number {
  const size = fp ? FP_FRAME_BYTES : BASIC_FRAME_BYTES;
  return (framePtr + size + ((xpsr >>> 9) & 1) * 4) >>> 0;
}

/** EXC_RETURN for an entry from Handler mode or Thread mode (on MSP or PSP), with or without FP context. */
export function excReturnValue(fromHandler: boolean, threadPsp: boolean, fp: boolean): number {
  if (fromHandler) return fp ? EXC_RETURN.handlerFp : EXC_RETURN.handler;
  if (threadPsp) return fp ? EXC_RETURN.threadPspFp : EXC_RETURN.threadPsp;
  return fp ? EXC_RETURN.threadMspFp : EXC_RETURN.threadMsp;
}

export interface DecodedExcReturn {
  toHandler: boolean;
  psp: boolean;
  fp: boolean;
}

/** The mode, stack and frame type an EXC_RETURN selects, or null when it is not a valid value (INVPC). */
export function decodeExcReturn(value: number): DecodedExcReturn | null {
  const v = value >>> 0;
  if ((v & 0xffffffe0) >>> 0 !== 0xffffffe0) return null;
  const low = v & 0xf;
  if (low !== 0x1 && low !== 0x9 && low !== 0xd) return null;
  return { toHandler: low === 0x1, psp: low === 0xd, fp: (v & 0x10) === 0 };
}

/** Looks like an EXC_RETURN (the top 27 bits set): a branch there in Handler mode is an exception return. */
export function isExcReturnAddress(value: number): boolean {
  return (value & 0xffffffe0) >>> 0 === 0xffffffe0;
}

/**
 * Pending/active state and the priority registers. Priority bytes hold what the firmware wrote with
 * the unimplemented low bits read as zero (B1.5.4: "the priority field … implements the most
 * significant bits").
 */
export class ExceptionState {
  readonly config: ExceptionConfig;
  /** Per exception number: pending. */
  readonly pending: Uint8Array;
  /** Active exceptions, outermost first (the nesting order; the last one is what runs now). */
  readonly active: number[] = [];
  /** SHPR1-3 bytes for exceptions 4..15 and NVIC_IPR bytes for 16.. (index = exception number). */
  readonly priority: Uint8Array;
  /** NVIC_ISER per interrupt line. */
  readonly enabled: Uint8Array;
  /** AIRCR.PRIGROUP (B3.2.6): priority bits [PRIGROUP:0] are subpriority. */
  prigroup = 0;
  /** SHCSR MEMFAULTENA/BUSFAULTENA/USGFAULTENA (B3.2.13): a disabled fault escalates to HardFault. */
  faultEnabled = { memManage: false, busFault: false, usageFault: false };

  constructor(config: ExceptionConfig = DEFAULT_EXCEPTION_CONFIG) {
    this.config = config;
    const n = 16 + config.irqLines;
    this.pending = new Uint8Array(n);
    this.priority = new Uint8Array(n);
    this.enabled = new Uint8Array(config.irqLines);
  }

  get count(): number {
    return this.pending.length;
  }

  /** The priority byte with unimplemented bits cleared. */
  implemented(byte: number): number {
    const drop = 8 - this.config.priorityBits;
    return ((byte & 0xff) >> drop) << drop;
  }

  setPriority(n: number, byte: number): void {
    if (n >= 4 && n < this.count) this.priority[n] = this.implemented(byte);
  }

  /** Reset −3, NMI −2, HardFault −1, the others as configured (B1.5.4). */
  priorityOf(n: number): number {
    if (n === EXC.Reset) return -3;
    if (n === EXC.NMI) return -2;
    if (n === EXC.HardFault) return -1;
    return this.priority[n] ?? 0;
  }

  /** Group priority: the subpriority bits [PRIGROUP:0] cleared (B1.5.4). Negative priorities stay. */
  groupPriority(p: number): number {
    if (p < 0 || p >= NO_PRIORITY) return p;
    const sub = this.prigroup + 1;
    return (p >> sub) << sub;
  }

  /** Enabled: faults and system exceptions always (disabled faults escalate), IRQs per ISER. */
  isEnabled(n: number): boolean {
    if (n >= 16) return this.enabled[n - 16] === 1;
    return true;
  }

  /** Execution priority (B1.5.4 ExecutionPriority()): the active exceptions and the boosting masks. */
  executionPriority(masks: Masks): number {
    let highest = NO_PRIORITY;
    for (const n of this.active) highest = Math.min(highest, this.groupPriority(this.priorityOf(n)));
    let boost = NO_PRIORITY;
    const basepri = this.implemented(masks.basepri);
    if (basepri !== 0) boost = this.groupPriority(basepri);
    if (masks.primask & 1) boost = 0;
    if (masks.faultmask & 1) boost = -1;
    return Math.min(highest, boost);
  }

  /**
   * The pending, enabled exception that would be taken next: lowest priority value, then lowest
   * exception number (B1.5.4), or null.
   */
  nextPending(): number | null {
    let best: number | null = null;
    let bestPriority = Infinity;
    for (let n = 1; n < this.count; n++) {
      if (!this.pending[n] || !this.isEnabled(n)) continue;
      const p = this.priorityOf(n);
      if (p < bestPriority) {
        best = n;
        bestPriority = p;
      }
    }
    return best;
  }

  /** The exception to take now (its group priority beats the execution priority), or null. */
  toTake(masks: Masks): number | null {
    const n = this.nextPending();
    if (n === null) return null;
    return this.groupPriority(this.priorityOf(n)) < this.executionPriority(masks) ? n : null;
  }

  /** Something pending and enabled is waiting only because of priority or masks. */
  maskedPending(masks: Masks): boolean {
    return this.nextPending() !== null && this.toTake(masks) === null;
  }

  /** Exception entry bookkeeping (B1.5.6 ExceptionTaken): pending → active. */
  activate(n: number): void {
    this.pending[n] = 0;
    this.active.push(n);
  }

  /**
   * Exception return bookkeeping (B1.5.8 DeActivate): the returning exception is no longer active.
   * Returns what then runs at that level: the tail-chained exception (B1.5.12: a pending exception
   * whose group priority beats the execution priority of what we return to), or null to unstack.
   */
  deactivate(masks: Masks): { returned: number; tailChain: number | null } {
    const returned = this.active.pop() ?? 0;
    // FAULTMASK is cleared on any return except from NMI (B1.5.8).
    const after = returned === EXC.NMI ? masks : { ...masks, faultmask: 0 };
    return { returned, tailChain: this.toTake(after) };
  }

  /** The number in IPSR now (0 in Thread mode). */
  get ipsr(): number {
    return this.active.at(-1) ?? 0;
  }

  /** A fault: taken as itself when enabled and its priority can preempt, else escalated to HardFault (B1.5.4). */
  faultTarget(n: number, masks: Masks): number {
    if (n === EXC.HardFault) return n;
    const enabled =
      (n === EXC.MemManage && this.faultEnabled.memManage) ||
      (n === EXC.BusFault && this.faultEnabled.busFault) ||
      (n === EXC.UsageFault && this.faultEnabled.usageFault);
    if (!enabled) return EXC.HardFault;
    const p = this.groupPriority(this.priorityOf(n));
    return p < this.executionPriority(masks) ? n : EXC.HardFault;
  }
}
