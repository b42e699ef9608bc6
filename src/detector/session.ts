// A detector session: the firmware built (or found built) for one model, board and optimization level,
// its ELF parsed once, then run on as many frames as asked. Each run gives the emulator's result, the
// boxes in the source image's pixels and, with a reference runner, the comparison with the TypeScript
// reference: every raw output, every box and every layer checksum, and where they first differ (the
// firmware is run again up to that layer and its tensor compared element by element). `simulate`,
// `report` and `check` all run the detector through here.
import type { Board } from '../emulator/board.js';
import type { Elf } from '../elf/elf.js';
import { loadElf } from '../emulator/machine.js';
import { loadModel, type Model } from '../model/index.js';
import type { Box } from '../reference/postprocess.js';
import { INPUT_LIMITS, readInputFile } from '../util/input-file.js';
import { architectureOf, layerNames as namesOf } from '../architectures/index.js';
import { buildDetector, resolveModelPath, type DetectorBuild, type OptimizationLevel } from './build.js';
import type { DetectionReport, Divergence, ReferenceResult, ReferenceRunner } from './detect.js';
import { imageMapper, type DetectorInput } from './input.js';
import {
  DEFAULT_THRESHOLD_Q15,
  runParsedDetector,
  type DetectorRun,
  type DetectorRunOptions,
  type LayerListener,
} from './run.js';

export interface SessionOptions {
  /** The board the firmware is linked for and run on (with its --ram/--flash overrides). */
  board: Board;
  modelPath?: string;
  /** GCC optimization level of the firmware build (default O2). */
  optimization?: OptimizationLevel;
  /** Compare every run with this reference; none: no comparison (`match` null). */
  reference?: ReferenceRunner;
}

/** Settings of one run. */
export interface FrameRunOptions {
  /** Box score threshold, Q15 (default 0.5). */
  thresholdQ15?: number;
  maxBoxes?: number;
  clockHz?: number;
  exact?: boolean;
  /** Run limits of each firmware run (`--max-instructions`, `--timeout`). */
  maxInstructions?: number;
  timeoutMs?: number;
  /** Layer markers of the main firmware run as they happen (not of a divergence re-run). */
  onLayer?: LayerListener;
}

export interface DetectorSession {
  readonly board: Board;
  readonly model: Model;
  readonly modelPath: string;
  /** The ELF's path and its parsed image. */
  readonly elfPath: string;
  readonly elf: Elf;
  /** Present when this session built the firmware (prepareDetector). */
  readonly build: DetectorBuild | null;
  run(input: DetectorInput, opts?: FrameRunOptions): DetectionReport;
}

/**
 * Builds the detector for the model and board (DetectorFitError when it does not fit, with the
 * numbers) and opens a session on it.
 */
export function prepareDetector(opts: SessionOptions): DetectorSession {
  const build = buildDetector(opts.modelPath, { optimization: opts.optimization, board: opts.board });
  return session(opts.board, build.model, build.modelPath, build.elf, build.image, build, opts.reference);
}

/**
 * A session on a detector built beforehand for this board (by prepareDetector or buildDetector, e.g.
 * in another thread): reads and parses the ELF and the model, builds nothing.
 */
export function openDetector(opts: {
  board: Board;
  elf: string;
  modelPath?: string;
  reference?: ReferenceRunner;
}): DetectorSession {
  const modelPath = resolveModelPath(opts.modelPath);
  const model = loadModel(modelPath);
  const elf = loadElf(readInputFile(opts.elf, 'firmware', INPUT_LIMITS.firmware), opts.elf);
  return session(opts.board, model, modelPath, opts.elf, elf, null, opts.reference);
}

function session(
  board: Board,
  model: Model,
  modelPath: string,
  elfPath: string,
  elf: Elf,
  build: DetectorBuild | null,
  reference: ReferenceRunner | undefined,
): DetectorSession {
  const arch = architectureOf(model);
  const layerNames = namesOf(arch);
  return {
    board,
    model,
    modelPath,
    elfPath,
    elf,
    build,
    run(input, o = {}) {
      const threshold = o.thresholdQ15 ?? DEFAULT_THRESHOLD_Q15;
      const maxBoxes = o.maxBoxes ?? arch.maxBoxes;
      const settings: DetectorRunOptions = {
        board,
        layerNames,
        thresholdQ15: threshold,
        maxBoxes,
        clockHz: o.clockHz,
        maxInstructions: o.maxInstructions,
        timeoutMs: o.timeoutMs,
      };
      const run = runParsedDetector(elf, input.frame, { ...settings, exact: o.exact, onLayer: o.onLayer });
      const ref = reference ? reference(model, input.frame, threshold, maxBoxes) : null;
      const comparison = ref
        ? compare(run, ref, (layerId) =>
            runParsedDetector(elf, input.frame, { ...settings, stopAfter: layerId }),
          )
        : { match: null, outputsMatching: 0, boxesMatching: 0, firstDivergence: null };
      return {
        model: model.name,
        modelPath,
        modelSpec: model,
        source: input.source,
        run,
        boxes: run.boxes.map(imageMapper(input.width, input.height)),
        reference: ref,
        ...comparison,
      };
    },
  };
}

const sameBox = (a: Box, b: Box) =>
  a.x1 === b.x1 &&
  a.y1 === b.y1 &&
  a.x2 === b.x2 &&
  a.y2 === b.y2 &&
  a.score === b.score &&
  a.prior === b.prior;

/** Firmware against reference: outputs and boxes equal in number and value, every layer checksum equal. */
function compare(
  run: DetectorRun,
  reference: ReferenceResult,
  rerun: (layerId: number) => DetectorRun,
): Pick<DetectionReport, 'match' | 'outputsMatching' | 'boxesMatching' | 'firstDivergence'> {
  let outputsMatching = 0;
  let boxesMatching = 0;
  const n = Math.min(run.outputs.length, reference.outputs.length);
  for (let i = 0; i < n; i++) if (run.outputs[i] === reference.outputs[i]) outputsMatching++;
  for (let i = 0; i < Math.min(run.boxes.length, reference.boxes.length); i++) {
    if (sameBox(run.boxes[i]!, reference.boxes[i]!)) boxesMatching++;
  }
  const firstDivergence = findDivergence(run, reference, rerun);
  const match =
    firstDivergence === null &&
    outputsMatching === reference.outputs.length &&
    run.outputs.length === reference.outputs.length &&
    boxesMatching === reference.boxes.length &&
    run.boxes.length === reference.boxes.length;
  return { match, outputsMatching, boxesMatching, firstDivergence };
}

/**
 * The first layer whose checksum differs, and in it the first differing element: the firmware is run
 * again up to that layer (its tensor is then still in the arena) and compared with the reference's.
 */
function findDivergence(
  run: DetectorRun,
  reference: ReferenceResult,
  rerun: (layerId: number) => DetectorRun,
): Divergence | null {
  for (const ref of reference.layers) {
    const fw = run.layers.find((l) => l.id === ref.id);
    if (fw && fw.checksum === ref.checksum) continue;
    const divergence: Divergence = {
      layer: ref.name,
      layerId: ref.id,
      element: null,
      firmware: null,
      reference: null,
    };
    if (!fw || !ref.tensor) return divergence;
    const stopped = rerun(ref.id);
    const i = ref.id - 1;
    const read = (address: number, bytes: number) => {
      const start = address - stopped.arenaAddress;
      return start >= 0 && start + bytes <= stopped.arena.length
        ? stopped.arena.slice(start, start + bytes)
        : null;
    };
    const first = read(stopped.block.tensorAddress[i]!, stopped.block.tensorBytes[i]!);
    const second = stopped.block.tensor2Bytes[i]
      ? read(stopped.block.tensor2Address[i]!, stopped.block.tensor2Bytes[i]!)
      : null;
    if (!first) return divergence;
    const bytes = second ? concat(first, second) : first;
    const wide = ref.tensor instanceof Int16Array;
    const fwValues = wide
      ? new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 1)
      : new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let k = 0; k < Math.max(fwValues.length, ref.tensor.length); k++) {
      if (fwValues[k] !== ref.tensor[k]) {
        return { ...divergence, element: k, firmware: fwValues[k] ?? null, reference: ref.tensor[k] ?? null };
      }
    }
    return divergence;
  }
  return null;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
