// The full RNNPool-Face-M4 detector: C firmware in the emulator against the TypeScript reference on
// real and synthetic frames (streamed in rows through the camera call), inside 128 KiB, deterministic.
import { describe, expect, it } from 'vitest';
import { architectureOf, layerNames } from '../src/architectures/index.js';
import { buildDetector } from '../src/detector/build.js';
import { detect } from '../src/detector/detect.js';
import { referenceRunner } from '../src/detector/reference.js';
import { runDetector } from '../src/detector/run.js';
import { loadBoard } from '../src/emulator/board.js';
import { frameFromFile } from '../src/image/index.js';
import { projectRoot } from '../src/util/paths.js';
import { haveToolchain } from './helpers/firmware.js';
import { mulberry32 } from './helpers/prng.js';

if (!haveToolchain) console.warn('skipping detector tests: arm-none-eabi-gcc not found');

const board = loadBoard('m4-256k');
const PHOTO = `${projectRoot()}/scenarios/images/astronaut-320x240.png`;
const CAMERA_PHOTO = `${projectRoot()}/scenarios/images/camera-320x240.png`;

function noiseFrame(seed: number): Int8Array {
  const next = mulberry32(seed);
  return Int8Array.from({ length: 76800 }, () => Math.floor(next() * 256) - 128);
}

describe.skipIf(!haveToolchain)('RNNPool-Face-M4 firmware vs reference', () => {
  const build = haveToolchain ? buildDetector() : null;
  const names = build ? layerNames(architectureOf(build.model)) : [];
  const frames: [string, () => Int8Array][] = [
    ['the default photo', () => frameFromFile(PHOTO)],
    ['the camera photo', () => frameFromFile(CAMERA_PHOTO)],
    ['a blank frame', () => new Int8Array(76800)],
    ['a noise frame', () => noiseFrame(7)],
  ];

  it.each(frames)('%s: 18000 raw outputs, boxes and every layer checksum identical', (_, frame) => {
    const f = frame();
    const fw = runDetector(build!.elf, f, { board, layerNames: names, maxBoxes: 750 });
    const ref = referenceRunner(build!.model, f, 16384, 750);
    expect(fw.result.exit).toMatchObject({ reason: 'exit', code: 0 });
    expect(fw.outputs.length).toBe(18000);
    expect([...fw.outputs]).toEqual([...ref.outputs]);
    expect(fw.boxes).toEqual(ref.boxes);
    // Layers 1–11 (the reference's); the firmware adds layer 12, its boxes.
    expect(fw.layers.slice(0, 11).map((l) => [l.id, l.name, l.checksum])).toEqual(
      ref.layers.map((l) => [l.id, l.name, l.checksum]),
    );
    expect(fw.layers[11]!.name).toBe('boxes');
    // Peak SRAM, the same on every frame: static = .data 2,888 + .bss 121,944 (.bss proper 840 and
    // .noinit: the 121,088-byte arena of src/architectures/face-m4.ts + m4sim_control 16) = 124,832,
    // + heap 0 + stack 2,024 (deepest in RNNPool's FastGRNN step, whose band cache is in the arena) =
    // 126,856, within 128 KiB. Before the frame was streamed and the layers written over their inputs:
    // arena 184,576, peak 192,448.
    expect(fw.result.sram).toMatchObject({ data: 2888, bss: 121_944, otherStatic: 0, heap: 0, stack: 2024 });
    expect(fw.result.sram.total).toBe(126_856);
    expect(fw.result.sram.total).toBeLessThanOrEqual(128 * 1024);
    expect(fw.block.arenaBytes).toBe(121_088);
    // The frame came in rows from the camera: every request answered, none refused.
    expect(fw.result.semihosting.refused).toEqual([]);
  });

  it('the same frame twice gives the same cycles, bytes and boxes', () => {
    const f = frameFromFile(PHOTO);
    const a = runDetector(build!.elf, f, { board, layerNames: names, maxBoxes: 750 });
    const b = runDetector(build!.elf, f, { board, layerNames: names, maxBoxes: 750 });
    expect([b.result.cycles, b.result.instructions, b.result.sram, b.boxes, b.layers]).toEqual([
      a.result.cycles,
      a.result.instructions,
      a.result.sram,
      a.boxes,
      a.layers,
    ]);
  });

  // Layers whose tensor the firmware made in place: the conv (from streamed rows, later RNNPool's
  // input and output), mbconv1 (over RNNPool's output), mbconv3 (stride 2, over L2's); each is whole
  // at its end marker, so the run stopped there shows the element.
  it.each([
    [1, 'conv'],
    [3, 'mbconv1'],
    [7, 'mbconv3'],
  ])(
    'reports the first diverging layer and element when the reference differs from layer %i (%s) on',
    (id, name) => {
      // A reference that is wrong on purpose from layer `id` on, element 5.
      const report = detect({
        board,
        reference: (model, frame, threshold, maxBoxes) => {
          const r = referenceRunner(model, frame, threshold, maxBoxes);
          const layers = r.layers.map((l) => {
            if (l.id !== id || !l.tensor) return l;
            const tensor = l.tensor.slice();
            tensor[5] = tensor[5]! + 1;
            return { ...l, tensor, checksum: (l.checksum + 1) >>> 0 };
          });
          return { ...r, layers };
        },
      });
      expect(report.match).toBe(false);
      expect(report.firstDivergence).toMatchObject({ layer: name, layerId: id, element: 5 });
      expect(report.firstDivergence!.reference).toBe(report.firstDivergence!.firmware! + 1);
    },
  );
});
