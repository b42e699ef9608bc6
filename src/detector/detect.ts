// One detector run as a user asks for it: an image (or a raw frame), a model, a board. Builds the
// firmware if needed, runs it in the emulator, runs the TypeScript reference on the same frame, and
// compares raw outputs, boxes and per-layer checksums.
import { join } from 'node:path';
import { INPUT_LIMITS, readInputFile } from '../util/input-file.js';
import { projectRoot } from '../util/paths.js';
import type { Board } from '../emulator/board.js';
import { decodeImage, fitRect, frameFromBytes, preprocess, resizeToFrame } from '../image/index.js';
import type { Model } from '../model/index.js';
import type { Box } from '../reference/postprocess.js';
import { architectureOf } from './architectures.js';
import { buildDetector, type OptimizationLevel } from './build.js';
import { runDetector, type DetectorRun, type LayerListener } from './run.js';

export const DEFAULT_IMAGE = 'scenarios/images/astronaut-320x240.png';
/** The paper's figures for RNNPool-Face-M4 on an STM32F439 (Table 5). */
export const PAPER = { peakRamBytes: 188_000, cycles: 1.76e9 } as const;

/** What the reference side must provide (src/reference/face-m4.ts). */
export interface ReferenceResult {
  outputs: Int16Array;
  boxes: Box[];
  layers: { id: number; name: string; checksum: number; tensor?: Int8Array | Int16Array }[];
}

export type ReferenceRunner = (
  model: Model,
  frame: Int8Array,
  thresholdQ15: number,
  maxBoxes: number,
) => ReferenceResult;

export interface Divergence {
  layer: string;
  layerId: number;
  /** Element index within the layer's output (conf then loc for heads), or null if only the checksum differs. */
  element: number | null;
  firmware: number | null;
  reference: number | null;
}

export interface ImageBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
}

export interface DetectionReport {
  model: string;
  modelPath: string;
  source: string;
  run: DetectorRun;
  /** Boxes in the source image's pixels (the frame's letterbox undone), score 0..1. */
  boxes: ImageBox[];
  reference: ReferenceResult | null;
  match: boolean | null;
  outputsMatching: number;
  boxesMatching: number;
  firstDivergence: Divergence | null;
}

export interface DetectOptions {
  board: Board;
  modelPath?: string;
  image?: string;
  frame?: string;
  thresholdQ15?: number;
  maxBoxes?: number;
  clockHz?: number;
  exact?: boolean;
  /** Run limits of each firmware run (`--max-instructions`, `--timeout`). */
  maxInstructions?: number;
  timeoutMs?: number;
  reference?: ReferenceRunner;
  /** Layer markers of the main firmware run as they happen (not of a divergence re-run). */
  onLayer?: LayerListener;
  /** GCC optimization level of the firmware build (default O2). */
  optimization?: OptimizationLevel;
}

/** Frame-pixel (Q4) → source-image pixel mapping, undoing the letterbox of src/image/resize.ts. */
export function imageMapper(width: number, height: number): (b: Box) => ImageBox {
  const r = fitRect(width, height);
  const sx = width / r.width;
  const sy = height / r.height;
  const round1 = (v: number) => Math.round(v * 10) / 10;
  return (b) => ({
    x1: round1((b.x1 / 16 - r.x) * sx),
    y1: round1((b.y1 / 16 - r.y) * sy),
    x2: round1((b.x2 / 16 - r.x) * sx),
    y2: round1((b.y2 / 16 - r.y) * sy),
    score: Math.round((b.score / 32768) * 1000) / 1000,
  });
}

export function loadFrame(opts: { image?: string; frame?: string }): {
  frame: Int8Array;
  source: string;
  width: number;
  height: number;
} {
  // Files the user named: regular files only, size checked before reading (src/util/input-file.ts).
  if (opts.frame) return { frame: readFrame(opts.frame), source: opts.frame, width: 320, height: 240 };
  const path = opts.image ?? join(projectRoot(), DEFAULT_IMAGE);
  const bytes = readInputFile(path, 'image', INPUT_LIMITS.image);
  // Decoded once: the frame and the source size (for mapping boxes back) come from the same pixels.
  const decoded = decodeImage(bytes, path);
  return {
    frame: preprocess(resizeToFrame(decoded)),
    source: path,
    width: decoded.width,
    height: decoded.height,
  };
}

/** A `--frame` file: exactly 76,800 bytes of int8, else an ImageError; a special file is refused. */
export function readFrame(path: string): Int8Array {
  return frameFromBytes(readInputFile(path, 'frame', INPUT_LIMITS.binary), path);
}

export function detect(opts: DetectOptions): DetectionReport {
  // The input first: a missing or special file is refused before the firmware is built.
  const input = loadFrame(opts);
  const build = buildDetector(opts.modelPath, { optimization: opts.optimization });
  const threshold = opts.thresholdQ15 ?? 16384;
  const maxBoxes = opts.maxBoxes ?? 750;
  const layerNames = architectureOf(build.model).layerNames;
  const run = runDetector(build.elf, input.frame, {
    layerNames,
    board: opts.board,
    thresholdQ15: threshold,
    maxBoxes,
    clockHz: opts.clockHz,
    exact: opts.exact,
    maxInstructions: opts.maxInstructions,
    timeoutMs: opts.timeoutMs,
    onLayer: opts.onLayer,
  });
  const toImage = imageMapper(input.width, input.height);
  const reference = opts.reference ? opts.reference(build.model, input.frame, threshold, maxBoxes) : null;
  let match: boolean | null = null;
  let outputsMatching = 0;
  let boxesMatching = 0;
  let firstDivergence: Divergence | null = null;
  if (reference) {
    const n = Math.min(run.outputs.length, reference.outputs.length);
    for (let i = 0; i < n; i++) if (run.outputs[i] === reference.outputs[i]) outputsMatching++;
    const sameBox = (a: Box, b: Box) =>
      a.x1 === b.x1 &&
      a.y1 === b.y1 &&
      a.x2 === b.x2 &&
      a.y2 === b.y2 &&
      a.score === b.score &&
      a.prior === b.prior;
    for (let i = 0; i < Math.min(run.boxes.length, reference.boxes.length); i++) {
      if (sameBox(run.boxes[i]!, reference.boxes[i]!)) boxesMatching++;
    }
    firstDivergence = findDivergence(run, reference, (layerId) =>
      runDetector(build.elf, input.frame, {
        board: opts.board,
        thresholdQ15: threshold,
        maxBoxes,
        stopAfter: layerId,
        maxInstructions: opts.maxInstructions,
        timeoutMs: opts.timeoutMs,
      }),
    );
    match =
      firstDivergence === null &&
      outputsMatching === reference.outputs.length &&
      run.outputs.length === reference.outputs.length &&
      boxesMatching === reference.boxes.length &&
      run.boxes.length === reference.boxes.length;
  }
  return {
    model: build.model.name,
    modelPath: build.modelPath,
    source: input.source,
    run,
    boxes: run.boxes.map(toImage),
    reference,
    match,
    outputsMatching,
    boxesMatching,
    firstDivergence,
  };
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
