// Makes the default detector images in scenarios/images/ from scikit-image's sample data, with m4sim's
// own deterministic resize code (build first: `npm run build`).
//
//   node scripts/make-default-images.mjs [SKIMAGE_DATA_DIR]
//
// SKIMAGE_DATA_DIR defaults to Debian's python3-skimage location. Without installing the package (it
// pulls in numpy, scipy …) the files can be had with:
//   apt-get download python3-skimage && dpkg-deb -x python3-skimage_*.deb skimage-deb
//   node scripts/make-default-images.mjs skimage-deb/usr/lib/python3/dist-packages/skimage/data
// M4SIM_DIST=DIR uses another build of src/ than ./dist.

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dataDir = process.argv[2] ?? '/usr/lib/python3/dist-packages/skimage/data';
const dist = process.env.M4SIM_DIST
  ? pathToFileURL(join(process.env.M4SIM_DIST, '/')).href
  : new URL('../dist/', import.meta.url).href;
const { decodeImage, resizeArea, placeOnCanvas, letterbox, toPng, FILL_RGB } = await import(
  new URL('image/index.js', dist).href
);
const outDir = new URL('../scenarios/images/', import.meta.url);

// The files of Debian bookworm's python3-skimage 0.19.3-8 (scikit-image 0.19.3).
const EXPECTED = {
  'astronaut.png': '88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5',
  'camera.png': 'b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a',
};

function load(file) {
  const path = join(dataDir, file);
  const bytes = readFileSync(path);
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== EXPECTED[file]) {
    console.warn(`warning: ${path} has sha256 ${sha}, not the scikit-image 0.19.3 file; results will differ`);
  }
  return decodeImage(bytes, path);
}

function save(name, img) {
  // RGB: the fill colour (123,117,104) is not gray, so even the cameraman needs three channels.
  const rgb = new Uint8Array(img.width * img.height * 3);
  for (let p = 0; p < img.width * img.height; p++) rgb.set(img.rgba.subarray(4 * p, 4 * p + 3), 3 * p);
  const png = toPng(rgb, img.width, img.height);
  writeFileSync(new URL(name, outDir), png);
  console.log(`${name}: ${img.width}x${img.height}, ${png.length} bytes`);
}

// Astronaut (512x512 RGB): 160x160, centred on a 320x240 canvas of the fill colour.
const astronaut = resizeArea(load('astronaut.png'), 160, 160);
save('astronaut-320x240.png', placeOnCanvas(astronaut, 320, 240, 80, 40, FILL_RGB));

// Cameraman (512x512 gray): letterboxed into 320x240 (240x240 at x = 40).
save('camera-320x240.png', letterbox(load('camera.png'), 320, 240, FILL_RGB));
