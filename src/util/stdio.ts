// The host's standard streams, written and read synchronously with bounded memory.
//
// The emulator runs synchronously: while it runs, Node's event loop does not, so process.stdout.write
// to a pipe that is full queues the bytes in memory (200 MB of firmware output held 421 MB of RSS).
// Writing with fs.writeSync instead makes a slow reader slow the firmware down (back-pressure) rather
// than grow the host. Node (libuv) may have put the descriptor in non-blocking mode; then a full pipe
// answers EAGAIN and the write is retried after a short sleep.
import { readSync, writeSync } from 'node:fs';
import { InputFileError } from './input-file.js';

/** Standard output or standard error was closed by its reader (EPIPE): stop quietly, status 141. */
export class BrokenPipeError extends Error {
  override name = 'BrokenPipeError';
  constructor(readonly fd: number) {
    super(`${fd === 1 ? 'standard output' : 'standard error'} was closed (EPIPE)`);
  }
}

/** Writing standard output or error failed other than by EPIPE (ENOSPC, EIO, EBADF): status 74. */
export class OutputError extends Error {
  override name = 'OutputError';
}

/** 128 + SIGPIPE (13): what a shell reports for a program the broken pipe would have killed. */
export const BROKEN_PIPE_STATUS = 141;
/** EX_IOERR (sysexits.h): an output error. */
export const OUTPUT_ERROR_STATUS = 74;

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Sleeps `ms` milliseconds without spinning (Atomics.wait is allowed on Node's main thread). */
function sleep(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

function errorCode(e: unknown): string | undefined {
  return (e as { code?: string }).code;
}

/** Writes all of `bytes` to `fd` (1 or 2), waiting while the reader is slow. */
export function writeAllSync(fd: number, bytes: Uint8Array | string): void {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  let done = 0;
  while (done < buf.length) {
    try {
      done += writeSync(fd, buf, done, buf.length - done);
    } catch (e) {
      const code = errorCode(e);
      if (code === 'EAGAIN') {
        sleep(1);
        continue;
      }
      if (code === 'EPIPE') throw new BrokenPipeError(fd);
      const stream = fd === 1 ? 'standard output' : fd === 2 ? 'standard error' : `descriptor ${fd}`;
      throw new OutputError(`cannot write to ${stream} (${code ?? 'unknown error'})`);
    }
  }
}

/** Firmware and report output to standard output. */
export const writeStdout = (bytes: Uint8Array | string): void => writeAllSync(1, bytes);
/** Firmware output and summaries to standard error. */
export const writeStderr = (bytes: Uint8Array | string): void => writeAllSync(2, bytes);

/**
 * All of standard input up to `limit` bytes (`--stdin </dev/zero` must end). Reads synchronously, in
 * chunks; more than `limit` bytes is an InputFileError (65), a read error one too (66).
 */
export function readStdinSync(limit: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  const chunk = Buffer.alloc(1 << 16);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, chunk, 0, chunk.length, null);
    } catch (e) {
      const code = errorCode(e);
      if (code === 'EAGAIN') {
        sleep(1);
        continue;
      }
      if (code === 'EOF') return Buffer.concat(chunks, total);
      throw new InputFileError(`standard input: cannot be read (${code ?? 'unknown error'})`, 66);
    }
    if (n === 0) return Buffer.concat(chunks, total);
    total += n;
    if (total > limit)
      throw new InputFileError(`standard input: more than the ${limit}-byte limit for --stdin`, 65);
    chunks.push(Buffer.from(chunk.subarray(0, n)));
  }
}
