// The detector linked for the board chosen, through the command line (dist/): simulate, check and
// report on the paper's STM32F439 (192 KiB SRAM) fit and match the reference, with the raw outputs of
// `m4sim reference`; boards too small are refused with one line giving the bytes needed (from binutils'
// `size` on the m4-256k build, not from m4sim) and the board's, status 65 (check: the row fails).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDetector } from '../src/detector/build.js';
import { loadBoard } from '../src/emulator/board.js';
import { linkerScriptText, linkMemory } from '../src/toolchain/board-linker.js';
import { findToolchain, siblingTool } from '../src/toolchain/toolchain.js';
import { projectRoot } from '../src/util/paths.js';
import { haveToolchain } from './helpers/firmware.js';
import { cli } from './helpers/run.js';

if (!haveToolchain) console.warn('skipping detector board tests: arm-none-eabi-gcc not found');

const CAMERA = join(projectRoot(), 'scenarios', 'images', 'camera-320x240.png');
const n = (v: number) => v.toLocaleString('en-US');
/** The stack reserve README and src/detector/fit.ts document: 6 KiB. */
const RESERVE = 6144;

describe('board linker scripts', () => {
  it('carry the board’s flash and first RAM region as numbers, and nothing else of the board file', () => {
    const text = linkerScriptText(linkMemory(loadBoard('stm32f439')));
    // boards/stm32f439.json: 2 MiB flash at 0x08000000, SRAM (192 KiB) at 0x20000000 first, CCM second.
    expect(text).toContain('  FLASH (rx)  : ORIGIN = 0x08000000, LENGTH = 2097152\n');
    expect(text).toContain('  RAM   (rwx) : ORIGIN = 0x20000000, LENGTH = 196608\n');
    expect(text).toContain('_estack = ORIGIN(RAM) + LENGTH(RAM);\n');
    expect(text).toContain(`INCLUDE "${join(projectRoot(), 'firmware', 'board', 'sections.ld')}"\n`);
    expect(text).not.toMatch(/stm32f439|STM32|CCM|0x10000000/);
    const resized = linkerScriptText(linkMemory(loadBoard('m4-256k', { ram: '160K', flash: '512K' })));
    expect(resized).toContain('LENGTH = 524288\n');
    expect(resized).toContain('LENGTH = 163840\n');
  });

  it('refuse a memory map no board file could give', () => {
    const board = loadBoard('m4-256k');
    board.ram[0]!.size = Number.NaN;
    expect(() => linkMemory(board)).toThrow('ram[0]: not a memory region m4sim can link for');
  });
});

describe.skipIf(!haveToolchain)('the detector on the board chosen', () => {
  let dir = '';
  /** Static RAM and flash bytes of the m4-256k build, by binutils' size (section sizes by address). */
  let staticBytes = 0;
  let flashBytes = 0;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'm4sim-detector-boards-'));
    const elf = buildDetector().elf;
    const size = siblingTool(findToolchain()!.gcc, 'size')!;
    const out = spawnSync(size, ['-A', '-d', elf], { encoding: 'utf8' }).stdout;
    for (const line of out.split('\n')) {
      const m = /^(\.\S+)\s+(\d+)\s+(\d+)$/.exec(line.trim());
      if (!m) continue;
      const [name, bytes, addr] = [m[1]!, Number(m[2]), Number(m[3])];
      // m4-256k: flash at 0x08000000, SRAM at 0x20000000; .data is also stored in flash (its initial values).
      if (addr >= 0x20000000 && addr < 0x20040000) staticBytes += bytes;
      if ((addr >= 0x08000000 && addr < 0x08100000) || name === '.data') flashBytes += bytes;
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('simulate --board stm32f439: linked for its 192 KiB, the reference’s outputs and boxes exactly', () => {
    const fw = join(dir, 'stm32f439.bin');
    const ref = join(dir, 'reference.bin');
    const r = cli(['simulate', '--board', 'stm32f439', '--image', CAMERA, '--json', '--outputs', fw]);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.exit.reason).toBe('exit');
    expect(j.detector.match).toBe(true);
    expect(j.sram.size).toBe(196608);
    // The initial stack pointer is the top of the board's 192 KiB, not of 256 KiB.
    expect(j.sram.initialSp).toBe(0x20000000 + 196608);
    expect(j.sram.data + j.sram.bss + j.sram.otherStatic).toBe(staticBytes);
    // 124,832 static + 2,024 stack, as on m4-256k (test/detector.test.ts): within 128 KiB of the 192.
    expect(j.sram.total).toBe(126_856);
    expect(j.flash).toEqual({ used: flashBytes, size: 2097152 });
    const rr = cli(['reference', '--image', CAMERA, '--json', '--outputs', ref]);
    expect(rr.status, rr.stderr).toBe(0);
    expect(readFileSync(fw).length).toBe(36000); // 18,000 int16
    expect(readFileSync(fw).equals(readFileSync(ref))).toBe(true);
    expect(j.detector.boxes).toEqual(JSON.parse(rr.stdout).boxes);
  });

  it('check: a stm32f439 scenario in a temp folder runs the detector built for it, within budget, matching', () => {
    const file = join(dir, 'f439.yaml');
    writeFileSync(
      file,
      `firmware:\n  detector: {}\nboard: stm32f439\nimages: [${JSON.stringify(CAMERA)}]\nbudgets:\n  match: true\n`,
    );
    const r = cli(['check', file, '--jobs', '1', '--json', '-']);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.ok).toBe(true);
    const result = j.scenarios[0].result;
    expect(result).toMatchObject({ board: 'stm32f439', ramSize: 196608, error: null, doesNotFit: null });
    expect(result.notes).toEqual([]);
    expect(result.measured.match).toBe(true);
    expect(result.images[0]).toMatchObject({ match: true, divergence: null });
    expect(
      j.scenarios[0].rows.map((row: { budget: string; status: string }) => [row.budget, row.status]),
    ).toEqual([
      ['sram', 'ok'],
      ['match', 'ok'],
      ['exit', 'ok'],
    ]);
  });

  it('report --board stm32f439: matches the reference and writes the HTML report', () => {
    const html = join(dir, 'report.html');
    const r = cli(['report', '--board', 'stm32f439', '--html', html]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('firmware matches reference: 18000/18000 outputs');
    expect(r.stderr).toMatch(/peak SRAM {5}[\d,]+ bytes of 196,608 /);
    expect(readFileSync(html, 'utf8')).toContain('<svg');
  });

  it('simulate --ram 128K: fits (static + the stack reserve, by binutils, within 131,072 B), runs, matches', () => {
    expect(staticBytes + RESERVE).toBeLessThanOrEqual(131072);
    const r = cli(['simulate', '--ram', '128K', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.detector.match).toBe(true);
    expect(j.sram.size).toBe(131072);
    expect(j.sram.initialSp).toBe(0x20000000 + 131072);
    expect(j.sram.data + j.sram.bss + j.sram.otherStatic).toBe(staticBytes);
    // test/detector.test.ts: 124,832 static + 2,024 stack.
    expect(j.sram.total).toBe(126_856);
  });

  it('simulate --ram 120K: one line with the SRAM needed and the board’s, status 65', () => {
    const r = cli(['simulate', '--ram', '120K']);
    expect(r.status).toBe(65);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `m4sim: detector firmware for face-m4-synthetic does not fit board m4-256k: needs ${n(staticBytes + RESERVE)} B of SRAM (static ${n(staticBytes)} + stack reserve 6,144), the board has 122,880 B\n`,
    );
  });

  it('a board file with 128 KiB of flash: one line with the flash needed and the board’s, status 65 (report too)', () => {
    const board = join(dir, 'small-flash.json');
    writeFileSync(
      board,
      JSON.stringify({
        name: 'small-flash',
        flash: { base: '0x08000000', size: 131072 },
        ram: [{ name: 'SRAM', base: '0x20000000', size: 262144 }],
      }),
    );
    const r = cli(['report', '--board', board]);
    expect(r.status).toBe(65);
    expect(r.stderr).toBe(
      `m4sim: detector firmware for face-m4-synthetic does not fit board small-flash: needs ${n(flashBytes)} B of flash, the board has 131,072 B\n`,
    );
  });

  it('check: a scenario whose board is too small fails its sram row with the numbers, and is not run', () => {
    const file = join(dir, 'small.yaml');
    writeFileSync(file, 'firmware:\n  detector: {}\nboard: m4-256k\nram: 120K\nbudgets:\n  match: true\n');
    const r = cli(['check', file, '--jobs', '1', '--json', '-']);
    expect(r.status).toBe(1);
    const j = JSON.parse(r.stdout);
    const message = `detector firmware for face-m4-synthetic does not fit board m4-256k: needs ${n(staticBytes + RESERVE)} B of SRAM (static ${n(staticBytes)} + stack reserve 6,144), the board has 122,880 B`;
    expect(j.scenarios[0].result).toMatchObject({
      measured: null,
      error: null,
      doesNotFit: {
        sram: {
          needed: staticBytes + RESERVE,
          static: staticBytes,
          stackReserve: RESERVE,
          available: 122880,
        },
        message,
      },
    });
    expect(j.scenarios[0].result.doesNotFit.flash).toBeUndefined();
    expect(j.scenarios[0].rows).toMatchObject([
      {
        budget: 'sram',
        value: staticBytes + RESERVE,
        limit: 122880,
        pass: false,
        status: 'FAIL',
        detail: message,
      },
    ]);
    expect(r.stderr).toContain(`small sram: ${message}\n`);
  });
});
