// The command line's own behaviour: help, version, doctor, argument errors, and the `simulate --json`
// document held to the README's table of its fields.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../src/util/paths.js';
import { buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { cli, simulate } from './helpers/run.js';

describe('m4sim command line', () => {
  it('doctor names the compiler, Unicorn and Capstone with their versions', () => {
    const r = cli(['doctor']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ok +arm-none-eabi-gcc +\S+ .*\((env|path|xpack|debian): /m);
    expect(r.stdout).toMatch(/^ok +unicorn +2\.\d+ \(libunicorn 2\./m);
    expect(r.stdout).toMatch(/^ok +capstone +\d+\.\d+/m);
    const j = JSON.parse(cli(['doctor', '--json']).stdout);
    expect(j.items.map((i: { name: string }) => i.name)).toEqual(
      expect.arrayContaining(['arm-none-eabi-gcc', 'newlib (rdimon)', 'unicorn', 'capstone']),
    );
  });

  it('an unknown command or option is a usage error (64) on one line plus help hint', () => {
    const r = cli(['simulate', 'x.elf', '--frobnicate']);
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/unknown option '--frobnicate'/);
  });

  it('simulate --help documents the limits and their defaults', () => {
    const r = cli(['simulate', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--max-instructions <n>.*\(default: "20000000000"\)/s);
    expect(r.stdout).toContain('--sandbox <dir>');
  });

  it('--version and -V print "m4sim <package.json version>" and exit 0; --help lists them', () => {
    // Read here independently of the CLI, so a hard-coded version in the code would fail this.
    const { version } = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-V']) {
      const r = cli([flag]);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`m4sim ${version}\n`);
      expect(r.stderr).toBe('');
    }
    const help = cli(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^ +-V, --version +print "m4sim <version>" and exit$/m);
  });
});

/**
 * The field names of the README's `--json` table, as paths (`sram.stack`). A cell's `.params` is
 * shorthand for the member of the field named before it in that cell (`cycleModel.params`).
 */
function documentedJsonFields(): string[] {
  const readme = readFileSync(join(projectRoot(), 'README.md'), 'utf8');
  const start = readme.indexOf('### `--json` fields (schema 1)');
  expect(start).toBeGreaterThan(0);
  const section = readme.slice(start, readme.indexOf('\n## ', start));
  const fields: string[] = [];
  for (const line of section.split('\n')) {
    if (!line.startsWith('| `')) continue;
    let parent = '';
    for (const [, name] of line.split('|')[1]!.matchAll(/`([^`]+)`/g)) {
      const path = name!.startsWith('.') ? parent + name : name!;
      parent = path.split('.')[0]!;
      fields.push(path);
    }
  }
  return fields;
}

/** Fields the README says only some runs have: the option that produces them. */
const OPTIONAL_FIELDS: Record<string, string> = {
  'sram.exact': '--exact',
  detector: 'the face detector',
};

/** Documented members of `parent` (top level: ''), optional ones included. */
function membersOf(fields: string[], parent: string): string[] {
  const prefix = parent ? parent + '.' : '';
  const depth = parent ? parent.split('.').length : 0;
  return [
    ...new Set(
      fields
        .filter((f) => f.startsWith(prefix))
        .map((f) =>
          f
            .split('.')
            .slice(0, depth + 1)
            .join('.'),
        ),
    ),
  ].sort();
}

const keysOf = (o: object, parent: string) =>
  Object.keys(o)
    .map((k) => (parent ? `${parent}.${k}` : k))
    .sort();

describe.skipIf(!haveToolchain)('simulate --json', () => {
  const P = 2;

  it('emits exactly the fields the README lists, and functions with the profile of stack-depth.S', () => {
    const elf = buildTestFirmware('stack-depth');
    const r = cli(['simulate', elf, '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown> & {
      cycles: number;
      instructions: number;
      functions: { functions: Record<string, unknown>[]; tree: Record<string, unknown>[] };
    };

    // Top level and each documented object's members: the same sets both ways.
    const documented = documentedJsonFields();
    const always = documented.filter((f) => !(f in OPTIONAL_FIELDS));
    expect(keysOf(j, '')).toEqual(membersOf(always, ''));
    const parents = [...new Set(documented.filter((f) => f.includes('.')).map((f) => f.split('.')[0]!))];
    expect(parents.sort()).toEqual([
      'cycleModel',
      'devices',
      'exceptions',
      'exit',
      'flash',
      'functions',
      'host',
      'itm',
      'semihosting',
      'sram',
    ]);
    for (const parent of parents) {
      const value = j[parent];
      expect(value, parent).toBeTypeOf('object');
      expect(keysOf(value as object, parent), parent).toEqual(membersOf(always, parent));
    }

    // Per-function keys, as the README lists them, then values counted by hand (as in report.test.ts):
    // Reset_Handler runs movs, bl (1 + P) and the exit block (ldr literal 2, movs 1, bkpt 1): 5
    // instructions; recurse, called once from it and 10 times by itself, 8 instructions per n > 0
    // (push, sub, cbz, subs, bl, b, add, pop: 11 + 3 + 9 cycles) and 11 at n = 0 (27 cycles).
    const fn = (name: string) => j.functions.functions.find((f) => f.name === name)!;
    for (const f of j.functions.functions)
      expect(Object.keys(f).sort()).toEqual([
        'address',
        'calls',
        'inclusiveCycles',
        'inclusiveInstructions',
        'name',
        'selfCycles',
        'selfInstructions',
      ]);
    expect(j.functions.functions.map((f) => f.name)).toEqual(['Reset_Handler', 'recurse']);
    const recurseCycles = 10 * (11 + 3 + 9) + 27;
    const resetSelf = 1 + (1 + P) + (2 + 1 + 1);
    expect(j.cycles).toBe(resetSelf + recurseCycles);
    expect(j.instructions).toBe(5 + 10 * 8 + 11);
    expect(fn('Reset_Handler')).toEqual({
      name: 'Reset_Handler',
      address: 0x0800_0008, // after the two-word vector table
      calls: 1,
      selfCycles: resetSelf,
      selfInstructions: 5,
      inclusiveCycles: j.cycles,
      inclusiveInstructions: j.instructions,
    });
    expect(fn('recurse')).toEqual({
      name: 'recurse',
      address: 0x0800_0016, // after Reset_Handler's 14 bytes
      calls: 11,
      selfCycles: recurseCycles,
      selfInstructions: 10 * 8 + 11,
      inclusiveCycles: recurseCycles,
      inclusiveInstructions: 10 * 8 + 11,
    });

    // The tree: the root (reset handler) holds the whole run, then recurse 11 deep, one call each.
    const tree = j.functions.tree;
    expect(tree).toHaveLength(12);
    for (const node of tree)
      expect(Object.keys(node).sort()).toEqual([
        'address',
        'calls',
        'inclusiveCycles',
        'inclusiveInstructions',
        'name',
        'parent',
        'selfCycles',
        'selfInstructions',
      ]);
    expect(tree[0]).toMatchObject({
      name: 'Reset_Handler',
      parent: -1,
      inclusiveCycles: j.cycles,
      inclusiveInstructions: j.instructions,
    });
    tree.slice(1).forEach((node, i) => expect(node).toMatchObject({ name: 'recurse', parent: i, calls: 1 }));

    // The same profile the library hands `m4sim report`.
    expect(j.functions).toEqual(JSON.parse(JSON.stringify(simulate(elf).result.functions)));
  });

  it('sram.exact appears with --exact only', () => {
    const r = cli(['simulate', buildTestFirmware('stack-depth'), '--json', '--exact']);
    expect(r.status).toBe(0);
    const sram = (JSON.parse(r.stdout) as { sram: object }).sram;
    expect(keysOf(sram, 'sram')).toEqual(membersOf(documentedJsonFields(), 'sram'));
    // 11 activations of 32 bytes, then 40 + 4 more (the header of stack-depth.S).
    expect(sram).toMatchObject({ stack: 396, exact: { stack: 396 } });
  });
});
