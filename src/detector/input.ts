// What the detector runs on: a photo (decoded once, letterboxed and preprocessed to the 320x240 int8
// frame) or an already-quantized frame file, and the mapping of frame boxes back to the photo.
import { join } from 'node:path';
import {
  decodeImage,
  fitRect,
  FRAME_HEIGHT,
  FRAME_WIDTH,
  frameFromBytes,
  frameToGray,
  preprocess,
  resizeToFrame,
  type RgbaImage,
} from '../image/index.js';
import type { Box } from '../reference/postprocess.js';
import { INPUT_LIMITS, readInputFile } from '../util/input-file.js';
import { projectRoot } from '../util/paths.js';

export const DEFAULT_IMAGE = 'scenarios/images/astronaut-320x240.png';

export interface ImageBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
}

export interface DetectorInput {
  frame: Int8Array;
  /** The file as given (the default photo's path when none was). */
  source: string;
  /** The source's size in pixels (320x240 for a frame file), for mapping boxes back. */
  width: number;
  height: number;
  /** The picture itself, when asked for (`keepImage`): the photo's pixels, or the frame as gray. */
  image?: RgbaImage;
}

/** Frame-pixel (Q4) → source-image pixel mapping, undoing the letterbox of src/image/resize.ts. */
export function imageMapper(width: number, height: number): (b: Box) => ImageBox {
  const r = fitRect(width, height);
  const sx = width / r.width;
  const sy = height / r.height;
  const round1 = (v: number) => Math.round(v * 10) / 10;
  return (b) => ({
    x1: round1((b.x1 / 16 - r.x) * sx),
    y1: round1((b.y1 / 16 - r.y) * sy),
    x2: round1((b.x2 / 16 - r.x) * sx),
    y2: round1((b.y2 / 16 - r.y) * sy),
    score: Math.round((b.score / 32768) * 1000) / 1000,
  });
}

/**
 * `--frame` or `--image` (default: the astronaut photo). Files the user named: regular files only,
 * size checked before reading (src/util/input-file.ts). `keepImage` keeps the pixels for a report.
 */
export function loadFrame(opts: { image?: string; frame?: string; keepImage?: boolean }): DetectorInput {
  if (opts.frame) {
    const frame = readFrame(opts.frame);
    const input: DetectorInput = { frame, source: opts.frame, width: FRAME_WIDTH, height: FRAME_HEIGHT };
    if (opts.keepImage) input.image = grayImage(frame);
    return input;
  }
  const path = opts.image ?? join(projectRoot(), DEFAULT_IMAGE);
  const bytes = readInputFile(path, 'image', INPUT_LIMITS.image);
  // Decoded once: the frame, the source size (for mapping boxes back) and the kept picture all come
  // from the same pixels.
  const decoded = decodeImage(bytes, path);
  const input: DetectorInput = {
    frame: preprocess(resizeToFrame(decoded)),
    source: path,
    width: decoded.width,
    height: decoded.height,
  };
  if (opts.keepImage) input.image = { width: decoded.width, height: decoded.height, rgba: decoded.rgba };
  return input;
}

/** A `--frame` file: exactly 76,800 bytes of int8, else an ImageError; a special file is refused. */
export function readFrame(path: string): Int8Array {
  return frameFromBytes(readInputFile(path, 'frame', INPUT_LIMITS.binary), path);
}

/** A frame shown as the gray picture it approximates (src/image/preprocess.ts frameToGray). */
function grayImage(frame: Int8Array): RgbaImage {
  const gray = frameToGray(frame);
  const rgba = new Uint8Array(gray.length * 4);
  gray.forEach((g, i) => rgba.set([g, g, g, 255], 4 * i));
  return { width: FRAME_WIDTH, height: FRAME_HEIGHT, rgba };
}
