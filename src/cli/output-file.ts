// Files the user asks m4sim to write (--html, --json FILE, --junit, --outputs …): a failure is one line
// naming the option's file and why, with status 73 (EX_CANTCREAT), not a Node error.
import { writeFileSync } from 'node:fs';

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
