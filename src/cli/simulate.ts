import { statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import type { Done, Outcome } from './status.js';
import type { DetectionReport } from '../detector/detect.js';
import { loadFrame } from '../detector/input.js';
import { referenceRunner } from '../detector/reference.js';
import { prepareDetector } from '../detector/session.js';
import { loadBoard, type Board } from '../emulator/board.js';
import { detectionJson, formatDetection } from '../report/detector.js';
import { loadElf, runFirmware, startMachine, type RunOptions, type RunResult } from '../emulator/machine.js';
import { parseGdbAddress, serveGdb } from '../gdb/server.js';
import { toJson } from '../report/json.js';
import { openOutputStream, writeOutputFile } from './output-file.js';
import { layerProgress } from './progress.js';
import { formatSummary } from '../report/text.js';
import { INPUT_LIMITS, readInputFile } from '../util/input-file.js';
import { readStdinSync, writeStderr, writeStdout } from '../util/stdio.js';
import { parseClock, UsageError } from '../util/units.js';
import {
  checkStopConditions,
  findStopSymbol,
  parseCycleLimit,
  parseSimTime,
  shown,
  type StopConditions,
} from '../emulator/stop-conditions.js';

/** 20 G instructions: about 40 s of host time, ten times the largest workload m4sim ships. */
export const DEFAULT_MAX_INSTRUCTIONS = 20e9;

interface SimulateOptions {
  image?: string;
  frame?: string;
  model?: string;
  threshold: string;
  outputs?: string;
  reference: boolean;
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
  uart?: string;
  untilOutput?: string;
  until?: string;
  simTime?: string;
  maxCycles?: string;
  strictPeripherals?: boolean;
  gdb?: string;
}

const OPTION_NAMES = {
  output: '--until-output',
  symbol: '--until',
  simTimeNs: '--sim-time',
  cycles: '--max-cycles',
};

/**
 * The stop conditions of the command line, checked before the firmware is read: each bad value is
 * one usage line naming the option.
 */
export function stopConditions(opts: SimulateOptions): StopConditions {
  const until: StopConditions = {};
  if (opts.untilOutput !== undefined) until.output = opts.untilOutput;
  if (opts.until !== undefined) until.symbol = opts.until;
  if (opts.simTime !== undefined) {
    const ns = parseSimTime(opts.simTime);
    if (ns === null)
      throw new UsageError(
        `--sim-time: expected a simulated time like 2s, 500ms or 10us, more than 0 and at most 24 hours, got ${shown(opts.simTime)}`,
      );
    until.simTimeNs = ns;
  }
  if (opts.maxCycles !== undefined) {
    const n = parseCycleLimit(opts.maxCycles);
    if (n === null)
      throw new UsageError(
        `--max-cycles: expected a whole number of cycles from 1 to 1e15 (168000, 1.5M, 2e9), got ${shown(opts.maxCycles)}`,
      );
    until.cycles = n;
  }
  checkStopConditions(until, OPTION_NAMES);
  return until;
}

function positiveInt(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text.replace(/_/g, ''));
  if (!Number.isSafeInteger(v) || v < 0)
    throw new UsageError(`${what}: expected a whole number, got "${text}"`);
  return v;
}

/** Longest --timeout: 24 h (a longer one is almost certainly a typo). */
const MAX_TIMEOUT_MS = 86_400_000;

/**
 * "30s", "500ms", "2m", "10" (seconds) → whole milliseconds, at least 1 (the watchdog's resolution).
 * Zero, negative, unparseable and over-24-hour durations are usage errors: `--timeout 0` must not
 * quietly mean "no limit".
 */
export function duration(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  const scale = m?.[2] === 'ms' ? 1 : m?.[2] === 'm' ? 60_000 : 1000;
  const ms = m ? Number(m[1]) * scale : NaN;
  if (!(ms > 0))
    throw new UsageError(`--timeout: expected a positive duration like 30s or 500ms, got "${text}"`);
  if (ms > MAX_TIMEOUT_MS) throw new UsageError(`--timeout: at most 24 hours (1440m), got "${text}"`);
  return Math.ceil(ms);
}

/** The --sandbox folder, checked here so a mistake is a usage line, not a failure inside the run. */
function sandboxDir(dir: string | undefined): string | undefined {
  if (dir === undefined) return undefined;
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new UsageError(
      `--sandbox ${dir}: ${code === 'ENOENT' ? 'no such directory' : `cannot be used (${code ?? 'unknown error'})`}`,
    );
  }
  if (!isDir) throw new UsageError(`--sandbox ${dir}: not a directory`);
  return dir;
}

/** The firmware's output kept for --json's `output`: the first 1 MiB; the rest is only counted. */
export const OUTPUT_CAPTURE_BYTES = 1 << 20;

function outputCapture(limit: number): { add(b: Uint8Array): void; text(): string; dropped(): number } {
  const chunks: Buffer[] = [];
  let kept = 0;
  let dropped = 0;
  return {
    add(b) {
      const room = Math.min(b.length, limit - kept);
      if (room > 0) {
        chunks.push(Buffer.from(b.subarray(0, room)));
        kept += room;
      }
      dropped += b.length - room;
    },
    text: () => Buffer.concat(chunks, kept).toString('utf8'),
    dropped: () => dropped,
  };
}

export function registerSimulate(program: Command, done: Done): void {
  program
    .command('simulate')
    .description('run a Cortex-M4 ELF and report instructions, modeled cycles, SRAM and flash')
    .argument(
      '[firmware]',
      'ELF executable (32-bit ARM, with a Cortex-M vector table); none: the face detector',
    )
    .option(
      '--image <file>',
      'detector: a PNG, JPEG or PGM photo (default: the astronaut in scenarios/images)',
    )
    .option('--frame <file>', 'detector: an already-quantized 320x240 int8 frame (76,800 bytes, row-major)')
    .option('--model <file>', 'detector: a model file (default: models/face-m4-synthetic.model.json)')
    .option('--threshold <score>', 'detector: keep boxes scoring above this (0..1)', '0.5')
    .option('--outputs <file>', 'detector: write the firmware’s raw head outputs as little-endian int16')
    .option('--no-reference', 'detector: skip the TypeScript reference comparison')
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
    .option('--stdin', 'give the firmware this process’s standard input (SYS_READ from :tt, UART receivers)')
    .option('--uart <file>', 'write what the board’s UARTs transmit to this file instead of stdout')
    .option(
      '--until-output <text>',
      'stop (status 0) once the firmware’s output (semihosting, ITM, UART) contains this text (at most 4 KiB)',
    )
    .option('--until <symbol>', 'stop (status 0) when the PC reaches this function or label, before it runs')
    .option(
      '--sim-time <duration>',
      'stop (status 0) at the first block boundary at or after this simulated time, e.g. 2s, 500ms, 10us',
    )
    .option(
      '--max-cycles <n>',
      'stop (status 0) at the first block boundary at or after this many modeled cycles',
    )
    .option(
      '--strict-peripherals',
      'end the run (status 139) at the first access to a peripheral register no model serves',
    )
    .option(
      '--gdb <[host:]port>',
      'wait for gdb on this TCP port (default host 127.0.0.1; port 0: any free one) and run under its control',
    )
    .addHelpText(
      'after',
      [
        '',
        'Ends of a run (exit status): the firmware’s own exit status; 0 when --until-output, --until,',
        '--sim-time or --max-cycles ended it (the first reached wins; the summary says which and when);',
        '123 polling an unmodeled register nothing can change; 124 --timeout; 125 --max-instructions;',
        '126 idling forever; 132–143 faults (139 memory fault, or --strict-peripherals); see the README.',
      ].join('\n'),
    )
    .action(async (firmware: string | undefined, opts: SimulateOptions) => {
      const board = loadBoard(opts.board, {
        ram: opts.ram,
        flash: opts.flash,
        flashWaitStates: positiveInt(opts.flashWs, '--flash-ws'),
      });
      const clockHz = opts.clock ? parseClock(opts.clock) : undefined;
      const until = stopConditions(opts);
      const gdb = opts.gdb === undefined ? undefined : parseGdbAddress(opts.gdb);
      if (gdb && opts.timeout !== undefined)
        throw new UsageError(
          '--timeout and --gdb: a debugged run waits for gdb, so wall-clock time means nothing',
        );
      if (firmware === undefined || opts.image || opts.frame || opts.model) {
        if (gdb) throw new UsageError('--gdb: only with a firmware ELF');
        if (firmware !== undefined)
          throw new UsageError('give either a firmware ELF or --image/--frame/--model, not both');
        if (opts.uart !== undefined) throw new UsageError('--uart: only with a firmware ELF');
        if (Object.keys(until).length > 0 || opts.strictPeripherals)
          throw new UsageError(
            '--until-output, --until, --sim-time, --max-cycles and --strict-peripherals apply to a firmware ELF, not the detector',
          );
        done(simulateDetector(opts, board, clockHz));
        return;
      }
      const sandbox = sandboxDir(opts.sandbox);
      const maxInstructions = positiveInt(opts.maxInstructions, '--max-instructions');
      const timeoutMs = duration(opts.timeout);
      const elf = loadElf(readInputFile(firmware, 'firmware', INPUT_LIMITS.firmware), firmware);
      if (until.symbol !== undefined && findStopSymbol(elf, until.symbol) === null)
        throw new UsageError(`--until ${until.symbol}: no function or label of that name in ${firmware}`);
      const capture = outputCapture(OUTPUT_CAPTURE_BYTES);
      let stdinRead = false;
      // Opened once the firmware loaded (a bad ELF leaves no empty file behind), written as the UARTs
      // transmit; a write failure stops the run with status 73.
      const uart = opts.uart !== undefined ? openOutputStream(opts.uart, '--uart') : undefined;
      // Output is written synchronously (src/util/stdio.ts): memory stays bounded whatever the firmware
      // writes, and a closed pipe (EPIPE) stops the emulation at once.
      let result: RunResult;
      try {
        const runOptions: RunOptions = {
          board,
          clockHz,
          sandbox,
          maxInstructions,
          timeoutMs,
          until,
          strictPeripherals: opts.strictPeripherals,
          exact: opts.exact,
          // argv[0] is the file name only: the same firmware does the same work wherever it lives.
          cmdline: basename(firmware),
          stdout: (b) => {
            capture.add(b);
            if (opts.json) writeStderr(b);
            else writeStdout(b);
          },
          stderr: writeStderr,
          // Standard input once, when the firmware first reads it, up to a limit; semihosting buffers it
          // and then reports end of file.
          stdin: opts.stdin
            ? () => {
                if (stdinRead) return null;
                stdinRead = true;
                const all = readStdinSync(INPUT_LIMITS.binary);
                return all.length > 0 ? all : null;
              }
            : () => null,
          uart: uart ? (b) => uart.write(b) : undefined,
        };
        result = gdb
          ? await serveGdb(gdb, {
              createMachine: () => startMachine(elf, runOptions),
              note: (line) => writeStderr(`${line}\n`),
            })
          : runFirmware(elf, runOptions);
      } finally {
        uart?.close();
      }
      if (opts.json) {
        const json = toJson(result, firmware, capture.text(), capture.dropped());
        writeStdout(JSON.stringify(json, null, 2) + '\n');
      } else {
        writeStderr(formatSummary(result, firmware));
      }
      done({ kind: 'firmware', exit: result.exit });
    });
}

function thresholdQ15(text: string): number {
  const v = Number(text);
  if (!(v >= 0 && v < 1)) throw new UsageError(`--threshold: expected a score in [0, 1), got "${text}"`);
  return Math.round(v * 32768);
}

function simulateDetector(opts: SimulateOptions, board: Board, clockHz: number | undefined): Outcome {
  const settings = {
    clockHz,
    thresholdQ15: thresholdQ15(opts.threshold),
    exact: opts.exact,
    maxInstructions: positiveInt(opts.maxInstructions, '--max-instructions'),
    timeoutMs: duration(opts.timeout),
  };
  // The input first: a missing or special file is refused before the firmware is built.
  const input = loadFrame(opts);
  const session = prepareDetector({
    board,
    modelPath: opts.model,
    reference: opts.reference ? referenceRunner : undefined,
  });
  const progress = layerProgress({ json: opts.json });
  let report: DetectionReport;
  try {
    report = session.run(input, { ...settings, onLayer: progress.onLayer });
  } finally {
    progress.done();
  }
  if (opts.outputs) {
    const o = report.run.outputs;
    writeOutputFile(opts.outputs, new Uint8Array(o.buffer, o.byteOffset, o.byteLength), '--outputs');
  }
  const r = report.run.result;
  if (opts.json) {
    const json = { ...toJson(r, 'detector', report.run.output), detector: detectionJson(report) };
    writeStdout(JSON.stringify(json, null, 2) + '\n');
  } else {
    writeStderr(formatDetection(report));
    if (r.exit.reason !== 'exit')
      writeStderr(`m4sim: detector firmware ended: ${r.exit.reason}: ${r.exit.message}\n`);
  }
  return { kind: 'detector', exit: r.exit, match: report.match };
}
