// The block profiler's SP tracking (native/m4sim_native.cc Unicorn::SpAtEntry): SP at a block's
// entry is computed from the previous block's static SP change instead of being read from the engine
// at every call, return and stack-lowering block. With M4SIM_VERIFY_SP=1 the addon also reads the
// engine's SP at every use and counts where the two differ; every firmware here, whose calls, tail
// calls, longjmps, exception entries and returns, PendSV context switches, PSP threads, SVCs,
// faults and lazy FP stacking move SP every way the tracker has to follow, must count uses and no
// difference, and give the same figures as a run without the check.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../src/util/paths.js';
import { buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { simulate } from './helpers/run.js';

const FIRMWARES = [
  'call-shapes',
  'call-shapes-c',
  'deep-recursion',
  'recursion',
  'stack-depth',
  'exc-threads',
  'exc-psp',
  'exc-pendsv',
  'exc-svc',
  'exc-systick',
  'exc-priorities',
  'exc-faults',
  'exc-hardfault',
  'em-lazyfp',
  'heap-newlib',
  'hello',
];

// Runs each ELF in a fresh Node process with the check on (the addon reads M4SIM_VERIFY_SP when it
// loads) and prints, per ELF, the checks, the differences and the figures.
const CHILD = `
import { readFileSync } from 'node:fs';
const [root, ...elfs] = process.argv.slice(1);
const { loadBoard, loadElf, runFirmware } = await import(root + '/dist/index.js');
const { native } = await import(root + '/dist/emulator/native.js');
const addon = native();
const counters = [];
const Engine = addon.Unicorn;
addon.Unicorn = class extends Engine {
  close() {
    counters.push(this.profile_counters());
    return super.close();
  }
};
for (const elf of elfs) {
  counters.length = 0;
  const r = runFirmware(loadElf(readFileSync(elf), elf), { board: loadBoard('m4-256k'), stdout: () => {}, stderr: () => {} });
  const sum = (k) => counters.reduce((n, c) => n + c[k], 0);
  console.log(JSON.stringify({ elf, checks: sum('spChecks'), mismatches: sum('spMismatches'),
    cycles: r.cycles, instructions: r.instructions, stack: r.sram.stack, exit: r.exit.reason,
    functions: r.functions.tree.map((n) => [n.address, n.calls, n.selfCycles]) }));
}
`;

describe('SP tracking in the block profiler', () => {
  it.skipIf(!haveToolchain)(
    'the tracked SP equals the engine’s SP at every use, on calls, exceptions, threads and faults',
    () => {
      const elfs = FIRMWARES.map((name) => buildTestFirmware(name));
      const child = spawnSync(
        process.execPath,
        ['--input-type=module', '-e', CHILD, projectRoot(), ...elfs],
        { encoding: 'utf8', env: { ...process.env, M4SIM_VERIFY_SP: '1' }, maxBuffer: 64 << 20 },
      );
      expect(child.stderr).not.toContain('M4SIM_VERIFY_SP');
      expect(child.status).toBe(0);
      const rows = child.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(rows).toHaveLength(elfs.length);
      for (const [k, row] of rows.entries()) {
        const name = FIRMWARES[k] as string;
        expect(row.mismatches, name).toBe(0);
        expect(row.checks as number, name).toBeGreaterThan(0);
        // The same figures as a run in this process, without the check.
        const { result } = simulate(elfs[k] as string);
        expect([row.cycles, row.instructions, row.stack, row.exit], name).toEqual([
          result.cycles,
          result.instructions,
          result.sram.stack,
          result.exit.reason,
        ]);
        expect(row.functions, name).toEqual(
          result.functions.tree.map((n) => [n.address, n.calls, n.selfCycles]),
        );
      }
    },
    300_000,
  );
});
