#!/usr/bin/env node
// npm run bench: one compute-heavy firmware (≥ 500 M instructions) run three ways in one process —
// Unicorn with no profiling hooks, with the native block profiler and cycle model, and in exact SRAM
// mode — and the same work interrupted by SysTick at 10 kHz (profiled, the exception model taking
// every tick), printing simulated M instructions/s and the ratios. Ratios within one run are what count:
// the machine is shared and noisy.
import { loadBoard, loadElf, runFirmware } from '../dist/index.js';
import { buildBenchFirmware } from './firmware.mjs';

const elfPath = buildBenchFirmware();
const systickPath = buildBenchFirmware('compute-systick');
const { readFileSync } = await import('node:fs');
const elf = loadElf(readFileSync(elfPath), elfPath);
const systickElf = loadElf(readFileSync(systickPath), systickPath);
const board = loadBoard('m4-256k');
const quiet = () => {};

function run(mode) {
  const t0 = process.hrtime.bigint();
  const r = runFirmware(mode === 'SysTick 10 kHz' ? systickElf : elf, {
    board,
    stdout: quiet,
    stderr: quiet,
    profile: mode !== 'no hooks',
    exact: mode === 'exact SRAM',
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.exit.reason !== 'exit' || r.exit.code !== 0)
    throw new Error(`bench firmware failed: ${r.exit.message}`);
  return { mode, wall, result: r };
}

// Warm up once (page cache, JIT), then measure each mode.
run('profiled');
const profiled = run('profiled');
const instructions = profiled.result.instructions;
const rows = [run('no hooks'), profiled, run('exact SRAM'), run('SysTick 10 kHz')];
const base = rows[0].wall;
console.log(`bench firmware: ${elfPath}`);
console.log(
  `instructions: ${instructions.toLocaleString('en-US')}, modeled cycles: ${profiled.result.cycles.toLocaleString('en-US')}`,
);
console.log('mode          wall s    M instr/s   speed vs no hooks');
for (const r of rows) {
  // Each row's own instruction count: the SysTick row also runs its handler.
  const mips = (r.result.instructions || instructions) / r.wall / 1e6;
  console.log(
    `${r.mode.padEnd(14)} ${r.wall.toFixed(3).padStart(7)} ${mips.toFixed(0).padStart(11)}   ${(base / r.wall).toFixed(2)}x`,
  );
}
const ticks = rows[3].result.exceptions.taken.find((t) => t.name === 'SysTick');
console.log(
  `SysTick 10 kHz: ${ticks ? ticks.count.toLocaleString('en-US') : 0} interrupts taken, ` +
    `${(((rows[3].wall - profiled.wall) / Math.max(1, ticks?.count ?? 1)) * 1e6) | 0} µs of host time each (vs profiled)`,
);
