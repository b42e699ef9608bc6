// EdgeML's face-3 ("fast") detector: the trained q_scut_head_b_face3_model imported, firmware
// (firmware/app/face_fast.c) in the emulator against the TypeScript reference (src/reference/face-fast.ts)
// on a photo, a blank frame and a noise frame: 5400 outputs, boxes and every layer checksum identical,
// inside 256 KiB.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { architectureOf, layerNames } from '../src/architectures/index.js';
import { buildDetector, type DetectorBuild } from '../src/detector/build.js';
import { detect } from '../src/detector/detect.js';
import { referenceRunner } from '../src/detector/reference.js';
import { runDetector } from '../src/detector/run.js';
import { loadBoard } from '../src/emulator/board.js';
import { frameFromFile } from '../src/image/index.js';
import { projectRoot } from '../src/util/paths.js';
import { edgemlModelPath } from './helpers/edgeml.js';
import { haveToolchain } from './helpers/firmware.js';
import { mulberry32 } from './helpers/prng.js';

const skipReason = !haveToolchain ? 'arm-none-eabi-gcc not found' : null;
if (skipReason) console.warn(`skipping face-fast tests: ${skipReason}`);

const board = loadBoard('m4-256k');
const PHOTO = join(projectRoot(), 'scenarios', 'images', 'astronaut-320x240.png');
/** EdgeML's MEM_BUF_SIZE for this pipeline (c_reference/tests/face_detection/test_quantized_face_detection_fast.c). */
const EDGEML_BUFFER = 165_840;

/** EdgeML's fast pipeline in run order (quantized_face_detection_fast.c), then the firmware's boxes stage. */
const NAMES = [
  'conv',
  'rnnpool',
  'mbconv1',
  'head1',
  'mbconv2',
  'head2',
  'mbconv3',
  'mbconv4',
  'head3',
  'outputs',
  'boxes',
];

function noiseFrame(seed: number): Int8Array {
  const next = mulberry32(seed);
  return Int8Array.from({ length: 76800 }, () => Math.floor(next() * 256) - 128);
}

describe.skipIf(skipReason !== null)('RNNPool face-3 (fast) firmware vs reference', () => {
  // The model (imported from shared/ when present, else the shipped copy), loaded when first needed.
  let modelPath = '';
  let build: DetectorBuild | null = null;
  const getBuild = (): DetectorBuild => {
    if (!build) {
      modelPath = edgemlModelPath('face3').path;
      build = buildDetector(modelPath);
    }
    return build;
  };

  it('imports as rnnpool-face-fast with 3 heads, 900 priors and 5400 outputs', () => {
    const { model } = getBuild();
    expect(model.architecture).toBe('rnnpool-face-fast');
    expect(model.heads.map((h) => [h.rows, h.cols, h.step])).toEqual([
      [15, 20, 16],
      [15, 20, 16],
      [15, 20, 16],
    ]);
    expect(model.outputs.count).toBe(5400);
    expect(layerNames(architectureOf(model))).toEqual(NAMES);
  });

  const frames: [string, () => Int8Array][] = [
    ['the default photo', () => frameFromFile(PHOTO)],
    ['a blank frame', () => new Int8Array(76800)],
    ['a noise frame', () => noiseFrame(7)],
  ];

  it.each(frames)('%s: 5400 raw outputs, boxes and every layer checksum identical', (what, frame) => {
    const b = getBuild();
    const f = frame();
    const names = layerNames(architectureOf(b.model));
    const fw = runDetector(b.elf, f, { board, layerNames: names, maxBoxes: 750 });
    const ref = referenceRunner(b.model, f, 16384, 750);
    expect(fw.result.exit).toMatchObject({ reason: 'exit', code: 0 });
    expect(fw.outputs.length).toBe(5400);
    expect([...fw.outputs]).toEqual([...ref.outputs]);
    expect(fw.boxes).toEqual(ref.boxes);
    // Layers 1–10 (the reference's); the firmware adds layer 11, its boxes.
    expect(fw.layers.slice(0, 10).map((l) => [l.id, l.name, l.checksum])).toEqual(
      ref.layers.map((l) => [l.id, l.name, l.checksum]),
    );
    expect(fw.layers[10]!.name).toBe('boxes');
    // The frame streamed from the camera, L3 in place, the heads' outputs gathered at the end: the
    // arena of src/architectures/face-fast.ts (107,424, its peak at L4; 153,600 before), within 128 KiB.
    expect(fw.block.arenaBytes).toBe(107_424);
    expect(fw.block.arenaBytes).toBeLessThan(EDGEML_BUFFER);
    expect(fw.result.sram.total).toBeLessThanOrEqual(128 * 1024);
    expect(fw.result.semihosting.refused).toEqual([]);
    const perLayer = fw.layers.map((l) => `${l.name} ${(l.cycles / 1e6).toFixed(1)}M`).join(', ');
    console.log(
      `face-fast, ${what}: ${(fw.result.cycles / 1e6).toFixed(1)} M cycles (${perLayer}); peak SRAM ` +
        `${fw.result.sram.total} B (arena ${fw.block.arenaBytes} B vs EdgeML's ${EDGEML_BUFFER} B buffer, ` +
        `stack ${fw.result.sram.stack} B); ${fw.boxes.length} boxes`,
    );
  });

  it('detect() with modelPath: firmware matches reference end to end', () => {
    getBuild();
    const report = detect({ board, modelPath, image: PHOTO, reference: referenceRunner });
    expect(report.match).toBe(true);
    expect(report.outputsMatching).toBe(5400);
    expect(report.firstDivergence).toBeNull();
    expect(report.run.layers.map((l) => l.name)).toEqual(NAMES);
  });

  it('finds the first diverging element in mbconv4, whose output runs over its input', () => {
    getBuild();
    // A reference that is wrong on purpose in layer 8 (mbconv4), element 1234.
    const report = detect({
      board,
      modelPath,
      image: PHOTO,
      reference: (model, frame, threshold, maxBoxes) => {
        const r = referenceRunner(model, frame, threshold, maxBoxes);
        const layers = r.layers.map((l) => {
          if (l.id !== 8 || !l.tensor) return l;
          const tensor = l.tensor.slice();
          tensor[1234] = tensor[1234]! + 1;
          return { ...l, tensor, checksum: (l.checksum + 1) >>> 0 };
        });
        return { ...r, layers };
      },
    });
    expect(report.match).toBe(false);
    expect(report.firstDivergence).toMatchObject({ layer: 'mbconv4', layerId: 8, element: 1234 });
    expect(report.firstDivergence!.reference).toBe(report.firstDivergence!.firmware! + 1);
  });
});
