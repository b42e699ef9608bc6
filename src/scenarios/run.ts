// Runs one scenario and measures it: the detector on each image (with the TypeScript reference), or an
// ELF / a C source built for the scenario's board. The result is plain data (it crosses worker threads).
import { basename, join } from 'node:path';
import { buildDetector } from '../detector/build.js';
import { DetectorFitError, type FitProblem } from '../detector/fit.js';
import { loadFrame } from '../detector/input.js';
import { referenceRunner } from '../detector/reference.js';
import { DEFAULT_THRESHOLD_Q15 } from '../detector/run.js';
import { openDetector, prepareDetector } from '../detector/session.js';
import { loadBoard, type Board } from '../emulator/board.js';
import { loadElf, runFirmware, type RunResult } from '../emulator/machine.js';
import { describeDivergence } from '../report/detector.js';
import { linkMemory, memoryKey, writeLinkerScript } from '../toolchain/board-linker.js';
import { projectRoot } from '../util/paths.js';
import { INPUT_LIMITS, readInputFile } from '../util/input-file.js';
import type { Scenario } from './schema.js';
import { buildSourceProject } from './source-firmware.js';

/** What `check` compares with budgets and baselines: the worst value over the scenario's images. */
export interface Measured {
  sram: { total: number; static: number; stack: number; heap: number; data: number; bss: number };
  flash: { used: number; size: number };
  /** Modeled cycles per frame: the largest over the images. */
  cycles: number;
  instructions: number;
  /** cycles / clock. */
  seconds: number;
  /** All images match the reference (null: no reference, i.e. not a detector). */
  match: boolean | null;
  /** The first abnormal exit, or the last run's exit. */
  exit: { reason: string; code: number; message: string };
  /** The firmware's output (ELF/source firmware only, first 64 KiB). */
  output: string;
}

export interface ImageResult {
  image: string;
  cycles: number;
  sram: number;
  match: boolean | null;
  /** Where firmware and reference first differ, e.g. "layer conv1 (checksum)". */
  divergence: string | null;
  exit: { reason: string; code: number };
}

export interface ScenarioResult {
  name: string;
  file: string;
  board: string;
  /** The board's main SRAM size (after the scenario's `ram`), which the default sram budget is. */
  ramSize: number;
  clockHz: number;
  firmware: string;
  measured: Measured | null;
  images: ImageResult[];
  /** Remarks on the run, shown under the table. */
  notes: string[];
  /** Set when the scenario could not run (build failure, unreadable ELF). */
  error: string | null;
  /**
   * The detector firmware does not fit the board (src/detector/fit.ts): what it needs, what the board
   * has and the one-line message; it was not run. Null otherwise.
   */
  doesNotFit: (FitProblem & { message: string }) | null;
  wallSeconds: number;
}

/** The scenario's board with its `ram`/`flash` overrides. */
export function scenarioBoard(s: Scenario): Board {
  // Through loadBoard, so the resized memory map is checked before anything is mapped.
  return loadBoard(s.board, {
    ram: s.ram,
    flash: s.flashSize,
    names: { ram: `${s.displayFile}: ram`, flash: `${s.displayFile}: flash` },
  });
}

function readElf(path: string) {
  return loadElf(readInputFile(path, 'firmware', INPUT_LIMITS.firmware), path);
}

const OUTPUT_LIMIT = 64 * 1024;

/**
 * Builds what the scenario needs (the detector for its model, or its C project) and returns the ELF.
 * Both builds are cached by content hash, so calling this again (in a worker) does not run gcc. A
 * source firmware is linked with its own linkerScript when it has one, else for the board.
 */
export function prepareScenario(s: Scenario): string {
  const fw = s.firmware;
  if (fw.kind === 'detector') return buildDetector(fw.model, { board: scenarioBoard(s) }).elf;
  if (fw.kind === 'elf') return fw.elf;
  const board = scenarioBoard(s);
  const memory = linkMemory(board);
  // The project's own linker script when it has one (buildSourceProject checks it), else the board's.
  return buildSourceProject(
    fw,
    writeLinkerScript(memory, join(projectRoot(), 'firmware', 'build', 'boards', memoryKey(memory))),
  ).elf;
}

function firmwareLabel(s: Scenario): string {
  const fw = s.firmware;
  if (fw.kind === 'detector') return `detector (${fw.model ? basename(fw.model) : 'default model'})`;
  if (fw.kind === 'elf') return basename(fw.elf);
  return fw.sources.map((f) => basename(f)).join(' + ');
}

function staticBytes(r: RunResult): number {
  return r.sram.data + r.sram.bss + r.sram.otherStatic;
}

/** Folds the runs of a scenario (one per image) into the worst case. */
function measure(runs: RunResult[], match: boolean | null, output: string): Measured {
  const max = (f: (r: RunResult) => number) => Math.max(...runs.map(f));
  const worst = runs.reduce((a, b) => (b.cycles > a.cycles ? b : a));
  const abnormal = runs.find((r) => r.exit.reason !== 'exit') ?? runs[runs.length - 1]!;
  return {
    sram: {
      total: max((r) => r.sram.total),
      static: max(staticBytes),
      stack: max((r) => r.sram.stack),
      heap: max((r) => r.sram.heap),
      data: max((r) => r.sram.data),
      bss: max((r) => r.sram.bss),
    },
    flash: { used: max((r) => r.flash.used), size: runs[0]!.flash.size },
    cycles: worst.cycles,
    instructions: worst.instructions,
    seconds: worst.seconds,
    match,
    exit: { reason: abnormal.exit.reason, code: abnormal.exit.code, message: abnormal.exit.message },
    output,
  };
}

/** `error` or `doesNotFit` for what stopped a scenario (an Error, or a message). */
function failure(e: unknown): Pick<ScenarioResult, 'error' | 'doesNotFit'> {
  if (e instanceof DetectorFitError) return { error: null, doesNotFit: { ...e.problem, message: e.message } };
  return { error: (e instanceof Error ? e.message : String(e)).split('\n')[0]!, doesNotFit: null };
}

/**
 * The result of a scenario that could not run: its firmware did not build or does not fit the board
 * (what was thrown), or a worker thread failed (a message).
 */
export function failedResult(s: Scenario, why: unknown): ScenarioResult {
  let board: Board | null = null;
  try {
    board = scenarioBoard(s);
  } catch {
    // the message says what went wrong
  }
  return {
    name: s.name,
    file: s.displayFile,
    board: board?.name ?? s.board,
    ramSize: board?.ram[0]!.size ?? 0,
    clockHz: s.clockHz ?? board?.clockHz ?? 0,
    firmware: firmwareLabel(s),
    measured: null,
    images: [],
    notes: [],
    ...failure(why),
    wallSeconds: 0,
  };
}

/**
 * Runs a scenario; never throws for a firmware or build problem (that becomes `error`). `prepared`: the
 * ELF prepareScenario returned, when it was built beforehand.
 */
export function runScenario(s: Scenario, prepared?: string): ScenarioResult {
  const started = performance.now();
  const notes: string[] = [];
  const images: ImageResult[] = [];
  let board: Board | null = null;
  const base = (): ScenarioResult => ({
    name: s.name,
    file: s.displayFile,
    board: board?.name ?? s.board,
    ramSize: board?.ram[0]!.size ?? 0,
    clockHz: s.clockHz ?? board?.clockHz ?? 0,
    firmware: firmwareLabel(s),
    measured: null,
    images,
    notes,
    error: null,
    doesNotFit: null,
    wallSeconds: 0,
  });
  try {
    board = scenarioBoard(s);
    const fw = s.firmware;
    let measured: Measured;
    if (fw.kind === 'detector') {
      // Built by prepareScenario (in the main thread when workers run): building here would rewrite
      // the generated model headers while another worker hashes them.
      const session = prepared
        ? openDetector({ board, elf: prepared, modelPath: fw.model, reference: referenceRunner })
        : prepareDetector({ board, modelPath: fw.model, reference: referenceRunner });
      const threshold = fw.threshold === undefined ? DEFAULT_THRESHOLD_Q15 : Math.round(fw.threshold * 32768);
      const runs: RunResult[] = [];
      let match = true;
      for (const image of s.images.length > 0 ? s.images : [undefined]) {
        const report = session.run(loadFrame({ image }), { thresholdQ15: threshold, clockHz: s.clockHz });
        const r = report.run.result;
        const divergence =
          r.exit.reason !== 'exit'
            ? 'the firmware did not finish'
            : report.match
              ? null
              : describeDivergence(report);
        runs.push(r);
        if (divergence !== null) match = false;
        images.push({
          image: report.source,
          cycles: r.cycles,
          sram: r.sram.total,
          match: divergence === null,
          divergence,
          exit: { reason: r.exit.reason, code: r.exit.code },
        });
      }
      measured = measure(runs, match, '');
    } else {
      const elfPath = prepared ?? prepareScenario(s);
      const elf = readElf(elfPath);
      const chunks: Buffer[] = [];
      let bytes = 0;
      const capture = (b: Uint8Array) => {
        const room = Math.min(b.length, OUTPUT_LIMIT - bytes);
        if (room > 0) {
          chunks.push(Buffer.from(b.subarray(0, room)));
          bytes += room;
        }
      };
      const r = runFirmware(elf, {
        board,
        clockHz: s.clockHz,
        maxInstructions: s.maxInstructions,
        until: s.until,
        cmdline: basename(elfPath),
        stdout: capture,
        stderr: capture,
        stdin: () => null,
      });
      measured = measure([r], null, Buffer.concat(chunks).toString('utf8'));
    }
    return { ...base(), measured, wallSeconds: (performance.now() - started) / 1000 };
  } catch (e) {
    return { ...base(), ...failure(e), wallSeconds: (performance.now() - started) / 1000 };
  }
}
