// Files the user asks m4sim to write (--html, --json FILE, --junit, --outputs, --uart …): a failure is
// one line naming the option's file and why, with status 73 (EX_CANTCREAT), not a Node error.
import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  statSync,
  writeFileSync,
  writeSync,
  type Stats,
} from 'node:fs';

/** 73 (EX_CANTCREAT, sysexits.h): a user-named output file cannot be created or written. */
export const CANNOT_CREATE_STATUS = 73;

export class OutputFileError extends Error {
  override name = 'OutputFileError';
  readonly status = CANNOT_CREATE_STATUS;
}

const WHY: Record<string, string> = {
  ENOENT: 'no such folder',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  ENXIO: 'a FIFO nobody reads',
  EFBIG: 'file too large',
  EIO: 'input/output error',
};

/** writeFileSync with a one-line OutputFileError naming `what` (e.g. "--html report.html"). */
export function writeOutputFile(path: string, data: string | Uint8Array, what: string): void {
  try {
    writeFileSync(path, data);
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'unknown error';
    throw new OutputFileError(`${what} ${path}: cannot be written (${WHY[code] ?? code})`);
  }
}

/** What a path that is not a regular file is, for messages. */
function special(st: Stats): string | null {
  if (st.isFile()) return null;
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** An output file written while the firmware runs (--uart FILE). */
export interface OutputStream {
  write(bytes: Uint8Array): void;
  close(): void;
}

/**
 * Creates or truncates `path` for writes during a run. Only a regular file: a FIFO, a device, a socket
 * or a folder is refused before opening (writing a FIFO would stall the run until someone reads it),
 * and checked again after opening with O_NONBLOCK. Every failure, then or at a later write (ENOSPC),
 * is an OutputFileError naming `what` (73).
 */
export function openOutputStream(path: string, what: string): OutputStream {
  const fail = (why: string): never => {
    throw new OutputFileError(`${what} ${path}: cannot be written (${why})`);
  };
  const because = (e: unknown): string => {
    const code = (e as { code?: string }).code ?? 'unknown error';
    return WHY[code] ?? code;
  };
  let before: Stats | null = null;
  try {
    before = statSync(path);
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') fail(because(e));
  }
  const kind = before ? special(before) : null;
  if (kind) fail(kind);
  let fd: number;
  try {
    fd = openSync(
      path,
      constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NONBLOCK,
      0o666,
    );
  } catch (e) {
    return fail(because(e));
  }
  const after = special(fstatSync(fd));
  if (after) {
    closeSync(fd);
    fail(after);
  }
  let open = true;
  return {
    write(bytes) {
      let done = 0;
      while (done < bytes.length) {
        try {
          done += writeSync(fd, bytes, done, bytes.length - done);
        } catch (e) {
          fail(because(e));
        }
      }
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}
