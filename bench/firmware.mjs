// Builds the benchmark firmware (test/firmware/compute.c: an int16 multiply-accumulate workload of
// about 640 M instructions), or a variant of it (compute-systick.c: the same work under a 10 kHz
// SysTick), with our start-up, newlib rdimon and the m4-256k linker script.
import { join } from 'node:path';
import { compileFirmware, projectRoot } from '../dist/toolchain/toolchain.js';

export function buildBenchFirmware(name = 'compute') {
  const root = projectRoot();
  return compileFirmware({
    sources: [join(root, `test/firmware/${name}.c`), join(root, 'firmware/board/startup.c')],
    output: join(root, `test/firmware/build/bench-${name}.elf`),
    linkerScript: join(root, 'firmware/board/m4-256k.ld'),
    specs: ['rdimon.specs'],
  }).elf;
}
