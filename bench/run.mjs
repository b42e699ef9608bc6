#!/usr/bin/env node
// npm run bench: each workload of bench/firmware.mjs run in one process with Unicorn alone (no
// hooks), with the full profile (native block profiler, cycle model, call tree, SRAM) and in exact
// SRAM mode, and the compute workload also under a 10 kHz SysTick, printing CPU and wall seconds,
// simulated M instructions per CPU second and the speed against no hooks. Ratios are of CPU time
// within one run: the machine is shared and noisy, and CPU time is what another process's load
// disturbs least.
import { readFileSync } from 'node:fs';
import { loadBoard, loadElf, runFirmware } from '../dist/index.js';
import { buildBenchFirmware, WORKLOADS } from './firmware.mjs';

const board = loadBoard('m4-256k');
const elfs = {};
for (const name of Object.keys(WORKLOADS)) {
  const path = buildBenchFirmware(name);
  elfs[name] = loadElf(readFileSync(path), path);
}

function run(name, mode) {
  let out = '';
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const r = runFirmware(elfs[name], {
    board,
    stdout: (bytes) => (out += Buffer.from(bytes).toString()),
    stderr: () => {},
    profile: mode !== 'no hooks',
    exact: mode === 'exact SRAM',
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const used = process.cpuUsage(cpu0);
  const cpu = (used.user + used.system) / 1e6;
  if (r.exit.reason !== 'exit' || r.exit.code !== 0) throw new Error(`${name}: ${r.exit.message}`);
  if (!out.includes(`checksum ${WORKLOADS[name].checksum}`))
    throw new Error(
      `${name}: printed ${JSON.stringify(out.trim())}, not checksum ${WORKLOADS[name].checksum}`,
    );
  return { name, mode, wall, cpu, result: r };
}

// Warm up once (page cache, the JIT of the translation path), then measure.
run('compute', 'full profile');
const rows = [];
for (const name of ['compute', 'branchy', 'stores']) {
  const group = [run(name, 'no hooks'), run(name, 'full profile'), run(name, 'exact SRAM')];
  if (name === 'compute') group.push(run('compute-systick', 'full profile'));
  const instructions = group[1].result.instructions;
  const base = group[0].cpu;
  console.log(
    `${name} (${WORKLOADS[name].about}): ${instructions.toLocaleString('en-US')} instructions, ` +
      `${group[1].result.cycles.toLocaleString('en-US')} modeled cycles, ` +
      `${group[1].result.blocks.reduce((s, b) => s + b.execs, 0).toLocaleString('en-US')} blocks executed`,
  );
  for (const r of group) {
    // Each row's own instruction count: the SysTick row also runs its handler.
    const n = r.result.instructions || instructions;
    const label = r.name === 'compute-systick' ? 'SysTick 10 kHz' : r.mode;
    rows.push(r);
    console.log(
      `  ${label.padEnd(14)} cpu ${r.cpu.toFixed(3).padStart(7)} s  wall ${r.wall.toFixed(3).padStart(7)} s  ` +
        `${(n / r.cpu / 1e6).toFixed(0).padStart(5)} M instr/s  ${(base / r.cpu).toFixed(2)}x`,
    );
  }
  if (name === 'compute') {
    const ticks = group[3].result.exceptions.taken.find((t) => t.name === 'SysTick');
    console.log(
      `  SysTick: ${ticks ? ticks.count.toLocaleString('en-US') : 0} interrupts taken, ` +
        `${(((group[3].cpu - group[1].cpu) / Math.max(1, ticks?.count ?? 1)) * 1e6) | 0} µs of CPU time each (vs full profile)`,
    );
  }
}
