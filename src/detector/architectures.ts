// Detector architectures m4sim can build and check: for each, the firmware pipeline source(s) in
// firmware/app and the TypeScript reference of the same stages. A new architecture adds one entry.
import type { Model } from '../model/index.js';
import { faceFastBoxes, FACE_FAST_LAYERS, runFaceFast } from '../reference/face-fast.js';
import { faceM4Boxes, FACE_M4_LAYERS, runFaceM4, type LayerResult } from '../reference/face-m4.js';
import { faceQvgaBoxes, FACE_QVGA_LAYERS, runFaceQvga } from '../reference/face-qvga.js';
import type { Box } from '../reference/postprocess.js';

export interface ReferenceLayer {
  id: number;
  name: string;
  checksum: number;
  tensor?: Int8Array | Int16Array;
}

export interface Architecture {
  /** `model.architecture` value. */
  name: string;
  /** Pipeline sources in firmware/app besides main.c; each defines m4sim_input and detector_run(). */
  appSources: string[];
  /** Layer names by id (1-based), as the firmware publishes them on the ITM markers; boxes last. */
  layerNames: readonly string[];
  /** The TypeScript reference: raw outputs and per-layer checksums, tensors and ranges. */
  reference(model: Model, frame: Int8Array): { outputs: Int16Array; layers: LayerResult[] };
  /** Boxes from the raw outputs, exactly as the firmware's post-processing computes them. */
  boxes(model: Model, outputs: Int16Array, thresholdQ15: number, maxBoxes: number): Box[];
}

const faceM4: Architecture = {
  name: 'rnnpool-face-m4',
  appSources: ['front_end.c', 'boxes.c', 'face_m4.c'],
  layerNames: [...FACE_M4_LAYERS.map((l) => l.name), 'boxes'],
  reference: (model, frame) => runFaceM4(model, frame),
  boxes: (model, outputs, threshold, maxBoxes) => faceM4Boxes(outputs, { model, threshold, maxBoxes }),
};

// EdgeML's face-3 pipeline (quantized_face_detection_fast.c): RNNPool 16x16/8, 4 MBConv, 3 heads.
const faceFast: Architecture = {
  name: 'rnnpool-face-fast',
  appSources: ['boxes.c', 'face_fast.c'],
  layerNames: [...FACE_FAST_LAYERS.map((l) => l.name), 'boxes'],
  reference: (model, frame) => runFaceFast(model, frame),
  boxes: (model, outputs, threshold, maxBoxes) => faceFastBoxes(model, outputs, threshold, maxBoxes),
};

const faceQvga: Architecture = {
  name: 'rnnpool-face-qvga',
  appSources: ['front_end.c', 'boxes.c', 'face_qvga.c'],
  layerNames: [...FACE_QVGA_LAYERS.map((l) => l.name), 'boxes'],
  reference: (model, frame) => runFaceQvga(model, frame),
  boxes: (model, outputs, threshold, maxBoxes) => faceQvgaBoxes(model, outputs, threshold, maxBoxes),
};

export const ARCHITECTURES: Record<string, Architecture> = {
  [faceM4.name]: faceM4,
  [faceQvga.name]: faceQvga,
  [faceFast.name]: faceFast,
};

export function architectureOf(model: Model): Architecture {
  const a = ARCHITECTURES[model.architecture];
  if (!a) {
    throw new Error(
      `model ${model.name}: architecture ${model.architecture} has no firmware pipeline yet (supported: ${Object.keys(ARCHITECTURES).join(', ')})`,
    );
  }
  return a;
}
