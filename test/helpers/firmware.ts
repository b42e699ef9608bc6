// Builds the test firmwares in test/firmware/ into test/firmware/build/ (skipped when unchanged).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { loadBoard } from '../../src/emulator/board.js';
import {
  compileFirmware,
  findToolchain,
  projectRoot,
  type CompileResult,
} from '../../src/toolchain/toolchain.js';

export const FIRMWARE_DIR = join(projectRoot(), 'test', 'firmware');
export const FIRMWARE_BUILD_DIR = join(FIRMWARE_DIR, 'build');
export const BOARD_DIR = join(projectRoot(), 'firmware', 'board');
export const LINKER_SCRIPT = join(BOARD_DIR, 'm4-256k.ld');
export const STARTUP = join(BOARD_DIR, 'startup.c');

/** Every firmware in test/firmware/ (NAME.c or NAME.S). */
export const TEST_FIRMWARES = [
  'hello',
  'recursion',
  'malloc',
  'past-sram',
  'stack-overflow',
  'forever',
  'undefined',
  'semihost-escape',
  'compute',
  'no-newlib',
  'stack-depth',
  'itm-dwt',
  'idle',
  'peripherals',
  'kernel-echo',
  'echo-stdin',
  'itm-flood',
  'output-flood',
  'peripheral-flood',
  'diagnose',
  'semihost-flash',
  'semihost-open',
  'traps',
  'zero-sled',
  'em-svc',
  'em-wfi',
  'em-fault',
  'em-chain',
  'exc-svc',
  'exc-systick',
  'exc-pendsv',
  'exc-priorities',
  'exc-threads',
  'exc-hardfault',
  'exc-wfi',
  'exc-faults',
  'exc-psp',
  'system-reset',
  'call-shapes',
  'call-shapes-c',
  'deep-recursion',
  'cyccnt-block',
  'heap-newlib',
  'heap-sbrk-r',
  'heap-picolibc',
  'heap-bump',
  'stm32-clock',
  'stm32-usart-poll',
  'stm32-usart-irq',
  'stm32-usart-echo',
  'stm32-gpio',
  'stm32-timer',
  'stm32-hal-tick',
  'until-loop',
  'poll-unmodeled',
  'gdb-debug',
  'camera-rows',
] as const;

/** Firmwares that bring their own vector table and link without newlib or our start-up (so does every NAME.S). */
const BARE = new Set<string>(['no-newlib', 'idle', 'heap-bump']);

/**
 * Firmwares linked with picolibc instead of newlib: Debian's picolibc-arm-none-eabi, its crt0 (and
 * vector table) and picolibc.ld, semihosting from its libsemihost; no start-up or linker script of ours.
 */
const PICOLIBC = new Set<string>(['heap-picolibc']);

/** Debian's picolibc specs (package picolibc-arm-none-eabi). */
export const PICOLIBC_SPECS = '/usr/lib/picolibc/arm-none-eabi/picolibc.specs';

/** True when test/firmware/NAME is built with picolibc (see PICOLIBC). */
export function isPicolibcFirmware(name: string): boolean {
  return PICOLIBC.has(name);
}

/** True when picolibc firmware can be built: use with `describe.skipIf(!havePicolibc)`. */
export const havePicolibc = findToolchain() !== null && existsSync(PICOLIBC_SPECS);

/**
 * picolibc.ld places flash and RAM where --defsym says (__flash, __flash_size, __ram, __ram_size):
 * the default board's (boards/m4-256k.json, what `m4sim simulate` uses), so picolibc firmware runs
 * on the same memory map as firmware linked with firmware/board/m4-256k.ld.
 */
function picolibcMemoryFlags(): string[] {
  const board = loadBoard('m4-256k');
  const ram = board.ram[0]!;
  const hex = (n: number) => `0x${n.toString(16)}`;
  return [
    `-Wl,--defsym=__flash=${hex(board.flash.base)}`,
    `-Wl,--defsym=__flash_size=${hex(board.flash.size)}`,
    `-Wl,--defsym=__ram=${hex(ram.base)}`,
    `-Wl,--defsym=__ram_size=${hex(ram.size)}`,
  ];
}

/** True when test/firmware/NAME links bare: its own vector table, no newlib, no start-up of ours. */
export function isBareFirmware(name: string): boolean {
  return BARE.has(name) || existsSync(join(FIRMWARE_DIR, `${name}.S`));
}

/** True when arm-none-eabi-gcc was found: use with `describe.skipIf(!haveToolchain)`. */
export const haveToolchain = findToolchain() !== null;

export interface TestFirmwareOptions {
  defines?: Record<string, string | number | boolean>;
  cflags?: string[];
  /** Output base name; default NAME, or NAME-<hash of the options> when defines/cflags are given. */
  variant?: string;
  /** Build even when the inputs are unchanged. */
  force?: boolean;
  /** Linker script (default firmware/board/m4-256k.ld). */
  linkerScript?: string;
  /** More C sources to compile in (e.g. firmware/kernels/*.c), absolute or relative to the project. */
  sources?: string[];
  /** Include directories (firmware/kernels is always one). */
  includeDirs?: string[];
}

/** The detector's C kernels, shared by the firmware and the kernel tests. */
export const KERNELS_DIR = join(projectRoot(), 'firmware', 'kernels');

/** Builds test/firmware/NAME.c with the details (map, .su files, skipped) of the build. */
export function buildTestFirmwareDetailed(name: string, opts: TestFirmwareOptions = {}): CompileResult {
  const custom =
    opts.defines !== undefined ||
    opts.cflags !== undefined ||
    opts.linkerScript !== undefined ||
    opts.sources !== undefined;
  const suffix = custom
    ? '-' +
      createHash('sha256')
        .update(
          JSON.stringify([
            opts.defines ?? {},
            opts.cflags ?? [],
            opts.linkerScript ?? '',
            opts.sources ?? [],
          ]),
        )
        .digest('hex')
        .slice(0, 8)
    : '';
  const output = join(FIRMWARE_BUILD_DIR, `${opts.variant ?? name.replace(/\//g, '-') + suffix}.elf`);
  const assembly = join(FIRMWARE_DIR, `${name}.S`);
  const source = existsSync(assembly) ? assembly : join(FIRMWARE_DIR, `${name}.c`);
  const extra = (opts.sources ?? []).map((f) => (isAbsolute(f) ? f : join(projectRoot(), f)));
  const common = {
    output,
    linkerScript: opts.linkerScript ?? LINKER_SCRIPT,
    defines: opts.defines,
    cflags: ['-Wall', '-Wextra', ...(opts.cflags ?? [])],
    force: opts.force,
    includeDirs: [KERNELS_DIR, ...(opts.includeDirs ?? [])],
  };
  if (isPicolibcFirmware(name)) {
    // picolibc's own picolibc.ld (its specs add it when there is no -T), semihosting crt0 and oslib.
    return compileFirmware({
      ...common,
      linkerScript: opts.linkerScript,
      cflags: ['-Wall', '-Wextra', '--crt0=semihost', '--oslib=semihost', ...(opts.cflags ?? [])],
      sources: [source, ...extra],
      specs: [PICOLIBC_SPECS],
      ldflags: picolibcMemoryFlags(),
    });
  }
  if (isBareFirmware(name)) {
    return compileFirmware({
      ...common,
      sources: [source, ...extra],
      ldflags: ['-nostdlib', '-nostartfiles'],
    });
  }
  return compileFirmware({ ...common, sources: [source, ...extra, STARTUP], specs: ['rdimon.specs'] });
}

/** Builds test/firmware/NAME.c and returns the ELF path. */
export function buildTestFirmware(name: string, opts: TestFirmwareOptions = {}): string {
  return buildTestFirmwareDetailed(name, opts).elf;
}

/**
 * Links a bare assembly program (no C library, no start-up code): a two-word vector table, `body`
 * from Reset_Handler on, then the exit sequence `ldr r1, =exit_block; movs r0, #0x20; bkpt 0xab`
 * (SYS_EXIT_EXTENDED, status 0), which costs 2 + 1 + 1 cycles in the model.
 */
export function buildAsmProgram(name: string, body: string): string {
  mkdirSync(FIRMWARE_BUILD_DIR, { recursive: true });
  const source = join(FIRMWARE_BUILD_DIR, `${name}.S`);
  const text = [
    '  .syntax unified',
    '  .cpu cortex-m4',
    '  .fpu fpv4-sp-d16',
    '  .thumb',
    '  .section .isr_vector, "a"',
    '  .word _estack',
    '  .word Reset_Handler + 1',
    '  .text',
    '  .thumb_func',
    '  .global Reset_Handler',
    '  .type Reset_Handler, %function',
    'Reset_Handler:',
    body,
    '  ldr r1, =exit_block',
    '  movs r0, #0x20',
    '  bkpt 0xab',
    '  .ltorg',
    '  .section .rodata',
    '  .align 2',
    'exit_block:',
    '  .word 0x20026',
    '  .word 0',
    '',
  ].join('\n');
  if (!existsSync(source) || readFileSync(source, 'utf8') !== text) writeFileSync(source, text);
  return compileFirmware({
    sources: [source],
    output: join(FIRMWARE_BUILD_DIR, `${name}.elf`),
    linkerScript: LINKER_SCRIPT,
    ldflags: ['-nostdlib', '-nostartfiles'],
  }).elf;
}
