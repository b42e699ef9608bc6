// Semihosting with hostile pointers and special files (issue 8, items 6 and 8): the host never writes
// flash through a semihosting buffer, never reads device memory, never blocks on a FIFO, and lists
// every refusal. Real firmware (arm-none-eabi-gcc) in the real engine, plus the Semihosting class for
// the file-write quota.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseElf } from '../src/elf/elf.js';
import { SEMIHOSTING_LIMITS, SYS, Semihosting, type GuestMemory } from '../src/emulator/semihosting.js';
import { buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { simulate } from './helpers/run.js';
import { projectRoot } from '../src/util/paths.js';

const FLASH = 0x08000000;

describe.skipIf(!haveToolchain)('semihosting buffers in flash are refused (item 6)', () => {
  let elfPath: string;
  let run: ReturnType<typeof simulate>;
  let flashImage: Uint8Array;

  beforeAll(() => {
    elfPath = buildTestFirmware('semihost-flash');
    const elf = parseElf(readFileSync(elfPath), elfPath);
    // The flash image as the ELF loads it: every PT_LOAD segment placed in flash, zeros elsewhere
    // (Unicorn maps flash zero-filled).
    const end = Math.max(...elf.loads.map((s) => s.paddr + s.filesz));
    flashImage = new Uint8Array(end - FLASH);
    for (const s of elf.loads.filter((l) => l.filesz > 0 && l.paddr >= FLASH)) {
      flashImage.set(elf.bytes.subarray(s.offset, s.offset + s.filesz), s.paddr - FLASH);
    }
    run = simulate(elfPath, {
      cmdline: 'semihost-flash',
      collect: [{ name: 'flash', address: FLASH, length: flashImage.length }],
    });
  });

  it('returns -1 with EFAULT for each flash buffer and runs on', () => {
    expect(run.result.exit).toMatchObject({ reason: 'exit', code: 0 });
    expect(run.output).toBe(
      [
        'SYS_READ into a const string: -1 errno 14',
        'SYS_READ into vector word 0: -1 errno 14',
        'SYS_READ into RAM: 0 errno 0',
        'SYS_GET_CMDLINE into a const string: -1 errno 14',
        'SYS_GET_CMDLINE into vector word 0: -1 errno 14',
        'SYS_GET_CMDLINE with its block in flash: -1 errno 14',
        'SYS_HEAPINFO into a const string: -1 errno 14',
        'SYS_HEAPINFO into vector word 0: -1 errno 14',
        'SYS_ELAPSED into a const string: -1 errno 14',
        'SYS_ELAPSED into vector word 0: -1 errno 14',
        'SYS_ELAPSED into RAM: 0 errno 0',
        'SYS_SYSTEM with an unmapped command: -1 errno 14',
        'SYS_SYSTEM with an unmapped block: -1 errno 14',
        'SYS_WRITE0 of the PPB: -1 errno 14',
        'flash text: a constant string in flash',
        '',
      ].join('\n'),
    );
  });

  it('leaves every flash byte as the ELF loaded it', () => {
    const flash = run.result.collected.flash!;
    expect(flash.length).toBe(flashImage.length);
    // Compare as a count of differing bytes, so a failure says how many changed, not 40 KiB of dump.
    const changed = flash.reduce((n, b, i) => n + (b === flashImage[i] ? 0 : 1), 0);
    expect(changed).toBe(0);
  });

  it('lists each refusal with the call, what the pointer was for, its address and length', () => {
    const elf = parseElf(readFileSync(elfPath), elfPath);
    const sym = (name: string) => `0x${(elf.symbol(name)!.value >>> 0).toString(16)}`;
    const text = sym('flash_text');
    const block = elf.symbol('cmdline_block_in_flash')!.value;
    expect(run.result.semihosting.refused).toEqual([
      `SYS_READ buffer at ${text} (5 bytes) is not in RAM`,
      'SYS_READ buffer at 0x8000000 (4 bytes) is not in RAM',
      `SYS_GET_CMDLINE buffer at ${text} (15 bytes) is not in RAM`,
      'SYS_GET_CMDLINE buffer at 0x8000000 (15 bytes) is not in RAM',
      `SYS_GET_CMDLINE parameter block at 0x${(block + 4).toString(16)} (4 bytes) is not in RAM`,
      `SYS_HEAPINFO block at ${text} (16 bytes) is not in RAM`,
      'SYS_HEAPINFO block at 0x8000000 (16 bytes) is not in RAM',
      `SYS_ELAPSED block at ${text} (8 bytes) is not in RAM`,
      'SYS_ELAPSED block at 0x8000000 (8 bytes) is not in RAM',
      'SYS_SYSTEM command at 0x30000000 (10 bytes) is not in flash or RAM',
      'SYS_SYSTEM parameter block at 0x30000004 (4 bytes) is not in flash or RAM',
      'SYS_WRITE0 string at 0xe000ed00 (256 bytes) is not in flash or RAM',
    ]);
  });
});

describe.skipIf(!haveToolchain)('special files in the sandbox (items 6 and 8)', () => {
  let root: string;
  let sandbox: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'm4sim-shsec-'));
    sandbox = join(root, 'box');
    mkdirSync(join(sandbox, 'sub'), { recursive: true });
    execFileSync('mkfifo', [join(sandbox, 'fifo')]);
    symlinkSync(join(root, 'created-through-link.txt'), join(sandbox, 'dangling'));
    symlinkSync(join(sandbox, 'loop-b'), join(sandbox, 'loop-a'));
    symlinkSync(join(sandbox, 'loop-a'), join(sandbox, 'loop-b'));
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('refuses a FIFO at once, for reading and for writing, and lists it (real CLI)', () => {
    // Spawned with a deadline: a FIFO opened without O_NONBLOCK waits for its other end forever and
    // blocks the whole process, so in-process it would hang the suite instead of failing. The bound
    // is functional, not a benchmark (the machine is shared).
    const started = Date.now();
    const r = spawnSync(
      process.execPath,
      [
        join(projectRoot(), 'bin', 'm4sim.js'),
        'simulate',
        buildTestFirmware('semihost-open'),
        '--sandbox',
        sandbox,
        '--json',
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(r.signal).toBeNull();
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { output: string; semihosting: { refused: string[] } };
    expect(j.output).toBe(
      [
        'fifo 0: refused errno 13',
        'fifo 4: refused errno 13',
        'sub 0: refused errno 21',
        'new.txt 4: opened errno 0',
        '',
      ].join('\n'),
    );
    expect(j.semihosting.refused).toEqual([
      'SYS_OPEN "fifo" (a FIFO, not a regular file)',
      'SYS_OPEN "fifo" (a FIFO, not a regular file)',
      'SYS_OPEN "sub" (a directory, not a regular file)',
    ]);
    expect(statSync(join(sandbox, 'new.txt')).size).toBe(0);
  });

  it('lists a dangling symlink and a symlink loop as refusals and creates nothing through them', () => {
    const { result, output } = simulate(buildTestFirmware('semihost-open'), {
      sandbox,
      cmdline: 'semihost-open dangling 4 dangling 0 loop-a 0',
    });
    expect(result.exit).toMatchObject({ reason: 'exit', code: 0 });
    // newlib numbers ENOENT 2 and ELOOP 92.
    expect(output).toBe(
      ['dangling 4: refused errno 2', 'dangling 0: refused errno 2', 'loop-a 0: refused errno 92', ''].join(
        '\n',
      ),
    );
    expect(result.semihosting.refused).toEqual([
      'SYS_OPEN "dangling" (a symbolic link to nothing)',
      'SYS_OPEN "dangling" (a symbolic link to nothing)',
      'SYS_OPEN "loop-a" (a symbolic-link loop)',
    ]);
    expect(existsSync(join(root, 'created-through-link.txt'))).toBe(false);
  });
});

describe('the host-file write quota (item 6)', () => {
  let sandbox: string;
  beforeAll(() => {
    sandbox = mkdtempSync(join(tmpdir(), 'm4sim-quota-'));
  });
  afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

  it('lets a run write 64 MiB to sandbox files in all and refuses the next byte', () => {
    expect(SEMIHOSTING_LIMITS.fileWriteBytes).toBe(64 * 1024 * 1024);
    // 64 KiB of guest RAM at 0 for names and parameter blocks; from 0x10000000 on, zeros (the buffers).
    const ram = new Uint8Array(0x10000);
    const mem: GuestMemory = {
      read: (a, n) => (a >= 0x10000000 ? new Uint8Array(n) : ram.slice(a, a + n)),
      write: (a, b) => ram.set(b, a),
    };
    const words = (address: number, ...values: number[]) =>
      values.forEach((v, i) => new DataView(ram.buffer).setUint32(address + i * 4, v >>> 0, true));
    const sh = new Semihosting(mem, {
      sandbox,
      stdout: () => {},
      stderr: () => {},
      cmdline: '',
      heapInfo: { heapBase: 0, heapLimit: 0, stackBase: 0, stackLimit: 0 },
      elapsedSeconds: () => 0,
    });
    const name = new TextEncoder().encode('out.bin');
    ram.set(name, 0x1000);
    words(0x2000, 0x1000, 4, name.length); // SYS_OPEN "out.bin", "w"
    const open = sh.handle(SYS.OPEN, 0x2000);
    expect(open.kind).toBe('return');
    const handle = open.kind === 'return' ? open.value : -1;
    expect(handle).toBeGreaterThan(0);
    const chunk = 16 * 1024 * 1024;
    words(0x3000, handle, 0x10000000, chunk);
    for (let i = 0; i < 4; i++) expect(sh.handle(SYS.WRITE, 0x3000)).toEqual({ kind: 'return', value: 0 });
    words(0x4000, handle, 0x10000000, 1);
    expect(sh.handle(SYS.WRITE, 0x4000)).toEqual({ kind: 'return', value: -1 });
    expect(sh.handle(SYS.ERRNO, 0)).toEqual({ kind: 'return', value: 28 }); // ENOSPC
    expect(sh.refused).toEqual(['SYS_WRITE past the 67108864-byte file quota']);
    sh.close();
    expect(statSync(join(sandbox, 'out.bin')).size).toBe(4 * chunk);
  });
});
