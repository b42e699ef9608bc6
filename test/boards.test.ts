// Boards are data: memory maps from boards/*.json, sizes overridable from the command line.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boardNames, loadBoard } from '../src/emulator/board.js';
import { projectRoot } from '../src/util/paths.js';
import { BOARD_DIR, buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { cli, simulate } from './helpers/run.js';

const STM32F439_LD = join(BOARD_DIR, 'stm32f439.ld');

describe('board files', () => {
  it('m4-256k: 1 MiB flash at 0x08000000, 256 KiB SRAM at 0x20000000, no peripherals', () => {
    const b = loadBoard('m4-256k');
    expect(b.flash).toEqual({ base: 0x08000000, size: 1 << 20 });
    expect(b.ram).toEqual([{ name: 'SRAM', base: 0x20000000, size: 256 * 1024 }]);
    expect(b.peripherals).toEqual([]);
    expect(b.clockHz).toBe(168e6);
  });

  it('stm32f439: 192 KiB SRAM + 64 KiB CCM, 2 MiB flash, peripheral range', () => {
    const b = loadBoard('stm32f439');
    expect(b.ram.map((r) => [r.name, r.base, r.size])).toEqual([
      ['SRAM', 0x20000000, 192 * 1024],
      ['CCM', 0x10000000, 64 * 1024],
    ]);
    expect(b.flash.size).toBe(2 << 20);
    expect(b.peripherals[0]).toMatchObject({ base: 0x40000000, size: 0x20000000 });
  });

  it('the NVIC shape is board data: STM32F439 has 91 interrupt lines and 4 priority bits (RM0090)', () => {
    expect(loadBoard('stm32f439').nvic).toEqual({ interrupts: 91, priorityBits: 4 });
    expect(loadBoard('m4-256k').nvic).toEqual({ interrupts: 240, priorityBits: 4 });
    const dir = mkdtempSync(join(tmpdir(), 'm4sim-nvic-'));
    try {
      const base = JSON.parse(readFileSync(join(projectRoot(), 'boards', 'm4-256k.json'), 'utf8'));
      const write = (nvic: unknown) => {
        const file = join(dir, 'b.json');
        writeFileSync(file, JSON.stringify({ ...base, nvic }));
        return file;
      };
      expect(loadBoard(write({ interrupts: 32 })).nvic).toEqual({ interrupts: 32, priorityBits: 4 });
      expect(() => loadBoard(write({ priorityBits: 9 }))).toThrow(
        /b\.json: nvic\.priorityBits: expected a whole number 3\.\.8, got an integer 9$/,
      );
      expect(() => loadBoard(write({ interrupts: 241 }))).toThrow(
        /nvic\.interrupts: expected a whole number 1\.\.240, got an integer 241$/,
      );
      expect(() => loadBoard(write({ lines: 8 }))).toThrow(/nvic: unknown field "lines"$/);
      expect(() => loadBoard(write('240'))).toThrow(/b\.json: nvic: expected an object, got a string$/);
      expect(() => loadBoard(write({ interrupts: '91' }))).toThrow(
        /nvic\.interrupts: expected a whole number 1\.\.240, got a string$/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--ram, --flash and flash wait states override the file', () => {
    const b = loadBoard('m4-256k', { ram: '160K', flash: '512K', flashWaitStates: 5 });
    expect([b.ram[0]!.size, b.flash.size, b.flashWaitStates]).toEqual([160 * 1024, 512 * 1024, 5]);
    expect(() => loadBoard('m4-256k', { ram: '1000' })).toThrow(/multiple of 1 KiB/);
    expect(boardNames()).toEqual(expect.arrayContaining(['m4-256k', 'stm32f439']));
  });
});

describe.skipIf(!haveToolchain)('firmware on boards', () => {
  it('a firmware linked for stm32f439 runs there, with SRAM measured against 192 KiB', () => {
    const elf = buildTestFirmware('hello', { linkerScript: STM32F439_LD });
    const { result, output } = simulate(elf, { boardName: 'stm32f439' });
    expect(output).toContain('hello from the M4');
    expect(result.exit.code).toBe(3);
    expect(result.sram.size).toBe(192 * 1024);
    expect(result.sram.initialSp).toBe(0x20030000);
    expect(result.flash.size).toBe(2 << 20);
  });

  it('peripheral registers work on stm32f439 (listed as unmodeled) and fault on m4-256k', () => {
    const elf = buildTestFirmware('peripherals', { linkerScript: STM32F439_LD });
    const { result, output } = simulate(elf, { boardName: 'stm32f439' });
    expect(output).toBe('moder 28000001\n');
    expect(result.peripherals).toEqual([
      { address: 0x40020000, reads: 1, writes: 1 },
      { address: 0x40023830, reads: 1, writes: 1 },
    ]);
    const strict = simulate(buildTestFirmware('peripherals')).result;
    expect(strict.exit.reason).toBe('memory-fault');
    expect(strict.exit.message).toMatch(
      /^write to unmapped address 0x40023830|^read from unmapped address 0x40023830/,
    );
  });

  it('a firmware linked for 256 KiB is refused on --ram 128K with a one-line reason', () => {
    const r = cli(['simulate', buildTestFirmware('hello'), '--ram', '128K']);
    expect(r.status).toBe(65);
    expect(r.stderr).toMatch(/^m4sim: .*word 0 at 0x08000000 is 0x20040000 which is not a stack pointer/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
