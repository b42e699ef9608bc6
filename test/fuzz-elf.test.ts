// Seeded mutations of real test firmwares (issue 8): bit flips, byte runs, truncation and edits of the
// fields a loader trusts (ELF, program and section headers, symbols, vector table words). Each mutant is
// either refused with one line (ElfError) or runs to a documented end within its limits: never another
// exception, an internal error (70), a signal, a stack trace or a run past its instruction or time limit.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElfError, parseElf, type Elf } from '../src/elf/elf.js';
import { loadBoard } from '../src/emulator/board.js';
import { runFirmware, type RunResult } from '../src/emulator/machine.js';
import { InputFileError } from '../src/util/input-file.js';
import { projectRoot } from '../src/util/paths.js';
import { buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { mulberry32, randomInt } from './helpers/prng.js';

/** Firmwares mutated: newlib + our start-up, bare C with its own vectors, and hand-written assembly. */
const SEEDS = ['hello', 'no-newlib', 'stack-depth', 'semihost-escape'] as const;
/** 75 per seed in the suite; set M4SIM_FUZZ_MUTANTS for a deeper run (same seeds, more of them). */
const MUTANTS_PER_SEED = Number(process.env.M4SIM_FUZZ_MUTANTS ?? 75);
const MAX_INSTRUCTIONS = 20_000;
const TIMEOUT_MS = 2_000;
/** The README's exit table: every way a run may end, and its status (the firmware's own for `exit`). */
const DOCUMENTED: Record<string, number | 'firmware'> = {
  exit: 'firmware',
  timeout: 124,
  'instruction-limit': 125,
  hang: 126,
  'invalid-instruction': 132,
  breakpoint: 133,
  'stack-overflow': 134,
  'memory-fault': 139,
};

type Rand = () => number;

interface Layout {
  size: number;
  phoff: number;
  phnum: number;
  shoff: number;
  shnum: number;
  symtab: { offset: number; count: number } | null;
  vectors: number | null;
  /** File ranges [start, end) worth hitting: loaded bytes (code, data) and the header tables. */
  hot: [number, number][];
}

function layoutOf(elf: Elf): Layout {
  const v = new DataView(elf.bytes.buffer, elf.bytes.byteOffset, elf.bytes.byteLength);
  const symtab = elf.sections.find((s) => s.type === 2);
  return {
    size: elf.bytes.length,
    phoff: v.getUint32(28, true),
    phnum: v.getUint16(44, true),
    shoff: v.getUint32(32, true),
    shnum: elf.sections.length,
    symtab: symtab ? { offset: symtab.offset, count: Math.floor(symtab.size / 16) } : null,
    vectors: elf.section('.isr_vector')?.offset ?? elf.loads[0]?.offset ?? null,
    hot: [
      [0, 52],
      [v.getUint32(28, true), v.getUint32(28, true) + 32 * v.getUint16(44, true)],
      [v.getUint32(32, true), v.getUint32(32, true) + 40 * elf.sections.length],
      ...elf.loads.filter((s) => s.filesz > 0).map((s): [number, number] => [s.offset, s.offset + s.filesz]),
    ].filter(([a, b]) => b > a && b <= elf.bytes.length) as [number, number][],
  };
}

/** An offset to damage: three times in four inside a hot range (most of a file is debug info). */
function target(r: Rand, L: Layout): number {
  if (randomInt(r, 0, 3) === 0) return randomInt(r, 0, L.size - 1);
  const [a, b] = L.hot[randomInt(r, 0, L.hot.length - 1)]!;
  return randomInt(r, a, b - 1);
}

/** Values that break loaders: bounds, sign bits, the file size, the memory map's edges, noise. */
function interesting(r: Rand, original: number, size: number): number {
  const pick = [
    0,
    1,
    2,
    0xffffffff,
    0x7fffffff,
    0x80000000,
    size,
    size - 1,
    size + 1,
    original + randomInt(r, -64, 64),
    original ^ (1 << randomInt(r, 0, 31)),
    0x08000000,
    0x080ffffc,
    0x08100000,
    0x10000000,
    0x20000000,
    0x2003fffc,
    0x20040000,
    0x40000000,
    0xe0000000,
    0xfffffffe,
    randomInt(r, 0, 0xffffffff),
  ];
  return pick[randomInt(r, 0, pick.length - 1)]! >>> 0;
}

function setField(b: Uint8Array, at: number, width: 1 | 2 | 4, r: Rand): string {
  if (at + width > b.length) return 'field past the end';
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const old = width === 4 ? v.getUint32(at, true) : width === 2 ? v.getUint16(at, true) : v.getUint8(at);
  const value = interesting(r, old, b.length);
  if (width === 4) v.setUint32(at, value, true);
  else if (width === 2) v.setUint16(at, value & 0xffff, true);
  else v.setUint8(at, value & 0xff);
  return `@${at}: ${old} -> ${width === 4 ? value : value & (width === 2 ? 0xffff : 0xff)}`;
}

const EHDR_FIELDS: [number, 2 | 4][] = [
  [16, 2], [18, 2], [24, 4], [28, 4], [32, 4], [36, 4], [40, 2], [42, 2], [44, 2], [46, 2], [48, 2], [50, 2],
]; // prettier-ignore
const PHDR_FIELDS = [0, 4, 8, 12, 16, 20, 24, 28];
const SHDR_FIELDS = [0, 4, 8, 12, 16, 20, 24, 28, 32, 36];
const SYM_FIELDS: [number, 1 | 2 | 4][] = [[0, 4], [4, 4], [8, 4], [12, 1], [14, 2]]; // prettier-ignore

/** One mutation, described for the failure message. */
function mutateOnce(b: Uint8Array, L: Layout, r: Rand): { bytes: Uint8Array; what: string } {
  const kind = randomInt(r, 0, 7);
  switch (kind) {
    case 0: {
      const n = randomInt(r, 1, 8);
      for (let i = 0; i < n; i++) {
        const at = Math.min(target(r, L), b.length - 1);
        b[at]! ^= 1 << randomInt(r, 0, 7);
      }
      return { bytes: b, what: `${n} bit flips` };
    }
    case 1: {
      const at = Math.min(target(r, L), b.length - 1);
      const len = randomInt(r, 1, 64);
      const fill = [0x00, 0xff, randomInt(r, 0, 255), -1][randomInt(r, 0, 3)]!;
      for (let i = at; i < Math.min(b.length, at + len); i++) b[i] = fill < 0 ? randomInt(r, 0, 255) : fill;
      return { bytes: b, what: `byte run @${at}+${len} of ${fill}` };
    }
    case 2: {
      const len = randomInt(r, 0, b.length - 1);
      return { bytes: b.subarray(0, len), what: `truncated to ${len}` };
    }
    case 3: {
      const [at, width] = EHDR_FIELDS[randomInt(r, 0, EHDR_FIELDS.length - 1)]!;
      return { bytes: b, what: `e-header ${setField(b, at, width, r)}` };
    }
    case 4: {
      const at = L.phoff + 32 * randomInt(r, 0, Math.max(0, L.phnum - 1)) + PHDR_FIELDS[randomInt(r, 0, 7)]!;
      return { bytes: b, what: `program header ${setField(b, at, 4, r)}` };
    }
    case 5: {
      if (L.shnum === 0) return { bytes: b, what: 'no section headers' };
      const at = L.shoff + 40 * randomInt(r, 0, L.shnum - 1) + SHDR_FIELDS[randomInt(r, 0, 9)]!;
      return { bytes: b, what: `section header ${setField(b, at, 4, r)}` };
    }
    case 6: {
      if (!L.symtab) return { bytes: b, what: 'no symbols' };
      const [field, width] = SYM_FIELDS[randomInt(r, 0, SYM_FIELDS.length - 1)]!;
      const at = L.symtab.offset + 16 * randomInt(r, 1, L.symtab.count - 1) + field;
      return { bytes: b, what: `symbol ${setField(b, at, width, r)}` };
    }
    default: {
      if (L.vectors === null) return { bytes: b, what: 'no vector table' };
      const at = L.vectors + 4 * randomInt(r, 0, 15);
      return { bytes: b, what: `vector word ${setField(b, at, 4, r)}` };
    }
  }
}

function mutant(original: Uint8Array, L: Layout, seed: number): { bytes: Uint8Array; what: string } {
  const r = mulberry32(seed);
  let bytes: Uint8Array = Uint8Array.from(original);
  const steps: string[] = [];
  const n = randomInt(r, 1, 3);
  for (let i = 0; i < n; i++) {
    const m = mutateOnce(bytes, L, r);
    bytes = m.bytes;
    steps.push(m.what);
  }
  return { bytes, what: steps.join('; ') };
}

/** How a mutant ended: refused (the error's message) or run (its result). */
type Outcome = { refused: string } | { result: RunResult; output: number };

function runInProcess(bytes: Uint8Array, name: string): Outcome {
  let elf: Elf;
  try {
    elf = parseElf(bytes, name);
  } catch (e) {
    if (e instanceof ElfError) return { refused: e.message };
    throw e;
  }
  let output = 0;
  try {
    const result = runFirmware(elf, {
      board: loadBoard('m4-256k'),
      maxInstructions: MAX_INSTRUCTIONS,
      timeoutMs: TIMEOUT_MS,
      stdout: (b) => (output += b.length),
      stderr: (b) => (output += b.length),
    });
    return { result, output };
  } catch (e) {
    if (e instanceof ElfError || e instanceof InputFileError) return { refused: e.message };
    throw e;
  }
}

describe.skipIf(!haveToolchain)('fuzzing the loader and the run with mutated ELFs', () => {
  const originals = new Map<string, { bytes: Uint8Array; layout: Layout }>();
  const tally = new Map<string, number>();

  beforeAll(() => {
    for (const name of SEEDS) {
      const path = buildTestFirmware(name);
      const elf = parseElf(readFileSync(path), path);
      originals.set(name, { bytes: elf.bytes, layout: layoutOf(elf) });
    }
  });

  afterAll(() => {
    // What the mutants did, for the record (the counts are deterministic for a given toolchain).
    console.log(`fuzz outcomes: ${[...tally].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  });

  it.each(SEEDS)(
    '%s: every mutant is refused with one line or ends as documented, within its limits',
    (name) => {
      const { bytes, layout } = originals.get(name)!;
      const problems: string[] = [];
      for (let i = 0; i < MUTANTS_PER_SEED; i++) {
        const seed = 0x5eed0000 + SEEDS.indexOf(name) * 1000 + i;
        const m = mutant(bytes, layout, seed);
        const tag = `${name} seed ${hex(seed)} (${m.what})`;
        let outcome: Outcome;
        try {
          outcome = runInProcess(m.bytes, `${name}-mutant.elf`);
        } catch (e) {
          problems.push(`${tag}: threw ${(e as Error).name}: ${(e as Error).message}`);
          continue;
        }
        if ('refused' in outcome) {
          tally.set('refused', (tally.get('refused') ?? 0) + 1);
          if (outcome.refused.includes('\n') || !outcome.refused.startsWith(`${name}-mutant.elf: `))
            problems.push(
              `${tag}: refusal is not one line naming the file: ${JSON.stringify(outcome.refused)}`,
            );
          continue;
        }
        const { exit, instructions, wallSeconds } = outcome.result;
        tally.set(exit.reason, (tally.get(exit.reason) ?? 0) + 1);
        const status = DOCUMENTED[exit.reason];
        if (status === undefined) problems.push(`${tag}: undocumented end ${exit.reason} (${exit.message})`);
        else if (status !== 'firmware' && exit.code !== status)
          problems.push(`${tag}: ${exit.reason} with status ${exit.code}`);
        if (exit.message.includes('\n')) problems.push(`${tag}: message has a newline`);
        // Block granularity: the limit is checked between translated blocks (a few dozen instructions).
        if (instructions > MAX_INSTRUCTIONS + 1_000)
          problems.push(`${tag}: ran ${instructions} instructions`);
        // Functional bound, not a benchmark: the 2-core machine is shared.
        if (wallSeconds > TIMEOUT_MS / 1000 + 2) problems.push(`${tag}: ran ${wallSeconds} s`);
      }
      expect(problems).toEqual([]);
    },
  );
});

describe.skipIf(!haveToolchain)('what the fuzzer found', () => {
  it('a segment outside the memory map is refused with a line naming the file', () => {
    const path = buildTestFirmware('hello');
    const elf = parseElf(readFileSync(path), path);
    const bytes = Uint8Array.from(elf.bytes);
    const v = new DataView(bytes.buffer);
    // Move the last PT_LOAD segment with file bytes (.data's initialisers) to the end of SRAM.
    const phoff = v.getUint32(28, true);
    const index = elf.segments.reduce((last, s, i) => (s.type === 1 && s.filesz > 0 ? i : last), -1);
    v.setUint32(phoff + 32 * index + 12, 0x20040000, true);
    const filesz = elf.segments[index]!.filesz;
    expect(runInProcess(bytes, 'moved.elf')).toEqual({
      refused:
        `moved.elf: segment at 0x20040000 (${filesz} bytes) does not fit the m4-256k memory map ` +
        '(flash 0x08000000+1048576, SRAM 0x20000000+262144)',
    });
  });
});

describe.skipIf(!haveToolchain)('mutated ELFs through the command line', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'm4sim-fuzz-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ten mutants: one diagnosis line or a JSON result, never a stack trace or status 70', () => {
    const original = parseElf(readFileSync(buildTestFirmware('hello')), 'hello');
    const layout = layoutOf(original);
    const seen: string[] = [];
    for (let i = 0; i < 10; i++) {
      const seed = 0xc11f0000 + i;
      const m = mutant(original.bytes, layout, seed);
      const file = join(dir, `mutant-${i}.elf`);
      writeFileSync(file, m.bytes);
      const r = spawnSync(
        process.execPath,
        [
          join(projectRoot(), 'bin', 'm4sim.js'),
          'simulate',
          file,
          '--json',
          '--max-instructions',
          '20000',
          '--timeout',
          '5s',
        ],
        { encoding: 'utf8', timeout: 60_000 },
      );
      const tag = `seed ${hex(seed)} (${m.what})`;
      expect(r.signal, tag).toBeNull();
      expect(r.stderr, tag).not.toMatch(/^\s+at .*\(.*:\d+:\d+\)$/m); // a JavaScript stack frame
      expect(r.stderr, tag).not.toMatch(/^(Error|TypeError|RangeError)/m);
      expect(r.status, tag).not.toBe(70);
      if (r.stdout === '') {
        // Refused: exactly one line naming the file.
        expect(r.status, tag).toBe(65);
        expect(r.stderr, tag).toMatch(
          new RegExp(`^m4sim: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: [^\n]+\n$`),
        );
        seen.push('refused');
      } else {
        const j = JSON.parse(r.stdout) as { exit: { reason: string; code: number; message: string } };
        expect(Object.keys(DOCUMENTED), tag).toContain(j.exit.reason);
        expect(r.status, tag).toBe(j.exit.code);
        expect(j.exit.message, tag).not.toContain('\n');
        seen.push(j.exit.reason);
      }
    }
    console.log(`CLI mutants: ${seen.join(', ')}`);
  });
});

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}
