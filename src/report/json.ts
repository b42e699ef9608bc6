// The `--json` document: stable field names CI scripts rely on (documented in README.md).
import type { RunResult } from '../emulator/machine.js';
import { ITM_EVENT_LIMIT } from '../emulator/ppb.js';

/** Version of the JSON layout; bumped when a field changes meaning or goes away. */
export const JSON_SCHEMA_VERSION = 1;

export interface RunJson {
  schema: number;
  firmware: string;
  board: string;
  exit: RunResult['exit'];
  instructions: number;
  cycles: number;
  cpi: number;
  clockHz: number;
  seconds: number;
  cycleModel: RunResult['cycleModel'];
  sram: RunResult['sram'];
  flash: RunResult['flash'];
  /**
   * `events`: the first `limit` events; `dropped`: how many came after them (not kept), and
   * `droppedByPort` per stimulus port.
   */
  itm: { events: RunResult['itm']; limit: number; dropped: number; droppedByPort: RunResult['itmDropped'] };
  /**
   * The per-function profile as `m4sim report` and the library see it (src/profile/functions.ts):
   * `functions` aggregated by name, `tree` the calling-context tree it was summed from.
   */
  functions: RunResult['functions'];
  semihosting: RunResult['semihosting'];
  ppbUnmodeled: string[];
  peripherals: RunResult['peripherals'];
  /** Accesses to peripheral registers past the tracked limit (not stored, not in `peripherals`). */
  peripheralsUntracked: number;
  /** Timestamped changes of the board's modeled peripherals (`events`, the first 100,000) and how many came after. */
  devices: {
    events: RunResult['deviceEvents'];
    dropped: number;
    ignoredWrites: RunResult['deviceIgnoredWrites'];
  };
  /**
   * Exceptions taken (`taken`: per exception number: name, count, selfCycles, maxStack) and the
   * cycles slept in WFI/WFE (`sleepCycles`, included in `cycles`).
   */
  exceptions: RunResult['exceptions'];
  /** What the firmware wrote to stdout (semihosting and ITM port 0), decoded as UTF-8: the first 1 MiB. */
  output: string;
  /** Bytes of firmware output after that first 1 MiB (passed through, not kept in `output`). */
  outputDropped: number;
  host: { wallSeconds: number; mips: number };
}

export function toJson(r: RunResult, firmware: string, output: string, outputDropped = 0): RunJson {
  const dropped = r.itmDropped.reduce((n, d) => n + d.events, 0);
  return {
    schema: JSON_SCHEMA_VERSION,
    firmware,
    board: r.board,
    exit: r.exit,
    instructions: r.instructions,
    cycles: r.cycles,
    cpi: r.cpi,
    clockHz: r.clockHz,
    seconds: r.seconds,
    cycleModel: r.cycleModel,
    sram: r.sram,
    flash: r.flash,
    itm: { events: r.itm, limit: ITM_EVENT_LIMIT, dropped, droppedByPort: r.itmDropped },
    functions: r.functions,
    semihosting: r.semihosting,
    ppbUnmodeled: r.ppbUnmodeled,
    peripherals: r.peripherals,
    peripheralsUntracked: r.peripheralsUntracked,
    devices: { events: r.deviceEvents, dropped: r.deviceEventsDropped, ignoredWrites: r.deviceIgnoredWrites },
    exceptions: r.exceptions,
    output,
    outputDropped,
    host: { wallSeconds: r.wallSeconds, mips: r.instructions / Math.max(r.wallSeconds, 1e-9) / 1e6 },
  };
}
