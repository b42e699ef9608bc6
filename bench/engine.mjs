#!/usr/bin/env node
// node bench/engine.mjs [rounds]: builds bench/engine.c against the Unicorn pkg-config names (the
// one the addon uses) and runs the branchy and stores workloads in it with each memory set-up,
// in alternation, `rounds` times (default 3), printing median CPU seconds and the speed against
// uc_mem_map (README "Engine").
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../dist/util/paths.js';
import { buildBenchFirmware } from './firmware.mjs';

const root = projectRoot();
const out = join(root, 'test/firmware/build/engine');
mkdirSync(join(root, 'test/firmware/build'), { recursive: true });
const flags = spawnSync('pkg-config', ['--cflags', '--libs', 'unicorn'], { encoding: 'utf8' });
if (flags.status !== 0) throw new Error('pkg-config finds no unicorn');
const cc = spawnSync(
  'gcc',
  ['-O2', '-o', out, join(root, 'bench/engine.c'), ...flags.stdout.trim().split(/\s+/)],
  {
    encoding: 'utf8',
  },
);
if (cc.status !== 0) throw new Error(`gcc: ${cc.stderr}`);

const rounds = Number(process.argv[2] ?? 3);
const variants = ['map', 'ptr', 'noexec', 'page4k', 'mmio', 'hook'];
for (const name of ['branchy', 'stores']) {
  const elf = buildBenchFirmware(name);
  const cpu = Object.fromEntries(variants.map((v) => [v, []]));
  for (let i = 0; i < rounds; i++)
    for (const v of variants) {
      const r = spawnSync(out, [elf, v], { encoding: 'utf8' });
      const m = /(\S+) s cpu/.exec(r.stdout);
      if (r.status !== 0 || !m) throw new Error(`${name} ${v}: ${r.stderr || r.stdout}`);
      cpu[v].push(Number(m[1]));
    }
  const median = (a) => [...a].sort((x, y) => x - y)[(a.length - 1) >> 1];
  const base = median(cpu.map);
  console.log(`${name}:`);
  for (const v of variants)
    console.log(
      `  ${v.padEnd(7)} ${median(cpu[v]).toFixed(3)} s cpu  ${(base / median(cpu[v])).toFixed(2)}x`,
    );
}
