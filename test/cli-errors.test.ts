// Issue 8, item 5: a user's mistake is one line and a usage (64) or bad-input (65) status naming the
// option or the file, never an internal error (70); and a message about a file says what is wrong and
// where, never what the file contains.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBoard, MEMORY_LIMITS } from '../src/emulator/board.js';
import { locateJsonError, parseJsonText } from '../src/util/json-text.js';
import { buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { cli } from './helpers/run.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'm4sim-cli-errors-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

/** One line on stderr, exactly `line`, nothing on stdout, the status, no stack frames. */
function expectLine(args: string[], status: number, line: string | RegExp): string {
  const r = cli(args);
  expect({ status: r.status, stdout: r.stdout }).toEqual({ status, stdout: '' });
  expect(r.stderr.endsWith('\n')).toBe(true);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\bat .*:\d+:\d+\)?$/m);
  if (typeof line === 'string') expect(r.stderr).toBe(`m4sim: ${line}\n`);
  else expect(r.stderr).toMatch(line);
  return r.stderr;
}

const BOARD = {
  flash: { base: '0x08000000', size: 1048576 },
  ram: [{ name: 'SRAM', base: '0x20000000', size: 262144 }],
};

describe.skipIf(!haveToolchain)('simulate options (64, naming the option)', () => {
  let hello: string;
  beforeAll(() => {
    hello = buildTestFirmware('hello');
  });

  it('--ram and --flash beyond what m4sim maps (were UC_ERR_NOMEM / UC_ERR_MAP: 70)', () => {
    expectLine(
      ['simulate', hello, '--ram', '99999999999K'],
      64,
      '--ram: 102399999998976 bytes is more than the 64 MiB m4sim maps for one region',
    );
    expectLine(
      ['simulate', hello, '--flash', '400M'],
      64,
      '--flash: 419430400 bytes is more than the 64 MiB m4sim maps for one region',
    );
    expectLine(
      ['simulate', hello, '--flash', '4095M'],
      64,
      '--flash: 4293918720 bytes is more than the 64 MiB m4sim maps for one region',
    );
    expectLine(
      ['simulate', hello, '--ram', '2000M'],
      64,
      '--ram: 2097152000 bytes is more than the 64 MiB m4sim maps for one region',
    );
  });

  it('the largest --ram and --flash still run', () => {
    const r = cli(['simulate', hello, '--ram', '64M', '--flash', '64M']);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/SRAM +\d[\d,]* of 67,108,864 bytes/);
    expect(r.stderr).toMatch(/flash +[\d,]+ of 67,108,864 bytes/);
  });

  it('--sandbox that does not exist or is not a directory (were 70)', () => {
    expectLine(
      ['simulate', hello, '--sandbox', '/nonexistent'],
      64,
      '--sandbox /nonexistent: no such directory',
    );
    expectLine(['simulate', hello, '--sandbox', '/etc/passwd'], 64, '--sandbox /etc/passwd: not a directory');
  });

  it('--flash-ws, --clock, --max-instructions and a board "name" that is a path', () => {
    expectLine(['simulate', hello, '--flash-ws', '99'], 64, '--flash-ws: expected 0..15 wait states, got 99');
    expectLine(
      ['simulate', hello, '--clock', 'fast'],
      64,
      '--clock: expected a frequency like 168MHz, got "fast"',
    );
    expectLine(
      ['simulate', hello, '--max-instructions', '-1'],
      64,
      '--max-instructions: expected a whole number, got "-1"',
    );
    expectLine(
      ['simulate', hello, '--board', '../boards/m4-256k'],
      64,
      'unknown board (not a board name) (known: m4-256k, stm32f407, stm32f439; or a board JSON file)',
    );
  });
});

describe('board files (65, naming the file and the field, never quoting it)', () => {
  const board = (name: string, content: unknown) =>
    file(name, typeof content === 'string' ? content : JSON.stringify(content));

  it('not JSON: the line and column, not the text (V8 quotes the start of the file)', () => {
    const p = board('shadow.json', 'root:$6$SECRETSALT$hash:19000:0:99999:7:::\n');
    const line = expectLine(
      ['simulate', 'x.elf', '--board', p],
      65,
      `${p}: not valid JSON at line 1, column 1: unexpected character`,
    );
    expect(line).not.toContain('SECRET');
    const cut = board('cut.json', '{\n  "flash": {"base": "0x08000000", "size": 1048576},\n  "ram": [\n');
    expectLine(
      ['simulate', 'x.elf', '--board', cut],
      65,
      `${cut}: not valid JSON at line 4, column 1: unexpected end of the file`,
    );
  });

  it('memory maps Unicorn could not map: overlap, alignment, the System region, sizes', () => {
    const overlap = board('overlap.json', { ...BOARD, ram: [{ base: '0x08080000', size: 262144 }] });
    expectLine(
      ['simulate', 'x.elf', '--board', overlap],
      65,
      `${overlap}: ram[0]: 0x08080000+262144 overlaps flash at 0x08000000+1048576`,
    );
    const unaligned = board('unaligned.json', { ...BOARD, ram: [{ base: '0x20000100', size: 262144 }] });
    expectLine(
      ['simulate', 'x.elf', '--board', unaligned],
      65,
      `${unaligned}: ram[0]: base 0x20000100 is not a multiple of 4 KiB`,
    );
    const ppb = board('ppb.json', { ...BOARD, peripherals: [{ base: '0xdffff000', size: 8192 }] });
    expectLine(
      ['simulate', 'x.elf', '--board', ppb],
      65,
      `${ppb}: peripherals[0]: 0xdffff000+8192 does not end below 0xe0000000 (the System region, with the PPB)`,
    );
    const huge = board('huge.json', { ...BOARD, ram: [{ base: '0x20000000', size: '0x80000000' }] });
    expectLine(
      ['simulate', 'x.elf', '--board', huge],
      65,
      `${huge}: ram[0]: 2147483648 bytes is more than the 64 MiB m4sim maps for one region`,
    );
    const many = board('many.json', {
      ...BOARD,
      ram: [0, 1, 2].map((i) => ({ base: 0x20000000 + i * 0x4000000, size: MEMORY_LIMITS.regionBytes })),
    });
    expectLine(
      ['simulate', 'x.elf', '--board', many],
      65,
      `${many}: ram[0]: RAM regions total 201326592 bytes, more than the 128 MiB m4sim maps`,
    );
  });

  it('field types and names (a name goes into generated linker scripts: a strict grammar)', () => {
    const sizeText = board('size.json', { ...BOARD, ram: [{ base: '0x20000000', size: 'lots' }] });
    expectLine(
      ['simulate', 'x.elf', '--board', sizeText],
      65,
      `${sizeText}: ram[0].size: expected a size in bytes (number or "0x…" string), got a string`,
    );
    const name = board('name.json', { ...BOARD, name: 'x */ INCLUDE /etc/passwd /*' });
    expectLine(
      ['simulate', 'x.elf', '--board', name],
      65,
      `${name}: name: expected a name of letters, digits, ".", "_" and "-" (at most 64 characters)`,
    );
    const clock = board('clock.json', { ...BOARD, clockHz: 'fast' });
    expectLine(
      ['simulate', 'x.elf', '--board', clock],
      65,
      `${clock}: clockHz: expected a frequency in Hz from 1 to 10000000000, got a string`,
    );
    const extra = board('extra.json', { ...BOARD, rom: {} });
    expectLine(['simulate', 'x.elf', '--board', extra], 65, `${extra}: rom: unknown field`);
    const missing = join(dir, 'missing.json');
    expectLine(['simulate', 'x.elf', '--board', missing], 66, `board file ${missing}: no such file`);
  });

  it('--ram overlapping the next region is the option’s mistake (64)', () => {
    const two = board('two.json', {
      ...BOARD,
      ram: [
        { name: 'SRAM', base: '0x20000000', size: 262144 },
        { name: 'SRAM2', base: '0x20040000', size: 65536 },
      ],
    });
    expect(() => loadBoard(two, { ram: '512K' })).toThrow(
      '--ram: 0x20000000+524288 overlaps ram[1] at 0x20040000+65536',
    );
    expect(loadBoard(two, { ram: '256K' }).ram.map((r) => r.size)).toEqual([262144, 65536]);
  });

  it('JSON errors are located exactly', () => {
    expect(locateJsonError('{"a": 1,}')).toEqual({
      offset: 8,
      problem: 'expected a property name in double quotes',
    });
    expect(locateJsonError('[1, 2\n  3]')).toEqual({ offset: 8, problem: 'expected "," or "]"' });
    expect(locateJsonError('{"a": "x\ny"}')).toEqual({ offset: 8, problem: 'control character in a string' });
    expect(locateJsonError('{} x')).toEqual({
      offset: 3,
      problem: 'unexpected text after the end of the JSON value',
    });
    expect(() => parseJsonText('{\n  "a": tru\n}')).toThrow(
      'not valid JSON at line 2, column 11: unexpected character',
    );
    expect(parseJsonText('{"a": [1, {"b": null}]}')).toEqual({ a: [1, { b: null }] });
    // Deep nesting is scanned without recursion.
    expect(locateJsonError('['.repeat(100_000))).toEqual({
      offset: 100_000,
      problem: 'unexpected end of the file',
    });
  });
});

describe('scenarios and baselines (65, like check, never quoting the file)', () => {
  it('m4sim report BAD.yaml gives 65 with the same line as check (report gave 70)', () => {
    const bad = file('bad.yaml', 'firmware:\n  detector: {}\nbudgets:\n  sram: [lots\n');
    const line = `${bad}: not valid YAML: bad indentation at line 5, column 1`;
    expectLine(['check', bad], 65, line);
    expectLine(['report', bad], 65, line);
  });

  it('a YAML error names the line, not its text', () => {
    const secret = file('secret.yaml', 'firmware:\n  elf: x.elf\npassword: "hunter2\n');
    const line = expectLine(
      ['check', secret],
      65,
      `${secret}: not valid YAML: a missing closing quote or bracket at line 4, column 1`,
    );
    expect(line).not.toContain('hunter2');
    const long = file('long.yaml', `firmware:\n  elf: x.elf\nboard: 5\nname: ${'s'.repeat(200)}\n`);
    expectLine(['check', long], 65, `${long}: board: expected a board name or a board JSON file`);
  });

  it('a scenario ram: beyond what m4sim maps is refused when read', () => {
    const big = file('big.yaml', 'firmware:\n  elf: x.elf\nram: 2000M\n');
    expectLine(
      ['check', big],
      65,
      `${big}: ram: expected a size of at most 64M (what m4sim maps for one region)`,
    );
  });

  it('a baseline that is not JSON or has a wrong entry', () => {
    const sc = file('ok.yaml', 'firmware:\n  elf: x.elf\n');
    const b1 = file('b1.json', 'root:x:0:0:SECRET\n');
    const l1 = expectLine(
      ['check', sc, '--baseline', b1],
      65,
      `${b1}: not valid JSON at line 1, column 1: unexpected character`,
    );
    expect(l1).not.toContain('SECRET');
    const b2 = file('b2.json', JSON.stringify({ schema: 1, scenarios: { ok: { cycles: 'SECRET' } } }));
    expectLine(
      ['check', sc, '--baseline', b2],
      65,
      `${b2}: scenarios.ok.cycles: expected a number >= 0, got a string`,
    );
  });

  it.skipIf(!haveToolchain)('an output file that cannot be written is 73 naming the option', () => {
    const sc = file('hello-elf.yaml', `firmware:\n  elf: ${buildTestFirmware('hello')}\nexit: 3\n`);
    const r = cli(['check', sc, '--junit', join(dir, 'no', 'such', 'results.xml')]);
    expect(r.status).toBe(73);
    expect(r.stderr).toBe(
      `m4sim: --junit ${join(dir, 'no', 'such', 'results.xml')}: cannot be written (no such folder)\n`,
    );
  });

  it('check options and paths', () => {
    expectLine(['check', '--jobs', '0'], 64, '--jobs: expected a whole number >= 1, got "0"');
    expectLine(
      ['check', '--shard', '3/2'],
      64,
      '--shard: expected i/n with 1 <= i <= n, e.g. 2/4, got "3/2"',
    );
    expectLine(['check', join(dir, 'nope')], 66, `scenario ${join(dir, 'nope')}: no such file or folder`);
    expectLine(['check', '/dev/null'], 66, 'scenario file /dev/null: a character device, not a regular file');
    expectLine(
      ['report', '--board', 'pdp11'],
      64,
      'unknown board "pdp11" (known: m4-256k, stm32f407, stm32f439; or a board JSON file)',
    );
  });
});
