// ARM semihosting ("Semihosting for AArch32 and AArch64", ARM) for firmware running in the emulator.
// The machine traps `BKPT 0xAB` and calls handle(r0, r1); the returned value goes back to r0.
//
// The guest is untrusted: it gets the console, a virtual ":semihosting-features" file and, only when
// a sandbox directory is given, regular files inside that directory. SYS_SYSTEM is never run. Every
// refusal, bad pointers included, is recorded in `refused`. Guest memory reads are bounded so hostile
// firmware cannot hang the host, and the host writes only guest RAM: a buffer in flash is refused like
// a store to flash would fault.
import {
  closeSync,
  constants as fsConstants,
  fstatSync,
  lstatSync,
  openSync,
  readSync,
  realpathSync,
  renameSync,
  statSync,
  type Stats,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CAMERA_ROWS_OP, cameraRows, cameraRowsProblem, type CameraFrame } from './camera.js';

export interface GuestMemory {
  read(address: number, length: number): Uint8Array;
  write(address: number, bytes: Uint8Array): void;
  /** False when the host must not read [address, address + length) (default: read() decides). */
  readable?(address: number, length: number): boolean;
  /**
   * False when the host must not write [address, address + length), e.g. flash (default: write()
   * decides). Checked before any side effect of the call (reading a file, consuming stdin).
   */
  writable?(address: number, length: number): boolean;
}

export interface SemihostingOptions {
  /** Host directory the guest may use for files. When absent, no host file access at all. */
  sandbox?: string;
  stdout(bytes: Uint8Array): void;
  stderr(bytes: Uint8Array): void;
  /** Returns the next chunk of input, or null at end of file. Absent: stdin is empty. */
  stdin?: () => Uint8Array | null;
  /** Returned by SYS_GET_CMDLINE (argv[0] first, as newlib's crt0 splits it on spaces). */
  cmdline: string;
  /** Returned by SYS_HEAPINFO. */
  heapInfo: { heapBase: number; heapLimit: number; stackBase: number; stackLimit: number };
  /** Modeled time since reset in seconds (cycles / clock). */
  elapsedSeconds(): number;
  /** Seconds since the epoch at reset, for SYS_TIME. Default 0, so runs are deterministic. */
  timeBase?: number;
  /** The frame the camera row call (0x100, src/emulator/camera.ts) serves; absent: the call is refused. */
  camera?: CameraFrame;
}

export type SemihostingOutcome =
  { kind: 'return'; value: number } | { kind: 'exit'; code: number; reason: string };

/** Operation numbers. */
export const SYS = {
  OPEN: 0x01,
  CLOSE: 0x02,
  WRITEC: 0x03,
  WRITE0: 0x04,
  WRITE: 0x05,
  READ: 0x06,
  READC: 0x07,
  ISERROR: 0x08,
  ISTTY: 0x09,
  SEEK: 0x0a,
  FLEN: 0x0c,
  TMPNAM: 0x0d,
  REMOVE: 0x0e,
  RENAME: 0x0f,
  CLOCK: 0x10,
  TIME: 0x11,
  SYSTEM: 0x12,
  ERRNO: 0x13,
  GET_CMDLINE: 0x15,
  HEAPINFO: 0x16,
  EXIT: 0x18,
  EXIT_EXTENDED: 0x20,
  ELAPSED: 0x30,
  TICKFREQ: 0x31,
} as const;

/** SYS_* names by operation number, for refusal records. */
const OP_NAMES = new Map<number, string>([
  ...Object.entries(SYS).map(([name, op]) => [op, `SYS_${name}`] as const),
  [CAMERA_ROWS_OP, 'M4SIM_CAMERA_ROWS'],
]);

/** ADP_Stopped_* reason codes (SYS_EXIT / SYS_EXIT_EXTENDED). */
export const ADP_STOPPED_APPLICATION_EXIT = 0x20026;
export const ADP_STOPPED_RUNTIME_ERROR_UNKNOWN = 0x20023;

const ADP_REASONS: Record<number, string> = {
  0x20000: 'BranchThroughZero',
  0x20001: 'UndefinedInstr',
  0x20002: 'SoftwareInterrupt',
  0x20003: 'PrefetchAbort',
  0x20004: 'DataAbort',
  0x20005: 'AddressException',
  0x20006: 'IRQ',
  0x20007: 'FIQ',
  0x20020: 'BreakPoint',
  0x20021: 'WatchPoint',
  0x20022: 'StepComplete',
  0x20023: 'RunTimeErrorUnknown',
  0x20024: 'InternalError',
  0x20025: 'UserInterruption',
  0x20026: 'ApplicationExit',
  0x20027: 'StackOverflow',
  0x20028: 'DivisionByZero',
  0x20029: 'OSSpecific',
};

/** SYS_ELAPSED counts microseconds of modeled time; SYS_TICKFREQ returns this. */
export const SEMIHOSTING_TICK_HZ = 1_000_000;

/** Content of the virtual ":semihosting-features" file: magic, then EXIT_EXTENDED | STDOUT_STDERR. */
export const SEMIHOSTING_FEATURES = Uint8Array.of(0x53, 0x48, 0x46, 0x42, 0x03);

/** Limits on what the guest can make the host read or do. */
export const SEMIHOSTING_LIMITS = {
  /** Longest SYS_WRITE0 string; longer output is cut there. */
  write0Bytes: 64 * 1024,
  /** Largest SYS_READ / SYS_WRITE length; larger requests fail. */
  transferBytes: 16 * 1024 * 1024,
  /** Longest file name. */
  pathBytes: 4096,
  /** Part of a SYS_SYSTEM command kept for the record. */
  commandBytes: 1024,
  /** Open handles at once. */
  openHandles: 64,
  /** Total bytes the guest may write to host files in the sandbox per run. */
  fileWriteBytes: 64 * 1024 * 1024,
  /** Refusals recorded one by one; later ones are counted in a final entry. */
  refusals: 100,
} as const;

/**
 * errno values as the guest's C library (newlib) numbers them: 1-34 are the same as on Linux; ENOSYS,
 * ENOTEMPTY, ENAMETOOLONG and ELOOP are newlib's (Linux uses 38, 39, 36, 40).
 */
const E = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  EBADF: 9,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  EMFILE: 24,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  ENOSYS: 88,
  ENOTEMPTY: 90,
  ENAMETOOLONG: 91,
  ELOOP: 92,
} as const;

/** Thrown inside handlers: becomes return -1 with SYS_ERRNO = errno. */
class GuestError extends Error {
  constructor(readonly errno: number) {
    super(`errno ${errno}`);
  }
}

type Handle =
  | { kind: 'stdin' }
  | { kind: 'stdout' }
  | { kind: 'stderr' }
  | { kind: 'memory'; data: Uint8Array; pos: number }
  | { kind: 'file'; fd: number; pos: number; readable: boolean; writable: boolean; append: boolean };

/** The spec's SYS_OPEN mode table (ISO C fopen modes), index = mode. */
const FOPEN_MODES = ['r', 'rb', 'r+', 'r+b', 'w', 'wb', 'w+', 'w+b', 'a', 'ab', 'a+', 'a+b'] as const;

function openFlags(mode: number): { flags: number; readable: boolean; writable: boolean; append: boolean } {
  const c = fsConstants;
  const base = mode >> 2; // 0: r, 1: w, 2: a
  const plus = (mode & 2) !== 0;
  let flags: number;
  if (base === 0) flags = plus ? c.O_RDWR : c.O_RDONLY;
  else if (base === 1) flags = (plus ? c.O_RDWR : c.O_WRONLY) | c.O_CREAT | c.O_TRUNC;
  else flags = (plus ? c.O_RDWR : c.O_WRONLY) | c.O_CREAT | c.O_APPEND;
  // Never follow a symlink as the last component: the checked path is the opened path.
  flags |= c.O_NOFOLLOW ?? 0;
  return { flags, readable: base === 0 || plus, writable: base !== 0 || plus, append: base === 2 };
}

const ERRNO_BY_CODE: Record<string, number> = {
  EPERM: E.EPERM,
  ENOENT: E.ENOENT,
  EIO: E.EIO,
  EBADF: E.EBADF,
  EACCES: E.EACCES,
  EBUSY: E.EBUSY,
  EEXIST: E.EEXIST,
  EXDEV: E.EXDEV,
  ENOTDIR: E.ENOTDIR,
  EISDIR: E.EISDIR,
  EINVAL: E.EINVAL,
  EMFILE: E.EMFILE,
  ENFILE: E.EMFILE,
  EFBIG: E.EFBIG,
  ENOSPC: E.ENOSPC,
  ESPIPE: E.ESPIPE,
  EROFS: E.EROFS,
  ELOOP: E.ELOOP,
  ENOTEMPTY: E.ENOTEMPTY,
  ENAMETOOLONG: E.ENAMETOOLONG,
};

function hostErrno(e: unknown): number {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return (code !== undefined && ERRNO_BY_CODE[code]) || E.EIO;
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

/** JSON quoting keeps control characters and quotes in guest text readable and unambiguous. */
function quote(text: string): string {
  return JSON.stringify(text);
}

export class Semihosting {
  /** Human-readable record of every refused request, e.g. `SYS_SYSTEM "rm -rf /"`. */
  readonly refused: string[] = [];
  /** Name of the call being served, for refusal records. */
  private op = '';

  private readonly mem: GuestMemory;
  private readonly opts: SemihostingOptions;
  /** Real path of the sandbox, or undefined when host files are disabled. */
  private readonly sandbox: string | undefined;
  private readonly handles = new Map<number, Handle>();
  private nextHandle = 1;
  private errno = 0;
  private stdinBuffer: Uint8Array = new Uint8Array(0);
  private stdinEof = false;
  private fileBytesWritten = 0;
  private refusedOverflow = 0;

  constructor(mem: GuestMemory, opts: SemihostingOptions) {
    this.mem = mem;
    this.opts = opts;
    if (opts.sandbox !== undefined) {
      let real: string;
      try {
        real = realpathSync(opts.sandbox);
      } catch {
        throw new Error(`semihosting sandbox ${opts.sandbox} does not exist`);
      }
      if (!statSync(real).isDirectory())
        throw new Error(`semihosting sandbox ${opts.sandbox} is not a directory`);
      this.sandbox = real;
    }
  }

  /** Runs one semihosting call: op = r0, param = r1 (either signed or unsigned 32-bit). */
  handle(op: number, param: number): SemihostingOutcome {
    op >>>= 0;
    param >>>= 0;
    this.op = OP_NAMES.get(op) ?? `operation ${hex(op)}`;
    try {
      const result = this.dispatch(op, param);
      if (typeof result === 'number') return { kind: 'return', value: result | 0 };
      return result;
    } catch (e) {
      if (e instanceof GuestError) {
        this.errno = e.errno;
        return { kind: 'return', value: -1 };
      }
      throw e;
    }
  }

  /** Closes the host files the guest left open. */
  close(): void {
    for (const h of this.handles.values()) {
      if (h.kind === 'file') {
        try {
          closeSync(h.fd);
        } catch {
          // already gone
        }
      }
    }
    this.handles.clear();
  }

  private dispatch(op: number, p: number): number | SemihostingOutcome {
    switch (op) {
      case SYS.OPEN:
        return this.open(p);
      case SYS.CLOSE:
        return this.closeHandle(this.word(p));
      case SYS.WRITEC:
        this.opts.stdout(this.read(p, 1, 'character'));
        return 0;
      case SYS.WRITE0:
        this.opts.stdout(this.cString(p, SEMIHOSTING_LIMITS.write0Bytes));
        return 0;
      case SYS.WRITE:
        return this.write(this.word(p), this.word(p + 4), this.word(p + 8));
      case SYS.READ:
        return this.readOp(this.word(p), this.word(p + 4), this.word(p + 8));
      case SYS.READC: {
        const b = this.readStdin(1);
        return b.length === 1 ? b[0]! : -1;
      }
      case SYS.ISERROR:
        return (this.word(p) | 0) < 0 ? 1 : 0;
      case SYS.ISTTY: {
        const h = this.lookup(this.word(p));
        return h.kind === 'stdin' || h.kind === 'stdout' || h.kind === 'stderr' ? 1 : 0;
      }
      case SYS.SEEK:
        return this.seek(this.word(p), this.word(p + 4));
      case SYS.FLEN:
        return this.flen(this.word(p));
      case SYS.TMPNAM:
        return this.refuse('SYS_TMPNAM (temporary host files are not provided)', E.EACCES);
      case SYS.REMOVE:
        return this.remove(p);
      case SYS.RENAME:
        return this.rename(p);
      case SYS.CLOCK:
        return Math.floor(this.elapsed() * 100);
      case SYS.TIME:
        return (this.opts.timeBase ?? 0) + Math.floor(this.elapsed());
      case SYS.SYSTEM: {
        const length = this.word(p + 4);
        const shown = this.text(this.word(p), Math.min(length, SEMIHOSTING_LIMITS.commandBytes), 'command');
        const cut = length > SEMIHOSTING_LIMITS.commandBytes ? ` (${length} bytes, cut)` : '';
        return this.refuse(`SYS_SYSTEM ${quote(shown)}${cut}`, E.EPERM);
      }
      case SYS.ERRNO:
        return this.errno;
      case SYS.GET_CMDLINE:
        return this.getCmdline(p);
      case SYS.HEAPINFO: {
        const { heapBase, heapLimit, stackBase, stackLimit } = this.opts.heapInfo;
        const block = new Uint8Array(16);
        const view = new DataView(block.buffer);
        [heapBase, heapLimit, stackBase, stackLimit].forEach((v, i) => view.setUint32(i * 4, v >>> 0, true));
        this.writeMem(this.word(p), block, 'block');
        return 0;
      }
      case SYS.EXIT:
        // On AArch32 the parameter is the reason code itself, not a pointer.
        return this.exit(p, undefined);
      case SYS.EXIT_EXTENDED:
        return this.exit(this.word(p), this.word(p + 4));
      case SYS.ELAPSED: {
        const ticks = BigInt(Math.floor(this.elapsed() * SEMIHOSTING_TICK_HZ));
        const block = new Uint8Array(8);
        new DataView(block.buffer).setBigUint64(0, ticks, true);
        this.writeMem(p, block, 'block');
        return 0;
      }
      case SYS.TICKFREQ:
        return SEMIHOSTING_TICK_HZ;
      case CAMERA_ROWS_OP:
        return this.cameraRowsOp(this.word(p), this.word(p + 4), this.word(p + 8));
      default:
        return this.refuse(`unknown semihosting operation ${hex(op)} (parameter ${hex(p)})`, E.ENOSYS);
    }
  }

  /** M4SIM_CAMERA_ROWS: rows [first, first + count) of the camera frame to dest (src/emulator/camera.ts). */
  private cameraRowsOp(dest: number, first: number, count: number): number {
    const frame = this.opts.camera;
    if (!frame) return this.refuse('M4SIM_CAMERA_ROWS (the run has no camera frame)', E.ENOSYS);
    const problem = cameraRowsProblem(frame, first, count);
    if (problem) return this.refuse(`M4SIM_CAMERA_ROWS ${problem}`, E.EINVAL);
    this.writeMem(dest, cameraRows(frame, first, count), 'destination');
    return 0;
  }

  // ---- guest memory -------------------------------------------------------------------------

  private read(address: number, length: number, what = 'parameter block'): Uint8Array {
    if (length === 0) return new Uint8Array(0);
    if (length > SEMIHOSTING_LIMITS.transferBytes) throw new GuestError(E.EFBIG);
    const bad = () =>
      this.refuse(`${this.op} ${what} at ${hex(address)} (${length} bytes) is not in flash or RAM`, E.EFAULT);
    if (this.mem.readable && !this.mem.readable(address >>> 0, length)) return bad();
    try {
      return this.mem.read(address >>> 0, length);
    } catch {
      return bad();
    }
  }

  /** Refuses (EFAULT, recorded) a buffer the host may not write, before anything else happens. */
  private checkWritable(address: number, length: number, what: string): void {
    if (length === 0 || !this.mem.writable || this.mem.writable(address >>> 0, length)) return;
    this.refuse(`${this.op} ${what} at ${hex(address)} (${length} bytes) is not in RAM`, E.EFAULT);
  }

  private writeMem(address: number, bytes: Uint8Array, what = 'buffer'): void {
    if (bytes.length === 0) return;
    this.checkWritable(address, bytes.length, what);
    try {
      this.mem.write(address >>> 0, bytes);
    } catch {
      this.refuse(`${this.op} ${what} at ${hex(address)} (${bytes.length} bytes) is not in RAM`, E.EFAULT);
    }
  }

  private word(address: number): number {
    const b = this.read(address >>> 0, 4);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }

  /** Reads a NUL-terminated string of at most `max` bytes, in chunks that never cross 256-byte lines. */
  private cString(address: number, max: number): Uint8Array {
    const parts: Uint8Array[] = [];
    let total = 0;
    let at = address >>> 0;
    while (total < max) {
      const chunkLen = Math.min(256 - (at % 256), max - total);
      const chunk = this.read(at, chunkLen, 'string');
      const nul = chunk.indexOf(0);
      if (nul >= 0) {
        parts.push(chunk.subarray(0, nul));
        total += nul;
        break;
      }
      parts.push(chunk);
      total += chunk.length;
      at = (at + chunk.length) >>> 0;
    }
    const out = new Uint8Array(total);
    let o = 0;
    for (const part of parts) {
      out.set(part, o);
      o += part.length;
    }
    return out;
  }

  private text(address: number, length: number, what = 'string'): string {
    return Buffer.from(this.read(address, length, what)).toString('utf8');
  }

  // ---- records ------------------------------------------------------------------------------

  private refuse(what: string, errno: number): never {
    if (this.refused.length < SEMIHOSTING_LIMITS.refusals) {
      this.refused.push(what);
    } else {
      this.refusedOverflow++;
      const summary = `… and ${this.refusedOverflow} more refused semihosting calls`;
      if (this.refusedOverflow === 1) this.refused.push(summary);
      else this.refused[this.refused.length - 1] = summary;
    }
    throw new GuestError(errno);
  }

  private elapsed(): number {
    const s = this.opts.elapsedSeconds();
    return Number.isFinite(s) && s > 0 ? s : 0;
  }

  // ---- handles ------------------------------------------------------------------------------

  private lookup(handle: number): Handle {
    const h = this.handles.get(handle);
    if (!h) throw new GuestError(E.EBADF);
    return h;
  }

  private add(h: Handle): number {
    if (this.handles.size >= SEMIHOSTING_LIMITS.openHandles) {
      if (h.kind === 'file') closeSync(h.fd);
      throw new GuestError(E.EMFILE);
    }
    while (this.handles.has(this.nextHandle)) this.nextHandle = (this.nextHandle % 0x7fffffff) + 1;
    const id = this.nextHandle;
    this.nextHandle = (this.nextHandle % 0x7fffffff) + 1;
    this.handles.set(id, h);
    return id;
  }

  private closeHandle(handle: number): number {
    const h = this.lookup(handle);
    this.handles.delete(handle);
    if (h.kind === 'file') {
      try {
        closeSync(h.fd);
      } catch (e) {
        throw new GuestError(hostErrno(e));
      }
    }
    return 0;
  }

  // ---- files --------------------------------------------------------------------------------

  private open(p: number): number {
    const nameAddr = this.word(p);
    const mode = this.word(p + 4);
    const length = this.word(p + 8);
    if (length > SEMIHOSTING_LIMITS.pathBytes) {
      return this.refuse(
        `SYS_OPEN of a ${length}-byte name (longer than ${SEMIHOSTING_LIMITS.pathBytes})`,
        E.ENAMETOOLONG,
      );
    }
    const name = this.text(nameAddr, length, 'file name');
    if (mode >= FOPEN_MODES.length) throw new GuestError(E.EINVAL);

    if (name === ':tt') {
      const base = mode >> 2;
      return this.add(base === 0 ? { kind: 'stdin' } : base === 1 ? { kind: 'stdout' } : { kind: 'stderr' });
    }
    if (name === ':semihosting-features') {
      if (mode >> 2 !== 0 || (mode & 2) !== 0) throw new GuestError(E.EACCES);
      return this.add({ kind: 'memory', data: SEMIHOSTING_FEATURES, pos: 0 });
    }

    const target = this.sandboxPath('SYS_OPEN', name);
    // Regular files only: opening a FIFO waits for its other end (forever, --timeout or not), and a
    // device can do anything. Checked before opening, and again on the descriptor; O_NONBLOCK makes
    // the open of a FIFO that appeared in between return at once.
    const before = this.nonRegular(() => lstatSync(target));
    if (before)
      return this.refuse(`SYS_OPEN ${quote(name)} (${before.what}, not a regular file)`, before.errno);
    const { flags, readable, writable, append } = openFlags(mode);
    let fd: number;
    try {
      fd = openSync(target, flags | fsConstants.O_NONBLOCK, 0o644);
    } catch (e) {
      throw new GuestError(hostErrno(e));
    }
    let after: { what: string; errno: number } | null;
    try {
      after = this.nonRegular(() => fstatSync(fd));
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    if (after) {
      closeSync(fd);
      return this.refuse(`SYS_OPEN ${quote(name)} (${after.what}, not a regular file)`, after.errno);
    }
    return this.add({ kind: 'file', fd, pos: 0, readable, writable, append });
  }

  /** What `path` is when it exists and is not a regular file; null for a regular file or none at all. */
  private nonRegular(stat: () => Stats): { what: string; errno: number } | null {
    let st: Stats;
    try {
      st = stat();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new GuestError(hostErrno(e));
    }
    if (st.isFile()) return null;
    if (st.isDirectory()) return { what: 'a directory', errno: E.EISDIR };
    const what = st.isFIFO()
      ? 'a FIFO'
      : st.isCharacterDevice()
        ? 'a character device'
        : st.isBlockDevice()
          ? 'a block device'
          : st.isSocket()
            ? 'a socket'
            : st.isSymbolicLink()
              ? 'a symbolic link'
              : 'a special file';
    return { what, errno: E.EACCES };
  }

  private write(handle: number, address: number, length: number): number {
    const h = this.lookup(handle);
    if (length > SEMIHOSTING_LIMITS.transferBytes) {
      return this.refuse(`SYS_WRITE of ${length} bytes (over the 16 MiB limit)`, E.EFBIG);
    }
    const bytes = this.read(address, length, 'buffer');
    switch (h.kind) {
      case 'stdout':
        this.opts.stdout(bytes);
        return 0;
      case 'stderr':
        this.opts.stderr(bytes);
        return 0;
      case 'file': {
        if (!h.writable) throw new GuestError(E.EBADF);
        if (this.fileBytesWritten + length > SEMIHOSTING_LIMITS.fileWriteBytes) {
          return this.refuse(
            `SYS_WRITE past the ${SEMIHOSTING_LIMITS.fileWriteBytes}-byte file quota`,
            E.ENOSPC,
          );
        }
        let written = 0;
        try {
          if (h.append) {
            written = writeSync(h.fd, bytes, 0, bytes.length, null);
            h.pos = fstatSync(h.fd).size;
          } else {
            while (written < bytes.length) {
              const n = writeSync(h.fd, bytes, written, bytes.length - written, h.pos);
              if (n <= 0) break;
              written += n;
              h.pos += n;
            }
          }
        } catch (e) {
          this.errno = hostErrno(e);
        }
        this.fileBytesWritten += written;
        return length - written;
      }
      default:
        throw new GuestError(E.EBADF);
    }
  }

  private readOp(handle: number, address: number, length: number): number {
    const h = this.lookup(handle);
    if (length > SEMIHOSTING_LIMITS.transferBytes) {
      return this.refuse(`SYS_READ of ${length} bytes (over the 16 MiB limit)`, E.EFBIG);
    }
    // Before reading: a refused buffer must not consume input or allocate its length.
    this.checkWritable(address, length, 'buffer');
    let data: Uint8Array;
    switch (h.kind) {
      case 'stdin':
        data = this.readStdin(length);
        break;
      case 'memory':
        data = h.data.subarray(Math.min(h.pos, h.data.length), Math.min(h.pos + length, h.data.length));
        h.pos += data.length;
        break;
      case 'file': {
        if (!h.readable) throw new GuestError(E.EBADF);
        const buf = new Uint8Array(length);
        let got = 0;
        try {
          while (got < length) {
            const n = readSync(h.fd, buf, got, length - got, h.pos);
            if (n <= 0) break;
            got += n;
            h.pos += n;
          }
        } catch (e) {
          if (got === 0) throw new GuestError(hostErrno(e));
        }
        data = buf.subarray(0, got);
        break;
      }
      default:
        throw new GuestError(E.EBADF);
    }
    this.writeMem(address, data);
    return length - data.length;
  }

  /** Up to `max` bytes of stdin; empty at end of file. */
  private readStdin(max: number): Uint8Array {
    while (this.stdinBuffer.length === 0 && !this.stdinEof) {
      const chunk = this.opts.stdin ? this.opts.stdin() : null;
      if (chunk === null) this.stdinEof = true;
      else this.stdinBuffer = chunk;
    }
    const out = this.stdinBuffer.slice(0, max);
    this.stdinBuffer = this.stdinBuffer.subarray(out.length);
    return out;
  }

  private seek(handle: number, position: number): number {
    const h = this.lookup(handle);
    if (h.kind === 'memory' || h.kind === 'file') {
      h.pos = position;
      return 0;
    }
    throw new GuestError(E.ESPIPE);
  }

  private flen(handle: number): number {
    const h = this.lookup(handle);
    if (h.kind === 'memory') return h.data.length;
    if (h.kind === 'file') {
      try {
        return fstatSync(h.fd).size;
      } catch (e) {
        throw new GuestError(hostErrno(e));
      }
    }
    return 0;
  }

  private remove(p: number): number {
    const name = this.pathArg('SYS_REMOVE', this.word(p), this.word(p + 4));
    const target = this.sandboxPath('SYS_REMOVE', name);
    try {
      unlinkSync(target);
    } catch (e) {
      throw new GuestError(hostErrno(e));
    }
    return 0;
  }

  private rename(p: number): number {
    const from = this.pathArg('SYS_RENAME', this.word(p), this.word(p + 4));
    const to = this.pathArg('SYS_RENAME', this.word(p + 8), this.word(p + 12));
    const what = `${quote(from)} to ${quote(to)}`;
    if (this.sandbox === undefined) {
      return this.refuse(`SYS_RENAME ${what} (no sandbox: host files are disabled)`, E.EACCES);
    }
    const a = this.resolveInSandbox(from);
    const b = this.resolveInSandbox(to);
    const refusal = 'why' in a ? a : 'why' in b ? b : null;
    if (refusal) return this.refuse(`SYS_RENAME ${what} (${refusal.why})`, refusal.errno);
    try {
      renameSync((a as { path: string }).path, (b as { path: string }).path);
    } catch (e) {
      throw new GuestError(hostErrno(e));
    }
    return 0;
  }

  private pathArg(op: string, address: number, length: number): string {
    if (length > SEMIHOSTING_LIMITS.pathBytes) {
      return this.refuse(
        `${op} of a ${length}-byte name (longer than ${SEMIHOSTING_LIMITS.pathBytes})`,
        E.ENAMETOOLONG,
      );
    }
    return this.text(address, length, 'file name');
  }

  /** The host path for a guest file name, or a refusal when there is no sandbox or it escapes. */
  private sandboxPath(op: string, name: string): string {
    if (this.sandbox === undefined) {
      return this.refuse(`${op} ${quote(name)} (no sandbox: host files are disabled)`, E.EACCES);
    }
    const r = this.resolveInSandbox(name);
    if ('why' in r) return this.refuse(`${op} ${quote(name)} (${r.why})`, r.errno);
    return r.path;
  }

  /**
   * Resolves `name` relative to the sandbox: the host path, or why it is refused: it leaves the
   * sandbox (through `..`, an absolute path or a symlink in a parent directory or as the last
   * component), it is a symlink to nothing, or a symlink loop. A missing parent directory is not
   * refused, just absent (ENOENT): the guest cannot create directories.
   */
  private resolveInSandbox(name: string): { path: string } | { why: string; errno: number } {
    const root = this.sandbox!;
    const outside = { why: 'outside the sandbox', errno: E.EACCES };
    const why = (e: unknown) => {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') return { why: 'a symbolic-link loop', errno: E.ELOOP };
      if (code === 'ENOENT') return { why: 'a symbolic link to nothing', errno: E.ENOENT };
      return { why: `cannot be checked (${code ?? 'unknown error'})`, errno: hostErrno(e) };
    };
    if (name.length === 0 || name.includes('\0')) return outside;
    const lexical = resolve(root, name);
    if (!inside(root, lexical)) return outside;
    let parent: string;
    try {
      parent = realpathSync(dirname(lexical));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ELOOP') return why(e);
      throw new GuestError(E.ENOENT);
    }
    if (!inside(root, parent)) return outside;
    const target = join(parent, basename(lexical));
    if (!inside(root, target)) return outside;
    try {
      if (!lstatSync(target).isSymbolicLink()) return { path: target };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { path: target };
      return why(e);
    }
    // Follow the link once to decide; the open itself uses O_NOFOLLOW on the resolved path.
    let real: string;
    try {
      real = realpathSync(target);
    } catch (e) {
      return why(e);
    }
    return inside(root, real) ? { path: real } : outside;
  }

  // ---- misc ---------------------------------------------------------------------------------

  private getCmdline(p: number): number {
    const buffer = this.word(p);
    const size = this.word(p + 4);
    const bytes = Buffer.from(this.opts.cmdline, 'utf8');
    if (bytes.length + 1 > size) throw new GuestError(E.EINVAL);
    // Both writes are checked first, so a refused call changes nothing.
    this.checkWritable(buffer, bytes.length + 1, 'buffer');
    this.checkWritable(p + 4, 4, 'parameter block');
    const out = new Uint8Array(bytes.length + 1);
    out.set(bytes);
    this.writeMem(buffer, out);
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, bytes.length, true);
    this.writeMem(p + 4, len, 'parameter block');
    return 0;
  }

  private exit(reason: number, subcode: number | undefined): SemihostingOutcome {
    const name = ADP_REASONS[reason];
    if (reason === ADP_STOPPED_APPLICATION_EXIT) {
      const code = subcode === undefined ? 0 : subcode | 0;
      return { kind: 'exit', code, reason: `ADP_Stopped_ApplicationExit (exit code ${code})` };
    }
    const label = name ? `ADP_Stopped_${name}` : `unknown stop reason ${hex(reason)}`;
    const sub = subcode === undefined ? '' : `, subcode ${subcode | 0}`;
    return { kind: 'exit', code: 1, reason: `${label}${sub}` };
  }
}

/** True when `path` is `root` itself or below it. */
function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
