// The GDB server: listens on one TCP address (127.0.0.1 unless told otherwise), takes one client,
// and runs the firmware under its control (src/gdb/session.ts). `--gdb PORT` or `--gdb HOST:PORT`;
// port 0 picks a free port, and the line announcing the server says which.
import { createServer, isIP, type Socket } from 'node:net';
import type { Machine, RunResult } from '../emulator/machine.js';
import { UnavailableError, UsageError } from '../util/units.js';
import { GdbSession } from './session.js';

export interface GdbAddress {
  host: string;
  port: number;
}

/** The address m4sim listens on when --gdb gives only a port: this machine only. */
export const DEFAULT_GDB_HOST = '127.0.0.1';

/** `3333`, `:3333`, `127.0.0.1:3333`, `localhost:3333`, `[::1]:3333` → host and port; a usage error otherwise. */
export function parseGdbAddress(text: string): GdbAddress {
  const bad = () =>
    new UsageError(
      `--gdb: expected a port (0 to 65535, 0: any free one) or HOST:PORT, like 3333 or 127.0.0.1:3333, got ${JSON.stringify(text.slice(0, 60))}`,
    );
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):)?(\d{1,5})$/.exec(text.trim());
  if (!m) throw bad();
  const port = Number(m[2]);
  if (port > 65535) throw bad();
  let host = m[1] ?? '';
  if (host.startsWith('[')) host = host.slice(1, -1);
  if (host === '') host = DEFAULT_GDB_HOST;
  if (isIP(host) === 0 && host !== 'localhost') throw bad();
  return { host, port };
}

/** The address cannot be listened on (in use, not this machine's, not allowed): status 69. */
export class GdbServerError extends UnavailableError {
  override name = 'GdbServerError';
}

export interface ServeOptions {
  /** A fresh machine for the firmware (called again on `monitor reset`). */
  createMachine: () => Machine;
  /** One line for the user (standard error). */
  note: (line: string) => void;
  sliceCycles?: number;
}

function shownAddress(a: GdbAddress): string {
  return isIP(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/**
 * Listens, waits for one gdb, and serves it until it kills the run, detaches (the run then goes on
 * to its end) or goes away (the run ends there). Resolves with the run's figures.
 */
export function serveGdb(address: GdbAddress, options: ServeOptions): Promise<RunResult> {
  // The firmware is loaded before anyone connects: a firmware that cannot run is refused at once.
  const first = options.createMachine();
  return new Promise((resolve, reject) => {
    const server = createServer({ noDelay: true });
    let client: Socket | null = null;
    server.on('error', (e: NodeJS.ErrnoException) => {
      const why =
        e.code === 'EADDRINUSE'
          ? 'the address is in use'
          : e.code === 'EADDRNOTAVAIL'
            ? 'not an address of this machine'
            : e.code === 'EACCES'
              ? 'permission denied'
              : `cannot listen (${e.code ?? e.message})`;
      first.close();
      reject(new GdbServerError(`--gdb ${shownAddress(address)}: ${why}`));
    });
    server.on('connection', (socket) => {
      if (client) {
        // One client at a time: a second one is turned away at once.
        socket.destroy();
        return;
      }
      client = socket;
      // No more clients: the listening socket closes, the connection stays.
      server.close();
      socket.setNoDelay(true);
      const session = new GdbSession(
        first,
        options.createMachine,
        {
          send: (bytes) => {
            if (!socket.destroyed) socket.write(bytes);
          },
          close: () => socket.end(),
          note: options.note,
        },
        options.sliceCycles,
      );
      session.done.then(resolve, reject);
      socket.on('data', (chunk: Buffer) => session.receive(chunk));
      // A reset or refused connection is a disconnect like any other.
      socket.on('error', () => socket.destroy());
      socket.on('close', () => session.disconnected());
    });
    server.listen(address.port, address.host, () => {
      const a = server.address();
      const port = a !== null && typeof a === 'object' ? a.port : address.port;
      options.note(`m4sim: gdb server listening on ${shownAddress({ host: address.host, port })}`);
    });
  });
}
