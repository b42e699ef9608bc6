// The benchmark's -O3 workloads (bench/firmware.mjs) compute in m4sim what the same C source
// computes on the host: the checksums below are those of `gcc -O2 -fsanitize=undefined
// -fno-sanitize-recover -DROUNDS=N` builds for x86-64 (independent of m4sim), with and without the
// profiler, so `npm run bench` times correct runs of them. Small ROUNDS keep the test short.
import { describe, expect, it } from 'vitest';
import { buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { simulate } from './helpers/run.js';

const CASES = [
  { name: 'bench-branchy', rounds: 1, line: 'rounds 1 checksum d920a672' },
  { name: 'bench-branchy', rounds: 10, line: 'rounds 10 checksum 849acb4e' },
  { name: 'bench-stores', rounds: 1, line: 'rounds 1 checksum da1a7a93' },
] as const;

describe.skipIf(!haveToolchain)('benchmark workloads', () => {
  it.each(CASES)('$name, ROUNDS=$rounds, -O3, prints the host checksum ($line)', ({ name, rounds, line }) => {
    const elf = buildTestFirmware(name, { defines: { ROUNDS: rounds }, cflags: ['-O3'] });
    for (const profile of [true, false]) {
      const { result, output } = simulate(elf, { profile });
      expect(result.exit.reason).toBe('exit');
      expect(result.exit.code).toBe(0);
      expect(output.trim()).toBe(line);
    }
  });
});
