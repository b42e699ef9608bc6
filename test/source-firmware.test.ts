// A scenario's `firmware: source:` C project: several sources, include folders, a level and defines
// built without a Makefile (src/scenarios/source-firmware.ts), its build cache, and every refusal —
// paths out of the scenario's folder, flag text in a define, an unknown level, too many sources, a
// special file — one line and status 65; a build that reads outside the folder is refused at build time.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario, type Scenario } from '../src/scenarios/schema.js';
import { buildSourceProject } from '../src/scenarios/source-firmware.js';
import { haveToolchain, LINKER_SCRIPT } from './helpers/firmware.js';
import { cli } from './helpers/run.js';

let tmp: string;
/** The project folder: the scenario files and the C project live here. */
let proj: string;
/** A folder beside it, which no scenario may reach. */
let outside: string;

function put(path: string, text: string): string {
  const file = join(proj, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

// The project: a moving sum over FILTER_TAPS samples, scaled by FILTER_GAIN (from the header).
const FILTER_H = (gain: number) => `#ifndef FILTER_H
#define FILTER_H
#define FILTER_GAIN ${gain}
/* y[i] = FILTER_GAIN * (x[i] + x[i-1] + ... + x[i-FILTER_TAPS+1]), x before the start = 0; returns sum y. */
int filter_moving_sum(const int *x, int n, int *y);
#endif
`;
const FILTER_C = `#include "filter.h"
#ifndef FILTER_TAPS
#error "FILTER_TAPS must be defined"
#endif
int filter_moving_sum(const int *x, int n, int *y) {
  int total = 0;
  for (int i = 0; i < n; i++) {
    int acc = 0;
    for (int k = 0; k < FILTER_TAPS && k <= i; k++) acc += x[i - k];
    y[i] = FILTER_GAIN * acc;
    total += y[i];
  }
  return total;
}
`;
const MAIN_C = `#include <stdio.h>
#include <stdlib.h>
#include "filter.h"
int main(void) {
  static const int x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  int y[8];
  int sum = filter_moving_sum(x, 8, y);
  printf("y =");
  for (int i = 0; i < 8; i++) printf(" %d", y[i]);
  printf("\\ntaps %d, sum %d\\n", FILTER_TAPS, sum);
  exit(sum);
}
`;

function scenario(name: string, firmware: string[], rest: string[] = []): string {
  return put(name, ['firmware:', ...firmware.map((l) => `  ${l}`), ...rest, ''].join('\n'));
}

const PROJECT = ['source: [main.c, lib/filter.c]', 'includeDirs: [include]', 'optimize: O3'];

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'm4sim-source-'));
  proj = join(tmp, 'proj');
  outside = join(tmp, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'evil.c'), 'int evil;\n');
  writeFileSync(join(outside, 'secret.h'), 'int secret = 7;\n');
  put('main.c', MAIN_C);
  put('lib/filter.c', FILTER_C);
  put('include/filter.h', FILTER_H(1));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface CheckJson {
  ok: boolean;
  scenarios: {
    result: {
      measured: { output: string; exit: { reason: string; code: number } } | null;
      error: string | null;
    };
    rows: { budget: string; status: string }[];
  }[];
}

describe.skipIf(!haveToolchain)('a scenario that builds a C project', () => {
  it('builds three files with an include folder, a define and -O3, and runs them', () => {
    // By hand: taps 3 over 1..8 gives 1, 1+2, 1+2+3, 2+3+4, …, 6+7+8 = 1 3 6 9 12 15 18 21; sum 85.
    const file = scenario(
      'filter.yaml',
      [...PROJECT, 'defines: [FILTER_TAPS=3]'],
      ['exit: 85', 'output: "taps 3, sum 85"', 'budgets: { sram: 16K, stack: 2K, flash: 48K, cycles: 200K }'],
    );
    const r = cli(['check', file, '--jobs', '1', '--json', '-']);
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout) as CheckJson;
    const s = json.scenarios[0]!;
    expect(s.result.error).toBeNull();
    expect(s.result.measured!.output).toBe('y = 1 3 6 9 12 15 18 21\ntaps 3, sum 85\n');
    expect(s.result.measured!.exit).toEqual({ reason: 'exit', code: 85, message: expect.any(String) });
    expect(s.rows.map((row) => `${row.budget} ${row.status}`)).toEqual([
      'sram ok',
      'stack ok',
      'flash ok',
      'cycles ok',
      'exit ok',
      'output ok',
    ]);
    expect(r.stderr).toMatch(/filter +cycles .* ok/);
    // GCC records the options of each compilation unit in DW_AT_producer (-grecord-gcc-switches, on by
    // default): -O3 reached the compiler, after the default -O2.
    const elf = buildSourceProject(projectOf(loadScenario(file)), LINKER_SCRIPT).elf;
    expect(readFileSync(elf).toString('latin1')).toMatch(/GNU C\d+ [^\0]* -O2 [^\0]*-O3/);
  });

  it('rebuilds when a header in an include folder, a define or the level changes', () => {
    const build = (name: string, firmware: string[]) =>
      buildSourceProject(projectOf(loadScenario(scenario(name, firmware))), LINKER_SCRIPT);
    const first = build('c1.yaml', [...PROJECT, 'defines: { FILTER_TAPS: 2 }']);
    const again = build('c1.yaml', [...PROJECT, 'defines: { FILTER_TAPS: 2 }']);
    expect(again).toMatchObject({ elf: first.elf, skipped: true });
    // Another define and another level: other ELFs (the mapping form of defines works as the list form).
    const taps4 = build('c2.yaml', [...PROJECT, 'defines: { FILTER_TAPS: 4 }']);
    expect(taps4.elf).not.toBe(first.elf);
    const o0 = build('c3.yaml', [...PROJECT.slice(0, 2), 'optimize: O0', 'defines: { FILTER_TAPS: 2 }']);
    expect(o0.elf).not.toBe(first.elf);
    // The header reached through includeDirs: the same ELF path, built again, and it runs with gain 2:
    // taps 2 over 1..8 = 1 3 5 7 9 11 13 15 (sum 64), doubled.
    put('include/filter.h', FILTER_H(2));
    try {
      const file = scenario('c4.yaml', [...PROJECT, 'defines: { FILTER_TAPS: 2 }'], ['exit: 128']);
      const rebuilt = buildSourceProject(projectOf(loadScenario(file)), LINKER_SCRIPT);
      expect(rebuilt).toMatchObject({ elf: first.elf, skipped: false });
      const r = cli(['check', file, '--jobs', '1', '--json', '-']);
      const s = (JSON.parse(r.stdout) as CheckJson).scenarios[0]!;
      expect(s.result.measured!.output).toBe('y = 2 6 10 14 18 22 26 30\ntaps 2, sum 128\n');
      expect(r.status).toBe(0);
    } finally {
      put('include/filter.h', FILTER_H(1));
    }
  });

  it('reports a file that is missing at build time in the scenario’s row', () => {
    const r = cli(['check', scenario('gone.yaml', ['source: [main.c, lib/gone.c]']), '--json', '-']);
    expect(r.status).toBe(1);
    expect((JSON.parse(r.stdout) as CheckJson).scenarios[0]!.result.error).toBe(
      'firmware.source[1]: "lib/gone.c": no such file or folder',
    );
  });

  it('refuses a build that read a file outside the scenario’s folder (#include, .incbin, INCLUDE)', () => {
    const secret = join(outside, 'secret.h');
    const reads = (name: string, text: string, firmware: string[] = [`source: ${name}`]) => {
      put(name, text);
      const r = cli(['check', scenario(`${name}.yaml`, firmware), '--jobs', '1', '--json', '-']);
      expect(r.status).toBe(1);
      return (JSON.parse(r.stdout) as CheckJson).scenarios[0]!.result.error;
    };
    const message = `the build read ${secret}, outside the project's folder and the toolchain's`;
    expect(reads('inc.c', `#include "${secret}"\nint main(void) { return secret; }\n`)).toBe(message);
    expect(
      reads(
        'bin.c',
        `__asm__(".section .rodata\\n.incbin \\"${secret}\\"\\n.text");\nint main(void) { return 0; }\n`,
      ),
    ).toBe(message);
    expect(reads('blob.S', `.section .rodata\n.incbin "${secret}"\n`, ['source: [blob.S, main.c, lib/filter.c]', 'includeDirs: [include]', 'defines: [FILTER_TAPS=1]'])).toBe(message); // prettier-ignore
    // A linker script of the project that INCLUDEs one from outside.
    writeFileSync(join(outside, 'more.ld'), '/* nothing */\n');
    const board = readFileSync(LINKER_SCRIPT, 'utf8').replace(
      'INCLUDE sections.ld',
      `INCLUDE ${join(dirname(LINKER_SCRIPT), 'sections.ld')}`,
    );
    put('evil.ld', `INCLUDE ${join(outside, 'more.ld')}\n${board}`);
    expect(reads('ok.c', 'int main(void) { return 0; }\n', ['source: ok.c', 'linkerScript: evil.ld'])).toBe(
      `the build read ${join(outside, 'more.ld')}, outside the project's folder and the toolchain's`,
    );
  });
});

/** The C project of a source scenario. */
function projectOf(s: Scenario) {
  if (s.firmware.kind !== 'source') throw new Error('not a source scenario');
  return s.firmware;
}

describe('a C project the scenario may not build', () => {
  /** `m4sim check` on a scenario with these firmware lines: exit status 65 and one line. */
  const refused = (firmware: string[]) => {
    const file = scenario('bad.yaml', firmware);
    const r = cli(['check', file]);
    expect(r.stdout).toBe('');
    expect(r.status).toBe(65);
    expect(r.stderr).toMatch(/^m4sim: [^\n]+\n$/);
    return r.stderr.slice(`m4sim: ${file}: `.length, -1);
  };

  it('refuses paths that are absolute or lead out of the scenario’s folder', () => {
    expect(refused(['source: [main.c, ../outside/evil.c]'])).toBe(
      'firmware.source[1]: "../outside/evil.c" is outside the scenario\'s folder',
    );
    expect(refused([`source: ${join(proj, 'main.c')}`])).toBe(
      "firmware.source: expected a path relative to the scenario's folder, got an absolute path",
    );
    expect(refused(['source: main.c', 'includeDirs: [include, ../outside]'])).toBe(
      'firmware.includeDirs[1]: "../outside" is outside the scenario\'s folder',
    );
    expect(refused(['source: main.c', 'includeDirs: [lib/../../outside]'])).toBe(
      'firmware.includeDirs[0]: "lib/../../outside" is outside the scenario\'s folder',
    );
    expect(refused(['source: main.c', 'linkerScript: /etc/passwd'])).toBe(
      "firmware.linkerScript: expected a path relative to the scenario's folder, got an absolute path",
    );
    // Symbolic links inside the folder that point out of it: a source and an include folder.
    symlinkSync(join(outside, 'evil.c'), join(proj, 'lib', 'link.c'));
    symlinkSync(outside, join(proj, 'linked'));
    expect(refused(['source: [main.c, lib/link.c]'])).toBe(
      'firmware.source[1]: "lib/link.c" leads outside the scenario\'s folder (a symbolic link)',
    );
    expect(refused(['source: main.c', 'includeDirs: [linked]'])).toBe(
      'firmware.includeDirs[0]: "linked" leads outside the scenario\'s folder (a symbolic link)',
    );
    expect(refused(['source: linked/evil.c'])).toBe(
      'firmware.source: "linked/evil.c" leads outside the scenario\'s folder (a symbolic link)',
    );
  });

  it('refuses defines that are not a C identifier with a number or identifier value', () => {
    expect(refused(['source: main.c', 'defines: ["X=1 -fplugin=./evil.so"]'])).toBe(
      'firmware.defines[0]: X: expected an integer, a decimal number or a C identifier, got "1 -fplugin=./evil.so"',
    );
    expect(refused(['source: main.c', 'defines: { X: "1 -fplugin=./evil.so" }'])).toBe(
      'firmware.defines.X: expected an integer, a decimal number or a C identifier, got "1 -fplugin=./evil.so"',
    );
    expect(refused(['source: main.c', 'defines: ["-fplugin=./evil.so"]'])).toBe(
      'firmware.defines[0]: expected NAME or NAME=VALUE with NAME a C identifier, got "-fplugin=./evil.so"',
    );
    expect(refused(['source: main.c', 'defines: { "-fplugin": 1 }'])).toBe(
      'firmware.defines.-fplugin: expected a C identifier as the name, got "-fplugin"',
    );
    expect(refused(['source: main.c', 'defines: { X: "\\"quoted\\"" }'])).toBe(
      'firmware.defines.X: expected an integer, a decimal number or a C identifier, got "\\"quoted\\""',
    );
    expect(refused(['source: main.c', 'defines: [A=1, A=2]'])).toBe(
      'firmware.defines[1]: A is defined twice',
    );
    expect(refused(['source: main.c', 'defines: { X: .inf }'])).toBe(
      'firmware.defines.X: expected an integer, a decimal number or a C identifier, got Infinity',
    );
    expect(refused(['elf: a.elf', 'defines: [X]'])).toBe(
      'firmware: defines: only source firmware takes these',
    );
  });

  it('refuses an unknown level, too many sources, other files and a special file', () => {
    expect(refused(['source: main.c', 'optimize: O4'])).toBe(
      'firmware.optimize: expected one of O0, O1, O2, O3, Os, Og, got "O4"',
    );
    expect(refused(['source: main.c', 'optimize: "-O3 -fplugin=./evil.so"'])).toBe(
      'firmware.optimize: expected one of O0, O1, O2, O3, Os, Og, got "-O3 -fplugin=./evil.so"',
    );
    const many = Array.from({ length: 257 }, (_, i) => `s${i}.c`).join(', ');
    expect(refused([`source: [${many}]`])).toBe('firmware.source: expected at most 256 sources, got 257');
    expect(refused(['source: [main.c, evil.so]'])).toBe(
      'firmware.source[1]: expected a .c, .S, .s file, got "evil.so"',
    );
    expect(refused(['source: [main.c, lib/main.c]'])).toBe(
      'firmware.source[1]: "lib/main.c" has the base name of "main.c" (gcc names a source\'s output files after it)',
    );
    expect(refused(['source: main.c', 'includeDirs: [main.c]'])).toBe(
      'firmware.includeDirs[0]: "main.c" is a regular file, not a folder',
    );
    expect(refused(['source: "main.c\\n-fplugin=x.c"'])).toBe(
      'firmware.source: expected a path without control characters',
    );
    mkdirSync(join(proj, 'folder.c'));
    expect(refused(['source: folder.c'])).toBe('firmware.source: "folder.c" is a folder, not a regular file');
    expect(spawnSync('mkfifo', [join(proj, 'fifo.c')]).status).toBe(0);
    expect(refused(['source: [main.c, fifo.c]'])).toBe(
      'firmware.source[1]: "fifo.c" is a FIFO, not a regular file',
    );
  });
});
