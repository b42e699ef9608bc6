import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { loadBoard } from '../emulator/board.js';
import { loadElf, runFirmware } from '../emulator/machine.js';
import { toJson } from '../report/json.js';
import { formatSummary } from '../report/text.js';
import { parseClock, UsageError } from '../util/units.js';

/** 20 G instructions: about 40 s of host time, ten times the largest workload m4sim ships. */
export const DEFAULT_MAX_INSTRUCTIONS = 20e9;

interface SimulateOptions {
  board: string;
  ram?: string;
  flash?: string;
  flashWs?: string;
  clock?: string;
  json?: boolean;
  sandbox?: string;
  maxInstructions?: string;
  timeout?: string;
  exact?: boolean;
  stdin?: boolean;
}

function positiveInt(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text.replace(/_/g, ''));
  if (!Number.isSafeInteger(v) || v < 0)
    throw new UsageError(`${what}: expected a whole number, got "${text}"`);
  return v;
}

/** "30s", "500ms", "2m", "10" (seconds) → milliseconds. */
function duration(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new UsageError(`--timeout: expected a duration like 30s or 500ms, got "${text}"`);
  const scale = m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000;
  return Number(m[1]) * scale;
}

export function registerSimulate(program: Command, setStatus: (code: number) => void): void {
  program
    .command('simulate')
    .description('run a Cortex-M4 ELF and report instructions, modeled cycles, SRAM and flash')
    .argument('<firmware>', 'ELF executable (32-bit ARM, with a Cortex-M vector table)')
    .option('--board <name>', 'board: a name from boards/ or a path to a board JSON file', 'm4-256k')
    .option('--ram <size>', 'override the main SRAM size, e.g. 256K')
    .option('--flash <size>', 'override the flash size, e.g. 1M')
    .option('--flash-ws <n>', 'flash wait states (cycle model parameter)')
    .option('--clock <freq>', 'core clock for time figures, e.g. 168MHz (default: the board clock)')
    .option('--json', 'print one JSON document on stdout (firmware output goes to stderr and into "output")')
    .option('--sandbox <dir>', 'host folder semihosting may open files in (default: none)')
    .option(
      '--max-instructions <n>',
      'stop runaway firmware after this many instructions (0: no limit)',
      String(DEFAULT_MAX_INSTRUCTIONS),
    )
    .option('--timeout <duration>', 'stop runaway firmware after this much wall-clock time, e.g. 30s')
    .option('--exact', 'exact SRAM mode: per-instruction stack tracking and a RAM write hook (slower)')
    .option('--stdin', 'give the firmware this process’s standard input (SYS_READ from :tt)')
    .action((firmware: string, opts: SimulateOptions) => {
      const board = loadBoard(opts.board, {
        ram: opts.ram,
        flash: opts.flash,
        flashWaitStates: positiveInt(opts.flashWs, '--flash-ws'),
      });
      const clockHz = opts.clock ? parseClock(opts.clock) : undefined;
      const bytes = readFileSync(firmware);
      const elf = loadElf(bytes, firmware);
      const captured: Buffer[] = [];
      let capturedBytes = 0;
      const capture = (b: Uint8Array) => {
        if (capturedBytes < 1 << 20) {
          captured.push(Buffer.from(b));
          capturedBytes += b.length;
        }
      };
      const toStderr = (b: Uint8Array) => process.stderr.write(b);
      const stdinChunks: Uint8Array[] = [];
      const result = runFirmware(elf, {
        board,
        clockHz,
        sandbox: opts.sandbox,
        maxInstructions: positiveInt(opts.maxInstructions, '--max-instructions'),
        timeoutMs: duration(opts.timeout),
        exact: opts.exact,
        // argv[0] is the file name only: the same firmware does the same work wherever it lives.
        cmdline: basename(firmware),
        stdout: opts.json
          ? (b) => {
              capture(b);
              toStderr(b);
            }
          : (b) => {
              capture(b);
              process.stdout.write(b);
            },
        stderr: toStderr,
        stdin: opts.stdin
          ? () => {
              if (stdinChunks.length === 0) {
                const all = readFileSync(0);
                stdinChunks.push(all, new Uint8Array(0));
              }
              const next = stdinChunks.shift();
              return next && next.length > 0 ? next : null;
            }
          : () => null,
      });
      const output = Buffer.concat(captured).toString('utf8');
      if (opts.json) {
        process.stdout.write(JSON.stringify(toJson(result, firmware, output), null, 2) + '\n');
      } else {
        process.stderr.write(formatSummary(result, firmware));
      }
      setStatus(result.exit.code);
    });
}
