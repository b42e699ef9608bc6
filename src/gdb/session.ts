// One gdb client's session: the commands of the Remote Serial Protocol (GDB manual, "Packets",
// "General Query Packets", "Stop Reply Packets") answered from a Machine (src/emulator/machine.ts).
// Everything the client sends is untrusted: a command that does not parse gets an error reply
// (`E01`), one that is not supported the empty reply, as the protocol asks.
//
// The run is all-stop: while the firmware runs (c, vCont;c) it runs in slices of modeled cycles,
// returning to the event loop between slices so a Ctrl-C (0x03) or a disconnect is seen; a slice
// ends at a block boundary with every count as a free run has it (native/m4sim_native.cc
// "debugger").
import type { Machine, MachineStop, RunResult, WatchAccess } from '../emulator/machine.js';
import { monitor } from './monitor.js';
import {
  bytesToHex,
  escapeBinary,
  frame,
  hexToBytes,
  MAX_PACKET,
  PacketReader,
  parseHexNumber,
  unescapeBinary,
} from './packets.js';
import {
  decodeRegister,
  encodeRegister,
  G_PACKET_BYTES,
  GDB_REGISTERS,
  gdbRegister,
  TARGET_XML,
} from './registers.js';
import { endOf, exitedReply, GDB_SIGNAL, signalStopReply, stopReply, terminatedReply } from './stop-reply.js';

/** Modeled cycles per slice of a continue: some milliseconds of host time (Ctrl-C latency). */
export const SLICE_CYCLES = 1 << 22;

/** How the session talks to its client and the user. */
export interface SessionIo {
  /** Bytes to the client. */
  send(bytes: Buffer): void;
  /** Closes the connection. */
  close(): void;
  /** One line for the user (standard error). */
  note(line: string): void;
}

const ERROR = 'E01';
/** EFAULT: memory that cannot be read or written. */
const MEMORY_ERROR = 'E0e';
/** ENOSPC: no more breakpoints or watchpoints. */
const FULL_ERROR = 'E1c';
/** Resending a packet gdb refused: at most this often in a row. */
const MAX_RESENDS = 3;

const WATCH_ACCESS: Record<string, WatchAccess> = { '2': 'write', '3': 'read', '4': 'access' };

export class GdbSession {
  private machine: Machine;
  private readonly reader = new PacketReader();
  private lastPacket: Buffer | null = null;
  private resends = 0;
  /** A continue is in progress: packets wait, 0x03 interrupts it. */
  private running = false;
  private interrupt = false;
  private readonly queued: Buffer[] = [];
  private lastStop = `S${GDB_SIGNAL.TRAP.toString(16).padStart(2, '0')}`;
  /** The run ended by a signal and gdb was told with T: a resume now gets X. */
  private signalled: number | null = null;
  private closed = false;
  private detached = false;
  private settled = false;
  private readonly breakpoints = new Set<number>();
  private readonly watchpoints = new Map<string, { address: number; length: number; access: WatchAccess }>();
  private resolve!: (r: RunResult) => void;
  private reject!: (e: unknown) => void;
  /** The figures of the run when the session is over (a machine error rejects it). */
  readonly done: Promise<RunResult>;

  constructor(
    first: Machine,
    private readonly createMachine: () => Machine,
    private readonly io: SessionIo,
    private readonly sliceCycles = SLICE_CYCLES,
  ) {
    this.machine = first;
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Bytes from the client. */
  receive(chunk: Buffer): void {
    if (this.closed) return;
    this.guard(() => {
      for (const e of this.reader.feed(chunk)) {
        if (e.kind === 'ack') {
          this.resends = 0;
        } else if (e.kind === 'nack') {
          if (this.lastPacket && this.resends++ < MAX_RESENDS) this.io.send(this.lastPacket);
        } else if (e.kind === 'interrupt') {
          if (this.running) this.interrupt = true;
        } else if (e.kind === 'bad') {
          this.io.send(Buffer.from('-'));
        } else {
          this.io.send(Buffer.from('+'));
          if (this.running) this.queued.push(e.data);
          else this.command(e.data);
        }
      }
    });
  }

  /** The connection closed (the client went away, or we closed it). */
  disconnected(): void {
    if (this.closed) return;
    this.closed = true;
    this.guard(() => {
      if (!this.machine.ended && !this.detached) {
        this.io.note('m4sim: the gdb client disconnected; the run ends here');
        this.machine.end('the gdb client disconnected');
      }
      if (!this.detached) this.settle();
    });
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    const result = this.machine.result();
    this.machine.close();
    this.resolve(result);
  }

  /** An error from the machine is m4sim's own (an internal error): the session ends with it. */
  private guard(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (this.settled) throw e;
      this.settled = true;
      this.closed = true;
      try {
        this.machine.close();
        this.io.close();
      } finally {
        this.reject(e);
      }
    }
  }

  private reply(data: string | Buffer): void {
    const packet = frame(data);
    this.lastPacket = packet;
    this.resends = 0;
    this.io.send(packet);
  }

  private command(data: Buffer): void {
    const text = data.toString('latin1');
    const answer = this.answer(text, data);
    if (answer !== null) this.reply(answer);
  }

  /** The reply to one packet; null when there is none now (resume, kill, detach). */
  private answer(text: string, data: Buffer): string | Buffer | null {
    const m = this.machine;
    switch (text[0]) {
      case '?':
        return this.lastStop;
      case 'g':
        return GDB_REGISTERS.map((r) => encodeRegister(r, (n) => m.readRegister(n))).join('');
      case 'G':
        return this.writeAllRegisters(text.slice(1));
      case 'p': {
        const r = gdbRegister(parseHexNumber(text.slice(1), 0xffff) ?? -1);
        return r ? encodeRegister(r, (n) => m.readRegister(n)) : ERROR;
      }
      case 'P':
        return this.writeRegister(text.slice(1));
      case 'm':
        return this.readMemory(text.slice(1));
      case 'M':
        return this.writeMemoryHex(text.slice(1));
      case 'X':
        return this.writeMemoryBinary(data.subarray(1));
      case 'Z':
      case 'z':
        return this.point(text);
      case 'c':
      case 's':
        return this.resumeCommand(text[0] === 's', text.slice(1));
      case 'C':
      case 'S': {
        // The signal to deliver means nothing to the core: resume as c/s would.
        const match = /^[0-9a-fA-F]{2}(?:;([0-9a-fA-F]+))?$/.exec(text.slice(1));
        if (!match) return ERROR;
        return this.resumeCommand(text[0] === 'S', match[1] ?? '');
      }
      case 'v':
        return this.vPacket(text);
      case 'q':
        return this.query(text);
      case 'H':
      case 'T':
        // One thread: any thread the client names is it.
        return 'OK';
      case 'k':
        this.machine.end('killed by gdb');
        this.io.close();
        return null;
      case 'D':
        this.detach();
        return null;
      default:
        return '';
    }
  }

  private query(text: string): string | Buffer {
    if (text.startsWith('qSupported')) return `PacketSize=${MAX_PACKET.toString(16)};qXfer:features:read+`;
    if (text.startsWith('qXfer:features:read:'))
      return this.targetXml(text.slice('qXfer:features:read:'.length));
    if (text.startsWith('qRcmd,')) return this.rcmd(text.slice('qRcmd,'.length));
    if (text === 'qC') return 'QC1';
    if (text === 'qfThreadInfo') return 'm1';
    if (text === 'qsThreadInfo') return 'l';
    if (text === 'qSymbol::') return 'OK';
    return '';
  }

  private vPacket(text: string): string | null {
    if (text === 'vCont?') return 'vCont;c;C;s;S';
    if (text.startsWith('vCont;')) {
      // All-stop, one thread: the first action that applies to it decides (a step before a continue).
      const actions = text.slice('vCont;'.length).split(';');
      let step: boolean | null = null;
      for (const a of actions) {
        const match = /^([cCsStr])([0-9a-fA-F]{2})?(?::(-1|[0-9a-fA-F]+|p[-0-9a-fA-F.]+))?$/.exec(a);
        if (!match) return ERROR;
        const kind = match[1]!.toLowerCase();
        if (kind === 's' && step === null) step = true;
        else if (kind === 'c' && step === null) step = false;
        else if (kind === 'r') return ERROR;
      }
      if (step === null) return ERROR;
      return this.resume(step);
    }
    if (text.startsWith('vKill')) {
      this.machine.end('killed by gdb');
      return 'OK';
    }
    return '';
  }

  private targetXml(args: string): string | Buffer {
    const match = /^target\.xml:([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(args);
    if (!match) return 'E00';
    const xml = Buffer.from(TARGET_XML, 'utf8');
    const offset = parseHexNumber(match[1]!);
    const length = parseHexNumber(match[2]!);
    if (offset === null || length === null) return 'E00';
    // Room for the m/l prefix and for every byte escaped.
    const part = xml.subarray(offset, offset + Math.min(length, (MAX_PACKET - 1) >> 1));
    const last = offset + part.length >= xml.length;
    return Buffer.concat([Buffer.from(last ? 'l' : 'm'), escapeBinary(part)]);
  }

  private rcmd(hexText: string): string {
    const bytes = hexToBytes(hexText);
    if (bytes === null) return ERROR;
    const answer = monitor(bytes.toString('utf8'), this.machine);
    if (answer.reset) this.reset();
    return bytesToHex(Buffer.from(answer.text, 'utf8'));
  }

  /** monitor reset: a new machine from the same firmware and options, the breakpoints kept. */
  private reset(): void {
    // Ended first, so what the old run holds open (semihosting's host files) is closed.
    this.machine.end('reset by gdb');
    this.machine.close();
    this.machine = this.createMachine();
    this.signalled = null;
    this.lastStop = `S${GDB_SIGNAL.TRAP.toString(16).padStart(2, '0')}`;
    for (const a of this.breakpoints) this.machine.setBreakpoint(a, true);
    for (const w of this.watchpoints.values())
      this.machine.setWatchpoint(w.address, w.length, w.access, true);
  }

  private writeAllRegisters(hexText: string): string {
    const bytes = hexToBytes(hexText);
    if (bytes === null || bytes.length !== G_PACKET_BYTES) return ERROR;
    let offset = 0;
    for (const r of GDB_REGISTERS) {
      const size = r.bits / 8;
      for (const { name, value } of decodeRegister(r, bytes.subarray(offset, offset + size)))
        // gdb sends its whole register cache: only what changed is written, what cannot be written is left.
        if (this.machine.readRegister(name) >>> 0 !== value >>> 0) this.machine.writeRegister(name, value);
      offset += size;
    }
    return 'OK';
  }

  private writeRegister(args: string): string {
    const match = /^([0-9a-fA-F]+)=([0-9a-fA-F]+)$/.exec(args);
    const r = match ? gdbRegister(parseHexNumber(match[1]!, 0xffff) ?? -1) : undefined;
    const bytes = match ? hexToBytes(match[2]!) : null;
    if (!r || !bytes || bytes.length !== r.bits / 8) return ERROR;
    for (const { name, value } of decodeRegister(r, bytes))
      if (this.machine.readRegister(name) >>> 0 !== value >>> 0 && !this.machine.writeRegister(name, value))
        return ERROR;
    return 'OK';
  }

  private addressLength(text: string): { address: number; length: number } | null {
    const match = /^([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(text);
    if (!match) return null;
    const address = parseHexNumber(match[1]!);
    const length = parseHexNumber(match[2]!, 2 ** 32);
    if (address === null || length === null || address + length > 2 ** 32) return null;
    return { address, length };
  }

  private readMemory(args: string): string {
    const r = this.addressLength(args);
    if (!r || r.length === 0) return ERROR;
    // A reply may hold fewer bytes than asked for (GDB manual, "m addr,length").
    const bytes = this.machine.readMemory(r.address, Math.min(r.length, MAX_PACKET >> 1));
    return bytes === null ? MEMORY_ERROR : bytesToHex(bytes);
  }

  private writeMemoryHex(args: string): string {
    const colon = args.indexOf(':');
    const r = colon < 0 ? null : this.addressLength(args.slice(0, colon));
    const bytes = colon < 0 ? null : hexToBytes(args.slice(colon + 1));
    if (!r || !bytes || bytes.length !== r.length) return ERROR;
    return this.writeMemory(r.address, bytes);
  }

  private writeMemoryBinary(data: Buffer): string {
    const colon = data.indexOf(0x3a);
    const r = colon < 0 ? null : this.addressLength(data.subarray(0, colon).toString('latin1'));
    const bytes = colon < 0 ? null : unescapeBinary(data.subarray(colon + 1));
    if (!r || !bytes || bytes.length !== r.length) return ERROR;
    return this.writeMemory(r.address, bytes);
  }

  private writeMemory(address: number, bytes: Buffer): string {
    // gdb probes X support with an empty write.
    if (bytes.length === 0) return 'OK';
    return this.machine.writeMemory(address, bytes) ? 'OK' : MEMORY_ERROR;
  }

  /** Z/z: breakpoints (0 software, 1 hardware: both a hook here) and watchpoints (2 write, 3 read, 4 access). */
  private point(text: string): string {
    const match = /^([zZ])([0-4]),([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(text);
    if (!match) return ERROR;
    const on = match[1] === 'Z';
    const type = match[2]!;
    const address = parseHexNumber(match[3]!);
    const size = parseHexNumber(match[4]!, 2 ** 32);
    if (address === null || size === null) return ERROR;
    if (type === '0' || type === '1') {
      if (!this.machine.setBreakpoint(address, on)) return FULL_ERROR;
      if (on) this.breakpoints.add((address & ~1) >>> 0);
      else this.breakpoints.delete((address & ~1) >>> 0);
      return 'OK';
    }
    const access = WATCH_ACCESS[type]!;
    if (size === 0 || address + size > 2 ** 32) return ERROR;
    if (!this.machine.setWatchpoint(address, size, access, on)) return FULL_ERROR;
    const key = `${address}:${size}:${access}`;
    if (on) this.watchpoints.set(key, { address, length: size, access });
    else this.watchpoints.delete(key);
    return 'OK';
  }

  private resumeCommand(step: boolean, addressText: string): string | null {
    if (addressText !== '') {
      const address = parseHexNumber(addressText);
      if (address === null) return ERROR;
      if (!this.machine.ended) this.machine.writeRegister('pc', address);
    }
    return this.resume(step);
  }

  /** Resumes; the stop reply comes when the machine stops (at once for a step). */
  private resume(step: boolean): string | null {
    if (this.machine.ended) {
      this.lastStop = this.endReply(this.machine.result(), true);
      return this.lastStop;
    }
    if (step) return this.stopped(this.machine.run({ step: true }));
    this.running = true;
    this.interrupt = false;
    this.slice();
    return null;
  }

  private slice(): void {
    this.guard(() => {
      if (this.closed) return;
      if (this.interrupt) {
        this.finishContinue(stopReply({ kind: 'interrupt' }));
        return;
      }
      const s = this.machine.run({ sliceCycles: this.sliceCycles });
      if (s.kind === 'slice') {
        setImmediate(() => this.slice());
        return;
      }
      this.finishContinue(this.stopped(s));
    });
  }

  private finishContinue(reply: string): void {
    this.lastStop = reply;
    this.running = false;
    this.interrupt = false;
    this.reply(reply);
    // Packets that came while the firmware ran (all-stop clients send none but 0x03).
    while (!this.running && !this.closed && this.queued.length > 0) this.command(this.queued.shift()!);
  }

  private stopped(s: MachineStop): string {
    const reply = s.kind === 'ended' ? this.endReply(this.machine.result(), false) : stopReply(s);
    this.lastStop = reply;
    return reply;
  }

  /**
   * The end of the run: W with the status, or T with the signal so the state can be looked at,
   * then X when gdb resumes (`resuming`).
   */
  private endReply(result: RunResult, resuming: boolean): string {
    const end = endOf(result);
    if ('exited' in end) return exitedReply(end.exited);
    if (resuming && this.signalled !== null) return terminatedReply(end.signal);
    this.signalled = end.signal;
    return signalStopReply(end.signal);
  }

  /** D: the client leaves, the firmware runs on to its end without breakpoints. */
  private detach(): void {
    this.reply('OK');
    this.detached = true;
    for (const a of this.breakpoints) this.machine.setBreakpoint(a, false);
    for (const w of this.watchpoints.values())
      this.machine.setWatchpoint(w.address, w.length, w.access, false);
    this.io.close();
    this.io.note('m4sim: gdb detached; the run goes on to its end');
    this.guard(() => {
      this.machine.run();
      this.settle();
    });
  }
}
