// Ways to end a run of firmware that never exits (vendor firmware loops in `while (1)`): when its
// output contains a text, when the PC reaches a symbol, at a simulated time or at a cycle count.
// Parsing and checking of what the user asked for lives here, shared by the command line, scenario
// files and the library; src/emulator/machine.ts applies the conditions to a run.
import type { Elf } from '../elf/elf.js';
import { UsageError } from '../util/units.js';

/** What ends a run besides the firmware itself (RunOptions.until); the first one reached wins. */
export interface StopConditions {
  /** The firmware's output (semihosting/ITM stdout and UART) contains this text (UTF-8). */
  output?: string;
  /** The PC reaches this function or label of the ELF symbol table: stop before it executes. */
  symbol?: string;
  /** Simulated time in whole nanoseconds, following the core clock (RunResult.seconds). */
  simTimeNs?: number;
  /** Modeled cycles. */
  cycles?: number;
}

/**
 * Longest --until-output text, in UTF-8 bytes: a marker line, not a file. The matcher keeps this
 * many bytes of the previous writes, so memory stays bounded whatever the firmware prints.
 */
export const UNTIL_OUTPUT_MAX_BYTES = 4096;
/** Largest cycle limit: exactly representable (below 2^53) and some weeks of host time at 300 M/s. */
export const MAX_CYCLE_LIMIT = 1e15;
/** Longest simulated time: 24 hours, as --timeout (at 168 MHz, 1.45e13 cycles, days of host time). */
export const MAX_SIM_TIME_NS = 86_400e9;
/** Longest symbol name accepted (C++ mangled names stay well under it). */
export const SYMBOL_NAME_MAX = 256;

/**
 * A symbol name as assemblers and compilers write them: letters, digits, `_`, `.` and `$`, not
 * starting with a digit. Anything else cannot be in the symbol table the way the user typed it.
 */
const SYMBOL_RE = /^[A-Za-z_.$][A-Za-z0-9_.$]*$/;

const TIME_UNITS: Record<string, number> = { s: 9, ms: 6, us: 3, µs: 3, ns: 0 };

/** A user's value in a message: short printable text as it is, anything else by its length. */
export function shown(text: string): string {
  return text.length <= 40 && /^[\x20-\x7e]*$/.test(text)
    ? JSON.stringify(text)
    : `a text of ${text.length} characters`;
}

/**
 * "2s", "500ms", "10us", "1.5ms", "250ns" → whole nanoseconds (a finer fraction rounds up); null for
 * anything else, zero, or more than MAX_SIM_TIME_NS. A unit is required: a bare number could as well
 * mean cycles. The decimal is converted digit by digit, so "1ms" is exactly 1,000,000 ns.
 */
export function parseSimTime(text: string): number | null {
  if (text.length > 32) return null;
  const m = /^\s*(\d+)(?:\.(\d+))?\s*(s|ms|us|µs|ns)\s*$/.exec(text);
  if (!m) return null;
  const exp = TIME_UNITS[m[3]!]!;
  const frac = m[2] ?? '';
  const kept = frac.slice(0, exp).padEnd(exp, '0');
  let ns = BigInt(m[1]!) * 10n ** BigInt(exp) + BigInt(kept === '' ? '0' : kept);
  if (/[1-9]/.test(frac.slice(exp))) ns += 1n;
  if (ns <= 0n || ns > BigInt(MAX_SIM_TIME_NS)) return null;
  return Number(ns);
}

/** "168000", "168_000", "168,000", "1.5M", "2e6", "1G" → a whole count of cycles; null otherwise. */
export function parseCycleLimit(text: string): number | null {
  if (text.length > 32) return null;
  const m = /^\s*(\d+(?:\.\d+)?(?:e\d+)?)\s*(k|m|g|)\s*$/i.exec(text.replace(/[_,]/g, ''));
  if (!m) return null;
  const unit = (m[2] ?? '').toLowerCase();
  const scale = unit === 'k' ? 1e3 : unit === 'm' ? 1e6 : unit === 'g' ? 1e9 : 1;
  const n = Number(m[1]) * scale;
  return Number.isSafeInteger(n) && n > 0 && n <= MAX_CYCLE_LIMIT ? n : null;
}

/** The problem with an --until-output text, or null when it is usable. */
export function outputTextProblem(text: string): string | null {
  if (text.length === 0) return 'expected a non-empty text';
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > UNTIL_OUTPUT_MAX_BYTES)
    return `expected at most ${UNTIL_OUTPUT_MAX_BYTES} bytes of text, got ${bytes}`;
  return null;
}

/** The problem with a symbol name, or null when it is well-formed. */
export function symbolNameProblem(name: string): string | null {
  if (name.length === 0) return 'expected a function or label name';
  if (name.length > SYMBOL_NAME_MAX) return `expected a name of at most ${SYMBOL_NAME_MAX} characters`;
  if (!SYMBOL_RE.test(name))
    return `expected a function or label name (letters, digits, "_", "." and "$"), got ${shown(name)}`;
  return null;
}

/** How each field is called in messages: the option, or the scenario field. */
export interface StopConditionNames {
  output: string;
  symbol: string;
  simTimeNs: string;
  cycles: string;
}

const LIBRARY_NAMES: StopConditionNames = {
  output: 'until.output',
  symbol: 'until.symbol',
  simTimeNs: 'until.simTimeNs',
  cycles: 'until.cycles',
};

/** Refuses stop conditions a run cannot use, with one line naming the field (UsageError). */
export function checkStopConditions(until: StopConditions, names: StopConditionNames = LIBRARY_NAMES): void {
  if (until.output !== undefined) {
    const problem = typeof until.output === 'string' ? outputTextProblem(until.output) : 'expected a text';
    if (problem) throw new UsageError(`${names.output}: ${problem}`);
  }
  if (until.symbol !== undefined) {
    const problem = typeof until.symbol === 'string' ? symbolNameProblem(until.symbol) : 'expected a name';
    if (problem) throw new UsageError(`${names.symbol}: ${problem}`);
  }
  const t = until.simTimeNs;
  if (t !== undefined && !(Number.isSafeInteger(t) && t > 0 && t <= MAX_SIM_TIME_NS))
    throw new UsageError(`${names.simTimeNs}: expected a whole number of nanoseconds from 1 to 24 hours`);
  const c = until.cycles;
  if (c !== undefined && !(Number.isSafeInteger(c) && c > 0 && c <= MAX_CYCLE_LIMIT))
    throw new UsageError(`${names.cycles}: expected a whole number of cycles from 1 to 1e15`);
}

/**
 * The address (Thumb bit clear) of a function or label named `name` in the ELF's symbol table:
 * a defined `func` or `notype` symbol (an assembly label), global preferred over weak over local.
 * null when there is none; an error when local symbols of that name sit at different addresses
 * (static functions of one name in two files) and no global one decides.
 */
export function findStopSymbol(elf: Pick<Elf, 'symbols'>, name: string): number | null {
  const rank = (bind: string) => (bind === 'global' ? 0 : bind === 'weak' ? 1 : 2);
  const found = elf.symbols.filter(
    (s) => s.name === name && s.shndx !== 0 && s.shndx < 0xff00 && (s.type === 'func' || s.type === 'notype'),
  );
  if (found.length === 0) return null;
  const best = Math.min(...found.map((s) => rank(s.bind)));
  const addresses = new Set(found.filter((s) => rank(s.bind) === best).map((s) => (s.value & ~1) >>> 0));
  if (addresses.size > 1)
    throw new UsageError(
      `symbol ${shown(name)}: ${addresses.size} local symbols of that name at different addresses; give a unique name`,
    );
  return [...addresses][0]!;
}

/** Cycles at which `ns` nanoseconds have passed at `hz`, rounded up; exact for a whole-Hz clock. */
export function cyclesForTime(ns: number, hz: number): number {
  if (Number.isInteger(hz) && Number.isSafeInteger(ns)) {
    const p = BigInt(ns) * BigInt(hz);
    return Number((p + 999_999_999n) / 1_000_000_000n);
  }
  return Math.ceil((ns * hz) / 1e9);
}

/** 1_000_000 ns → "1 ms", 1_500_000 → "1.5 ms", 2e9 → "2 s", 10_000 → "10 µs". */
export function formatSimTime(ns: number): string {
  if (ns >= 1e9) return `${ns / 1e9} s`;
  if (ns >= 1e6) return `${ns / 1e6} ms`;
  if (ns >= 1e3) return `${ns / 1e3} µs`;
  return `${ns} ns`;
}

/**
 * Watches the firmware's output for a text across writes: each write is searched (natively, by
 * Buffer.indexOf), and so is the seam between the previous writes and this one, from the last
 * length-1 bytes kept. Memory: under UNTIL_OUTPUT_MAX_BYTES whatever the firmware prints.
 */
export class OutputWatch {
  private readonly needle: Buffer;
  private tail: Buffer = Buffer.alloc(0);
  matched = false;

  constructor(text: string) {
    this.needle = Buffer.from(text, 'utf8');
  }

  /** True when the text is complete with this write (once; later writes return false). */
  feed(bytes: Uint8Array): boolean {
    if (this.matched || bytes.length === 0) return false;
    const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const keep = this.needle.length - 1;
    if (this.tail.length > 0) {
      const seam = Buffer.concat([this.tail, chunk.subarray(0, keep)]);
      if (seam.includes(this.needle)) return (this.matched = true);
    }
    if (chunk.includes(this.needle)) return (this.matched = true);
    if (keep === 0) return false;
    // Copies: the caller may reuse its buffer.
    this.tail =
      chunk.length >= keep
        ? Buffer.from(chunk.subarray(chunk.length - keep))
        : Buffer.from(Buffer.concat([this.tail, chunk]).subarray(-keep));
    return false;
  }
}
