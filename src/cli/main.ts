// m4sim command line: thin wrappers over the library; every error becomes one line, and every
// command's ending an exit status decided by one function (src/cli/status.ts).
import { Command, CommanderError } from 'commander';
import { BrokenPipeError, writeStderr } from '../util/stdio.js';
import { packageVersion } from '../util/paths.js';
import { registerCheck } from './check.js';
import { registerDemo } from './demo.js';
import { registerDoctor } from './doctor.js';
import { registerModel } from './model.js';
import { registerReference } from './reference.js';
import { registerReport } from './report.js';
import { registerSimulate } from './simulate.js';
import { CLI_STATUS, exitStatus, type Done } from './status.js';

export { CLI_STATUS } from './status.js';

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
  let status: number = CLI_STATUS.ok;
  const program = new Command()
    .name('m4sim')
    .description('Run Cortex-M4 firmware in Unicorn: modeled cycles, exact peak SRAM, semihosting output')
    // commander's own -V/--version convention; it prints the string as given, hence the name in it.
    .version(`m4sim ${packageVersion()}`, '-V, --version', 'print "m4sim <version>" and exit')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const done: Done = (outcome) => {
    status = exitStatus(outcome);
  };
  registerSimulate(program, done);
  registerDoctor(program, done);
  registerReference(program, done);
  registerModel(program, done);
  registerReport(program, done);
  registerCheck(program, done);
  registerDemo(program, done);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    // commander has printed its own message (or the help, or the version).
    return e instanceof CommanderError ? exitStatus({ kind: 'error', error: e }) : reportError(e);
  }
  return status;
}

/** Prints an error as one line (the reader of our output gone: nothing, as Unix tools do); returns its status. */
export function reportError(e: unknown): number {
  const status = exitStatus({ kind: 'error', error: e });
  if (e instanceof BrokenPipeError) return status;
  const message = e instanceof Error ? e.message : String(e);
  try {
    writeStderr(`m4sim: ${message.split('\n')[0]}\n`);
  } catch {
    // standard error itself is gone: the status still says what happened
  }
  if (status === CLI_STATUS.internal && process.env.M4SIM_DEBUG && e instanceof Error)
    process.stderr.write(`${e.stack}\n`);
  return status;
}
