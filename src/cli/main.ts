// m4sim command line: thin wrappers over the library; every error becomes one line and an exit status.
import { Command, CommanderError } from 'commander';
import { ElfError } from '../elf/elf.js';
import { ImageError } from '../image/index.js';
import { ModelError } from '../model/index.js';
import { UsageError } from '../util/units.js';
import { registerCheck } from './check.js';
import { registerDoctor } from './doctor.js';
import { registerModel } from './model.js';
import { registerReference } from './reference.js';
import { registerReport } from './report.js';
import { registerSimulate } from './simulate.js';

/** Exit statuses of m4sim itself (sysexits.h); the firmware's own status passes through unchanged. */
export const CLI_STATUS = { usage: 64, badInput: 65, noInput: 66, unavailable: 69, internal: 70 } as const;

export async function main(argv: string[]): Promise<number> {
  let status = 0;
  const program = new Command()
    .name('m4sim')
    .description('Run Cortex-M4 firmware in Unicorn: modeled cycles, exact peak SRAM, semihosting output')
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
      return e.exitCode === 0 ? 0 : CLI_STATUS.usage;
    }
    return reportError(e);
  }
  return status;
}

export function reportError(e: unknown): number {
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`m4sim: ${message.split('\n')[0]}\n`);
  if (e instanceof UsageError) return CLI_STATUS.usage;
  if (e instanceof ElfError || e instanceof ImageError || e instanceof ModelError) return CLI_STATUS.badInput;
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') return CLI_STATUS.noInput;
  if ((e as { unavailable?: boolean }).unavailable) return CLI_STATUS.unavailable;
  if (process.env.M4SIM_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  return CLI_STATUS.internal;
}
