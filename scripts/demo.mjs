#!/usr/bin/env node
// npm run demo: the default scenario — the RNNPool-Face-M4 detector (synthetic model) built with
// arm-none-eabi-gcc and run in the emulator on the default photo, checked against the TypeScript
// reference. Extra arguments go to `m4sim simulate` (e.g. --image photo.jpg, --json).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const r = spawnSync(process.execPath, [join(root, 'bin/m4sim.js'), 'simulate', ...process.argv.slice(2)], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
