// The exit status of every m4sim command, decided here and nowhere else (README "Exit statuses").
import { CommanderError } from 'commander';
import { ElfError } from '../elf/elf.js';
import { BoardError } from '../emulator/board.js';
import type { RunResult } from '../emulator/machine.js';
import { DetectorFitError } from '../detector/fit.js';
import { ImageError } from '../image/index.js';
import { ModelError } from '../model/index.js';
import { BaselineError } from '../scenarios/baseline.js';
import { ScenarioError } from '../scenarios/schema.js';
import { CompileError } from '../toolchain/toolchain.js';
import { InputFileError } from '../util/input-file.js';
import { BROKEN_PIPE_STATUS, BrokenPipeError, OUTPUT_ERROR_STATUS, OutputError } from '../util/stdio.js';
import { UnavailableError, UsageError } from '../util/units.js';
import { OutputFileError } from './output-file.js';

/**
 * Exit statuses of m4sim itself (sysexits.h); the firmware's own status passes through unchanged.
 * `ok` is also what --help and --version end with (commander reports them as exit code 0).
 */
export const CLI_STATUS = {
  ok: 0,
  /** `check`: a budget broke or the baseline regressed; the detector: firmware and reference differ. */
  failed: 1,
  usage: 64,
  badInput: 65,
  noInput: 66,
  unavailable: 69,
  internal: 70,
  ioError: OUTPUT_ERROR_STATUS,
  brokenPipe: BROKEN_PIPE_STATUS,
} as const;

/** How a command ended. */
export type Outcome =
  /** Anything thrown, commander's own refusals (and --help, --version) included. */
  | { kind: 'error'; error: unknown }
  /** An ELF run: the firmware's exit status (a stop condition, fault or limit has its own). */
  | { kind: 'firmware'; exit: RunResult['exit'] }
  /** A detector run: the firmware's status; 1 when it exited normally but differs from the reference. */
  | { kind: 'detector'; exit: RunResult['exit']; match: boolean | null }
  /** `check`: every scenario within its budgets (and no regression against the baseline). */
  | { kind: 'check'; ok: boolean }
  /** `doctor`: everything m4sim needs was found. */
  | { kind: 'doctor'; ok: boolean }
  /** A command that did what it was asked (reference, model). */
  | { kind: 'done' };

/** What a command calls once it has finished: how it ended. */
export type Done = (outcome: Outcome) => void;

export function exitStatus(o: Outcome): number {
  switch (o.kind) {
    case 'firmware':
      return o.exit.code;
    case 'detector':
      return o.exit.reason === 'exit' && o.match === false ? CLI_STATUS.failed : o.exit.code;
    case 'check':
      return o.ok ? CLI_STATUS.ok : CLI_STATUS.failed;
    case 'doctor':
      return o.ok ? CLI_STATUS.ok : CLI_STATUS.unavailable;
    case 'done':
      return CLI_STATUS.ok;
    case 'error':
      return errorStatus(o.error);
  }
}

function errorStatus(e: unknown): number {
  // --help and --version end with exit code 0, everything else commander refuses is a usage error.
  if (e instanceof CommanderError) return e.exitCode === 0 ? CLI_STATUS.ok : CLI_STATUS.usage;
  if (e instanceof BrokenPipeError) return CLI_STATUS.brokenPipe;
  if (e instanceof UsageError) return CLI_STATUS.usage;
  if (e instanceof InputFileError) return e.status;
  if (e instanceof OutputError) return CLI_STATUS.ioError;
  if (e instanceof OutputFileError) return e.status;
  if (e instanceof UnavailableError) return CLI_STATUS.unavailable;
  // A build that fails for want of newlib is an installation problem (toolchain.ts says what to install).
  if (e instanceof CompileError && /install newlib/.test(e.message)) return CLI_STATUS.unavailable;
  if (
    e instanceof ElfError ||
    e instanceof ImageError ||
    e instanceof ModelError ||
    e instanceof BoardError ||
    e instanceof ScenarioError ||
    e instanceof BaselineError ||
    e instanceof DetectorFitError
  )
    return CLI_STATUS.badInput;
  const code = (e as { code?: string } | null)?.code;
  if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') return CLI_STATUS.noInput;
  return CLI_STATUS.internal;
}
