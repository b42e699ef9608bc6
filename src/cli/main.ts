// m4sim command line: thin wrappers over the library; every error becomes one line and an exit status.
import { Command, CommanderError } from 'commander';
import { ElfError } from '../elf/elf.js';
import { BoardError } from '../emulator/board.js';
import { BaselineError } from '../scenarios/baseline.js';
import { ScenarioError } from '../scenarios/schema.js';
import { ImageError } from '../image/index.js';
import { ModelError } from '../model/index.js';
import { InputFileError } from '../util/input-file.js';
import {
  BROKEN_PIPE_STATUS,
  BrokenPipeError,
  OUTPUT_ERROR_STATUS,
  OutputError,
  writeStderr,
} from '../util/stdio.js';
import { packageVersion } from '../util/paths.js';
import { UsageError } from '../util/units.js';
import { registerCheck } from './check.js';
import { registerDoctor } from './doctor.js';
import { registerModel } from './model.js';
import { OutputFileError } from './output-file.js';
import { registerReference } from './reference.js';
import { registerReport } from './report.js';
import { registerSimulate } from './simulate.js';

/**
 * Exit statuses of m4sim itself (sysexits.h); the firmware's own status passes through unchanged.
 * `ok` is also what --help and --version end with (commander reports them as exit code 0).
 */
export const CLI_STATUS = {
  ok: 0,
  usage: 64,
  badInput: 65,
  noInput: 66,
  unavailable: 69,
  internal: 70,
  ioError: OUTPUT_ERROR_STATUS,
  brokenPipe: BROKEN_PIPE_STATUS,
} as const;

/**
 * A reader that goes away (`m4sim check | head -1`) makes Node's asynchronous stdout/stderr emit
 * EPIPE as an 'error' event, which would end the process with a stack trace. Stop quietly instead,
 * with the status a shell gives a program killed by SIGPIPE.
 */
let listening = false;
function quietOnBrokenPipe(): void {
  if (listening) return;
  listening = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      process.exit(e.code === 'EPIPE' ? CLI_STATUS.brokenPipe : CLI_STATUS.ioError);
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  quietOnBrokenPipe();
  let status = 0;
  const program = new Command()
    .name('m4sim')
    .description('Run Cortex-M4 firmware in Unicorn: modeled cycles, exact peak SRAM, semihosting output')
    // commander's own -V/--version convention; it prints the string as given, hence the name in it.
    .version(`m4sim ${packageVersion()}`, '-V, --version', 'print "m4sim <version>" and exit')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const setStatus = (code: number) => {
    status = code;
  };
  registerSimulate(program, setStatus);
  registerDoctor(program, setStatus);
  registerReference(program, setStatus);
  registerModel(program, setStatus);
  registerReport(program, setStatus);
  registerCheck(program, setStatus);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end with exit code 0, everything else commander refuses is a usage error.
      return e.exitCode === 0 ? CLI_STATUS.ok : CLI_STATUS.usage;
    }
    return reportError(e);
  }
  return status;
}

export function reportError(e: unknown): number {
  // The reader of our output went away: no message (nobody is reading), as Unix tools do.
  if (e instanceof BrokenPipeError) return CLI_STATUS.brokenPipe;
  const message = e instanceof Error ? e.message : String(e);
  try {
    writeStderr(`m4sim: ${message.split('\n')[0]}\n`);
  } catch {
    // standard error itself is gone: the status still says what happened
  }
  if (e instanceof UsageError) return CLI_STATUS.usage;
  if (e instanceof InputFileError) return e.status;
  if (e instanceof OutputError) return CLI_STATUS.ioError;
  if (e instanceof OutputFileError) return e.status;
  if (
    e instanceof ElfError ||
    e instanceof ImageError ||
    e instanceof ModelError ||
    e instanceof BoardError ||
    e instanceof ScenarioError ||
    e instanceof BaselineError
  )
    return CLI_STATUS.badInput;
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') return CLI_STATUS.noInput;
  if ((e as { unavailable?: boolean }).unavailable) return CLI_STATUS.unavailable;
  if (process.env.M4SIM_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  return CLI_STATUS.internal;
}
