// The benchmark firmwares, built with our start-up, newlib rdimon and the m4-256k linker script, and
// the checksum each prints, from the same C source built for the host (gcc -O2, checked with
// -fsanitize=undefined): the bench refuses a run that computed something else.
//  - compute: test/firmware/compute.c, an int16 multiply-accumulate loop (-O2, long blocks), the
//    first benchmark, kept so the trend stays visible; compute-systick.c: the same under a 10 kHz
//    SysTick;
//  - branchy: test/firmware/bench-branchy.c, control code in CoreMark's spirit (linked lists, a
//    tokenizer state machine, small matrices, bitwise CRCs; -O3: short blocks, calls, branches);
//  - stores: test/firmware/bench-stores.c, in-place int16/int8 tensor updates with 64-bit software
//    division (-O3), where Unicorn 2.0.1's store slow path sets the speed.
import { join } from 'node:path';
import { compileFirmware, projectRoot } from '../dist/toolchain/toolchain.js';

export const WORKLOADS = {
  compute: { source: 'compute', cflags: [], checksum: 'aefcd044', about: 'int16 MAC loop, -O2' },
  branchy: {
    source: 'bench-branchy',
    cflags: ['-O3'],
    checksum: 'd4a34dbd',
    about: 'lists, state machine, CRC, -O3',
  },
  stores: {
    source: 'bench-stores',
    cflags: ['-O3'],
    checksum: 'cee1aed9',
    about: 'in-place tensors, 64-bit division, -O3',
  },
  'compute-systick': {
    source: 'compute-systick',
    cflags: [],
    checksum: 'aefcd044',
    about: 'compute + SysTick 10 kHz',
  },
};

/** Builds workload `name` (a WORKLOADS key); `defines` (e.g. { ROUNDS: 10 }) make a smaller variant. */
export function buildBenchFirmware(name = 'compute', defines = {}) {
  const w = WORKLOADS[name];
  if (!w) throw new Error(`no bench workload ${name}`);
  const root = projectRoot();
  const suffix = Object.entries(defines)
    .map(([k, v]) => `-${k}${v}`)
    .join('');
  return compileFirmware({
    sources: [join(root, `test/firmware/${w.source}.c`), join(root, 'firmware/board/startup.c')],
    output: join(root, `test/firmware/build/bench-${name}${suffix}.elf`),
    linkerScript: join(root, 'firmware/board/m4-256k.ld'),
    specs: ['rdimon.specs'],
    defines,
    cflags: w.cflags,
  }).elf;
}
