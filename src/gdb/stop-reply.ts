// Stop replies (GDB manual, "Stop Reply Packets"): why the target stopped, in gdb's own signal
// numbering (include/gdb/signals.def: it is not the host's; SIGBUS is 10 there, 7 on Linux).
import type { ExitReason, MachineStop, RunResult } from '../emulator/machine.js';

export const GDB_SIGNAL = {
  INT: 2,
  ILL: 4,
  TRAP: 5,
  ABRT: 6,
  FPE: 8,
  BUS: 10,
  SEGV: 11,
  ALRM: 14,
  TERM: 15,
  XCPU: 24,
} as const;

/**
 * The signal a run's end stands for when it was not the firmware's own exit: the signal of the
 * exit status m4sim gives it (src/emulator/faults.ts EXIT_STATUS, 128 + a host signal), in gdb's
 * numbering; the limits m4sim puts on a run as SIGXCPU (instruction limit) and SIGALRM (wall-clock
 * timeout, an idle loop nothing wakes, a poll nothing can end).
 */
const END_SIGNAL: Partial<Record<ExitReason, number>> = {
  'invalid-instruction': GDB_SIGNAL.ILL,
  breakpoint: GDB_SIGNAL.TRAP,
  'stack-overflow': GDB_SIGNAL.ABRT,
  'unaligned-access': GDB_SIGNAL.BUS,
  'divide-by-zero': GDB_SIGNAL.FPE,
  'memory-fault': GDB_SIGNAL.SEGV,
  'unmodeled-peripheral': GDB_SIGNAL.SEGV,
  'system-reset': GDB_SIGNAL.TERM,
  'instruction-limit': GDB_SIGNAL.XCPU,
  timeout: GDB_SIGNAL.ALRM,
  hang: GDB_SIGNAL.ALRM,
  polling: GDB_SIGNAL.ALRM,
  stopped: GDB_SIGNAL.ABRT,
};

/**
 * How the end of a run is told: `W` with the exit status when the firmware exited or a stop
 * condition ended the run as asked (status 0), else the signal it died of (`T` first, so the
 * faulting state can be inspected, `X` when gdb resumes it).
 */
export function endOf(result: RunResult): { exited: number } | { signal: number } {
  const signal = END_SIGNAL[result.exit.reason];
  if (signal === undefined) return { exited: result.exit.code & 0xff };
  return { signal };
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/** The reply for a debugger stop (not the end of the run). */
export function stopReply(stop: Exclude<MachineStop, { kind: 'ended' }> | { kind: 'interrupt' }): string {
  if (stop.kind === 'interrupt') return `T${hex2(GDB_SIGNAL.INT)}`;
  if (stop.kind === 'watchpoint') {
    const key = stop.access === 'write' ? 'watch' : stop.access === 'read' ? 'rwatch' : 'awatch';
    return `T${hex2(GDB_SIGNAL.TRAP)}${key}:${stop.address.toString(16)};`;
  }
  return `T${hex2(GDB_SIGNAL.TRAP)}`;
}

export function exitedReply(code: number): string {
  return `W${hex2(code & 0xff)}`;
}

export function signalStopReply(signal: number): string {
  return `T${hex2(signal)}`;
}

export function terminatedReply(signal: number): string {
  return `X${hex2(signal)}`;
}
