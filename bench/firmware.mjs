// Builds the benchmark firmware (test/firmware/compute.c: an int16 multiply-accumulate workload of
// about 640 M instructions) with our start-up, newlib rdimon and the m4-256k linker script.
import { join } from 'node:path';
import { compileFirmware, projectRoot } from '../dist/toolchain/toolchain.js';

export function buildBenchFirmware() {
  const root = projectRoot();
  return compileFirmware({
    sources: [join(root, 'test/firmware/compute.c'), join(root, 'firmware/board/startup.c')],
    output: join(root, 'test/firmware/build/bench-compute.elf'),
    linkerScript: join(root, 'firmware/board/m4-256k.ld'),
    specs: ['rdimon.specs'],
  }).elf;
}
