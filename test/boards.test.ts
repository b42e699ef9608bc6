// Boards are data: memory maps from boards/*.json, sizes overridable from the command line.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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

  it('stm32f407 (Discovery): 128 KiB SRAM + 64 KiB CCM, 1 MiB flash, 82 interrupt lines (RM0090 Table 62)', () => {
    const b = loadBoard('stm32f407');
    expect(b.ram.map((r) => [r.name, r.base, r.size])).toEqual([
      ['SRAM', 0x20000000, 128 * 1024],
      ['CCM', 0x10000000, 64 * 1024],
    ]);
    expect(b.flash).toEqual({ base: 0x08000000, size: 1 << 20 });
    expect(b.nvic).toEqual({ interrupts: 82, priorityBits: 4 });
    expect(b.peripherals[0]).toMatchObject({ base: 0x40000000, size: 0x20000000 });
  });

  it.each([
    ['stm32f439', 1],
    ['stm32f407', 0],
  ])(
    '%s: reset clock HSI 16 MHz; RCC, PWR, FLASH, SYSCFG, EXTI modeled at their RM0090 addresses',
    (name, f42x) => {
      const b = loadBoard(name);
      expect(b.clockHz).toBe(16e6);
      const devices = Object.fromEntries(b.devices.map((d) => [d.name, [d.model, d.base, d.size, d.irq]]));
      expect(devices).toMatchObject({
        PWR: ['stm32f4-pwr', 0x40007000, 0x400, []],
        SYSCFG: ['stm32f4-syscfg', 0x40013800, 0x400, []],
        // EXTI0–4, EXTI9_5, EXTI15_10, PVD, RTC_Alarm, OTG_FS_WKUP, ETH_WKUP, OTG_HS_WKUP, TAMP_STAMP, RTC_WKUP.
        EXTI: ['stm32f4-exti', 0x40013c00, 0x400, [6, 7, 8, 9, 10, 23, 40, 1, 41, 42, 62, 76, 2, 3]],
        RCC: ['stm32f4-rcc', 0x40023800, 0x400, [5]],
        FLASH: ['stm32f4-flash', 0x40023c00, 0x400, []],
      });
      const rcc = b.devices.find((d) => d.name === 'RCC')!;
      expect(rcc.params).toEqual({ hseHz: 8e6, f42x });
      const parts = ['stm32f4-rcc', 'stm32f4-pwr', 'stm32f4-flash', 'stm32f4-syscfg'];
      for (const d of b.devices.filter((x) => parts.includes(x.model))) expect(d.params.f42x).toBe(f42x);
    },
  );

  describe('peripheral entries with a model are checked (65, naming the file and the field)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'm4sim-devices-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const base = JSON.parse(readFileSync(join(projectRoot(), 'boards', 'stm32f439.json'), 'utf8'));
    const RANGE = { name: 'APB/AHB peripherals', base: '0x40000000', size: '0x20000000' };
    const RCC = { name: 'RCC', model: 'stm32f4-rcc', base: '0x40023800', irq: [5] };
    const write = (peripherals: unknown[]) => {
      const file = join(dir, 'b.json');
      writeFileSync(file, JSON.stringify({ ...base, peripherals }));
      return file;
    };

    it.each([
      [
        'an unknown model',
        [RANGE, { ...RCC, model: 'stm32f4-rtc' }],
        /b\.json: peripherals\[1\]\.model: unknown peripheral model \(known: stm32f4-rcc, .*stm32f4-exti.*\)$/,
      ],
      [
        'a parameter out of range',
        [RANGE, { ...RCC, params: { hseHz: 60e6 } }],
        /peripherals\[1\]\.params\.hseHz: expected a number 1000000\.\.50000000 \(or a "0x…" string\), got an integer$/,
      ],
      [
        'a parameter of the wrong type',
        [RANGE, { ...RCC, params: { hseHz: '8MHz' } }],
        /peripherals\[1\]\.params\.hseHz: expected a number 1000000\.\.50000000 \(or a "0x…" string\), got a string$/,
      ],
      [
        'an unknown parameter',
        [RANGE, { ...RCC, params: { lseHz: 32768 } }],
        /peripherals\[1\]\.params: unknown parameter "lseHz" for stm32f4-rcc$/,
      ],
      [
        'an interrupt line past the NVIC (91 lines)',
        [RANGE, { ...RCC, irq: [91] }],
        /peripherals\[1\]\.irq\[0\]: expected a whole number 0\.\.90, got an integer 91$/,
      ],
      [
        'more interrupt lines than the model drives',
        [RANGE, { ...RCC, irq: [5, 6] }],
        /peripherals\[1\]\.irq: expected a list of at most 1 interrupt line numbers$/,
      ],
      [
        'overlapping peripherals',
        [RANGE, RCC, { name: 'FLASH', model: 'stm32f4-flash', base: '0x40023A00' }],
        /peripherals\[2\]: FLASH at 0x40023a00\+1024 overlaps RCC \(peripherals\[1\]\)$/i,
      ],
      [
        'a peripheral outside every range',
        [RANGE, { ...RCC, base: '0x60000000' }],
        /peripherals\[1\]: RCC at 0x60000000\+1024 is outside every peripheral range/i,
      ],
      [
        'a peripheral across the end of its range',
        [{ ...RANGE, size: '0x23C00' }, RCC, { name: 'FLASH', model: 'stm32f4-flash', base: '0x40023C00' }],
        /peripherals\[2\]: FLASH at 0x40023c00\+1024 is outside every peripheral range/i,
      ],
      [
        'two peripherals of one name',
        [RANGE, RCC, { ...RCC, base: '0x40023C00' }],
        /peripherals\[2\]\.name: RCC is also peripherals\[1\]'s name$/,
      ],
    ])('%s', (_what, peripherals, message) => {
      expect(() => loadBoard(write(peripherals))).toThrow(message);
    });

    it('a size, params and irq are optional; params take their defaults', () => {
      const b = loadBoard(write([RANGE, { name: 'RCC', model: 'stm32f4-rcc', base: '0x40023800' }]));
      expect(b.devices).toEqual([
        {
          name: 'RCC',
          model: 'stm32f4-rcc',
          base: 0x40023800,
          size: 0x400,
          irq: [],
          params: { hseHz: 8e6, f42x: 1 },
        },
      ]);
    });
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

  it('model params are numbers or "0x…" strings, within the model\'s range', () => {
    const dir = mkdtempSync(join(tmpdir(), 'm4sim-params-'));
    try {
      const base = JSON.parse(readFileSync(join(projectRoot(), 'boards', 'stm32f439.json'), 'utf8'));
      const write = (params: unknown) => {
        const file = join(dir, 'b.json');
        const gpio = { name: 'GPIOZ', model: 'stm32f4-gpio', base: '0x40023000', params };
        writeFileSync(
          file,
          JSON.stringify({ ...base, peripherals: [base.peripherals[0], gpio], registerBlocks: [] }),
        );
        return file;
      };
      const params = (p: unknown) => loadBoard(write(p)).devices[0]!.params;
      expect(params({ moderReset: '0xA8000000', idr: 5 })).toMatchObject({ moderReset: 0xa8000000, idr: 5 });
      expect(params({})).toEqual({ moderReset: 0, ospeedrReset: 0, pupdrReset: 0, idr: 0, idrMask: 0 });
      expect(() => loadBoard(write({ idr: '0x10000' }))).toThrow(
        /b\.json: peripherals\[1\]\.params\.idr: expected a number 0\.\.65535 \(or a "0x…" string\), got a string$/,
      );
      expect(() => loadBoard(write({ moderReset: 'A8000000' }))).toThrow(
        /params\.moderReset: expected a number/,
      );
      expect(() => loadBoard(write({ speed: 1 }))).toThrow(
        /peripherals\[1\]\.params: unknown parameter "speed" for stm32f4-gpio$/,
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

  it('peripheral registers work on stm32f439 (GPIOA modeled, the rest listed as unmodeled) and fault on m4-256k', () => {
    const elf = buildTestFirmware('peripherals', { linkerScript: STM32F439_LD });
    const { result, output } = simulate(elf, { boardName: 'stm32f439' });
    expect(output).toBe('moder 28000001\n');
    // GPIOA_MODER is the stm32f4-gpio model's register now, not in the unmodeled list.
    expect(result.peripherals.filter((p) => p.address === 0x40020000)).toEqual([]);
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

describe('registerBlocks: names of register blocks without a model', () => {
  const dir = mkdtempSync(join(tmpdir(), 'm4sim-blocks-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const base = JSON.parse(readFileSync(join(projectRoot(), 'boards', 'stm32f439.json'), 'utf8'));
  const write = (registerBlocks: unknown) => {
    const file = join(dir, 'b.json');
    writeFileSync(file, JSON.stringify({ ...base, registerBlocks }));
    return file;
  };

  it('stm32f439 names SPI1, the ADCs and RNG at their RM0090 addresses', () => {
    const blocks = loadBoard('stm32f439').registerBlocks;
    expect(blocks.find((b) => b.name === 'SPI1')).toEqual({ name: 'SPI1', base: 0x40013000, size: 0x400 });
    expect(blocks.find((b) => b.name === 'ADC')).toEqual({ name: 'ADC', base: 0x40012000, size: 0x400 });
    expect(blocks.find((b) => b.name === 'RNG')).toEqual({ name: 'RNG', base: 0x50060800, size: 0x400 });
    expect(loadBoard('stm32f407').registerBlocks.some((b) => b.name === 'LTDC')).toBe(false);
  });

  it.each([
    [
      'outside every range',
      [{ name: 'X', base: '0x60000000', size: '0x400' }],
      /registerBlocks\[0\]: X at 0x60000000\+1024 is outside every peripheral range$/,
    ],
    [
      'over a modeled peripheral',
      [{ name: 'X', base: '0x40011000', size: '0x400' }],
      /registerBlocks\[0\]: X overlaps the modeled peripheral USART1$/,
    ],
    [
      'over another block',
      [
        { name: 'A', base: '0x40013000', size: '0x400' },
        { name: 'B', base: '0x40013200', size: '0x400' },
      ],
      /registerBlocks\[1\]: B overlaps A \(registerBlocks\[0\]\)$/,
    ],
    [
      'a bad name',
      [{ name: '../x', base: '0x40013000', size: '0x400' }],
      /registerBlocks\[0\]\.name: expected a register-block name/,
    ],
    ['not a list', 'SPI1', /registerBlocks: expected a list of at most 256 blocks/],
  ])('%s is refused with one line naming the field', (_what, blocks, message) => {
    expect(() => loadBoard(write(blocks))).toThrow(message);
  });
});

describe('board file lists past their limits are refused in one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'm4sim-limits-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const base = JSON.parse(readFileSync(join(projectRoot(), 'boards', 'stm32f439.json'), 'utf8'));
  const write = (extra: Record<string, unknown>) => {
    const file = join(dir, 'b.json');
    writeFileSync(file, JSON.stringify({ ...base, ...extra }));
    return file;
  };

  it('129 modeled peripherals (at most 128)', () => {
    const gpio = (i: number) => ({ name: `P${i}`, model: 'stm32f4-gpio', base: 0x40100000 + 0x400 * i });
    const peripherals = [base.peripherals[0], ...Array.from({ length: 129 }, (_, i) => gpio(i))];
    expect(() => loadBoard(write({ peripherals, registerBlocks: [] }))).toThrow(
      /b\.json: peripherals: expected at most 128 modeled peripherals$/,
    );
  });

  it('257 register blocks (at most 256)', () => {
    const registerBlocks = Array.from({ length: 257 }, (_, i) => ({
      name: `B${i}`,
      base: 0x50100000 + 0x400 * i,
      size: 0x400,
    }));
    expect(() => loadBoard(write({ registerBlocks }))).toThrow(
      /b\.json: registerBlocks: expected a list of at most 256 blocks \{name, base, size\}$/,
    );
  });

  it('a peripheral block larger than 64 KiB, and a huge IRQ number', () => {
    const big = { name: 'X', model: 'stm32f4-gpio', base: '0x40100000', size: '0x20000' };
    expect(() => loadBoard(write({ peripherals: [base.peripherals[0], big], registerBlocks: [] }))).toThrow(
      /peripherals\[1\]\.size: expected a multiple of 4 bytes up to 65536, got 131072$/,
    );
    const irq = { name: 'U', model: 'stm32f4-usart', base: '0x40100000', irq: [1e12] };
    expect(() => loadBoard(write({ peripherals: [base.peripherals[0], irq], registerBlocks: [] }))).toThrow(
      /peripherals\[1\]\.irq\[0\]: expected a whole number 0\.\.90, got an integer 1000000000000$/,
    );
  });
});
