// Reading a file the user named: only regular files (a FIFO, a device or a socket could block forever
// or never end), only up to a size limit checked before reading, and every refusal one line.
import { closeSync, fstatSync, openSync, readSync, constants as fsConstants } from 'node:fs';

/** A named input that cannot be used: the CLI prints the message and exits with `status`. */
export class InputFileError extends Error {
  override name = 'InputFileError';
  /** 66 (EX_NOINPUT): missing, unreadable or not a regular file; 65 (EX_DATAERR): too large. */
  readonly status: 65 | 66;
  constructor(message: string, status: 65 | 66) {
    super(message.replace(/\s*\n\s*/g, ' '));
    this.status = status;
  }
}

/** Size limits of each kind of input, in bytes (stated in the README's "Limits" section). */
export const INPUT_LIMITS = {
  /** A firmware ELF: twice the largest flash of a Cortex-M4 part (2 MiB) with room for debug info. */
  firmware: 256 * 1024 * 1024,
  /** A photo: the decoders have their own pixel limit (MAX_PIXELS); the file itself is bounded too. */
  image: 256 * 1024 * 1024,
  /** A model, scenario, board or baseline file (the largest shipped model is about 3 MB). */
  text: 64 * 1024 * 1024,
  /** A raw frame or any other small binary input. */
  binary: 64 * 1024 * 1024,
} as const;

function describeKind(mode: number): string {
  const type = mode & fsConstants.S_IFMT;
  if (type === fsConstants.S_IFDIR) return 'a directory';
  if (type === fsConstants.S_IFIFO) return 'a FIFO';
  if (type === fsConstants.S_IFCHR) return 'a character device';
  if (type === fsConstants.S_IFBLK) return 'a block device';
  if (type === fsConstants.S_IFSOCK) return 'a socket';
  return 'not a regular file';
}

/**
 * The bytes of a regular file of at most `limit` bytes. Opened with O_NONBLOCK so that opening a FIFO
 * returns at once (it is then refused by fstat) instead of waiting for a writer.
 */
export function readInputFile(path: string, what: string, limit: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'ELOOP'
            ? 'too many symbolic links'
            : code === 'ENOTDIR'
              ? 'a part of the path is not a directory'
              : code === 'ENAMETOOLONG'
                ? 'the path is too long'
                : code === 'EISDIR'
                  ? 'a directory'
                  : `cannot be opened (${code ?? 'unknown error'})`;
    throw new InputFileError(`${what} ${path}: ${why}`, 66);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile())
      throw new InputFileError(`${what} ${path}: ${describeKind(st.mode)}, not a regular file`, 66);
    if (st.size > limit) {
      throw new InputFileError(
        `${what} ${path}: ${st.size} bytes, more than the ${limit}-byte limit for ${what}s`,
        65,
      );
    }
    // Read what is there now, up to the limit (+1 to notice a file that grew while being read).
    const buf = Buffer.alloc(Math.min(st.size, limit) + 1);
    let n = 0;
    for (;;) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n === buf.length) {
        if (n > limit)
          throw new InputFileError(`${what} ${path}: more than the ${limit}-byte limit for ${what}s`, 65);
        break;
      }
    }
    return buf.subarray(0, n);
  } catch (e) {
    if (e instanceof InputFileError) throw e;
    const code = (e as { code?: string }).code;
    throw new InputFileError(`${what} ${path}: cannot be read (${code ?? 'unknown error'})`, 66);
  } finally {
    closeSync(fd);
  }
}

/** The text of a regular UTF-8 file of at most `limit` bytes. */
export function readInputText(path: string, what: string, limit: number = INPUT_LIMITS.text): string {
  return readInputFile(path, what, limit).toString('utf8');
}
