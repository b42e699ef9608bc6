// Builds the detector firmware for a model: C headers generated from the model file, our kernels,
// the app (firmware/app) and start-up, linked for the m4-256k memory map. Rebuilt only when the
// model, the sources or the flags change (compileFirmware hashes its inputs).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { generateHeaders, loadModel, type Model } from '../model/index.js';
import { FACE_M4_DEFAULT_OUTPUT_SHIFT } from '../reference/face-m4.js';
import { compileFirmware } from '../toolchain/toolchain.js';
import { projectRoot } from '../util/paths.js';

export const DEFAULT_MODEL = 'models/face-m4-synthetic.model.json';

/** Real value of a head's raw output = q / 2^shift when the model does not say: the reference's default. */
export const DEFAULT_OUTPUT_SHIFT = FACE_M4_DEFAULT_OUTPUT_SHIFT;

export interface DetectorBuild {
  elf: string;
  map: string;
  model: Model;
  modelPath: string;
  /** True when nothing changed and gcc did not run. */
  skipped: boolean;
}

export function headShifts(model: Model): { conf: number; loc: number }[] {
  return model.heads.map((h) => {
    const extra = h as { confShift?: number; locShift?: number };
    return { conf: extra.confShift ?? DEFAULT_OUTPUT_SHIFT, loc: extra.locShift ?? DEFAULT_OUTPUT_SHIFT };
  });
}

/** A model path as given (relative to the working directory), or the shipped default model. */
export function resolveModelPath(modelPath?: string): string {
  if (modelPath === undefined) return join(projectRoot(), DEFAULT_MODEL);
  return isAbsolute(modelPath) ? modelPath : join(process.cwd(), modelPath);
}

export function buildDetector(modelPath?: string): DetectorBuild {
  const root = projectRoot();
  const resolved = resolveModelPath(modelPath);
  const model = loadModel(resolved);
  if (model.architecture !== 'rnnpool-face-m4') {
    throw new Error(
      `${modelPath}: architecture ${model.architecture} has no firmware pipeline yet (rnnpool-face-m4 only)`,
    );
  }
  const hash = createHash('sha256').update(readFileSync(resolved)).digest('hex').slice(0, 12);
  const dir = join(root, 'firmware', 'build', `detector-${hash}`);
  generateHeaders(model, join(dir, 'model'), { scaleFieldNames: 'seedot' });
  const defines: Record<string, number> = {};
  headShifts(model).forEach((s, i) => {
    defines[`M4SIM_HEAD${i + 1}_CONF_SHIFT`] = s.conf;
    defines[`M4SIM_HEAD${i + 1}_LOC_SHIFT`] = s.loc;
  });
  const kernels = join(root, 'firmware', 'kernels');
  const app = join(root, 'firmware', 'app');
  const sources = [
    ...readdirSync(app)
      .filter((f) => f.endsWith('.c'))
      .map((f) => join(app, f)),
    ...readdirSync(kernels)
      .filter((f) => f.endsWith('.c'))
      .map((f) => join(kernels, f)),
    join(root, 'firmware', 'board', 'startup.c'),
  ].sort();
  const r = compileFirmware({
    sources,
    output: join(dir, 'detector.elf'),
    linkerScript: join(root, 'firmware', 'board', 'm4-256k.ld'),
    specs: ['rdimon.specs'],
    includeDirs: [join(dir, 'model'), app, kernels],
    defines,
    cflags: ['-Wall', '-Wextra'],
  });
  return { elf: r.elf, map: r.map, model, modelPath: resolved, skipped: r.skipped };
}
