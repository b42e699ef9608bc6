// The GDB Remote Serial Protocol layer without an emulator: framing, checksums, escaping, the
// reader's malformed cases (src/gdb/packets.ts), stop replies and the target description, and the
// session's answers to malformed and unknown commands against a stand-in machine. Checksums are
// the byte sums the GDB manual defines, worked out by hand (`g` is 0x67, so `$g#67`; "OK" is
// 0x4f + 0x4b = 0x9a).
import { describe, expect, it } from 'vitest';
import {
  bytesToHex,
  checksum,
  escapeBinary,
  frame,
  hexToBytes,
  MAX_PACKET,
  PacketReader,
  parseHexNumber,
  unescapeBinary,
} from '../src/gdb/packets.js';
import {
  G_PACKET_BYTES,
  GDB_REGISTERS,
  TARGET_XML,
  encodeRegister,
  gdbRegister,
} from '../src/gdb/registers.js';
import { exitedReply, stopReply, terminatedReply } from '../src/gdb/stop-reply.js';
import { GdbSession } from '../src/gdb/session.js';
import { parseGdbAddress } from '../src/gdb/server.js';
import type { Machine } from '../src/emulator/machine.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');

describe('packet framing and checksums', () => {
  it('sums the data bytes modulo 256', () => {
    expect(checksum(bytes('g'))).toBe(0x67);
    expect(checksum(bytes('OK'))).toBe(0x9a);
    expect(checksum(bytes('qSupported'))).toBe(0x37);
    expect(checksum(bytes(''))).toBe(0);
  });

  it('frames $data#cc with two lowercase hex digits', () => {
    expect(frame('OK').toString('latin1')).toBe('$OK#9a');
    expect(frame('').toString('latin1')).toBe('$#00');
    expect(frame('?').toString('latin1')).toBe('$?#3f');
  });
});

describe('binary escaping', () => {
  it('escapes #, $, } and * as } and the byte XOR 0x20', () => {
    expect([...escapeBinary(Buffer.from([0x23, 0x24, 0x7d, 0x2a, 0x41]))]).toEqual([
      0x7d, 0x03, 0x7d, 0x04, 0x7d, 0x5d, 0x7d, 0x0a, 0x41,
    ]);
  });

  it('unescapes X packet data, and refuses a lone escape at the end', () => {
    expect([...unescapeBinary(Buffer.from([0x7d, 0x03, 0x7d, 0x5d, 0x2a, 0x00]))!]).toEqual([
      0x23, 0x7d, 0x2a, 0x00,
    ]);
    expect(unescapeBinary(Buffer.from([0x41, 0x7d]))).toBeNull();
  });

  it('reads hex pairs and protocol numbers, refusing anything else', () => {
    expect([...hexToBytes('0a1B')!]).toEqual([0x0a, 0x1b]);
    expect(hexToBytes('abc')).toBeNull();
    expect(hexToBytes('zz')).toBeNull();
    expect(bytesToHex(Buffer.from([0, 0xff]))).toBe('00ff');
    expect(parseHexNumber('ffffffff')).toBe(0xffffffff);
    expect(parseHexNumber('100000000')).toBeNull();
    expect(parseHexNumber('')).toBeNull();
    expect(parseHexNumber('-1')).toBeNull();
    expect(parseHexNumber('0x10')).toBeNull();
  });
});

describe('the packet reader', () => {
  it('joins a packet split across chunks and splits packets sharing one', () => {
    const r = new PacketReader();
    expect(r.feed(bytes('$O'))).toEqual([]);
    expect(r.feed(bytes('K#9a$g#67'))).toEqual([
      { kind: 'packet', data: bytes('OK') },
      { kind: 'packet', data: bytes('g') },
    ]);
  });

  it('reports acks, nacks and a Ctrl-C between packets, and skips line noise', () => {
    const r = new PacketReader();
    expect(r.feed(bytes('+-\x03xyz\r\n$?#3f'))).toEqual([
      { kind: 'ack' },
      { kind: 'nack' },
      { kind: 'interrupt' },
      { kind: 'packet', data: bytes('?') },
    ]);
  });

  it('takes 0x03, * and } inside a packet as data (no run-length decoding of what gdb sends)', () => {
    const r = new PacketReader();
    expect(r.feed(bytes('$\x03#03$X20000000,1:*#9b'))).toEqual([
      { kind: 'packet', data: bytes('\x03') },
      { kind: 'packet', data: bytes('X20000000,1:*') },
    ]);
  });

  it('refuses a wrong checksum, a checksum that is not hex, a cut-off packet and an overlong one', () => {
    const r = new PacketReader();
    expect(r.feed(bytes('$g#00'))).toEqual([{ kind: 'bad', why: 'a checksum that does not match' }]);
    expect(r.feed(bytes('$g#zz'))).toEqual([{ kind: 'bad', why: 'a checksum that is not two hex digits' }]);
    expect(r.feed(bytes('$qSup$g#67'))).toEqual([
      { kind: 'bad', why: 'a packet was cut off by the next one' },
      { kind: 'packet', data: bytes('g') },
    ]);
    const long = 'a'.repeat(MAX_PACKET + 1);
    const sum = ((0x61 * (MAX_PACKET + 1)) & 0xff).toString(16).padStart(2, '0');
    expect(r.feed(bytes(`$${long}#${sum}$?#3f`))).toEqual([
      { kind: 'bad', why: `a packet longer than ${MAX_PACKET} bytes` },
      { kind: 'packet', data: bytes('?') },
    ]);
  });
});

describe('stop replies and registers', () => {
  it('writes stop, exit and termination replies in gdb signal numbers', () => {
    expect(stopReply({ kind: 'breakpoint', pc: 0x8000100 })).toBe('T05');
    expect(stopReply({ kind: 'interrupt' })).toBe('T02');
    expect(stopReply({ kind: 'watchpoint', pc: 0, address: 0x20000010, access: 'write' })).toBe(
      'T05watch:20000010;',
    );
    expect(stopReply({ kind: 'watchpoint', pc: 0, address: 0x2000abcd, access: 'read' })).toBe(
      'T05rwatch:2000abcd;',
    );
    expect(stopReply({ kind: 'watchpoint', pc: 0, address: 0x20000000, access: 'access' })).toBe(
      'T05awatch:20000000;',
    );
    expect(exitedReply(43)).toBe('W2b');
    expect(exitedReply(256 + 3)).toBe('W03');
    expect(terminatedReply(11)).toBe('X0b');
  });

  it('describes r0-r15, xpsr, msp/psp and d0-d15/fpscr, 224 bytes in a g packet', () => {
    expect(G_PACKET_BYTES).toBe(16 * 4 + 4 + 6 * 4 + 16 * 8 + 4);
    expect(GDB_REGISTERS.map((r) => r.number)).toEqual([
      ...Array.from({ length: 16 }, (_, i) => i),
      ...Array.from({ length: 24 }, (_, i) => 25 + i),
    ]);
    expect(TARGET_XML).toContain('<feature name="org.gnu.gdb.arm.m-profile">');
    expect(TARGET_XML).toContain('<reg name="xpsr" bitsize="32" regnum="25"/>');
    expect(TARGET_XML).toContain('<reg name="msp" bitsize="32" regnum="26" type="data_ptr" group="system"/>');
    expect(TARGET_XML).toContain('<reg name="d15" bitsize="64" regnum="47" type="ieee_double"/>');
    expect(TARGET_XML).toContain('<reg name="fpscr" bitsize="32" regnum="48" type="int" group="float"/>');
  });

  it('encodes registers little-endian; a D register from two S registers, low word first', () => {
    const values: Record<string, number> = { pc: 0x08000123, s2: 0x3fc00000, s3: 0x12345678 };
    const read = (n: string) => values[n] ?? 0;
    expect(encodeRegister(gdbRegister(15)!, read)).toBe('23010008');
    expect(encodeRegister(gdbRegister(33)!, read)).toBe('0000c03f78563412');
  });
});

describe('--gdb addresses', () => {
  it('takes a port, :port or host:port, 127.0.0.1 by default', () => {
    expect(parseGdbAddress('3333')).toEqual({ host: '127.0.0.1', port: 3333 });
    expect(parseGdbAddress(':0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseGdbAddress('localhost:1234')).toEqual({ host: 'localhost', port: 1234 });
    expect(parseGdbAddress('[::1]:1234')).toEqual({ host: '::1', port: 1234 });
    expect(parseGdbAddress('0.0.0.0:1')).toEqual({ host: '0.0.0.0', port: 1 });
  });

  it('refuses anything else with one usage line', () => {
    for (const bad of ['', '65536', 'x', 'example.com:80', '1.2.3.4:', '-1', '3333:1'])
      expect(() => parseGdbAddress(bad)).toThrow(/^--gdb: expected a port/);
  });
});

/** A stand-in machine: 16 KiB of RAM at 0x20000000, registers in a table, runs that stop at once. */
function fakeMachine(): Machine & { breakpoints: Set<number> } {
  const ram = new Uint8Array(0x4000);
  const regs: Record<string, number> = { pc: 0x08000100, sp: 0x20004000 };
  const breakpoints = new Set<number>();
  const inRam = (a: number, n: number) => a >= 0x20000000 && a + n <= 0x20000000 + ram.length;
  const m = {
    breakpoints,
    ended: false,
    pc: 0x08000100,
    symbols: { format: (a: number) => `f+0x${a.toString(16)}` },
    run: () => ({ kind: 'step' as const, pc: 0x08000102 }),
    readRegister: (n: string) => regs[n] ?? 0,
    writeRegister: (n: string, v: number) => {
      if (n === 'msp') return false;
      regs[n] = v >>> 0;
      return true;
    },
    readMemory: (a: number, n: number) =>
      inRam(a, n) ? ram.slice(a - 0x20000000, a - 0x20000000 + n) : null,
    writeMemory: (a: number, b: Uint8Array) => {
      if (!inRam(a, b.length)) return false;
      ram.set(b, a - 0x20000000);
      return true;
    },
    setBreakpoint: (a: number, on: boolean) => {
      if (on) breakpoints.add(a);
      else breakpoints.delete(a);
      return true;
    },
    setWatchpoint: () => true,
    end: () => {},
    close: () => {},
  };
  return m as unknown as Machine & { breakpoints: Set<number> };
}

/** Sends packets to a session over a fake connection; returns what came back, acks included. */
function talk(machine: Machine, ...packets: string[]): string {
  let out = '';
  const s = new GdbSession(machine, () => machine, {
    send: (b) => {
      out += b.toString('latin1');
    },
    close: () => {},
    note: () => {},
  });
  for (const p of packets) s.receive(bytes(p));
  return out;
}

const pkt = (data: string) => frame(data).toString('latin1');

describe('the session against malformed and unknown commands', () => {
  it('answers a bad checksum with - and nothing else, a good packet with + and its reply', () => {
    expect(talk(fakeMachine(), '$g#00')).toBe('-');
    expect(talk(fakeMachine(), pkt('?'))).toBe(`+${pkt('S05')}`);
  });

  it('answers unknown commands and queries with the empty reply', () => {
    const m = fakeMachine();
    expect(talk(m, pkt('qFooBar'))).toBe(`+${pkt('')}`);
    expect(talk(m, pkt('!'))).toBe(`+${pkt('')}`);
    expect(talk(m, pkt('vMustReplyEmpty'))).toBe(`+${pkt('')}`);
    expect(talk(m, pkt('Q'))).toBe(`+${pkt('')}`);
  });

  it('answers malformed arguments with E01', () => {
    const m = fakeMachine();
    for (const p of [
      'mzz,4',
      'm20000000',
      'm20000000,',
      'M20000000,2:abc',
      'M20000000,2:ab',
      'X20000000,2:a',
      'Z9,8000100,2',
      'Z0,8000100',
      'Z2,20000000,0',
      'pzz',
      'p1ff',
      'P0=123',
      'Gab',
      'vCont;x',
      'vCont;r1,2',
      'C5',
      'qRcmd,7',
    ])
      expect(talk(m, pkt(p)), p).toBe(`+${pkt('E01')}`);
  });

  it('reads and writes only the memory the machine allows (E0e elsewhere), X with escapes', () => {
    const m = fakeMachine();
    expect(talk(m, pkt('X20000010,3:}\x03}]*'))).toBe(`+${pkt('OK')}`);
    expect(talk(m, pkt('m20000010,4'))).toBe(`+${pkt('237d2a00')}`);
    expect(talk(m, pkt('M20000010,1:ff'))).toBe(`+${pkt('OK')}`);
    expect(talk(m, pkt('m20000010,1'))).toBe(`+${pkt('ff')}`);
    expect(talk(m, pkt('m40000000,4'))).toBe(`+${pkt('E0e')}`);
    expect(talk(m, pkt('M40000000,1:00'))).toBe(`+${pkt('E0e')}`);
    expect(talk(m, pkt('X40000000,0:'))).toBe(`+${pkt('OK')}`);
  });

  it('writes a register with P, refuses one the machine keeps (msp) with E01', () => {
    const m = fakeMachine();
    expect(talk(m, pkt('P0=78563412'))).toBe(`+${pkt('OK')}`);
    expect(m.readRegister('r0')).toBe(0x12345678);
    expect(talk(m, pkt('P1a=01000000'))).toBe(`+${pkt('E01')}`);
  });

  it('sets and clears breakpoints with Z0/Z1 and z0/z1', () => {
    const m = fakeMachine();
    expect(talk(m, pkt('Z0,8000100,2'), pkt('Z1,8000200,2'))).toBe(`+${pkt('OK')}+${pkt('OK')}`);
    expect([...m.breakpoints]).toEqual([0x8000100, 0x8000200]);
    talk(m, pkt('z0,8000100,2'));
    expect([...m.breakpoints]).toEqual([0x8000200]);
  });

  it('resends its last packet when gdb answers -', () => {
    expect(talk(fakeMachine(), pkt('?'), '-')).toBe(`+${pkt('S05')}${pkt('S05')}`);
  });

  it('serves target.xml in parts, the last one marked l, with binary escapes', () => {
    const m = fakeMachine();
    const first = talk(m, pkt('qXfer:features:read:target.xml:0,10'));
    expect(first).toBe(`+${pkt('m<?xml version="1')}`);
    const rest = talk(m, pkt(`qXfer:features:read:target.xml:10,${(0x10000).toString(16)}`));
    expect(rest.startsWith('+$l.0"?>')).toBe(true);
    expect(rest.endsWith(`</target>\n#${rest.slice(-2)}`)).toBe(true);
    expect(talk(m, pkt('qXfer:features:read:other.xml:0,10'))).toBe(`+${pkt('E00')}`);
  });
});
