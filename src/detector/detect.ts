// One detector run as a user asks for it: an image (or a raw frame), a model, a board. What a
// detection report holds; detect() is a one-frame session (src/detector/session.ts).
import type { Model } from '../model/index.js';
import type { Box } from '../reference/postprocess.js';
import { loadFrame, type ImageBox } from './input.js';
import { prepareDetector, type FrameRunOptions, type SessionOptions } from './session.js';
import type { DetectorRun } from './run.js';

export {
  DEFAULT_IMAGE,
  imageMapper,
  loadFrame,
  readFrame,
  type DetectorInput,
  type ImageBox,
} from './input.js';

/** What the reference side must provide (src/detector/reference.ts). */
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

export interface DetectionReport {
  model: string;
  modelPath: string;
  /** The parsed model file: its architecture (src/architectures) gives layer shapes, MACs and the arena plan. */
  modelSpec: Model;
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

/** A one-frame session: the session's settings, the run's, and the image or frame to run on. */
export interface DetectOptions extends SessionOptions, FrameRunOptions {
  image?: string;
  frame?: string;
}

/** Builds the detector for the board if needed and runs it on one image or frame. */
export function detect(opts: DetectOptions): DetectionReport {
  // The input first: a missing or special file is refused before the firmware is built.
  const input = loadFrame(opts);
  return prepareDetector(opts).run(input, opts);
}
