#!/usr/bin/env node
// npm run demo: builds the default firmware (an int16 matrix-vector workload, test/firmware/compute.c
// with ITERATIONS=1000, ~21 M instructions) with arm-none-eabi-gcc and runs it with `m4sim simulate`.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { compileFirmware, projectRoot } from '../dist/toolchain/toolchain.js';

const root = projectRoot();
const { elf } = compileFirmware({
  sources: [join(root, 'test/firmware/compute.c'), join(root, 'firmware/board/startup.c')],
  output: join(root, 'firmware/build/demo-compute.elf'),
  linkerScript: join(root, 'firmware/board/m4-256k.ld'),
  specs: ['rdimon.specs'],
  defines: { ITERATIONS: 1000 },
});
const r = spawnSync(
  process.execPath,
  [join(root, 'bin/m4sim.js'), 'simulate', elf, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
process.exit(r.status ?? 1);
