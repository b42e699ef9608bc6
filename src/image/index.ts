// Images in, detector frames out: decode (PNG, JPEG, PGM/PPM), letterbox to 320x240, preprocess to int8.
export { ImageError, MAX_PIXELS, checkImageSize, type RgbaImage } from './errors.js';
export { decodeImage, sniffFormat, type DecodedImage, type ImageFormat } from './decode.js';
export { decodePnm, encodePgm, isPnm } from './pgm.js';
export {
  FRAME_WIDTH,
  FRAME_HEIGHT,
  FILL_RGB,
  fitRect,
  resizeArea,
  placeOnCanvas,
  letterbox,
  resizeToFrame,
  type Rgb,
} from './resize.js';
export {
  FRAME_BYTES,
  CHANNEL_MEANS,
  GRAY_WEIGHTS,
  GRAY_DIVISOR,
  preprocessPixel,
  preprocess,
  frameFromImage,
  frameFromFile,
  frameFromBytes,
  readFrameFile,
  frameToGray,
} from './preprocess.js';
export { toPng } from './png.js';
