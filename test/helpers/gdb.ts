// Drives `m4sim simulate --gdb 0` (the port it picked is read from its "listening on" line) with
// Debian's gdb-multiarch in batch mode, or with a bare Remote Serial Protocol client.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { frame } from '../../src/gdb/packets.js';
import { projectRoot } from '../../src/util/paths.js';

export const GDB = '/usr/bin/gdb-multiarch';
export const haveGdb = existsSync(GDB);

/** Only a guard against a hung child: no test waits for time to pass. */
const GUARD_MS = 120_000;

export interface Server {
  port: number;
  process: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** The exit status, once m4sim ended. */
  status: Promise<number | null>;
  /** Resolves when m4sim's standard output contains `text`. */
  printed(text: string): Promise<void>;
}

/** Starts `m4sim simulate ELF --gdb 0 ARGS` and resolves once it listens. */
export function startServer(elf: string, args: string[] = []): Promise<Server> {
  const bin = join(projectRoot(), 'bin', 'm4sim.js');
  const child = spawn(process.execPath, [bin, 'simulate', elf, '--gdb', '0', ...args], {
    cwd: projectRoot(),
    timeout: GUARD_MS,
  });
  let out = '';
  let err = '';
  const waiting: { text: string; resolve: () => void }[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString('utf8');
    for (const w of waiting.splice(0)) {
      if (out.includes(w.text)) w.resolve();
      else waiting.push(w);
    }
  });
  const status = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString('utf8');
      const m = /gdb server listening on 127\.0\.0\.1:(\d+)\n/.exec(err);
      if (m)
        resolve({
          port: Number(m[1]),
          process: child,
          stdout: () => out,
          stderr: () => err,
          status,
          printed: (text) =>
            new Promise((r) => {
              if (out.includes(text)) r();
              else waiting.push({ text, resolve: r });
            }),
        });
    });
    void status.then((code) => reject(new Error(`m4sim ended (${code}) before listening: ${err}`)));
  });
}

/** gdb-multiarch -nx -batch on the ELF: connects to the server, then runs `commands`. */
export function gdbBatch(
  port: number,
  elf: string,
  commands: string[],
): Promise<{ status: number | null; output: string }> {
  const args = ['-nx', '-batch', '-ex', `target remote 127.0.0.1:${port}`];
  for (const c of commands) args.push('-ex', c);
  args.push(elf);
  const child = spawn(GDB, args, { timeout: GUARD_MS });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, output })));
}

export interface Debugged {
  gdb: string;
  status: number | null;
  stdout: string;
  stderr: string;
}

/** One session: m4sim under gdb running `commands`, until both ended. */
export async function debug(elf: string, commands: string[], m4simArgs: string[] = []): Promise<Debugged> {
  const server = await startServer(elf, m4simArgs);
  const g = await gdbBatch(server.port, elf, commands);
  const status = await server.status;
  return { gdb: g.output, status, stdout: server.stdout(), stderr: server.stderr() };
}

/** A bare RSP client: sends packets, and hands out what comes back one packet (or ack) at a time. */
export class RspClient {
  private readonly socket: Socket;
  private buffer = '';
  private readonly waiting: (() => void)[] = [];
  readonly closed: Promise<void>;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (d: Buffer) => {
      this.buffer += d.toString('latin1');
      for (const w of this.waiting.splice(0)) w();
    });
    this.closed = new Promise((resolve) => this.socket.on('close', () => resolve()));
    this.socket.on('error', () => {});
  }

  /** Raw bytes, as they are. */
  raw(text: string): void {
    this.socket.write(Buffer.from(text, 'latin1'));
  }

  /** A packet, framed with its checksum. */
  send(data: string): void {
    this.socket.write(frame(data));
  }

  /** The next `+`, `-` or whole `$…#cc` packet that came (acknowledging a packet with `+`). */
  async next(): Promise<string> {
    for (;;) {
      const m = /^(\+|-|\$[^#]*#[0-9a-f]{2})/.exec(this.buffer);
      if (m) {
        this.buffer = this.buffer.slice(m[1]!.length);
        if (m[1]!.startsWith('$')) this.socket.write('+');
        return m[1]!;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  /** Sends a packet and returns the reply packet's data (after the `+` for it). */
  async ask(data: string): Promise<string> {
    this.send(data);
    const ack = await this.next();
    if (ack !== '+') throw new Error(`expected + for ${data}, got ${ack}`);
    const reply = await this.next();
    return reply.slice(1, -3);
  }

  close(): void {
    this.socket.destroy();
  }
}
