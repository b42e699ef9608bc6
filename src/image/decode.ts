// Image decoding: PNG (pngjs), JPEG (jpeg-js) and PGM/PPM (our own reader), all to 8-bit RGBA.
// The format is sniffed from the magic bytes, never from the file name. Every problem — empty,
// truncated or malformed data, an unsupported format, no pixels, more than MAX_PIXELS — becomes a
// one-line ImageError naming the file.
//
// PNG: every colour type and bit depth; palette and tRNS transparency become alpha; 16-bit samples are
// scaled to 8 bits by round(v / 257); 1/2/4-bit gray is scaled to 0..255; gamma and colour profiles are
// ignored. Bytes after IEND are ignored. JPEG: baseline and progressive (Huffman), gray, YCbCr, CMYK;
// EXIF orientation is ignored (pixels are used as stored). Alpha is kept as decoded; it is composited
// over a background colour when the image is resized (see resize.ts).

import { lazyRequire } from '../util/lazy-require.js';
import { checkImageSize, ImageError, MAX_PIXELS, type RgbaImage } from './errors.js';
import { decodePnm, isPnm } from './pgm.js';

export { ImageError, MAX_PIXELS, type RgbaImage } from './errors.js';

const pngjs = lazyRequire<typeof import('pngjs')>('pngjs');
const jpegJs = lazyRequire<typeof import('jpeg-js')>('jpeg-js');

export type ImageFormat = 'png' | 'jpeg' | 'pnm';

export interface DecodedImage extends RgbaImage {
  format: ImageFormat;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const startsWith = (bytes: Uint8Array, magic: readonly number[]) =>
  bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);

/** The format the magic bytes announce, or null. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | null {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (isPnm(bytes)) return 'pnm';
  return null;
}

/** Names a format we recognise but do not read, for the error message. */
function otherFormat(bytes: Uint8Array): string | null {
  const ascii = String.fromCharCode(...bytes.subarray(0, 12));
  if (ascii.startsWith('GIF8')) return 'GIF';
  if (ascii.startsWith('BM')) return 'BMP';
  if (ascii.startsWith('II*\0') || ascii.startsWith('MM\0*')) return 'TIFF';
  if (ascii.startsWith('RIFF') && ascii.slice(8, 12) === 'WEBP') return 'WebP';
  if (ascii.slice(4, 12) === 'ftypheic' || ascii.slice(4, 12) === 'ftypavif') return 'HEIF/AVIF';
  if (/^P[147]\s/.test(ascii)) return `netpbm ${ascii.slice(0, 2)} (PBM/PAM)`;
  if (startsWith(bytes, [0x8b, 0x4a, 0x4e, 0x47])) return 'JNG/MNG';
  return null;
}

/** Decodes PNG, JPEG or PGM/PPM bytes to 8-bit RGBA. `name` (usually the path) appears in errors. */
export function decodeImage(bytes: Uint8Array, name: string): DecodedImage {
  if (bytes.length === 0) throw new ImageError(`${name}: empty file, not an image`);
  const format = sniffFormat(bytes);
  switch (format) {
    case 'png':
      return { ...decodePng(bytes, name), format };
    case 'jpeg':
      return { ...decodeJpeg(bytes, name), format };
    case 'pnm':
      return { ...decodePnm(bytes, name), format };
    default: {
      const other = otherFormat(bytes);
      throw new ImageError(
        other
          ? `${name}: ${other} images are not supported (use PNG, JPEG or PGM)`
          : `${name}: not an image (not PNG, JPEG or PGM by its first bytes)`,
      );
    }
  }
}

const be32 = (b: Uint8Array, p: number) =>
  ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
const be16 = (b: Uint8Array, p: number) => (b[p]! << 8) | b[p + 1]!;

function decodePng(bytes: Uint8Array, name: string): RgbaImage {
  // Walk the chunks first: clear messages for truncation and bad CRCs, a size check before pngjs allocates, and
  // the end of IEND (pngjs rejects trailing bytes, which some writers leave).
  let pos = 8;
  let end = -1;
  let first = true;
  while (end < 0) {
    if (pos + 8 > bytes.length) {
      throw new ImageError(`${name}: truncated PNG: ends at byte ${bytes.length} before the IEND chunk`);
    }
    const length = be32(bytes, pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    if (!/^[A-Za-z]{4}$/.test(type)) {
      throw new ImageError(`${name}: malformed PNG: bad chunk type at byte ${pos + 4}`);
    }
    if (length > 0x7fffffff || pos + 12 + length > bytes.length) {
      throw new ImageError(
        `${name}: truncated PNG: ${type} chunk at byte ${pos} needs ${length + 12} bytes, ` +
          `${bytes.length - pos} present`,
      );
    }
    if (crc32(bytes, pos + 4, pos + 8 + length) !== be32(bytes, pos + 8 + length)) {
      throw new ImageError(`${name}: corrupt PNG: CRC mismatch in the ${type} chunk at byte ${pos}`);
    }
    if (first) {
      if (type !== 'IHDR' || length !== 13) {
        throw new ImageError(`${name}: malformed PNG: the first chunk is not a 13-byte IHDR`);
      }
      checkImageSize(be32(bytes, pos + 8), be32(bytes, pos + 12), name, 'PNG');
      first = false;
    }
    pos += 12 + length;
    if (type === 'IEND') end = pos;
  }
  let png: { width: number; height: number; data: Uint8Array };
  try {
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, end);
    png = pngjs().PNG.sync.read(view);
  } catch (e) {
    throw new ImageError(`${name}: malformed PNG: ${messageOf(e)}`);
  }
  if (png.data.length !== png.width * png.height * 4) {
    throw new ImageError(`${name}: malformed PNG: decoded pixel data has the wrong size`);
  }
  return { width: png.width, height: png.height, rgba: new Uint8Array(png.data) };
}

const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** The PNG (zlib) CRC-32 of bytes[start, end). */
function crc32(bytes: Uint8Array, start: number, end: number): number {
  let c = -1;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

const SOF_NAMES: Record<number, string | null> = {
  0xc0: null, // baseline
  0xc1: null, // extended sequential, Huffman
  0xc2: null, // progressive, Huffman
  0xc3: 'lossless',
  0xc5: 'differential sequential',
  0xc6: 'differential progressive',
  0xc7: 'differential lossless',
  0xc9: 'arithmetic-coded sequential',
  0xca: 'arithmetic-coded progressive',
  0xcb: 'arithmetic-coded lossless',
  0xcd: 'arithmetic-coded differential sequential',
  0xce: 'arithmetic-coded differential progressive',
  0xcf: 'arithmetic-coded differential lossless',
};

function decodeJpeg(bytes: Uint8Array, name: string): RgbaImage {
  // Find the frame header first: the size check happens before jpeg-js allocates, and unsupported
  // coding processes get a clear message.
  let pos = 2;
  for (;;) {
    while (pos < bytes.length && bytes[pos] !== 0xff) pos++; // tolerate junk between segments
    while (pos < bytes.length && bytes[pos] === 0xff) pos++; // fill bytes
    if (pos + 1 > bytes.length) throw new ImageError(`${name}: truncated JPEG: no frame header (SOF)`);
    const marker = bytes[pos++]!;
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue; // no length
    if (marker === 0xd9 || marker === 0xda) {
      throw new ImageError(`${name}: malformed JPEG: no frame header (SOF) before the scan data`);
    }
    if (pos + 2 > bytes.length) throw new ImageError(`${name}: truncated JPEG: no frame header (SOF)`);
    const length = be16(bytes, pos);
    if (marker in SOF_NAMES) {
      if (pos + 7 > bytes.length) throw new ImageError(`${name}: truncated JPEG: cut in the frame header`);
      const unsupported = SOF_NAMES[marker];
      if (unsupported) throw new ImageError(`${name}: ${unsupported} JPEG is not supported`);
      const height = be16(bytes, pos + 3);
      const width = be16(bytes, pos + 5);
      if (height === 0) throw new ImageError(`${name}: JPEG with height 0 (DNL marker) is not supported`);
      checkImageSize(width, height, name, 'JPEG');
      break;
    }
    if (length < 2) throw new ImageError(`${name}: malformed JPEG: bad segment length at byte ${pos}`);
    pos += length;
  }
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = jpegJs().decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      tolerantDecoding: false,
      maxResolutionInMP: MAX_PIXELS / 1e6,
      maxMemoryUsageInMB: 4096,
    });
  } catch (e) {
    throw new ImageError(`${name}: malformed JPEG: ${messageOf(e)}`);
  }
  checkImageSize(decoded.width, decoded.height, name, 'JPEG');
  if (decoded.data.length !== decoded.width * decoded.height * 4) {
    throw new ImageError(`${name}: malformed JPEG: decoded pixel data has the wrong size`);
  }
  return { width: decoded.width, height: decoded.height, rgba: decoded.data };
}

function messageOf(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0]!.trim() || 'decoder error';
}
