#!/usr/bin/env node
// npm run bench: one compute-heavy firmware (≥ 500 M instructions) run three ways in one process —
// Unicorn with no profiling hooks, with the native block profiler and cycle model, and in exact SRAM
// mode — printing simulated M instructions/s and the ratios. Ratios within one run are what count:
// the machine is shared and noisy.
import { loadBoard, loadElf, runFirmware } from '../dist/index.js';
import { buildBenchFirmware } from './firmware.mjs';

const elfPath = buildBenchFirmware();
const { readFileSync } = await import('node:fs');
const elf = loadElf(readFileSync(elfPath), elfPath);
const board = loadBoard('m4-256k');
const quiet = () => {};

function run(mode) {
  const t0 = process.hrtime.bigint();
  const r = runFirmware(elf, {
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
const rows = [run('no hooks'), profiled, run('exact SRAM')];
const base = rows[0].wall;
console.log(`bench firmware: ${elfPath}`);
console.log(
  `instructions: ${instructions.toLocaleString('en-US')}, modeled cycles: ${profiled.result.cycles.toLocaleString('en-US')}`,
);
console.log('mode          wall s    M instr/s   speed vs no hooks');
for (const r of rows) {
  const mips = instructions / r.wall / 1e6;
  console.log(
    `${r.mode.padEnd(12)} ${r.wall.toFixed(3).padStart(7)} ${mips.toFixed(0).padStart(11)}   ${(base / r.wall).toFixed(2)}x`,
  );
}
