import {
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  openSync,
  readSync,
  closeSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EF_ARM_ABI_FLOAT_HARD,
  ElfError,
  parseElf,
  PF_X,
  PT_LOAD,
  SHF_ALLOC,
  SHT_NOBITS,
  staticSizes,
  type Elf,
} from '../src/elf/elf.js';
import { SymbolTable } from '../src/elf/symbols.js';
import { readVectorTable, type Board } from '../src/emulator/vector-table.js';
import { findToolchain, run, type Toolchain } from './helpers/toolchain.js';

const BOARD: Board = {
  name: 'test-m4',
  flash: { base: 0x08000000, size: 1 << 20 },
  ram: [{ name: 'SRAM', base: 0x20000000, size: 256 << 10 }],
  flashWaitStates: 0,
};

/** The one-line ElfError message parseElf (or fn) throws. */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ElfError);
    const message = (e as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected an ElfError, nothing was thrown');
}

/** A minimal ELF32 header (52 bytes, no program or section headers). */
function elf32Header(
  opts: { machine?: number; type?: number; cls?: number; data?: number } = {},
): Uint8Array {
  const b = new Uint8Array(52);
  b.set([0x7f, 0x45, 0x4c, 0x46, opts.cls ?? 1, opts.data ?? 1, 1]);
  const v = new DataView(b.buffer);
  v.setUint16(16, opts.type ?? 2, true);
  v.setUint16(18, opts.machine ?? 40, true);
  v.setUint32(20, 1, true);
  v.setUint16(40, 52, true);
  v.setUint16(42, 32, true);
  v.setUint16(46, 40, true);
  return b;
}

function readHead(path: string, length: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(length);
    const n = readSync(fd, b, 0, length, 0);
    return new Uint8Array(b.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

describe('parseElf rejects files that are not 32-bit ARM executables', () => {
  it('names an empty file', () => {
    expect(errorOf(() => parseElf(new Uint8Array(0), 'empty.elf'))).toBe('empty.elf: empty file (0 bytes)');
  });

  it('says a text file is not an ELF without quoting it', () => {
    const text = new TextEncoder().encode('#!/bin/sh\necho hello world\n');
    expect(errorOf(() => parseElf(text, 'run.sh'))).toBe(
      'run.sh: not an ELF file (it does not start with the ELF magic 7f 45 4c 46; it looks like text)',
    );
  });

  it('recognises an Intel HEX file', () => {
    const text = new TextEncoder().encode(':020000040800F2\n:10000000');
    expect(errorOf(() => parseElf(text, 'fw.hex'))).toMatch(/not an ELF file \(looks like an Intel HEX file/);
  });

  it('says a binary is not an ELF without showing its bytes', () => {
    expect(errorOf(() => parseElf(new Uint8Array([0x00, 0x00, 0x02, 0x20, 0x01, 0x01]), 'fw.bin'))).toBe(
      'fw.bin: not an ELF file (it does not start with the ELF magic 7f 45 4c 46; it looks like binary data)',
    );
  });

  it('rejects a 64-bit ELF such as the host x86-64 executables', () => {
    const host = existsSync('/bin/true') ? '/bin/true' : process.execPath;
    expect(errorOf(() => parseElf(readHead(host, 4096), 'true'))).toBe(
      'true: 64-bit ELF; m4sim runs 32-bit ARM (EM_ARM) executables',
    );
  });

  it('rejects a big-endian ELF', () => {
    expect(errorOf(() => parseElf(elf32Header({ data: 2 })))).toBe(
      'firmware: big-endian ELF; m4sim runs little-endian Cortex-M executables',
    );
  });

  it('names the machine of a 32-bit non-ARM ELF', () => {
    expect(errorOf(() => parseElf(elf32Header({ machine: 3 }), 'a.out'))).toBe(
      'a.out: built for Intel 80386 (i386), not ARM (e_machine 3, expected EM_ARM = 40); ' +
        'm4sim runs Cortex-M executables',
    );
    expect(errorOf(() => parseElf(elf32Header({ machine: 94 })))).toMatch(/built for Xtensa/);
    expect(errorOf(() => parseElf(elf32Header({ machine: 243 })))).toMatch(/built for RISC-V/);
    expect(errorOf(() => parseElf(elf32Header({ machine: 999 })))).toMatch(/built for machine 999, not ARM/);
  });

  it('rejects shared objects and non-executable types', () => {
    expect(errorOf(() => parseElf(elf32Header({ type: 3 })))).toMatch(
      /shared object, not a linked executable/,
    );
    expect(errorOf(() => parseElf(elf32Header({ type: 4 })))).toMatch(/core dump/);
  });

  it('reports a truncated header', () => {
    expect(errorOf(() => parseElf(elf32Header().subarray(0, 30)))).toBe(
      'firmware: truncated ELF header: file is 30 bytes, the header needs 52',
    );
  });

  it('requires a PT_LOAD segment', () => {
    expect(errorOf(() => parseElf(elf32Header()))).toBe(
      'firmware: no loadable (PT_LOAD) segments, nothing to put in memory',
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Real images built with the cross toolchain.

const LINKER_SCRIPT = `
MEMORY {
  FLASH (rx) : ORIGIN = 0x08000000, LENGTH = 1M
  RAM (rwx)  : ORIGIN = 0x20000000, LENGTH = 256K
}
_estack = ORIGIN(RAM) + LENGTH(RAM);
ENTRY(Reset_Handler)
SECTIONS {
  .isr_vector : { KEEP(*(.isr_vector)) } > FLASH
  .text : { *(.text*) *(.rodata*) . = ALIGN(4); } > FLASH
  _sidata = LOADADDR(.data);
  .data : ALIGN(4) { _sdata = .; *(.data*) _edata = .; } > RAM AT > FLASH
  .bss (NOLOAD) : ALIGN(4) { *(.bss*) *(COMMON) } > RAM
  .noinit (NOLOAD) : ALIGN(4) { *(.noinit*) } > RAM
  ._user_heap_stack (NOLOAD) : ALIGN(8) { . = . + 0x400; . = . + 0x800; } > RAM
}
`;

// word 0 and word 1 are parameters so the same file builds the broken variants.
const startup = (word0: string, word1: string): string => `
  .syntax unified
  .cpu cortex-m4
  .thumb
  .section .isr_vector,"a",%progbits
  .word ${word0}
  .word ${word1}
  .word NMI_Handler
  .word Default_Handler

  .text
  .global Reset_Handler
  .type Reset_Handler, %function
Reset_Handler:
reset_label:
  bl main
1: b 1b
  .size Reset_Handler, .-Reset_Handler

  .global Default_Handler
  .type Default_Handler, %function
Default_Handler:
  b Default_Handler
  .size Default_Handler, .-Default_Handler

  .weak NMI_Handler
  .thumb_set NMI_Handler, Default_Handler
`;

const MAIN_C = `
unsigned char data_buf[100] = { 1, 2, 3 };
unsigned int bss_buf[64];
__attribute__((section(".noinit"))) unsigned char noinit_buf[32];
const char message[] = "hello";

int main(void) {
  volatile unsigned int *p = bss_buf;
  for (int i = 0; i < 64; i++) p[i] = data_buf[i] + message[i & 3];
  noinit_buf[0] = 7;
  return (int)p[3];
}
`;

interface Built {
  path: string;
  bytes: Uint8Array;
}

const toolchain = findToolchain();
const missing = typeof toolchain === 'string' ? toolchain : undefined;
if (missing) console.warn(`elf.test.ts: skipping tests on compiled firmware: ${missing}`);

describe.skipIf(missing !== undefined)('parseElf on images built by arm-none-eabi-gcc', () => {
  const tc = toolchain as Toolchain;
  let dir = '';
  let good: Built;
  let goodElf: Elf;
  let object: Built;
  let noVectors: Built;
  let armReset: Built;
  let unnamed: Built;

  const build = (name: string, start: string, flags: string[] = [], script = 'script.ld'): Built => {
    writeFileSync(join(dir, `${name}.S`), start);
    const path = join(dir, `${name}.elf`);
    run(
      tc.gcc,
      [
        '-mcpu=cortex-m4',
        '-mthumb',
        '-nostdlib',
        '-O1',
        '-fno-common',
        ...flags,
        '-T',
        script,
        `${name}.S`,
        'main.c',
        '-o',
        path,
      ],
      dir,
    );
    return { path, bytes: new Uint8Array(readFileSync(path)) };
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'm4sim-elf-'));
    writeFileSync(join(dir, 'script.ld'), LINKER_SCRIPT);
    writeFileSync(join(dir, 'main.c'), MAIN_C);
    good = build('good', startup('_estack', 'Reset_Handler'), ['-mfloat-abi=hard', '-mfpu=fpv4-sp-d16']);
    goodElf = parseElf(good.bytes, 'good.elf');
    noVectors = build('novec', startup('0x12345678', 'Reset_Handler'));
    armReset = build('armreset', startup('_estack', 'reset_label'));
    writeFileSync(join(dir, 'boot.ld'), LINKER_SCRIPT.replace('.isr_vector :', '.boot :'));
    unnamed = build('unnamed', startup('_estack', 'Reset_Handler'), [], 'boot.ld');
    run(tc.gcc, ['-mcpu=cortex-m4', '-mthumb', '-c', 'good.S', '-o', 'good.o'], dir);
    object = { path: join(dir, 'good.o'), bytes: new Uint8Array(readFileSync(join(dir, 'good.o'))) };
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Symbol addresses as printed by arm-none-eabi-nm (which clears the Thumb bit). */
  const nm = (path: string): Map<string, number> => {
    const out = new Map<string, number>();
    for (const line of run(tc.tool('nm'), [path]).split('\n')) {
      const m = /^([0-9a-f]{8}) \w (\S+)$/.exec(line.trim());
      if (m) out.set(m[2]!, parseInt(m[1]!, 16));
    }
    return out;
  };

  it('reads the entry point and e_flags (hard-float ABI bit)', () => {
    const syms = nm(good.path);
    expect(goodElf.entry).toBe(syms.get('Reset_Handler')! | 1);
    expect(goodElf.hardFloat).toBe(true);
    expect(goodElf.flags & EF_ARM_ABI_FLOAT_HARD).toBe(EF_ARM_ABI_FLOAT_HARD);
    expect(parseElf(noVectors.bytes).hardFloat).toBe(false);
  });

  it('reads the same PT_LOAD segments as readelf -l', () => {
    const out = run(tc.tool('readelf'), ['-lW', good.path]);
    const expected = [
      ...out.matchAll(/^\s*LOAD\s+(0x\S+) (0x\S+) (0x\S+) (0x\S+) (0x\S+) ([RWE ]+?)\s+0x/gm),
    ].map((m) => ({
      type: PT_LOAD,
      offset: Number(m[1]),
      vaddr: Number(m[2]),
      paddr: Number(m[3]),
      filesz: Number(m[4]),
      memsz: Number(m[5]),
      flags: (m[6]!.includes('R') ? 4 : 0) | (m[6]!.includes('W') ? 2 : 0) | (m[6]!.includes('E') ? 1 : 0),
    }));
    expect(expected.length).toBeGreaterThanOrEqual(2);
    expect(goodElf.loads).toEqual(expected);
    // .data runs in RAM but is loaded from flash.
    const data = goodElf.loads.find((s) => s.vaddr === 0x20000000)!;
    expect(data.paddr).toBeGreaterThanOrEqual(0x08000000);
    expect(data.paddr).toBeLessThan(0x08100000);
  });

  it('reads the same sections as readelf -S', () => {
    const out = run(tc.tool('readelf'), ['-SW', good.path]);
    const expected = [
      ...out.matchAll(/^\s*\[\s*\d+\]\s+(\S+)\s+(\w+)\s+([0-9a-f]{8}) ([0-9a-f]{6}) ([0-9a-f]{6})/gm),
    ].map((m) => ({
      name: m[1],
      addr: parseInt(m[3]!, 16),
      offset: parseInt(m[4]!, 16),
      size: parseInt(m[5]!, 16),
    }));
    const ours = goodElf.sections
      .filter((s) => s.index > 0)
      .map((s) => ({ name: s.name, addr: s.addr, offset: s.offset, size: s.size }));
    expect(ours).toEqual(expected);
    const data = goodElf.section('.data')!;
    expect(data.size).toBe(100);
    expect(goodElf.section('.bss')).toMatchObject({ type: SHT_NOBITS, size: 256, addr: 0x20000064 });
    expect(goodElf.section('.isr_vector')!.flags & SHF_ALLOC).toBe(SHF_ALLOC);
  });

  it('computes static RAM and flash use from section flags and addresses', () => {
    const sizes = staticSizes(goodElf, BOARD.ram, BOARD.flash);
    expect(sizes).toEqual({
      data: 100,
      bss: 256 + 32,
      noinit: 32,
      reservedSections: [{ name: '._user_heap_stack', addr: expect.any(Number), size: 0xc00 }],
      reservedNames: ['._user_heap_stack'],
      reserved: 0xc00,
      other: 0,
      flashUsed: expect.any(Number),
    });
    // Berkeley `size`: text (code + rodata + vectors) + data (initializers) is what goes into flash.
    const [text, data] = run(tc.tool('size'), [good.path]).split('\n')[1]!.trim().split(/\s+/).map(Number);
    expect(sizes.flashUsed).toBe(text! + data!);
    // Without a flash region, everything loaded outside RAM counts as flash.
    expect(staticSizes(goodElf, BOARD.ram).flashUsed).toBe(sizes.flashUsed);
  });

  it('looks up functions by address and formats them like main+0x4', () => {
    const syms = nm(good.path);
    const table = new SymbolTable(goodElf);
    const start = syms.get('main')!;
    // The symbol value carries the Thumb bit.
    expect(goodElf.symbol('main')).toMatchObject({ type: 'func', bind: 'global', value: start | 1 });
    expect(table.format(start)).toBe('main');
    expect(table.format(start + 4)).toBe('main+0x4');
    expect(table.format(start + 5)).toBe('main+0x4'); // Thumb bit ignored
    expect(table.lookup(start + 4)).toMatchObject({ name: 'main', start, offset: 4 });
    expect(table.functionName(start + 4)).toBe('main');
    expect(table.functionName(0x20000010)).toBe('0x20000010');
    // Symbol addresses by name: functions without the Thumb bit, data and linker symbols as they are.
    expect(table.address('main')).toBe(start);
    expect(table.address('data_buf')).toBe(0x20000000);
    expect(table.address('_estack')).toBe(0x20040000);
    expect(table.address('no_such_symbol')).toBeUndefined();
    // One past the end of the sized symbol is not main any more.
    const size = goodElf.symbol('main')!.size;
    expect(table.lookup(start + size)?.name).not.toBe('main');
    // Aliases at one address: the global Default_Handler wins over the weak NMI_Handler.
    expect(table.format(syms.get('NMI_Handler')!)).toBe('Default_Handler');
    // Unknown addresses print as hex; mapping symbols ($t, $d) are not functions.
    expect(table.format(0x20000010)).toBe('0x20000010');
    expect(table.format(0x08000000)).toBe('0x08000000');
    expect(goodElf.symbols.some((s) => s.name.startsWith('$'))).toBe(true);
    expect(table.functions.some((f) => f.name.startsWith('$'))).toBe(false);
  });

  it('reads the initial SP and reset vector from .isr_vector', () => {
    const syms = nm(good.path);
    expect(readVectorTable(goodElf, BOARD)).toEqual({
      address: 0x08000000,
      initialSp: 0x20040000,
      reset: syms.get('Reset_Handler')! | 1,
    });
  });

  it('finds a vector table in an unnamed section at the start of flash', () => {
    const elf = parseElf(unnamed.bytes);
    expect(elf.section('.boot')).toBeDefined();
    expect(readVectorTable(elf, BOARD)).toMatchObject({ address: 0x08000000, initialSp: 0x20040000 });
  });

  it('falls back to the lowest load address in flash when the flash base is not loaded', () => {
    const board: Board = { ...BOARD, flash: { base: 0x07f00000, size: 2 << 20 } };
    expect(readVectorTable(parseElf(unnamed.bytes), board)).toMatchObject({
      address: 0x08000000,
      initialSp: 0x20040000,
    });
  });

  it('tolerates a file without section headers (no sections, no symbols)', () => {
    const bytes = good.bytes.slice();
    const v = new DataView(bytes.buffer);
    v.setUint32(32, 0, true); // e_shoff
    v.setUint16(48, 0, true); // e_shnum
    v.setUint16(50, 0, true); // e_shstrndx
    const elf = parseElf(bytes);
    expect(elf.sections).toEqual([]);
    expect(elf.symbols).toEqual([]);
    expect(new SymbolTable(elf).format(elf.entry)).toBe(`0x0${(elf.entry >>> 0).toString(16)}`);
    expect(readVectorTable(elf, BOARD).initialSp).toBe(0x20040000);
  });

  it('rejects a relocatable object', () => {
    expect(errorOf(() => parseElf(object.bytes, 'good.o'))).toBe(
      'good.o: relocatable object (.o), not a linked executable; link it first',
    );
  });

  it('reports truncated program headers with their offsets', () => {
    const phnum = new DataView(good.bytes.buffer, good.bytes.byteOffset).getUint16(44, true);
    expect(errorOf(() => parseElf(good.bytes.subarray(0, 100)))).toBe(
      `firmware: truncated: program headers at 0x34..0x${(52 + 32 * phnum).toString(16)} extend past the end ` +
        'of the file (100 bytes)',
    );
  });

  it('reports a PT_LOAD segment cut short', () => {
    const seg = goodElf.loads.find((s) => (s.flags & PF_X) !== 0)!;
    const cut = seg.offset + Math.floor(seg.filesz / 2);
    expect(errorOf(() => parseElf(good.bytes.subarray(0, cut)))).toBe(
      `firmware: truncated: PT_LOAD segment ${goodElf.loads.indexOf(seg)} (file bytes ` +
        `0x${seg.offset.toString(16)}..0x${(seg.offset + seg.filesz).toString(16)}, load address 0x08000000) ` +
        `extends past the end of the file (${cut} bytes)`,
    );
  });

  it('reports truncated section headers', () => {
    const bytes = good.bytes.subarray(0, good.bytes.length - 10);
    expect(errorOf(() => parseElf(bytes))).toMatch(
      /^firmware: truncated: section headers at 0x\w+\.\.0x\w+ extend/,
    );
  });

  it('rejects an image whose first flash word is not a stack pointer', () => {
    const elf = parseElf(noVectors.bytes, 'novec.elf');
    expect(errorOf(() => readVectorTable(elf, BOARD))).toBe(
      'novec.elf: no vector table: word 0 at 0x08000000 is 0x12345678 which is not a stack pointer in SRAM ' +
        '(SRAM 0x20000000..0x20040000)',
    );
  });

  it('rejects a reset vector without the Thumb bit', () => {
    const elf = parseElf(armReset.bytes, 'arm.elf');
    const reset = nm(armReset.path).get('Reset_Handler')!;
    expect(errorOf(() => readVectorTable(elf, BOARD))).toBe(
      `arm.elf: reset vector (word 1 at 0x08000004) is 0x0${reset.toString(16)} without the Thumb bit (bit 0) ` +
        'set; Cortex-M only executes Thumb code',
    );
  });

  it('rejects a vector table outside the board memory', () => {
    const board: Board = { ...BOARD, name: 'other', flash: { base: 0x00000000, size: 0x80000 } };
    expect(errorOf(() => readVectorTable(goodElf, board))).toBe(
      'good.elf: vector table .isr_vector is loaded at 0x08000000, outside other flash ' +
        '(0x00000000..0x00080000) and RAM; is the linker script for this board?',
    );
    expect(errorOf(() => readVectorTable(parseElf(unnamed.bytes, 'unnamed.elf'), board))).toBe(
      'unnamed.elf: no vector table: nothing is loaded into other flash (0x00000000..0x00080000); ' +
        'is the linker script for this board?',
    );
  });
});
