#!/usr/bin/env node
// npm run demo: `m4sim demo` — a trained EdgeML face model (models/edgeml/face2.model.json) built
// with arm-none-eabi-gcc, run in the emulator on the default photo and checked against the
// TypeScript reference (report.html shows the boxes), then RNNPool-Face-M4 on the paper's STM32F439
// against the paper's figures. Extra arguments go to `m4sim demo` (e.g. --image photo.jpg).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const r = spawnSync(process.execPath, [join(root, 'bin/m4sim.js'), 'demo', ...process.argv.slice(2)], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
