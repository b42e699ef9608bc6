// The face-2 detector (rnnpool-face-qvga, EdgeML's RPool_Face_QVGA_monochrome with its trained
// weights): C firmware in the emulator against the TypeScript reference, inside 256 KiB, and whether
// it finds the labelled faces of the default photos.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { architectureOf, layerNames as namesOf } from '../src/architectures/index.js';
import { buildDetector } from '../src/detector/build.js';
import { referenceRunner } from '../src/detector/reference.js';
import { runDetector } from '../src/detector/run.js';
import { loadBoard } from '../src/emulator/board.js';
import { frameFromFile } from '../src/image/index.js';
import type { Box } from '../src/reference/postprocess.js';
import { projectRoot } from '../src/util/paths.js';
import { edgemlModelPath } from './helpers/edgeml.js';
import { haveToolchain } from './helpers/firmware.js';
import { mulberry32 } from './helpers/prng.js';

const root = projectRoot();
if (!haveToolchain) console.warn('skipping face-qvga tests: arm-none-eabi-gcc not found');
const run = haveToolchain;

const board = loadBoard('m4-256k');
const PHOTOS = ['astronaut-320x240.png', 'camera-320x240.png'];
const labels = JSON.parse(readFileSync(join(root, 'scenarios/images/labels.json'), 'utf8')) as Record<
  string,
  { face: number[]; head: number[] }[]
>;

function noiseFrame(seed: number): Int8Array {
  const next = mulberry32(seed);
  return Int8Array.from({ length: 76800 }, () => Math.floor(next() * 256) - 128);
}

/** Box corners in pixels (Q4 / 16) of the 320x240 frame; the photos are 320x240, so image pixels. */
const px = (b: Box) => [b.x1 / 16, b.y1 / 16, b.x2 / 16, b.y2 / 16];
function iou(a: number[], b: number[]): number {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = w * h;
  const area = (r: number[]) => (r[2] - r[0]) * (r[3] - r[1]);
  return inter / (area(a) + area(b) - inter);
}

describe.skipIf(!run)('RNNPool-Face-QVGA (face-2) firmware vs reference', () => {
  const modelPath = run ? edgemlModelPath('face2').path : '';
  const build = run ? buildDetector(modelPath) : null;
  const frames: [string, () => Int8Array][] = [
    ...PHOTOS.map((p): [string, () => Int8Array] => [
      p,
      () => frameFromFile(join(root, 'scenarios/images', p)),
    ]),
    ['a blank frame', () => new Int8Array(76800)],
    ['a noise frame', () => noiseFrame(7)],
  ];
  const results = new Map<string, Box[]>();

  it.each(frames)('%s: 18000 raw outputs, boxes and every layer checksum identical', (name, frame) => {
    const f = frame();
    // Threshold 0.05 (EdgeML's CONF_THRESH) so the comparison covers many boxes; >= 0.5 is checked below.
    const layerNames = namesOf(architectureOf(build!.model));
    const fw = runDetector(build!.elf, f, { board, layerNames, thresholdQ15: 1638, maxBoxes: 750 });
    const ref = referenceRunner(build!.model, f, 1638, 750);
    expect(fw.result.exit).toMatchObject({ reason: 'exit', code: 0 });
    expect(fw.outputs.length).toBe(18000);
    expect([...fw.outputs]).toEqual([...ref.outputs]);
    expect(fw.boxes).toEqual(ref.boxes);
    expect(fw.layers.slice(0, 15).map((l) => [l.id, l.checksum])).toEqual(
      ref.layers.map((l) => [l.id, l.checksum]),
    );
    expect(fw.layers.map((l) => l.name)).toEqual([...ref.layers.map((l) => l.name), 'boxes']);
    // The frame streamed from the camera and every layer over its input, as face-M4: the arena of
    // src/architectures/face-qvga.ts (121,088, its peak at L9; 184,576 before), within 128 KiB in all.
    expect(fw.block.arenaBytes).toBe(121_088);
    expect(fw.result.sram.total).toBeLessThanOrEqual(128 * 1024);
    expect(fw.result.semihosting.refused).toEqual([]);
    results.set(name, ref.boxes);
    const top = ref.boxes.slice(0, 5).map(
      (b) =>
        `[${px(b)
          .map((v) => v.toFixed(1))
          .join(' ')}] ${(b.score / 32768).toFixed(3)}`,
    );
    console.log(
      `face-qvga ${name}: ${fw.result.cycles} cycles, SRAM ${fw.result.sram.total} B, ` +
        `${ref.boxes.filter((b) => b.score > 16384).length} boxes > 0.5; top: ${top.join(', ')}; layers: ` +
        fw.layers.map((l) => `${l.name} ${l.cycles}`).join(', '),
    );
  });

  it.each(PHOTOS)('%s: a box with score >= 0.5 and IoU >= 0.5 with the labelled face or head', (photo) => {
    const boxes = results.get(photo) ?? referenceRunner(build!.model, frameFromFile(join(root, 'scenarios/images', photo)), 1638, 750).boxes; // prettier-ignore
    const label = labels[photo][0];
    const best = boxes
      .filter((b) => b.score >= 16384)
      .map((b) => ({ b, iou: Math.max(iou(px(b), label.face), iou(px(b), label.head)) }))
      .sort((a, b) => b.iou - a.iou)[0];
    console.log(
      `face-qvga ${photo}: best box >= 0.5: ${best ? `${px(best.b).join(' ')} score ${(best.b.score / 32768).toFixed(3)} IoU ${best.iou.toFixed(3)}` : 'none'}`,
    );
    expect(best?.iou ?? 0).toBeGreaterThanOrEqual(0.5);
  });

  it('a blank frame: nothing above 0.5', () => {
    const boxes =
      results.get('a blank frame') ?? referenceRunner(build!.model, new Int8Array(76800), 1638, 750).boxes;
    expect(boxes.filter((b) => b.score > 16384)).toEqual([]);
  });
});
