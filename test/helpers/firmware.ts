// Builds the test firmwares in test/firmware/ into test/firmware/build/ (skipped when unchanged).
import { createHash } from 'node:crypto';
import { join } from 'node:path';
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

/** Every firmware in test/firmware/ (NAME.c). */
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
] as const;

/** Firmwares that bring their own vector table and link without newlib or our start-up. */
const BARE = new Set<string>(['no-newlib']);

/** True when arm-none-eabi-gcc was found: use with `describe.skipIf(!haveToolchain)`. */
export const haveToolchain = findToolchain() !== null;

export interface TestFirmwareOptions {
  defines?: Record<string, string | number | boolean>;
  cflags?: string[];
  /** Output base name; default NAME, or NAME-<hash of the options> when defines/cflags are given. */
  variant?: string;
  /** Build even when the inputs are unchanged. */
  force?: boolean;
}

/** Builds test/firmware/NAME.c with the details (map, .su files, skipped) of the build. */
export function buildTestFirmwareDetailed(name: string, opts: TestFirmwareOptions = {}): CompileResult {
  const custom = opts.defines !== undefined || opts.cflags !== undefined;
  const suffix = custom
    ? '-' +
      createHash('sha256')
        .update(JSON.stringify([opts.defines ?? {}, opts.cflags ?? []]))
        .digest('hex')
        .slice(0, 8)
    : '';
  const output = join(FIRMWARE_BUILD_DIR, `${opts.variant ?? name + suffix}.elf`);
  const source = join(FIRMWARE_DIR, `${name}.c`);
  const common = {
    output,
    linkerScript: LINKER_SCRIPT,
    defines: opts.defines,
    cflags: ['-Wall', '-Wextra', ...(opts.cflags ?? [])],
    force: opts.force,
  };
  if (BARE.has(name)) {
    return compileFirmware({ ...common, sources: [source], ldflags: ['-nostdlib', '-nostartfiles'] });
  }
  return compileFirmware({ ...common, sources: [source, STARTUP], specs: ['rdimon.specs'] });
}

/** Builds test/firmware/NAME.c and returns the ELF path. */
export function buildTestFirmware(name: string, opts: TestFirmwareOptions = {}): string {
  return buildTestFirmwareDetailed(name, opts).elf;
}
