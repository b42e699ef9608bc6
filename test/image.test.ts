import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeImage,
  encodePgm,
  FILL_RGB,
  fitRect,
  frameFromFile,
  frameFromImage,
  frameToGray,
  ImageError,
  letterbox,
  preprocess,
  preprocessPixel,
  readFrameFile,
  resizeArea,
  resizeToFrame,
  sniffFormat,
  toPng,
  type RgbaImage,
} from '../src/image/index.js';

const IMAGES = new URL('../scenarios/images/', import.meta.url);
const tmp = mkdtempSync(join(tmpdir(), 'm4sim-image-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ascii = (s: string) => new TextEncoder().encode(s);
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

/** An opaque RGBA image from a per-pixel colour function. */
function image(width: number, height: number, f: (x: number, y: number) => number[]): RgbaImage {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = f(x, y);
      rgba.set(
        c.length === 1 ? [c[0]!, c[0]!, c[0]!, 255] : c.length === 3 ? [...c, 255] : c,
        (y * width + x) * 4,
      );
    }
  }
  return { width, height, rgba };
}

const pixel = (img: RgbaImage, x: number, y: number) =>
  Array.from(img.rgba.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4));

/** The ImageError message `fn` throws (fails if it throws something else or nothing). */
function imageError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ImageError);
    const message = (e as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected an ImageError');
}

// A hand-made PNG writer, for the colour types and depths pngjs cannot encode.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(ascii(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}
function makePng(
  width: number,
  height: number,
  depth: number,
  colorType: number,
  rows: number[][],
  extra: Uint8Array[] = [],
): Uint8Array {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr[8] = depth;
  ihdr[9] = colorType;
  const raw = concat(...rows.map((r) => Uint8Array.from([0, ...r]))); // filter type 0 on every row
  return concat(
    Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...extra,
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  );
}

describe('PGM / PPM', () => {
  it('reads P5 binary with comments, exactly', () => {
    const bytes = concat(
      ascii('P5\n# a comment\n3 2 # size\n255\n'),
      Uint8Array.from([0, 1, 2, 128, 254, 255]),
    );
    const img = decodeImage(bytes, 'a.pgm');
    expect(img.format).toBe('pnm');
    expect([img.width, img.height]).toEqual([3, 2]);
    expect(pixel(img, 0, 0)).toEqual([0, 0, 0, 255]);
    expect(pixel(img, 1, 0)).toEqual([1, 1, 1, 255]);
    expect(pixel(img, 0, 1)).toEqual([128, 128, 128, 255]);
    expect(pixel(img, 2, 1)).toEqual([255, 255, 255, 255]);
  });

  it('reads P2 ASCII and scales maxval 15 to 8 bits (round half up)', () => {
    const img = decodeImage(ascii('P2\n4 1\n15\n0 1 # comment in the raster\n 8\n15\n'), 'b.pgm');
    // round(v * 255 / 15) = 17v
    expect([0, 1, 2, 3].map((x) => pixel(img, x, 0)[0])).toEqual([0, 17, 136, 255]);
  });

  it('reads 16-bit P5 (big-endian) and scales by round(v / 257)', () => {
    const samples = [0, 128, 129, 257, 65535, 0x1234];
    const bytes = concat(
      ascii('P5 6 1 65535\n'),
      Uint8Array.from(samples.flatMap((v) => [v >> 8, v & 0xff])),
    );
    const img = decodeImage(bytes, 'c.pgm');
    expect([0, 1, 2, 3, 4, 5].map((x) => pixel(img, x, 0)[0])).toEqual([0, 0, 1, 1, 255, 18]);
  });

  it('reads maxval 1000 (2-byte samples) and P6 colour', () => {
    const pgm = concat(ascii('P5\n2 1\n1000\n'), Uint8Array.from([0x01, 0xf4, 0x03, 0xe8])); // 500, 1000
    expect(pixel(decodeImage(pgm, 'd.pgm'), 0, 0)[0]).toBe(128); // round(500*255/1000) = round(127.5) = 128
    expect(pixel(decodeImage(pgm, 'd.pgm'), 1, 0)[0]).toBe(255);
    const ppm = concat(ascii('P6\n1 1\n255\n'), Uint8Array.from([10, 20, 30]));
    expect(pixel(decodeImage(ppm, 'e.ppm'), 0, 0)).toEqual([10, 20, 30, 255]);
    expect(pixel(decodeImage(ascii('P3 1 1 255 7 8 9'), 'f.ppm'), 0, 0)).toEqual([7, 8, 9, 255]);
  });

  it('round-trips encodePgm', () => {
    const gray = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
    const img = decodeImage(encodePgm(gray, 4, 3), 'g.pgm');
    expect(Array.from({ length: 12 }, (_, i) => img.rgba[4 * i])).toEqual(Array.from(gray));
  });

  it('rejects bad headers and data with one-line messages naming the file', () => {
    expect(imageError(() => decodeImage(ascii('P5\nabc 2\n255\n'), 'h.pgm'))).toMatch(
      /^h\.pgm: bad PGM \(P5\) width: not a number at byte 3$/,
    );
    expect(imageError(() => decodeImage(ascii('P5\n2 2\n0\n\0\0\0\0'), 'h.pgm'))).toMatch(/maxval 0/);
    expect(imageError(() => decodeImage(ascii('P5\n2 2\n70000\n'), 'h.pgm'))).toMatch(/maxval 70000/);
    expect(imageError(() => decodeImage(ascii('P5\n2 2\n255\n\0\0'), 'h.pgm'))).toMatch(
      /truncated PGM \(P5\): 4 bytes of pixel data expected, 2 present/,
    );
    expect(imageError(() => decodeImage(ascii('P2\n2 2\n255\n1 2 3'), 'h.pgm'))).toMatch(/truncated.*3 of 4/);
    expect(imageError(() => decodeImage(ascii('P2\n2 1\n100\n1 200'), 'h.pgm'))).toMatch(
      /sample 200 exceeds maxval 100 at pixel \(1, 0\)/,
    );
    expect(imageError(() => decodeImage(ascii('P5\n0 5\n255\n'), 'h.pgm'))).toMatch(/no pixels \(0 x 5\)/);
    expect(imageError(() => decodeImage(ascii('P5\n20000 20000\n255\n'), 'h.pgm'))).toMatch(
      /400\.0 megapixels, more than the 100-megapixel limit/,
    );
    expect(imageError(() => decodeImage(ascii('P5\n4'), 'h.pgm'))).toMatch(/truncated.*missing height/);
    expect(imageError(() => decodeImage(ascii('P1\n1 1\n1\n'), 'h.pbm'))).toMatch(
      /PBM\/PAM\) images are not supported/,
    );
  });
});

describe('PNG', () => {
  it('decodes pngjs-encoded gray, RGB and RGBA exactly (toPng round trip)', () => {
    const w = 5;
    const h = 3;
    const gray = Uint8Array.from({ length: w * h }, (_, i) => (i * 37) & 255);
    const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 11) & 255);
    const rgba = Uint8Array.from({ length: w * h * 4 }, (_, i) => (i * 7 + 3) & 255);
    const g = decodeImage(toPng(gray, w, h), 'g.png');
    expect(g.format).toBe('png');
    for (let i = 0; i < w * h; i++)
      expect(Array.from(g.rgba.subarray(4 * i, 4 * i + 4))).toEqual([gray[i], gray[i], gray[i], 255]);
    const c = decodeImage(toPng(rgb, w, h), 'c.png');
    for (let i = 0; i < w * h; i++)
      expect(Array.from(c.rgba.subarray(4 * i, 4 * i + 4))).toEqual([...rgb.subarray(3 * i, 3 * i + 3), 255]);
    expect(Array.from(decodeImage(toPng(rgba, w, h), 'a.png').rgba)).toEqual(Array.from(rgba));
  });

  it('decodes palette (with tRNS), 16-bit RGB, 1-bit gray and gray+alpha', () => {
    const plte = chunk('PLTE', Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255]));
    const trns = chunk('tRNS', Uint8Array.from([255, 128]));
    const pal = decodeImage(makePng(3, 1, 8, 3, [[0, 1, 2]], [plte, trns]), 'p.png');
    expect([pixel(pal, 0, 0), pixel(pal, 1, 0), pixel(pal, 2, 0)]).toEqual([
      [255, 0, 0, 255],
      [0, 255, 0, 128],
      [0, 0, 255, 255],
    ]);
    const rgb16 = decodeImage(makePng(1, 1, 16, 2, [[0xff, 0xff, 0x80, 0x80, 0x00, 0x81]]), 'q.png');
    expect(pixel(rgb16, 0, 0)).toEqual([255, 128, 1, 255]); // round(v / 257)
    const bits = decodeImage(makePng(8, 1, 1, 0, [[0b10110000]]), 'r.png');
    expect([0, 1, 2, 3, 4].map((x) => pixel(bits, x, 0)[0])).toEqual([255, 0, 255, 255, 0]);
    const ga = decodeImage(makePng(1, 1, 8, 4, [[77, 200]]), 's.png');
    expect(pixel(ga, 0, 0)).toEqual([77, 77, 77, 200]);
  });

  it('sniffs the format from the bytes, not the name, and ignores bytes after IEND', () => {
    const png = toPng(Uint8Array.from([1, 2, 3, 4]), 2, 2);
    expect(sniffFormat(png)).toBe('png');
    const img = decodeImage(concat(png, ascii('trailing junk')), 'photo.jpg');
    expect(img.format).toBe('png');
    expect(Array.from(img.rgba.filter((_, i) => i % 4 === 0))).toEqual([1, 2, 3, 4]);
  });

  it('rejects truncated, corrupt and absurd PNGs', () => {
    const png = readFileSync(new URL('astronaut-320x240.png', IMAGES));
    expect(imageError(() => decodeImage(png.subarray(0, png.length >> 1), 'half.png'))).toMatch(
      /^half\.png: truncated PNG: IDAT chunk at byte \d+ needs \d+ bytes, \d+ present$/,
    );
    expect(imageError(() => decodeImage(png.subarray(0, 20), 'x.png'))).toMatch(/^x\.png: truncated PNG/);
    const corrupt = Uint8Array.from(png);
    corrupt[100] = corrupt[100]! ^ 0xff; // inside the first IDAT: CRC mismatch
    expect(imageError(() => decodeImage(corrupt, 'crc.png'))).toMatch(
      /^crc\.png: corrupt PNG: CRC mismatch in the IDAT chunk at byte \d+$/,
    );
    const huge = makePng(20000, 20000, 8, 0, [[0]]); // the size check comes before any decoding
    expect(imageError(() => decodeImage(huge, 'huge.png'))).toBe(
      'huge.png: PNG image is 20000 x 20000 = 400.0 megapixels, more than the 100-megapixel limit',
    );
    const empty = makePng(0, 1, 8, 0, [[0]]);
    expect(imageError(() => decodeImage(empty, 'zero.png'))).toMatch(
      /zero\.png: PNG image has no pixels \(0 x 1\)/,
    );
  });
});

describe('JPEG', () => {
  const encode = (img: RgbaImage, quality: number) =>
    new Uint8Array(jpeg.encode({ width: img.width, height: img.height, data: img.rgba }, quality).data);

  it('decodes jpeg-js-encoded images (lossy: within a few levels)', () => {
    const flat = decodeImage(
      encode(
        image(16, 16, () => [200, 100, 50]),
        100,
      ),
      'flat.jpg',
    );
    expect(flat.format).toBe('jpeg');
    expect([flat.width, flat.height]).toEqual([16, 16]);
    for (let i = 0; i < 256; i++) {
      const [r, g, b, a] = pixel(flat, i % 16, i >> 4);
      expect(Math.abs(r! - 200) + Math.abs(g! - 100) + Math.abs(b! - 50)).toBeLessThanOrEqual(6);
      expect(a).toBe(255);
    }
    const halves = decodeImage(
      encode(
        image(32, 16, (x) => [x < 16 ? 0 : 255]),
        95,
      ),
      'halves.jpg',
    );
    expect(pixel(halves, 2, 8)[0]).toBeLessThan(8);
    expect(pixel(halves, 29, 8)[0]).toBeGreaterThan(247);
  });

  it('decodes the same JPEG bytes to the same frame every time', () => {
    const bytes = encode(
      image(100, 80, (x, y) => [(x * 5) & 255, (y * 3) & 255, (x * y) & 255]),
      75,
    );
    expect(frameFromImage(bytes, 'a.jpg')).toEqual(frameFromImage(Uint8Array.from(bytes), 'b.jpg'));
  });

  it('rejects truncated and unsupported JPEGs', () => {
    const bytes = encode(
      image(64, 64, (x, y) => [(x * 4) & 255, (y * 4) & 255, 0]),
      90,
    );
    expect(imageError(() => decodeImage(bytes.subarray(0, 40), 'cut.jpg'))).toMatch(
      /^cut\.jpg: truncated JPEG/,
    );
    expect(imageError(() => decodeImage(bytes.subarray(0, bytes.length >> 1), 'half.jpg'))).toMatch(
      /^half\.jpg: malformed JPEG: /,
    );
    const sof = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xc0);
    const arith = Uint8Array.from(bytes);
    arith[sof + 1] = 0xc9;
    expect(imageError(() => decodeImage(arith, 'arith.jpg'))).toBe(
      'arith.jpg: arithmetic-coded sequential JPEG is not supported',
    );
  });
});

describe('malformed and unsupported files', () => {
  it('gives one-line ImageErrors naming the file', () => {
    expect(imageError(() => decodeImage(new Uint8Array(0), 'empty.png'))).toBe(
      'empty.png: empty file, not an image',
    );
    expect(imageError(() => decodeImage(ascii('hello, world\n'), 'notes.txt'))).toBe(
      'notes.txt: not an image (not PNG, JPEG or PGM by its first bytes)',
    );
    expect(imageError(() => decodeImage(ascii('GIF89a\x01\x00\x01\x00'), 'anim.gif'))).toBe(
      'anim.gif: GIF images are not supported (use PNG, JPEG or PGM)',
    );
    expect(imageError(() => decodeImage(ascii('BM\0\0\0\0'), 'x.bmp'))).toMatch(
      /BMP images are not supported/,
    );
  });
});

describe('resize', () => {
  it('keeps a constant image constant', () => {
    const out = resizeToFrame(image(1001, 751, () => [10, 20, 30]));
    // 1001x751 is a hair taller than 4:3: width round(1001*240/751) = round(319.9) = 320
    expect(fitRect(1001, 751)).toEqual({ x: 0, y: 0, width: 320, height: 240 });
    for (let p = 0; p < 320 * 240; p++) {
      expect(Array.from(out.rgba.subarray(4 * p, 4 * p + 4))).toEqual([10, 20, 30, 255]);
    }
  });

  it('averages 640x480 checkerboards exactly', () => {
    // 2x2 blocks: each output pixel covers exactly one block.
    const blocks = resizeToFrame(image(640, 480, (x, y) => [((x >> 1) + (y >> 1)) & 1 ? 255 : 0]));
    // 1x1 cells: each output pixel averages two 0s and two 255s = 127.5, rounded half up.
    const cells = resizeToFrame(image(640, 480, (x, y) => [(x + y) & 1 ? 200 : 0, 0, 255]));
    for (let y = 0; y < 240; y++) {
      for (let x = 0; x < 320; x++) {
        expect(pixel(blocks, x, y)).toEqual((x + y) & 1 ? [255, 255, 255, 255] : [0, 0, 0, 255]);
        expect(pixel(cells, x, y)).toEqual([100, 0, 255, 255]);
      }
    }
    // 960x720 with 3-pixel stripes: each output pixel is exactly one stripe's 3x3 cell.
    const c3 = resizeToFrame(image(960, 720, (x) => [Math.floor(x / 3) % 2 ? 0 : 255]));
    expect(pixel(c3, 0, 0)[0]).toBe(255);
    expect(pixel(c3, 1, 0)[0]).toBe(0);
  });

  it('uses exact fractional weights', () => {
    // 3 → 2: out0 = (2*0 + 1*90) / 3 = 30, out1 = (1*90 + 2*180) / 3 = 150
    const out = resizeArea(
      image(3, 1, (x) => [[0, 90, 180][x]!]),
      2,
      1,
    );
    expect([pixel(out, 0, 0)[0], pixel(out, 1, 0)[0]]).toEqual([30, 150]);
    // (0*2 + 128*1) / 3 = 42.67 → 43; half-up rounding: (1 + 2) / 2 = 1.5 → 2
    expect(
      pixel(
        resizeArea(
          image(3, 1, (x) => [[0, 128, 0][x]!]),
          2,
          1,
        ),
        0,
        0,
      )[0],
    ).toBe(43); // 128/3
    expect(
      pixel(
        resizeArea(
          image(2, 1, (x) => [x + 1]),
          1,
          1,
        ),
        0,
        0,
      )[0],
    ).toBe(2);
  });

  it('leaves a 320x240 image unchanged', () => {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    const src = image(320, 240, () => [rand(), rand(), rand()]);
    expect(Array.from(resizeToFrame(src).rgba)).toEqual(Array.from(src.rgba));
  });

  it('letterboxes with the fill colour, keeping the aspect ratio', () => {
    expect(fitRect(640, 240)).toEqual({ x: 0, y: 60, width: 320, height: 120 });
    expect(fitRect(100, 100)).toEqual({ x: 40, y: 0, width: 240, height: 240 });
    expect(fitRect(100, 400)).toEqual({ x: 130, y: 0, width: 60, height: 240 });
    expect(fitRect(5000, 1)).toEqual({ x: 0, y: 119, width: 320, height: 1 });
    const wide = resizeToFrame(image(640, 240, () => [9, 9, 9]));
    expect(pixel(wide, 5, 59)).toEqual([...FILL_RGB, 255]);
    expect(pixel(wide, 5, 60)).toEqual([9, 9, 9, 255]);
    expect(pixel(wide, 5, 179)).toEqual([9, 9, 9, 255]);
    expect(pixel(wide, 5, 180)).toEqual([...FILL_RGB, 255]);
    // Upscaling a 2x2 image: 240x240 at x = 40, each source pixel a 120x120 block.
    const up = letterbox(image(2, 2, (x, y) => [x * 100 + y * 10]));
    expect([
      pixel(up, 39, 0),
      pixel(up, 40, 0),
      pixel(up, 159, 119),
      pixel(up, 160, 120),
      pixel(up, 280, 0),
    ]).toEqual([
      [...FILL_RGB, 255],
      [0, 0, 0, 255],
      [0, 0, 0, 255],
      [110, 110, 110, 255],
      [...FILL_RGB, 255],
    ]);
  });

  it('composites alpha over the fill colour', () => {
    const src = image(320, 240, (x) =>
      x === 0 ? [255, 255, 255, 0] : x === 1 ? [255, 255, 255, 128] : [1, 2, 3, 255],
    );
    const out = resizeToFrame(src);
    expect(pixel(out, 0, 0)).toEqual([...FILL_RGB, 255]);
    // round((255*128 + bg*127) / 255), half up
    const mix = (bg: number) => Math.floor((2 * (255 * 128 + bg * 127) + 255) / 510);
    expect(pixel(out, 1, 0)).toEqual([mix(123), mix(117), mix(104), 255]);
    expect(pixel(out, 2, 0)).toEqual([1, 2, 3, 255]);
  });
});

describe('preprocess', () => {
  it('computes trunc((299(R-123) + 587(G-117) + 114(B-104)) / 2000)', () => {
    expect(preprocessPixel(255, 255, 255)).toBe(68); // 137688 / 2000 = 68.84
    expect(preprocessPixel(0, 0, 0)).toBe(-58); // -117312 / 2000 = -58.66, toward zero
    expect(preprocessPixel(123, 117, 104)).toBe(0);
    expect(preprocessPixel(255, 0, 0)).toBe(-20); // -41067
    expect(preprocessPixel(0, 255, 0)).toBe(16); // 32373
    expect(preprocessPixel(0, 0, 255)).toBe(-44); // -88242
    // gray v: S = 1000v - 117312
    expect(preprocessPixel(115, 115, 115)).toBe(-1); // -2312 / 2000 = -1.156 → -1 (floor would give -2)
    expect(preprocessPixel(116, 116, 116)).toBe(0); // -1312 → -0 → 0 (floor would give -1)
    expect(Object.is(preprocessPixel(116, 116, 116), -0)).toBe(false);
    expect(preprocessPixel(119, 119, 119)).toBe(0); // 1688
    expect(preprocessPixel(120, 120, 120)).toBe(1); // 2688
  });

  it('equals trunc(trunc(gray) / 2) with gray computed exactly, for every gray level and some colours', () => {
    for (let v = 0; v < 256; v++) {
      const s = 299 * (v - 123) + 587 * (v - 117) + 114 * (v - 104);
      expect(preprocessPixel(v, v, v)).toBe(Math.trunc(Math.trunc(s / 1000) / 2) || 0);
    }
    for (let r = 0; r < 256; r += 15) {
      for (let g = 0; g < 256; g += 17) {
        for (let b = 0; b < 256; b += 51) {
          const v = preprocessPixel(r, g, b);
          expect(v).toBeGreaterThanOrEqual(-58);
          expect(v).toBeLessThanOrEqual(68);
        }
      }
    }
  });

  it('turns the letterbox margin into 0 and gray images into R = G = B', () => {
    const frame = frameFromImage(encodePgm(new Uint8Array(100 * 100).fill(255), 100, 100), 'white.pgm');
    expect(frame.length).toBe(76800);
    expect(frame[0]).toBe(0); // margin
    expect(frame[160]).toBe(68); // white
    const img = image(2, 1, (x) => [x ? 255 : 0]);
    expect(Array.from(preprocess(img))).toEqual([-58, 68]);
  });

  it('frameToGray is a visualisation around 117', () => {
    expect(Array.from(frameToGray(Int8Array.from([0, -58, 68, -128, 127])))).toEqual([117, 1, 253, 0, 255]);
  });
});

describe('--frame files', () => {
  it('accepts exactly 76,800 bytes as int8', () => {
    const path = join(tmp, 'ok.bin');
    const bytes = new Uint8Array(76800);
    bytes[0] = 0xff;
    bytes[1] = 0x80;
    bytes[2] = 0x7f;
    writeFileSync(path, bytes);
    const frame = readFrameFile(path);
    expect(frame).toBeInstanceOf(Int8Array);
    expect(Array.from(frame.subarray(0, 4))).toEqual([-1, -128, 127, 0]);
  });

  it('rejects other sizes with one line', () => {
    const path = join(tmp, 'short.bin');
    writeFileSync(path, new Uint8Array(1000));
    expect(imageError(() => readFrameFile(path))).toBe(
      `${path}: a frame file must be exactly 76800 bytes (320x240 int8, row-major), this one has 1000`,
    );
    writeFileSync(path, new Uint8Array(76801));
    expect(imageError(() => readFrameFile(path))).toMatch(/this one has 76801$/);
  });

  it('lets read errors through with their code', () => {
    expect(() => readFrameFile(join(tmp, 'missing.bin'))).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
    expect(() => frameFromFile(join(tmp, 'missing.png'))).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
  });
});

describe('default images', () => {
  const labels = JSON.parse(readFileSync(new URL('labels.json', IMAGES), 'utf8')) as Record<
    string,
    { face: number[]; head: number[] }[]
  >;
  const sha = (a: Int8Array) => createHash('sha256').update(a).digest('hex');
  // Golden frames: any change to decoding, resizing or preprocessing (or to the images) shows up here.
  const FRAME_SHA256: Record<string, string> = {
    'astronaut-320x240.png': '0af92bce3e192e1a2e996fe671c1d007d23b3dd1aad74bd551966a799e79c566',
    'camera-320x240.png': 'de0d796f28d61a632449c9baa28bafd2a3b40f8b6fc21ad6788ab037be1338df',
  };

  it.each(['astronaut-320x240.png', 'camera-320x240.png'])(
    '%s decodes to a 320x240 frame, deterministically',
    (file) => {
      const path = new URL(file, IMAGES).pathname;
      const img = decodeImage(readFileSync(path), path);
      expect([img.width, img.height, img.format]).toEqual([320, 240, 'png']);
      expect(pixel(img, 0, 0)).toEqual([...FILL_RGB, 255]); // the margin
      // Already 320x240: resizing is the identity.
      expect(Array.from(resizeToFrame(img).rgba)).toEqual(Array.from(img.rgba));
      const a = frameFromFile(path);
      const b = frameFromFile(path);
      expect(a.length).toBe(76800);
      expect(sha(a)).toBe(sha(b));
      expect(sha(a)).toBe(FRAME_SHA256[file]);
      expect(a[0]).toBe(0);
      // One labelled face, inside the frame, of a size the detector suits.
      const [{ face, head }] = labels[file]! as [{ face: number[]; head: number[] }];
      for (const [x1, y1, x2, y2] of [face, head] as [number, number, number, number][]) {
        expect(0 <= x1 && x1 < x2 && x2 < 320 && 0 <= y1 && y1 < y2 && y2 < 240).toBe(true);
        expect(x2 - x1).toBeGreaterThanOrEqual(20);
        expect(x2 - x1).toBeLessThanOrEqual(60);
      }
      // The face is inside the head box.
      expect(
        head[0]! <= face[0]! && head[1]! <= face[1]! && face[2]! <= head[2]! && face[3]! <= head[3]!,
      ).toBe(true);
    },
  );
});
