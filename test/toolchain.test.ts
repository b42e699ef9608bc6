import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CompileError,
  compileFirmware,
  findToolchain,
  projectRoot,
  requireToolchain,
  siblingTool,
} from '../src/toolchain/toolchain.js';
import {
  buildTestFirmware,
  buildTestFirmwareDetailed,
  FIRMWARE_DIR,
  havePicolibc,
  haveToolchain,
  isBareFirmware,
  isPicolibcFirmware,
  LINKER_SCRIPT,
  TEST_FIRMWARES,
} from './helpers/firmware.js';

function tool(name: string): string {
  const t = siblingTool(requireToolchain().gcc, name);
  if (!t) throw new Error(`arm-none-eabi-${name} not found`);
  return t;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Section name → address from readelf -S. */
function sections(elf: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of run(tool('readelf'), ['-SW', elf]).split('\n')) {
    const m = /\]\s+(\S+)\s+\S+\s+([0-9a-f]{8})\s/.exec(line);
    if (m) out.set(m[1]!, parseInt(m[2]!, 16));
  }
  return out;
}

function symbols(elf: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of run(tool('nm'), [elf]).split('\n')) {
    const m = /^([0-9a-f]{8}) \S (\S+)$/.exec(line);
    if (m) out.set(m[2]!, parseInt(m[1]!, 16));
  }
  return out;
}

describe('findToolchain', () => {
  it('finds a toolchain or explains what to install', () => {
    const tc = findToolchain();
    if (tc) {
      expect(tc.version).toMatch(/^\d+\.\d+/);
      expect(tc.objcopy).toMatch(/objcopy/);
      expect(['env', 'path', 'xpack', 'debian']).toContain(tc.source);
    } else {
      expect(() => requireToolchain()).toThrow(/apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi/);
    }
  });

  it('uses $ARM_NONE_EABI_GCC exclusively when set', () => {
    const saved = process.env.ARM_NONE_EABI_GCC;
    try {
      process.env.ARM_NONE_EABI_GCC = '/nonexistent/arm-none-eabi-gcc';
      expect(findToolchain()).toBeNull();
      expect(() => requireToolchain()).toThrow(/ARM_NONE_EABI_GCC=\/nonexistent.*apt-get install/);
      const real = haveToolchain ? requireToolchainWithout() : undefined;
      if (real) {
        process.env.ARM_NONE_EABI_GCC = real;
        expect(findToolchain()).toMatchObject({ gcc: real, source: 'env' });
      }
    } finally {
      if (saved === undefined) delete process.env.ARM_NONE_EABI_GCC;
      else process.env.ARM_NONE_EABI_GCC = saved;
    }
  });

  it('knows the project root', () => {
    expect(JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')).name).toBe('m4sim');
  });
});

/** The gcc found without $ARM_NONE_EABI_GCC. */
function requireToolchainWithout(): string {
  const saved = process.env.ARM_NONE_EABI_GCC;
  delete process.env.ARM_NONE_EABI_GCC;
  try {
    return requireToolchain().gcc;
  } finally {
    if (saved !== undefined) process.env.ARM_NONE_EABI_GCC = saved;
  }
}

/** The test firmwares linked with newlib or bare (the picolibc ones have picolibc's own layout). */
const OWN_LAYOUT = TEST_FIRMWARES.filter((n) => !isPicolibcFirmware(n));

describe.skipIf(!haveToolchain)('test firmwares', () => {
  it.each(OWN_LAYOUT)('%s builds with .isr_vector at 0x08000000', (name) => {
    const first = buildTestFirmwareDetailed(name, { force: true });
    expect(first.skipped).toBe(false);
    expect(first.warnings).toEqual([]);
    const elf = first.elf;
    const s = sections(elf);
    expect(s.get('.isr_vector')).toBe(0x08000000);
    const sym = symbols(elf);
    expect(sym.get('Reset_Handler')).toBeDefined();
    if (!isBareFirmware(name)) {
      expect(sym.get('_start')).toBeDefined();
      expect(sym.get('_estack')).toBe(0x20040000);
      for (const n of [
        '_sidata',
        '_sdata',
        '_edata',
        '_sbss',
        '_ebss',
        'end',
        '__bss_start__',
        '__bss_end__',
      ]) {
        expect(sym.get(n), n).toBeDefined();
      }
      expect(s.get('.data')).toBe(0x20000000);
    } else {
      expect(sym.get('_start')).toBeUndefined();
      expect(sym.get('printf')).toBeUndefined();
    }
    expect(readFileSync(first.map, 'utf8')).toMatch(/Memory Configuration/);
    // -fstack-usage writes one .su per compiled C file (assembly has none).
    if (!existsSync(join(FIRMWARE_DIR, `${name}.S`))) expect(first.stackUsage.length).toBeGreaterThan(0);

    // Unchanged inputs: the second build does not run gcc.
    const second = buildTestFirmwareDetailed(name);
    expect(second.skipped).toBe(true);
    expect(second.elf).toBe(elf);
  });

  it.skipIf(!havePicolibc).each(TEST_FIRMWARES.filter(isPicolibcFirmware))(
    '%s builds with picolibc, its vector table at 0x08000000 on the m4-256k memory map',
    (name) => {
      const first = buildTestFirmwareDetailed(name, { force: true });
      expect(first.skipped).toBe(false);
      expect(first.warnings).toEqual([]);
      const s = sections(first.elf);
      const sym = symbols(first.elf);
      // picolibc's crt0 puts its vector table (__stack, _start) first in flash, in .init.
      expect(s.get('.init')).toBe(0x08000000);
      expect(sym.get('__interrupt_vector')).toBe(0x08000000);
      expect(sym.get('__stack')).toBe(0x20040000);
      expect(s.get('.data')).toBe(0x20000000);
      expect(sym.get('_start')).toBeDefined();
      expect(sym.get('__heap_start')).toBeDefined();
      // picolibc's malloc calls sbrk; nothing of newlib's (_sbrk, our start-up) is linked.
      expect(sym.get('sbrk')).toBeDefined();
      expect(sym.get('_sbrk')).toBeUndefined();
      expect(sym.get('Reset_Handler')).toBeUndefined();
      expect(buildTestFirmwareDetailed(name).skipped).toBe(true);
    },
  );

  it('recursion has a fixed, static frame in its .su file', () => {
    const { stackUsage } = buildTestFirmwareDetailed('recursion');
    const su = stackUsage.map((f) => readFileSync(f, 'utf8')).join('');
    expect(su).toMatch(/:recurse\t\d+\tstatic/);
  });

  it('compute takes -DITERATIONS into a separate build', () => {
    const small = buildTestFirmware('compute', { defines: { ITERATIONS: 10 } });
    expect(small).not.toBe(buildTestFirmware('compute'));
    expect(small).toMatch(/compute-[0-9a-f]{8}\.elf$/);
  });
});

describe.skipIf(!haveToolchain)('compileFirmware', () => {
  const dir = mkdtempSync(join(tmpdir(), 'm4sim-cc-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('rebuilds when a source or an included header changes, and only then', () => {
    const src = join(dir, 'main.c');
    const inc = join(dir, 'inc');
    const header = join(inc, 'value.h');
    const local = join(dir, 'local.h');
    writeFileSync(src, '#include "value.h"\n#include "local.h"\nint main(void) { return VALUE + LOCAL; }\n');
    mkdirSync(inc, { recursive: true });
    writeFileSync(header, '#define VALUE 1\n');
    writeFileSync(local, '#define LOCAL 1\n');
    const opts = {
      sources: [src],
      output: join(dir, 'out', 'main.elf'),
      linkerScript: LINKER_SCRIPT,
      specs: ['rdimon.specs'],
      includeDirs: [inc],
      // rdimon's crt0 wants our start-up's symbols only for .data; a plain link is enough here.
      ldflags: ['-Wl,--defsym=Reset_Handler=_start'],
    };
    expect(compileFirmware(opts).skipped).toBe(false);
    expect(compileFirmware(opts).skipped).toBe(true);
    writeFileSync(header, '#define VALUE 2\n');
    expect(compileFirmware(opts).skipped).toBe(false);
    expect(compileFirmware(opts).skipped).toBe(true);
    writeFileSync(local, '#define LOCAL 2\n'); // found next to the source, not via includeDirs
    expect(compileFirmware(opts).skipped).toBe(false);
    expect(compileFirmware({ ...opts, defines: { EXTRA: 1 } }).skipped).toBe(false);
    expect(compileFirmware({ ...opts, defines: { EXTRA: 1 } }).skipped).toBe(true);
  });

  it('reports the first compiler error line', () => {
    const src = join(dir, 'broken.c');
    writeFileSync(src, 'int main(void) {\n  return undeclared_thing;\n}\n');
    let err: unknown;
    try {
      compileFirmware({ sources: [src], output: join(dir, 'broken.elf'), specs: ['rdimon.specs'] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CompileError);
    expect((err as Error).message).toMatch(/broken\.c:2:\d+: error: 'undeclared_thing' undeclared/);
    expect((err as Error).message).not.toMatch(/\n/);
  });

  it('reports undefined references from the linker', () => {
    const src = join(dir, 'unresolved.c');
    writeFileSync(src, 'void missing_function(void);\nint main(void) { missing_function(); return 0; }\n');
    expect(() =>
      compileFirmware({ sources: [src], output: join(dir, 'unresolved.elf'), specs: ['rdimon.specs'] }),
    ).toThrow(/undefined reference to .missing_function/);
  });
});
