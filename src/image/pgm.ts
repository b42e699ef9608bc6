// Netpbm reader and writer: PGM (P2 plain, P5 binary) and, because camera pipelines often dump them,
// PPM (P3 plain, P6 binary). maxval 1..65535; binary samples are 1 byte when maxval < 256, else 2 bytes
// big-endian. Samples are scaled to 8 bits as round(v * 255 / maxval), half up, in integers (exact
// for maxval 255). Comments (# to end of line) are allowed between header tokens and in plain rasters.
// Only the first image of a multi-image file is read; bytes after it are ignored.

import { checkImageSize, ImageError, type RgbaImage } from './errors.js';

const MAGICS: Record<string, { channels: 1 | 3; plain: boolean; kind: string }> = {
  P2: { channels: 1, plain: true, kind: 'PGM (P2)' },
  P5: { channels: 1, plain: false, kind: 'PGM (P5)' },
  P3: { channels: 3, plain: true, kind: 'PPM (P3)' },
  P6: { channels: 3, plain: false, kind: 'PPM (P6)' },
};

const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** True if the bytes start like a netpbm file we read (P2, P3, P5, P6 followed by white space). */
export function isPnm(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 3 &&
    bytes[0] === 0x50 &&
    [0x32, 0x33, 0x35, 0x36].includes(bytes[1]!) &&
    (isSpace(bytes[2]!) || bytes[2] === 0x23)
  );
}

/** Decodes a PGM or PPM file into RGBA (gray: R = G = B; alpha 255). Throws ImageError. */
export function decodePnm(bytes: Uint8Array, name: string): RgbaImage {
  const magic = String.fromCharCode(bytes[0] ?? 0, bytes[1] ?? 0);
  const format = MAGICS[magic];
  if (!format || bytes.length < 3 || !(isSpace(bytes[2]!) || bytes[2] === 0x23)) {
    throw new ImageError(`${name}: not a PGM/PPM file (expected P2, P3, P5 or P6 at the start)`);
  }
  const kind = format.kind;
  let pos = 2;

  const skipSpaceAndComments = () => {
    for (;;) {
      while (pos < bytes.length && isSpace(bytes[pos]!)) pos++;
      if (bytes[pos] !== 0x23) return;
      while (pos < bytes.length && bytes[pos] !== 0x0a && bytes[pos] !== 0x0d) pos++;
    }
  };
  /** The next unsigned decimal number; `what` names it in errors. */
  const readNumber = (what: string): number => {
    skipSpaceAndComments();
    if (pos >= bytes.length) throw new ImageError(`${name}: truncated ${kind}: missing ${what}`);
    const start = pos;
    while (pos < bytes.length && isDigit(bytes[pos]!)) pos++;
    // The offset, not the byte: an error never shows what a file contains.
    if (pos === start) throw new ImageError(`${name}: bad ${kind} ${what}: not a number at byte ${pos}`);
    if (pos - start > 10) throw new ImageError(`${name}: bad ${kind} ${what}: number too large`);
    if (pos < bytes.length && !isSpace(bytes[pos]!) && bytes[pos] !== 0x23)
      throw new ImageError(`${name}: bad ${kind} ${what}: unexpected character at byte ${pos}`);
    let v = 0;
    for (let i = start; i < pos; i++) v = v * 10 + (bytes[i]! - 0x30);
    return v;
  };

  const width = readNumber('width');
  const height = readNumber('height');
  const maxval = readNumber('maxval');
  if (maxval < 1 || maxval > 65535) {
    throw new ImageError(`${name}: bad ${kind} maxval ${maxval} (must be 1..65535)`);
  }
  checkImageSize(width, height, name, kind);

  const channels = format.channels;
  const count = width * height * channels;
  const samples = new Uint16Array(count);
  if (format.plain) {
    for (let i = 0; i < count; i++) {
      skipSpaceAndComments();
      if (pos >= bytes.length) {
        throw new ImageError(`${name}: truncated ${kind}: ${i} of ${count} samples present`);
      }
      samples[i] = checkSample(readNumber('sample'), i);
    }
  } else {
    // Exactly one white-space character separates maxval from the raster.
    if (pos >= bytes.length) throw new ImageError(`${name}: truncated ${kind}: no pixel data`);
    pos++;
    const bytesPerSample = maxval < 256 ? 1 : 2;
    const need = count * bytesPerSample;
    const have = bytes.length - pos;
    if (have < need) {
      throw new ImageError(
        `${name}: truncated ${kind}: ${need} bytes of pixel data expected, ${have} present`,
      );
    }
    for (let i = 0; i < count; i++) {
      const v = bytesPerSample === 1 ? bytes[pos + i]! : (bytes[pos + 2 * i]! << 8) | bytes[pos + 2 * i + 1]!;
      samples[i] = checkSample(v, i);
    }
  }

  function checkSample(v: number, i: number): number {
    if (v > maxval) {
      const p = Math.floor(i / channels);
      throw new ImageError(
        `${name}: bad ${kind}: sample ${v} exceeds maxval ${maxval} at pixel (${p % width}, ${Math.floor(p / width)})`,
      );
    }
    return v;
  }

  const half = maxval >> 1;
  const to8 = (v: number) => (maxval === 255 ? v : Math.floor((v * 255 + half) / maxval));
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    if (channels === 1) {
      const g = to8(samples[p]!);
      rgba[4 * p] = g;
      rgba[4 * p + 1] = g;
      rgba[4 * p + 2] = g;
    } else {
      rgba[4 * p] = to8(samples[3 * p]!);
      rgba[4 * p + 1] = to8(samples[3 * p + 1]!);
      rgba[4 * p + 2] = to8(samples[3 * p + 2]!);
    }
    rgba[4 * p + 3] = 255;
  }
  return { width, height, rgba };
}

/** A binary PGM (P5, maxval 255) of 8-bit gray pixels, row-major. */
export function encodePgm(gray: Uint8Array, width: number, height: number): Uint8Array {
  if (gray.length !== width * height) {
    throw new RangeError(`encodePgm: ${gray.length} pixels given for ${width} x ${height}`);
  }
  const header = new TextEncoder().encode(`P5\n${width} ${height}\n255\n`);
  const out = new Uint8Array(header.length + gray.length);
  out.set(header);
  out.set(gray, header.length);
  return out;
}
