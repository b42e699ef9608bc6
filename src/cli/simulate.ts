import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { detect, type DetectionReport } from '../detector/detect.js';
import { referenceRunner } from '../detector/reference.js';
import { loadBoard, type Board } from '../emulator/board.js';
import { detectionJson, formatDetection } from '../report/detector.js';
import { loadElf, runFirmware } from '../emulator/machine.js';
import { toJson } from '../report/json.js';
import { layerProgress } from './progress.js';
import { formatSummary } from '../report/text.js';
import { parseClock, UsageError } from '../util/units.js';

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
    .option('--stdin', 'give the firmware this process’s standard input (SYS_READ from :tt)')
    .action((firmware: string | undefined, opts: SimulateOptions) => {
      const board = loadBoard(opts.board, {
        ram: opts.ram,
        flash: opts.flash,
        flashWaitStates: positiveInt(opts.flashWs, '--flash-ws'),
      });
      const clockHz = opts.clock ? parseClock(opts.clock) : undefined;
      if (firmware === undefined || opts.image || opts.frame || opts.model) {
        if (firmware !== undefined)
          throw new UsageError('give either a firmware ELF or --image/--frame/--model, not both');
        setStatus(simulateDetector(opts, board, clockHz));
        return;
      }
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
      let stdinRead = false;
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
        // The whole of standard input, once; semihosting buffers it and then reports end of file.
        stdin: opts.stdin
          ? () => {
              if (stdinRead) return null;
              stdinRead = true;
              const all = readFileSync(0);
              return all.length > 0 ? all : null;
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

function thresholdQ15(text: string): number {
  const v = Number(text);
  if (!(v >= 0 && v < 1)) throw new UsageError(`--threshold: expected a score in [0, 1), got "${text}"`);
  return Math.round(v * 32768);
}

function simulateDetector(opts: SimulateOptions, board: Board, clockHz: number | undefined): number {
  const progress = layerProgress({ json: opts.json });
  let report: DetectionReport;
  try {
    report = detect({
      board,
      clockHz,
      modelPath: opts.model,
      image: opts.image,
      frame: opts.frame,
      thresholdQ15: thresholdQ15(opts.threshold),
      exact: opts.exact,
      reference: opts.reference ? referenceRunner : undefined,
      onLayer: progress.onLayer,
    });
  } finally {
    progress.done();
  }
  if (opts.outputs) {
    const o = report.run.outputs;
    writeFileSync(opts.outputs, new Uint8Array(o.buffer, o.byteOffset, o.byteLength));
  }
  const r = report.run.result;
  if (opts.json) {
    const json = { ...toJson(r, 'detector', report.run.output), detector: detectionJson(report) };
    process.stdout.write(JSON.stringify(json, null, 2) + '\n');
  } else {
    process.stderr.write(formatDetection(report));
  }
  if (r.exit.reason !== 'exit') {
    if (!opts.json)
      process.stderr.write(`m4sim: detector firmware ended: ${r.exit.reason}: ${r.exit.message}\n`);
    return r.exit.code;
  }
  return report.match === false ? 1 : r.exit.code;
}
