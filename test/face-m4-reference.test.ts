// The whole-detector TypeScript reference (src/reference/face-m4.ts) on the synthetic model: shapes,
// determinism, checksums, the RNNPool stage's replicate padding, and stages against direct kernel calls.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { architectureOf, headShifts } from '../src/architectures/index.js';
import { frameFromFile } from '../src/image/index.js';
import { loadModel, type Model } from '../src/model/index.js';
import { fnv1a32, tensorBytes, tensorChecksum } from '../src/reference/checksum.js';
import { conv2dCbr } from '../src/reference/conv.js';
import {
  faceM4Params,
  formatLayerStats,
  layerStats,
  runFaceM4,
  type FaceM4Result,
  type LayerResult,
} from '../src/reference/face-m4.js';
import { detectionHead } from '../src/reference/heads.js';
import { mbconvQ7xQ15Q15 } from '../src/reference/mbconv.js';
import { rnnpoolPatchQ7 } from '../src/reference/rnnpool.js';
import { cdiv } from '../src/reference/quantized.js';
import { projectRoot } from '../src/util/paths.js';
import { mulberry32, randomInt } from './helpers/prng.js';

const SHAPES: Record<string, number[]> = {
  conv: [120, 160, 4],
  rnnpool: [30, 40, 64],
  mbconv1: [30, 40, 32],
  head1: [30, 40, 6],
  mbconv2: [30, 40, 32],
  head2: [30, 40, 6],
  mbconv3: [15, 20, 64],
  head3: [15, 20, 6],
  mbconv4: [15, 20, 64],
  head4: [15, 20, 6],
  outputs: [18000],
};
/** Layer names in id order (1 = conv … 11 = outputs), as the firmware publishes them. */
const NAMES = Object.keys(SHAPES);

let model: Model;
let photo: Int8Array;
let photoRun: FaceM4Result;
const blank = new Int8Array(320 * 240);
const noise = new Int8Array(320 * 240);
const byName = (r: FaceM4Result, name: string): LayerResult => r.layers.find((l) => l.name === name)!;

beforeAll(() => {
  model = loadModel(join(projectRoot(), 'models', 'face-m4-synthetic.model.json'));
  photo = frameFromFile(join(projectRoot(), 'scenarios', 'images', 'astronaut-320x240.png'));
  const next = mulberry32(12345);
  for (let i = 0; i < noise.length; i++) noise[i] = randomInt(next, -128, 127);
  photoRun = runFaceM4(model, photo);
  console.log(
    `face-m4 reference, synthetic model, astronaut photo:\n${formatLayerStats(layerStats(photoRun.layers))}`,
  );
});

function checkLayers(r: FaceM4Result, upTo: number): void {
  expect(r.layers.map((l) => l.id)).toEqual(NAMES.map((_, i) => i + 1).filter((id) => id <= upTo));
  for (const l of r.layers) {
    expect(l.name).toBe(NAMES[l.id - 1]);
    expect(l.shape).toEqual(SHAPES[l.name]);
    expect(l.tensor.length).toBe(l.shape.reduce((a, b) => a * b, 1));
    expect(l.dtype).toBe(l.id <= 2 ? 'q7' : 'q15');
    expect(l.tensor).toBeInstanceOf(l.id <= 2 ? Int8Array : Int16Array);
    expect(l.checksum).toBe(tensorChecksum(l.tensor));
    expect(l.checksum).toBe(fnv1a32(tensorBytes(l.tensor)));
    expect(l.min).toBe(Math.min(...l.tensor));
    expect(l.max).toBe(Math.max(...l.tensor));
  }
}

function checkReplicatePadding(pooled: LayerResult): void {
  const t = pooled.tensor;
  const row = 40 * 64;
  expect(t.subarray(29 * row, 30 * row)).toEqual(t.subarray(28 * row, 29 * row));
  for (let r = 0; r < 30; r++) {
    expect(t.subarray(r * row + 39 * 64, (r + 1) * row)).toEqual(
      t.subarray(r * row + 38 * 64, r * row + 39 * 64),
    );
  }
}

describe('fnv1a32', () => {
  it('matches the published FNV-1a 32-bit test vectors', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(fnv1a32(new Uint8Array(0))).toBe(0x811c9dc5);
    expect(fnv1a32(enc('a'))).toBe(0xe40c292c);
    expect(fnv1a32(enc('foobar'))).toBe(0xbf9cf968);
  });

  it('hashes int16 tensors little-endian and int8 tensors byte by byte', () => {
    expect(Array.from(tensorBytes(Int16Array.of(0x1234, -2)))).toEqual([0x34, 0x12, 0xfe, 0xff]);
    expect(Array.from(tensorBytes(Int8Array.of(-1, 5)))).toEqual([0xff, 5]);
    expect(tensorChecksum(Int8Array.of(-1, 5))).toBe(fnv1a32(Uint8Array.of(0xff, 5)));
  });
});

describe('runFaceM4 on the synthetic model', () => {
  it('photo: every layer, shapes, checksums, 18000 outputs', () => {
    checkLayers(photoRun, 11);
    expect(photoRun.outputs).toBeInstanceOf(Int16Array);
    expect(photoRun.outputs.length).toBe(18000);
    expect(byName(photoRun, 'outputs').tensor).toBe(photoRun.outputs);
    checkReplicatePadding(byName(photoRun, 'rnnpool'));
  });

  it('photo: deterministic (a second run is identical)', () => {
    const again = runFaceM4(model, photo);
    expect(again.outputs).toEqual(photoRun.outputs);
    expect(again.layers.map((l) => l.checksum)).toEqual(photoRun.layers.map((l) => l.checksum));
  });

  it('blank frame: every layer, deterministic', () => {
    const a = runFaceM4(model, blank);
    checkLayers(a, 11);
    checkReplicatePadding(byName(a, 'rnnpool'));
    expect(a.outputs.length).toBe(18000);
    // A constant frame gives a constant conv output away from the zero-padded border.
    const conv = byName(a, 'conv').tensor;
    expect(conv.subarray(5 * 160 * 4 + 5 * 4, 5 * 160 * 4 + 6 * 4)).toEqual(
      conv.subarray(50 * 160 * 4 + 80 * 4, 50 * 160 * 4 + 81 * 4),
    );
    const b = runFaceM4(model, blank, { stopAfter: 3 });
    expect(b.layers.map((l) => l.checksum)).toEqual(a.layers.slice(0, 3).map((l) => l.checksum));
  });

  it('noise frame: every layer, deterministic', () => {
    const a = runFaceM4(model, noise);
    checkLayers(a, 11);
    checkReplicatePadding(byName(a, 'rnnpool'));
    expect(a.outputs.length).toBe(18000);
    expect(a.outputs).not.toEqual(photoRun.outputs);
    const b = runFaceM4(model, noise, { stopAfter: 2 });
    expect(b.outputs.length).toBe(0);
    expect(b.layers.map((l) => l.checksum)).toEqual(a.layers.slice(0, 2).map((l) => l.checksum));
  });

  it('stopAfter and onLayer', () => {
    const seen: number[] = [];
    const r = runFaceM4(model, blank, { stopAfter: 1, onLayer: (l) => seen.push(l.id) });
    expect(seen).toEqual([1]);
    expect(r.layers.length).toBe(1);
    expect(r.outputs.length).toBe(0);
  });

  it('rejects a frame of the wrong size', () => {
    expect(() => runFaceM4(model, new Int8Array(100))).toThrow(/76800/);
  });
});

describe('runFaceM4 stages against direct kernel calls (photo)', () => {
  it('conv = conv2dCbr on the frame', () => {
    const P = faceM4Params(model);
    expect(byName(photoRun, 'conv').tensor).toEqual(conv2dCbr(photo, P.conv));
  });

  it('rnnpool patches (0,0), (3,5), (12,18), (28,38) = rnnpoolPatchQ7 on the conv output, narrowed to Q7', () => {
    const P = faceM4Params(model);
    const conv = byName(photoRun, 'conv').tensor as Int8Array;
    const pooled = byName(photoRun, 'rnnpool').tensor;
    for (const [px, py] of [
      [0, 0],
      [3, 5],
      [12, 18],
      [28, 38],
    ]) {
      const q15 = rnnpoolPatchQ7(P.rnnpool.model, conv.subarray((4 * px * 160 + 4 * py) * 4), 160);
      expect(q15.length).toBe(64);
      expect(pooled.subarray((px * 40 + py) * 64, (px * 40 + py + 1) * 64)).toEqual(
        Int8Array.from(q15, (v) => (v << 24) >> 24),
      );
    }
    // (0,0) and (3,5) lie in the letterbox border (equal); (12,18) is inside the photo.
    expect(pooled.subarray((12 * 40 + 18) * 64, (12 * 40 + 19) * 64)).not.toEqual(pooled.subarray(0, 64));
  });

  it('mbconv1 and head1 = the kernels on the previous layer', () => {
    const P = faceM4Params(model);
    const mb1 = mbconvQ7xQ15Q15(byName(photoRun, 'rnnpool').tensor as Int8Array, P.mbconv[0]);
    expect(byName(photoRun, 'mbconv1').tensor).toEqual(mb1);
    const h = detectionHead(mb1, P.heads[0]);
    const head1 = byName(photoRun, 'head1');
    expect(head1.tensor.subarray(0, 2400)).toEqual(h.conf);
    expect(head1.tensor.subarray(2400)).toEqual(h.loc);
    expect(head1.parts?.map((p) => [p.name, p.offset, p.length])).toEqual([
      ['conf', 0, 2400],
      ['loc', 2400, 4800],
    ]);
  });

  it('outputs = heads conf then loc, divided by the model heads confScale / locScale', () => {
    const heads = ['head1', 'head2', 'head3', 'head4'].map((n) => byName(photoRun, n));
    const expected: number[] = [];
    for (const kind of ['conf', 'loc'] as const) {
      heads.forEach((h, i) => {
        const part = h.parts!.find((p) => p.name === kind)!;
        const div = (kind === 'conf' ? model.heads[i].confScale : model.heads[i].locScale) ?? 1;
        for (const v of h.tensor.subarray(part.offset, part.offset + part.length))
          expected.push(cdiv(v, div));
      });
    }
    expect(Array.from(photoRun.outputs)).toEqual(expected);
    // The synthetic model halves H3 conf and H4 loc, as EdgeML's face-4 pipeline.
    expect(model.heads[2].confScale).toBe(2);
    expect(model.heads[3].locScale).toBe(2);
  });
});

describe('box decoding and layerStats', () => {
  it('decodes boxes with the default shift; the default threshold is 0.5', () => {
    const boxes = architectureOf(model).boxes(model, photoRun.outputs, { threshold: 16384 });
    expect(architectureOf(model).boxes(model, photoRun.outputs)).toEqual(boxes);
    expect(boxes.length).toBeLessThanOrEqual(750);
    for (const b of boxes) expect(b.score).toBeGreaterThan(16384);
    // EdgeML eval_fromquant.py's default output scale, 2^-12, for heads without their own shift.
    expect(headShifts(model).map((h) => [h.conf, h.loc])).toEqual([
      [12, 12],
      [12, 12],
      [12, 12],
      [12, 12],
    ]);
    console.log(`face-m4 reference, astronaut photo: ${boxes.length} boxes above 0.5`);
    expect(() => architectureOf(model).boxes(model, new Int16Array(10))).toThrow(
      /need 18000 outputs, got 10/,
    );
  });

  it('layerStats: counts, limits, zeros', () => {
    const fake: LayerResult = {
      id: 3,
      name: 'mbconv1',
      checksum: 0,
      shape: [4],
      dtype: 'q15',
      tensor: Int16Array.of(0, -32768, 32767, 10),
      min: -32768,
      max: 32767,
    };
    const [s] = layerStats([fake]);
    expect(s).toMatchObject({
      count: 4,
      min: -32768,
      max: 32767,
      saturatedFraction: 0.5,
      zeroFraction: 0.25,
    });
    expect(s.meanAbs).toBeCloseTo((32768 + 32767 + 10) / 4);
    const stats = layerStats(photoRun.layers);
    expect(stats.map((x) => x.id)).toEqual(photoRun.layers.map((l) => l.id));
  });
});
