// The `--json` document: stable field names CI scripts rely on (documented in README.md).
import type { RunResult } from '../emulator/machine.js';

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
  itm: { events: RunResult['itm'] };
  semihosting: RunResult['semihosting'];
  ppbUnmodeled: string[];
  peripherals: RunResult['peripherals'];
  /** What the firmware wrote to stdout (semihosting and ITM port 0), decoded as UTF-8. */
  output: string;
  host: { wallSeconds: number; mips: number };
}

export function toJson(r: RunResult, firmware: string, output: string): RunJson {
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
    itm: { events: r.itm.slice(0, 100_000) },
    semihosting: r.semihosting,
    ppbUnmodeled: r.ppbUnmodeled,
    peripherals: r.peripherals,
    output,
    host: { wallSeconds: r.wallSeconds, mips: r.instructions / Math.max(r.wallSeconds, 1e-9) / 1e6 },
  };
}
