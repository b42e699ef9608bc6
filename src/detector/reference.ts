// The TypeScript reference as the detector comparison uses it (per architecture: src/architectures).
import { loadModel, type Model } from '../model/index.js';
import { architectureOf } from '../architectures/index.js';
import type { ReferenceResult } from './detect.js';
import { imageMapper, type ImageBox } from './input.js';

export function referenceRunner(
  model: Model,
  frame: Int8Array,
  thresholdQ15: number,
  maxBoxes: number,
): ReferenceResult {
  const arch = architectureOf(model);
  const r = arch.reference(model, frame);
  const boxes = arch.boxes(model, r.outputs, { threshold: thresholdQ15, maxBoxes });
  return { outputs: r.outputs, boxes, layers: r.layers };
}

/** The reference on its own, boxes in source-image pixels (for `m4sim reference`). */
export function referenceDetection(
  modelPath: string,
  input: { frame: Int8Array; width: number; height: number },
  thresholdQ15: number,
): { model: string; outputs: Int16Array; boxes: ImageBox[]; layers: ReferenceResult['layers'] } {
  const model = loadModel(modelPath);
  const r = referenceRunner(model, input.frame, thresholdQ15, architectureOf(model).maxBoxes);
  const toImage = imageMapper(input.width, input.height);
  return { model: model.name, outputs: r.outputs, boxes: r.boxes.map(toImage), layers: r.layers };
}
