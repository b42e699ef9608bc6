// The one-line diagnoses (issue 8, item 8): a PC outside every function is shown as an address with
// what is there, never as `_fini+0xf7ff831e`; every instruction fetch the core cannot make is one kind
// of fault (139) with one message shape; a stack overflow names the section SP would enter; a file that
// is not an ELF is described, never quoted.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElfError, parseElf, type Elf } from '../src/elf/elf.js';
import { SymbolTable } from '../src/elf/symbols.js';
import { loadBoard } from '../src/emulator/board.js';
import { EXIT_STATUS } from '../src/emulator/machine.js';
import { decodeImage, ImageError } from '../src/image/decode.js';
import { buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { cli, simulate } from './helpers/run.js';

const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

describe.skipIf(!haveToolchain)('fault locations and kinds', () => {
  let elfPath: string;
  let elf: Elf;
  /** `jump+0x4`, from the ELF: the labelled `bx r0` in test/firmware/diagnose.c. */
  let branch: string;

  beforeAll(() => {
    elfPath = buildTestFirmware('diagnose');
    elf = parseElf(readFileSync(elfPath), elfPath);
    const start = elf.symbol('jump')!.value & ~1;
    branch = `jump+0x${(elf.symbol('jump_branch')!.value - start).toString(16)}`;
  });

  const run = (cmdline: string, boardName = 'm4-256k') =>
    simulate(elfPath, {
      cmdline,
      board: loadBoard(boardName, { ram: '256K' }),
      maxInstructions: 1_000_000,
    }).result;

  it('a return to 0xfffffffe is an address, not _fini+0x…', () => {
    const { exit } = run('diagnose jump ffffffff');
    expect(exit).toEqual({
      reason: 'memory-fault',
      code: 139,
      message:
        'instruction fetch from unmapped address 0xfffffffe (System region: Execute Never; an EXC_RETURN ' +
        `value, but no exception is active; reached from ${branch}) at 0xfffffffe (unmapped)`,
      pc: 0xfffffffe,
      location: '0xfffffffe',
    });
  });

  it('code in flash outside any function is named by its address and "in flash"', () => {
    const at = (elf.symbol('udf_in_rodata')!.value + 4) >>> 0;
    // The nearest function below .rodata, the one the old lookup named.
    const below = new SymbolTable(elf).functions.filter((f) => f.start <= at).at(-1)!;
    expect(below.end).toBeLessThanOrEqual(at);
    const { exit } = run('diagnose rodata');
    expect(exit).toEqual({
      reason: 'invalid-instruction',
      code: 132,
      message: `undefined instruction at ${hex(at)} (in flash, outside any function)`,
      pc: at,
      location: hex(at),
    });
  });

  it.each([
    ['m4-256k', '30000000', 'unmapped', '', 'unmapped'],
    ['m4-256k', '40000000', 'unmapped', 'Peripheral region: Execute Never; ', 'unmapped'],
    ['m4-256k', 'a0000000', 'unmapped', 'Device region: Execute Never; ', 'unmapped'],
    ['m4-256k', 'e0000000', 'non-executable', 'System region: Execute Never; ', 'in the PPB'],
    [
      'stm32f439',
      '40000000',
      'non-executable',
      'Peripheral region: Execute Never; ',
      'in APB/AHB peripherals',
    ],
    ['m4-256k', '60000000', 'unmapped', '', 'unmapped'],
  ])(
    '%s: a jump to 0x%s is a memory fault (139) with the common message',
    (board, target, kind, note, where) => {
      const { exit } = run(`diagnose jump ${target}`, board);
      expect(exit).toEqual({
        reason: 'memory-fault',
        code: EXIT_STATUS['memory-fault'],
        message: `instruction fetch from ${kind} address 0x${target} (${note}reached from ${branch}) at 0x${target} (${where})`,
        pc: Number(`0x${target}`),
        location: `0x${target}`,
      });
    },
  );

  it('SP moved into .data is a stack overflow into .data', () => {
    const { exit } = run('diagnose sp-data');
    expect(exit.reason).toBe('stack-overflow');
    expect(exit.code).toBe(134);
    const m = /^stack overflow into \.data: SP would reach (0x[0-9a-f]+) in sp_into /.exec(exit.message);
    expect(m, exit.message).not.toBeNull();
    // The address is inside .data by the section headers (not by the code under test).
    const data = elf.section('.data')!;
    const sp = Number(m![1]);
    expect(sp).toBeGreaterThanOrEqual(data.addr);
    expect(sp).toBeLessThan(data.addr + data.size);
  });
});

describe('a file that is not an ELF is described, never quoted', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'm4sim-diag-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const secret = 'root:$6$Zq1cSecretSalt$hash:19000:0:99999:7:::\n';

  it('the message names the file and what it is not, and none of its bytes', () => {
    const bytes = new TextEncoder().encode(secret);
    let message = '';
    try {
      parseElf(bytes, 'shadow');
    } catch (e) {
      expect(e).toBeInstanceOf(ElfError);
      message = (e as Error).message;
    }
    expect(message).toBe(
      'shadow: not an ELF file (it does not start with the ELF magic 7f 45 4c 46; it looks like text)',
    );
    // No run of 4 characters of the file in the message (beyond the file name).
    for (let i = 0; i + 4 <= secret.length; i++) expect(message).not.toContain(secret.slice(i, i + 4));
  });

  it('the CLI prints one line without the content (status 65)', () => {
    const file = join(dir, 'shadow-copy');
    writeFileSync(file, secret);
    const r = cli(['simulate', file]);
    expect(r.status).toBe(65);
    expect(r.stderr).toBe(
      `m4sim: ${file}: not an ELF file (it does not start with the ELF magic 7f 45 4c 46; it looks like text)\n`,
    );
    expect(r.stderr).not.toContain('root:');
    expect(r.stderr).not.toContain('Secret');
  });

  it('the image decoder does not quote a file that is not an image either', () => {
    expect(() => decodeImage(new TextEncoder().encode(secret), 'photo.png')).toThrow(
      new ImageError('photo.png: not an image (not PNG, JPEG or PGM by its first bytes)'),
    );
  });

  it('a binary that is not an ELF is not shown in hex either', () => {
    const bytes = Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x03]);
    expect(() => parseElf(bytes, 'blob')).toThrow(
      new ElfError(
        'blob: not an ELF file (it does not start with the ELF magic 7f 45 4c 46; it looks like binary data)',
      ),
    );
  });
});

describe('symbols cover only their own bytes', () => {
  // A synthetic table: sized `main`, unsized `_init` and `_fini` at the end of .text (as newlib's crti
  // leaves them), and an unsized absolute label.
  const text = {
    index: 2,
    name: '.text',
    type: 1,
    flags: 6,
    addr: 0x08000040,
    offset: 0,
    size: 0x100,
    link: 0,
  };
  const sym = (name: string, value: number, size: number, shndx = 2) => ({
    name,
    value,
    size,
    type: 'func' as const,
    bind: 'global' as const,
    shndx,
  });
  const table = new SymbolTable({
    symbols: [sym('main', 0x08000041, 0x20), sym('_init', 0x08000131, 0), sym('_fini', 0x08000139, 0)],
    sections: [{ ...text, index: 0, name: '' }, { ...text, index: 1 }, text],
  });

  it('a sized function ends at start + size', () => {
    expect(table.format(0x0800005e)).toBe('main+0x1e');
    expect(table.format(0x08000060)).toBe('0x08000060');
  });

  it('an unsized function ends at the next function of its section, the last at the section end', () => {
    expect(table.format(0x08000136)).toBe('_init+0x6');
    expect(table.format(0x08000138)).toBe('_fini');
    expect(table.format(0x0800013e)).toBe('_fini+0x6');
    expect(table.format(0x08000140)).toBe('0x08000140'); // .text ends at 0x08000140
    expect(table.format(0xfffffffe)).toBe('0xfffffffe');
  });

  it('an unsized symbol without a section covers its first byte only', () => {
    const t = new SymbolTable({ symbols: [sym('label', 0x08000100, 0, 0xfff1)] });
    expect(t.format(0x08000100)).toBe('label');
    expect(t.format(0x08000102)).toBe('0x08000102');
  });
});
