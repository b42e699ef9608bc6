// End to end: real firmware built by arm-none-eabi-gcc, run in the real Unicorn engine, through the
// library and through the m4sim command line.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_STATUS } from '../src/emulator/machine.js';
import { findToolchain, siblingTool } from '../src/toolchain/toolchain.js';
import { buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { cli, simulate } from './helpers/run.js';

if (!haveToolchain) console.warn('skipping simulator tests: arm-none-eabi-gcc not found');

/** Section sizes as binutils' `size -A` reports them: an independent view of the ELF. */
function sectionSizes(elf: string): Map<string, number> {
  const size = siblingTool(findToolchain()!.gcc, 'size')!;
  const out = execFileSync(size, ['-A', '-d', elf], { encoding: 'utf8' });
  const sizes = new Map<string, number>();
  for (const line of out.split('\n')) {
    const m = /^(\.\S+)\s+(\d+)\s+(\d+)/.exec(line);
    if (m) sizes.set(m[1]!, Number(m[2]));
  }
  return sizes;
}

/** Bytes of PT_LOAD segments whose load address is in flash, as binutils' readelf -l lists them. */
function loadedIntoFlash(elf: string): number {
  const readelf = siblingTool(findToolchain()!.gcc, 'readelf')!;
  const out = execFileSync(readelf, ['-lW', elf], { encoding: 'utf8' });
  let total = 0;
  for (const m of out.matchAll(/^\s*LOAD\s+0x[0-9a-f]+ 0x[0-9a-f]+ (0x[0-9a-f]+) (0x[0-9a-f]+)/gm)) {
    const paddr = Number(m[1]);
    if (paddr >= 0x08000000 && paddr < 0x08100000) total += Number(m[2]);
  }
  return total;
}

describe.skipIf(!haveToolchain)('newlib rdimon firmware', () => {
  it('passes printf output through and exits with the status of exit(3)', () => {
    const r = cli(['simulate', buildTestFirmware('hello')]);
    expect(r.stdout).toBe('hello from the M4\nanswer = 42, ratio = 3.25\n');
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/ended +exit 3/);
    expect(r.stderr).toMatch(/cycle model +cortex-m4-trm v1: P=2/);
  });

  it('--json prints the documented fields, with static sizes equal to binutils size -A', () => {
    const elf = buildTestFirmware('hello');
    const r = cli(['simulate', elf, '--ram', '256K', '--clock', '168MHz', '--json']);
    expect(r.status).toBe(3);
    const j = JSON.parse(r.stdout);
    const sizes = sectionSizes(elf);
    expect(j.exit).toMatchObject({ reason: 'exit', code: 3 });
    expect(j.output).toBe('hello from the M4\nanswer = 42, ratio = 3.25\n');
    expect(r.stderr).toContain('hello from the M4'); // with --json the firmware prints on stderr
    expect(j.sram.data).toBe(sizes.get('.data'));
    expect(j.sram.bss).toBe(sizes.get('.bss'));
    expect(j.sram.size).toBe(256 * 1024);
    expect(j.sram.total).toBe(j.sram.data + j.sram.bss + j.sram.otherStatic + j.sram.heap + j.sram.stack);
    expect(j.flash.used).toBe(loadedIntoFlash(elf));
    expect(j.clockHz).toBe(168e6);
    expect(j.seconds).toBeCloseTo(j.cycles / 168e6, 12);
    expect(j.cycles).toBeGreaterThan(j.instructions);
    expect(j.cpi).toBeCloseTo(j.cycles / j.instructions, 12);
    expect(j.cycleModel.params).toMatchObject({ branchRefill: 2, flashWaitStates: 0 });
    expect(j.sram.stackPath.slice(0, 2)).toEqual(['Reset_Handler', '_mainCRTStartup']);
    expect(j.sram.stackPath).toContain('main');
  });

  it('--stdin gives the firmware this process’s standard input (SYS_READ from :tt); without it, end of file', () => {
    const elf = buildTestFirmware('echo-stdin');
    const r = cli(['simulate', elf, '--stdin'], 'hello from the host\n');
    expect(r.stdout).toBe('got: hello from the host\n');
    expect(r.status).toBe(0);
    const none = cli(['simulate', elf], 'ignored\n');
    expect(none.stdout).toBe('eof\n');
    expect(none.status).toBe(1);
  });

  it('gives the same instructions, cycles and bytes on every run', () => {
    const elf = buildTestFirmware('hello');
    const a = simulate(elf).result;
    const b = simulate(elf).result;
    expect([b.instructions, b.cycles, b.sram, b.flash]).toEqual([a.instructions, a.cycles, a.sram, a.flash]);
  });

  it('reports the heap high-water as the break _sbrk reached, as the firmware measures it', () => {
    const { result, output } = simulate(buildTestFirmware('malloc'));
    const own = Number(/heap (\d+)/.exec(output)?.[1]);
    expect(result.exit).toMatchObject({ reason: 'exit', code: 0 });
    expect(own).toBeGreaterThanOrEqual(10000);
    expect(result.sram.heap).toBe(own);
  });

  it('stack high-water agrees between the fast path and exact mode', () => {
    const elf = buildTestFirmware('recursion');
    const fast = simulate(elf).result;
    const exact = simulate(elf, { exact: true }).result;
    expect(fast.exit.code).toBe(0);
    expect(exact.sram.exact!.stack).toBe(fast.sram.stack);
    expect(exact.sram.stack).toBe(fast.sram.stack);
    expect(exact.cycles).toBe(fast.cycles);
    // Painting sees at most what SP reached: reserved-but-unwritten frame bytes stay painted.
    expect(fast.sram.stackPainted).toBeLessThanOrEqual(fast.sram.stack);
    expect(fast.sram.stackPainted).toBeGreaterThan(fast.sram.stack - 64);
  });

  it('ITM port 0 is stdout, other ports are timestamped events, DWT CYCCNT counts modeled cycles', () => {
    const elf = buildTestFirmware('itm-dwt');
    const { result, output } = simulate(elf);
    expect(result.exit.code).toBe(0);
    expect(output.startsWith('itm port 0\n')).toBe(true);
    expect(output).toContain('cpuid 410fc241\n');
    expect(output).toContain('before enable 0\n');
    const loop = Number(/loop cycles (\d+)/.exec(output)?.[1]);
    // 1000 iterations of at least a load, an add, a store, an increment, a compare and a branch.
    expect(loop).toBeGreaterThan(6000);
    expect(loop).toBeLessThan(result.cycles);
    expect(result.itm.map((e) => [e.port, e.value, e.size])).toEqual([
      [3, 0x1234, 4],
      [3, 0x5678, 4],
    ]);
    // Timestamps are those of the storing instructions, although both are in one translation block.
    expect(result.itm[0]!.cycles).toBeLessThan(result.itm[1]!.cycles);
    expect(result.itm[1]!.cycles).toBeLessThan(result.cycles);
    expect(result.ppbUnmodeled).toEqual([]);
    expect(simulate(elf).output).toBe(output); // CYCCNT is deterministic too
  });
});

describe.skipIf(!haveToolchain)('firmware without newlib or our start-up', () => {
  it('runs a bare vector table + raw semihosting program', () => {
    const { result, output } = simulate(buildTestFirmware('no-newlib'));
    expect(output).toBe('ok\n');
    expect(result.exit).toMatchObject({ reason: 'exit', code: 0 });
  });

  it('stack-depth.S: the stack high-water is the hand-computed 396 bytes, in both modes', () => {
    const elf = buildTestFirmware('stack-depth');
    // 11 activations × (push of 4 registers + sub sp, #16) + a 40-byte run-time block + push {r0}.
    const expected = 11 * (16 + 16) + 40 + 4;
    const fast = simulate(elf).result;
    const exact = simulate(elf, { exact: true }).result;
    expect(fast.exit).toMatchObject({ reason: 'exit', code: 0 });
    expect(fast.sram.stack).toBe(expected);
    expect(exact.sram.exact!.stack).toBe(expected);
    expect(exact.sram.exact!.lowestWrite).toBe(fast.sram.initialSp - expected);
    expect(fast.sram.stackPainted).toBe(expected); // push {r0} wrote the lowest word
    expect(fast.sram.stackPath).toEqual(['Reset_Handler', ...Array(11).fill('recurse')]);
    expect(fast.sram.heap).toBe(0);
    expect(fast.sram.total).toBe(expected);
  });
});

describe.skipIf(!haveToolchain)(
  'faults and limits end the run with a diagnosis and a distinct status',
  () => {
    it('a write past the end of SRAM is a memory fault naming the address, distance and function', () => {
      const r = cli(['simulate', buildTestFirmware('past-sram')]);
      expect(r.status).toBe(EXIT_STATUS['memory-fault']);
      expect(r.stderr).toMatch(
        /memory-fault: write to unmapped address 0x20040010, 4 bytes \(16 bytes past the end of SRAM at 0x20040000\) at main\+0x[0-9a-f]+ \(pc 0x0800[0-9a-f]{4}\)/,
      );
    });

    it('recursing into static data is a stack overflow, stopped before the write', () => {
      const { result } = simulate(buildTestFirmware('stack-overflow'));
      expect(result.exit.reason).toBe('stack-overflow');
      expect(result.exit.code).toBe(134);
      expect(result.exit.message).toMatch(
        /^stack overflow into (\.bss|the heap): SP would reach 0x2001[0-9a-f]{4} in dive/,
      );
      // Nothing below the heap break / .bss end was written.
      expect(result.sram.stackPainted).toBeLessThan(result.sram.initialSp - 0x20000000 - 64 * 1024);
    });

    it('a runaway loop stops at --max-instructions', () => {
      const r = cli(['simulate', buildTestFirmware('forever'), '--max-instructions', '1000000', '--json']);
      expect(r.status).toBe(125);
      const j = JSON.parse(r.stdout);
      expect(j.exit.reason).toBe('instruction-limit');
      expect(j.exit.location).toMatch(/^main/);
      expect(j.instructions).toBeGreaterThanOrEqual(1_000_000);
      expect(j.instructions).toBeLessThan(1_000_100);
    });

    it('a runaway loop stops at --timeout', () => {
      const r = cli(['simulate', buildTestFirmware('forever'), '--timeout', '300ms']);
      expect(r.status).toBe(124);
      expect(r.stderr).toMatch(/timeout: stopped after 300 ms of wall-clock time \(--timeout\) in main/);
    });

    it('main returning into `b .` is an idle loop: stopped at once, not run until a limit', () => {
      const r = cli(['simulate', buildTestFirmware('idle'), '--json']);
      expect(r.status).toBe(126);
      const j = JSON.parse(r.stdout);
      expect(j.exit.reason).toBe('hang');
      expect(j.exit.location).toMatch(/^Reset_Handler\+0x/);
      expect(j.instructions).toBeLessThan(2000);
    });

    it('an undefined instruction names its function', () => {
      const r = cli(['simulate', buildTestFirmware('undefined')]);
      expect(r.status).toBe(132);
      expect(r.stderr).toMatch(/invalid-instruction: undefined instruction at main\+0x[0-9a-f]+/);
    });
  },
);

describe.skipIf(!haveToolchain)('semihosting cannot reach the host outside the sandbox', () => {
  const sandbox = mkdtempSync(join(tmpdir(), 'm4sim-sandbox-'));
  const marker = '/tmp/m4sim-pwned';
  beforeAll(() => rmSync(marker, { force: true }));
  afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

  it('refuses SYS_OPEN outside the sandbox and SYS_SYSTEM, returning -1 and listing them', () => {
    writeFileSync(join(sandbox, '..', 'outside.txt'), 'secret');
    const r = cli(['simulate', buildTestFirmware('semihost-escape'), '--sandbox', sandbox, '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.output).toContain('open /etc/passwd: -1\n');
    expect(j.output).toContain('open ../outside.txt: -1\n');
    expect(j.output).toContain('system: -1\n');
    expect(j.semihosting.refused).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^SYS_OPEN "\/etc\/passwd"/),
        expect.stringMatching(/^SYS_OPEN "\.\.\/outside\.txt" \(outside the sandbox\)/),
        'SYS_SYSTEM "echo pwned > /tmp/m4sim-pwned"',
      ]),
    );
    expect(existsSync(marker)).toBe(false);
    rmSync(join(sandbox, '..', 'outside.txt'), { force: true });
  });
});

describe('bad input gets one line and a non-zero status, never a stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'm4sim-bad-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, bytes: Uint8Array | string) => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };
  const expectOneLine = (args: string[], status: number, pattern: RegExp) => {
    const r = cli(args);
    expect(r.status).toBe(status);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };

  it('an empty file', () => {
    expectOneLine(['simulate', file('empty.elf', '')], 65, /^m4sim: .*empty file \(0 bytes\)/);
  });
  it('a text file', () => {
    expectOneLine(['simulate', file('notes.txt', 'just some text\n')], 65, /not an ELF file/);
  });
  it('an x86-64 ELF', () => {
    expectOneLine(['simulate', process.execPath], 65, /64-bit ELF; m4sim runs 32-bit ARM/);
  });
  it('a missing file', () => {
    expectOneLine(['simulate', join(dir, 'nope.elf')], 66, /ENOENT|no such file/i);
  });
  it('an unknown board and a malformed size', () => {
    expectOneLine(['simulate', process.execPath, '--board', 'pdp11'], 64, /unknown board "pdp11"/);
    expectOneLine(['simulate', process.execPath, '--ram', 'lots'], 64, /--ram: expected a size/);
  });
  it.skipIf(!haveToolchain)('a truncated ELF', () => {
    const whole = readFileSync(buildTestFirmware('hello'));
    expectOneLine(['simulate', file('cut.elf', whole.subarray(0, 100))], 65, /truncated/);
    expectOneLine(['simulate', file('half.elf', whole.subarray(0, 2000))], 65, /truncated: PT_LOAD segment/);
  });
  it.skipIf(!haveToolchain)('an ELF with no vector table', () => {
    // A real image runs; the same image with word 0 of its vector table (the initial SP) overwritten does not.
    const bytes = new Uint8Array(readFileSync(buildTestFirmware('no-newlib')));
    expect(cli(['simulate', file('vec.elf', bytes)]).status).toBe(0);
    const offset = elfVectorOffset(bytes);
    bytes.set([0x78, 0x56, 0x34, 0x12], offset);
    expectOneLine(
      ['simulate', file('novec.elf', bytes)],
      65,
      /no vector table: word 0 at 0x08000000 is 0x12345678/,
    );
  });
});

/** File offset of the first PT_LOAD segment (where the vector table is in our linker script). */
function elfVectorOffset(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const phoff = view.getUint32(28, true);
  for (let i = 0; i < view.getUint16(44, true); i++) {
    const ph = phoff + i * view.getUint16(42, true);
    if (view.getUint32(ph, true) === 1) return view.getUint32(ph + 4, true);
  }
  throw new Error('no PT_LOAD');
}
