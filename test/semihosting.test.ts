import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ADP_STOPPED_APPLICATION_EXIT,
  ADP_STOPPED_RUNTIME_ERROR_UNKNOWN,
  SEMIHOSTING_FEATURES,
  SYS,
  Semihosting,
  type GuestMemory,
  type SemihostingOptions,
  type SemihostingOutcome,
} from '../src/emulator/semihosting.js';

const BASE = 0x20000000;
const SIZE = 0x10000;

/** Guest RAM: a byte array at BASE; accesses outside it throw, like unmapped memory. */
class Ram implements GuestMemory {
  readonly bytes = new Uint8Array(SIZE);
  private next = BASE + 0x100;

  read(address: number, length: number): Uint8Array {
    const o = this.offset(address, length);
    return this.bytes.slice(o, o + length);
  }

  write(address: number, bytes: Uint8Array): void {
    this.bytes.set(bytes, this.offset(address, bytes.length));
  }

  private offset(address: number, length: number): number {
    const o = address - BASE;
    if (o < 0 || o + length > SIZE) throw new Error(`unmapped ${address.toString(16)}`);
    return o;
  }

  /** Copies bytes into fresh guest memory and returns their address. */
  put(data: Uint8Array | string | number[]): number {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : Uint8Array.from(data);
    const at = this.next;
    this.write(at, bytes);
    this.next += (bytes.length + 8) & ~3;
    return at;
  }

  /** A block of 32-bit words. */
  block(...words: number[]): number {
    const b = new Uint8Array(words.length * 4);
    const v = new DataView(b.buffer);
    words.forEach((w, i) => v.setUint32(i * 4, w >>> 0, true));
    return this.put(b);
  }

  word(address: number): number {
    return new DataView(this.read(address, 4).buffer).getUint32(0, true);
  }

  cstr(text: string): number {
    return this.put(text + '\0');
  }
}

interface Rig {
  ram: Ram;
  sh: Semihosting;
  out: () => string;
  err: () => string;
}

function rig(opts: Partial<SemihostingOptions> = {}): Rig {
  const ram = new Ram();
  const stdout: Uint8Array[] = [];
  const stderr: Uint8Array[] = [];
  const sh = new Semihosting(ram, {
    stdout: (b) => stdout.push(Uint8Array.from(b)),
    stderr: (b) => stderr.push(Uint8Array.from(b)),
    cmdline: 'firmware.elf --fast',
    heapInfo: { heapBase: 0x20001000, heapLimit: 0x20030000, stackBase: 0x20040000, stackLimit: 0x20030000 },
    elapsedSeconds: () => 12.345,
    ...opts,
  });
  const text = (parts: Uint8Array[]) => Buffer.concat(parts).toString('utf8');
  return { ram, sh, out: () => text(stdout), err: () => text(stderr) };
}

function ret(o: SemihostingOutcome): number {
  if (o.kind !== 'return') throw new Error(`expected a return, got exit ${o.code} (${o.reason})`);
  return o.value;
}

function open(r: Rig, name: string, mode: number): number {
  const bytes = new TextEncoder().encode(name);
  return ret(r.sh.handle(SYS.OPEN, r.ram.block(r.ram.put([...bytes, 0]), mode, bytes.length)));
}

function write(r: Rig, handle: number, data: string): number {
  const bytes = new TextEncoder().encode(data);
  return ret(r.sh.handle(SYS.WRITE, r.ram.block(handle, r.ram.put(bytes), bytes.length)));
}

describe('semihosting console', () => {
  it('writes to :tt handles (stdout for "w", stderr for "a")', () => {
    const r = rig();
    const stdin = open(r, ':tt', 0);
    const out = open(r, ':tt', 4);
    const err = open(r, ':tt', 8);
    expect(new Set([stdin, out, err]).size).toBe(3);
    expect(write(r, out, 'hello\n')).toBe(0); // bytes NOT written
    expect(write(r, err, 'oops\n')).toBe(0);
    expect(r.out()).toBe('hello\n');
    expect(r.err()).toBe('oops\n');
    expect(ret(r.sh.handle(SYS.ISTTY, r.ram.block(out)))).toBe(1);
    expect(ret(r.sh.handle(SYS.CLOSE, r.ram.block(out)))).toBe(0);
    expect(ret(r.sh.handle(SYS.CLOSE, r.ram.block(out)))).toBe(-1);
    expect(ret(r.sh.handle(SYS.ERRNO, 0))).toBe(9); // EBADF
  });

  it('handles WRITEC, WRITE0 and READ/READC from stdin', () => {
    const chunks = [new TextEncoder().encode('ab'), new TextEncoder().encode('cdef')];
    const r = rig({ stdin: () => chunks.shift() ?? null });
    r.sh.handle(SYS.WRITEC, r.ram.put([0x41]));
    r.sh.handle(SYS.WRITE0, r.ram.cstr('BC\n'));
    expect(r.out()).toBe('ABC\n');

    const stdin = open(r, ':tt', 0);
    const buf = r.ram.put(new Uint8Array(16));
    expect(ret(r.sh.handle(SYS.READ, r.ram.block(stdin, buf, 3)))).toBe(1); // 2 read, 1 not read
    expect(Buffer.from(r.ram.read(buf, 2)).toString()).toBe('ab');
    expect(ret(r.sh.handle(SYS.READC, 0))).toBe('c'.charCodeAt(0));
    expect(ret(r.sh.handle(SYS.READ, r.ram.block(stdin, buf, 8)))).toBe(5); // "def"
    expect(ret(r.sh.handle(SYS.READ, r.ram.block(stdin, buf, 8)))).toBe(8); // EOF: nothing read
    expect(ret(r.sh.handle(SYS.READC, 0))).toBe(-1);
  });

  it('caps a WRITE0 string without a terminator at 64 KiB and stops at unmapped memory', () => {
    const r = rig();
    r.ram.bytes.fill(0x78);
    // The RAM is 64 KiB of 'x' with no NUL before its end: the read hits unmapped memory.
    expect(ret(r.sh.handle(SYS.WRITE0, BASE + 16))).toBe(-1);
    expect(ret(r.sh.handle(SYS.ERRNO, 0))).toBe(14); // EFAULT
    r.ram.bytes[SIZE - 1] = 0;
    expect(ret(r.sh.handle(SYS.WRITE0, BASE + 16))).toBe(0);
    expect(r.out().length).toBe(SIZE - 17);
  });

  it('stops a WRITE0 string at 64 KiB even when memory never ends', () => {
    const endless: GuestMemory = { read: (_a, n) => new Uint8Array(n).fill(0x78), write: () => {} };
    const stdout: Uint8Array[] = [];
    const sh = new Semihosting(endless, {
      stdout: (b) => stdout.push(b),
      stderr: () => {},
      cmdline: '',
      heapInfo: { heapBase: 0, heapLimit: 0, stackBase: 0, stackLimit: 0 },
      elapsedSeconds: () => 0,
    });
    expect(ret(sh.handle(SYS.WRITE0, 0x1234))).toBe(0);
    expect(Buffer.concat(stdout).length).toBe(64 * 1024);
  });

  it('refuses transfers over 16 MiB without reading them', () => {
    const r = rig();
    const out = open(r, ':tt', 4);
    expect(ret(r.sh.handle(SYS.WRITE, r.ram.block(out, BASE, 0x2000000)))).toBe(-1);
    expect(r.sh.refused.at(-1)).toMatch(/SYS_WRITE of 33554432 bytes/);
  });
});

describe('semihosting features, time, heap and command line', () => {
  it('serves ":semihosting-features" with EXIT_EXTENDED and STDOUT_STDERR', () => {
    const r = rig();
    const h = open(r, ':semihosting-features', 0);
    expect(h).toBeGreaterThan(0);
    expect(ret(r.sh.handle(SYS.FLEN, r.ram.block(h)))).toBe(5);
    const buf = r.ram.put(new Uint8Array(8));
    expect(ret(r.sh.handle(SYS.READ, r.ram.block(h, buf, 4)))).toBe(0);
    expect(Buffer.from(r.ram.read(buf, 4)).toString()).toBe('SHFB');
    expect(ret(r.sh.handle(SYS.SEEK, r.ram.block(h, 4)))).toBe(0);
    expect(ret(r.sh.handle(SYS.READ, r.ram.block(h, buf, 1)))).toBe(0);
    expect(r.ram.read(buf, 1)[0]).toBe(0b11);
    expect([...SEMIHOSTING_FEATURES]).toEqual([0x53, 0x48, 0x46, 0x42, 0x03]);
    expect(ret(r.sh.handle(SYS.ISTTY, r.ram.block(h)))).toBe(0);
    expect(open(r, ':semihosting-features', 4)).toBe(-1); // read-only
  });

  it('writes the four SYS_HEAPINFO words at the address in the parameter block', () => {
    const r = rig();
    const blockAddr = r.ram.put(new Uint8Array(16));
    expect(ret(r.sh.handle(SYS.HEAPINFO, r.ram.block(blockAddr)))).toBe(0);
    expect([0, 4, 8, 12].map((o) => r.ram.word(blockAddr + o))).toEqual([
      0x20001000, 0x20030000, 0x20040000, 0x20030000,
    ]);
  });

  it('returns the command line when it fits', () => {
    const r = rig();
    const buf = r.ram.put(new Uint8Array(64));
    const block = r.ram.block(buf, 64);
    expect(ret(r.sh.handle(SYS.GET_CMDLINE, block))).toBe(0);
    expect(Buffer.from(r.ram.read(buf, 20)).toString()).toBe('firmware.elf --fast\0');
    expect(r.ram.word(block + 4)).toBe(19);
    expect(ret(r.sh.handle(SYS.GET_CMDLINE, r.ram.block(buf, 5)))).toBe(-1);
  });

  it('derives CLOCK, TIME, ELAPSED and TICKFREQ from modeled time', () => {
    const r = rig({ timeBase: 1_700_000_000 });
    expect(ret(r.sh.handle(SYS.CLOCK, 0))).toBe(1234);
    expect(ret(r.sh.handle(SYS.TIME, 0))).toBe(1_700_000_012);
    expect(ret(rig().sh.handle(SYS.TIME, 0))).toBe(12);
    const freq = ret(r.sh.handle(SYS.TICKFREQ, 0));
    const buf = r.ram.put(new Uint8Array(8));
    expect(ret(r.sh.handle(SYS.ELAPSED, buf))).toBe(0);
    expect(r.ram.word(buf) / freq).toBeCloseTo(12.345, 5);
    expect(r.ram.word(buf + 4)).toBe(0);
  });

  it('answers ISERROR', () => {
    const r = rig();
    expect(ret(r.sh.handle(SYS.ISERROR, r.ram.block(-1)))).not.toBe(0);
    expect(ret(r.sh.handle(SYS.ISERROR, r.ram.block(5)))).toBe(0);
  });
});

describe('semihosting exit', () => {
  it('SYS_EXIT with ApplicationExit exits 0; other reasons exit 1 and are named', () => {
    expect(rig().sh.handle(SYS.EXIT, ADP_STOPPED_APPLICATION_EXIT)).toMatchObject({ kind: 'exit', code: 0 });
    const o = rig().sh.handle(SYS.EXIT, ADP_STOPPED_RUNTIME_ERROR_UNKNOWN);
    expect(o).toMatchObject({ kind: 'exit', code: 1 });
    expect(o.kind === 'exit' && o.reason).toMatch(/RunTimeErrorUnknown/);
  });

  it('SYS_EXIT_EXTENDED carries the exit code', () => {
    const r = rig();
    expect(r.sh.handle(SYS.EXIT_EXTENDED, r.ram.block(ADP_STOPPED_APPLICATION_EXIT, 3))).toMatchObject({
      kind: 'exit',
      code: 3,
    });
    // abort(): newlib's _kill(SIGABRT) sends RunTimeErrorUnknown with subcode 6.
    const o = r.sh.handle(SYS.EXIT_EXTENDED, r.ram.block(ADP_STOPPED_RUNTIME_ERROR_UNKNOWN, 6));
    expect(o).toMatchObject({ kind: 'exit', code: 1 });
    expect(o.kind === 'exit' && o.reason).toMatch(/RunTimeErrorUnknown, subcode 6/);
  });
});

describe('semihosting refusals', () => {
  it('never runs SYS_SYSTEM and records the command', () => {
    const r = rig();
    const cmd = 'echo pwned > /tmp/m4sim-unit-pwned';
    expect(ret(r.sh.handle(SYS.SYSTEM, r.ram.block(r.ram.put(cmd), cmd.length)))).toBe(-1);
    expect(r.sh.refused).toEqual([`SYS_SYSTEM "${cmd}"`]);
    expect(existsSync('/tmp/m4sim-unit-pwned')).toBe(false);
  });

  it('refuses unknown operations and SYS_TMPNAM', () => {
    const r = rig();
    expect(ret(r.sh.handle(0x99, 0))).toBe(-1);
    expect(ret(r.sh.handle(SYS.TMPNAM, r.ram.block(r.ram.put(new Uint8Array(32)), 1, 32)))).toBe(-1);
    expect(r.sh.refused).toHaveLength(2);
    expect(r.sh.refused[0]).toMatch(/unknown semihosting operation 0x99/);
  });

  it('without a sandbox refuses every host path', () => {
    const r = rig();
    for (const [name, mode] of [
      ['/etc/passwd', 0],
      ['notes.txt', 4],
      ['../x', 8],
    ] as const) {
      expect(open(r, name, mode)).toBe(-1);
    }
    const p = r.ram.put('a.txt');
    expect(ret(r.sh.handle(SYS.REMOVE, r.ram.block(p, 5)))).toBe(-1);
    expect(ret(r.sh.handle(SYS.RENAME, r.ram.block(p, 5, p, 5)))).toBe(-1);
    expect(r.sh.refused).toHaveLength(5);
    expect(r.sh.refused[0]).toBe('SYS_OPEN "/etc/passwd" (no sandbox: host files are disabled)');
    expect(ret(r.sh.handle(SYS.ERRNO, 0))).toBe(13); // EACCES
  });

  it('keeps at most 100 records plus a running count', () => {
    const r = rig();
    for (let i = 0; i < 250; i++) r.sh.handle(0x99, 0);
    expect(r.sh.refused).toHaveLength(101);
    expect(r.sh.refused[100]).toMatch(/150 more/);
  });
});

describe('semihosting sandbox', () => {
  let root: string;
  let sandbox: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'm4sim-sh-'));
    sandbox = join(root, 'box');
    mkdirSync(join(sandbox, 'sub'), { recursive: true });
    writeFileSync(join(root, 'outside.txt'), 'secret');
    symlinkSync(join(root, 'outside.txt'), join(sandbox, 'link-out'));
    symlinkSync(root, join(sandbox, 'dir-out'));
    writeFileSync(join(sandbox, 'sub', 'in.txt'), 'inside');
    symlinkSync(join(sandbox, 'sub', 'in.txt'), join(sandbox, 'link-in'));
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses paths that leave the sandbox: "..", absolute, symlinks', () => {
    const r = rig({ sandbox });
    expect(open(r, '../outside.txt', 0)).toBe(-1);
    expect(open(r, 'sub/../../outside.txt', 0)).toBe(-1);
    expect(open(r, join(root, 'outside.txt'), 0)).toBe(-1);
    expect(open(r, '/etc/passwd', 0)).toBe(-1);
    expect(open(r, 'link-out', 0)).toBe(-1);
    expect(open(r, 'dir-out/outside.txt', 0)).toBe(-1);
    expect(open(r, '../escape.txt', 4)).toBe(-1);
    expect(r.sh.refused).toContain('SYS_OPEN "/etc/passwd" (outside the sandbox)');
    expect(r.sh.refused).toContain('SYS_OPEN "link-out" (outside the sandbox)');
    expect(r.sh.refused).toHaveLength(7);
    expect(existsSync(join(root, 'escape.txt'))).toBe(false);
    const p = r.ram.put('../outside.txt');
    expect(ret(r.sh.handle(SYS.REMOVE, r.ram.block(p, 14)))).toBe(-1);
    expect(readFileSync(join(root, 'outside.txt'), 'utf8')).toBe('secret');
  });

  it('opens, writes, seeks and reads back files inside the sandbox', () => {
    const r = rig({ sandbox });
    const h = open(r, 'data.bin', 6); // "w+"
    expect(h).toBeGreaterThan(0);
    expect(write(r, h, 'hello sandbox')).toBe(0);
    expect(ret(r.sh.handle(SYS.FLEN, r.ram.block(h)))).toBe(13);
    expect(ret(r.sh.handle(SYS.SEEK, r.ram.block(h, 6)))).toBe(0);
    const buf = r.ram.put(new Uint8Array(32));
    expect(ret(r.sh.handle(SYS.READ, r.ram.block(h, buf, 32)))).toBe(32 - 7);
    expect(Buffer.from(r.ram.read(buf, 7)).toString()).toBe('sandbox');
    expect(ret(r.sh.handle(SYS.CLOSE, r.ram.block(h)))).toBe(0);
    expect(readFileSync(join(sandbox, 'data.bin'), 'utf8')).toBe('hello sandbox');

    // "a": appends; "r": reads; a symlink that stays inside is fine.
    const a = open(r, 'data.bin', 8);
    expect(write(r, a, '!')).toBe(0);
    r.sh.handle(SYS.CLOSE, r.ram.block(a));
    expect(readFileSync(join(sandbox, 'data.bin'), 'utf8')).toBe('hello sandbox!');
    const l = open(r, 'link-in', 0);
    expect(ret(r.sh.handle(SYS.READ, r.ram.block(l, buf, 6)))).toBe(0);
    expect(Buffer.from(r.ram.read(buf, 6)).toString()).toBe('inside');
    expect(write(r, l, 'x')).toBe(-1); // opened read-only

    // Missing files: -1 with ENOENT, not a refusal.
    expect(open(r, 'missing.txt', 0)).toBe(-1);
    expect(ret(r.sh.handle(SYS.ERRNO, 0))).toBe(2);

    // Rename and remove inside the sandbox.
    const from = r.ram.put('data.bin');
    const to = r.ram.put('sub/moved.bin');
    expect(ret(r.sh.handle(SYS.RENAME, r.ram.block(from, 8, to, 13)))).toBe(0);
    expect(readFileSync(join(sandbox, 'sub', 'moved.bin'), 'utf8')).toBe('hello sandbox!');
    expect(ret(r.sh.handle(SYS.REMOVE, r.ram.block(to, 13)))).toBe(0);
    expect(existsSync(join(sandbox, 'sub', 'moved.bin'))).toBe(false);
    expect(r.sh.refused).toEqual([]);
    r.sh.close();
  });

  it('rejects a sandbox that does not exist', () => {
    expect(() => rig({ sandbox: join(root, 'nope') })).toThrow(/does not exist/);
  });
});
