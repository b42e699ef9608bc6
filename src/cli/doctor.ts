import type { Command } from 'commander';
import type { Done } from './status.js';
import { doctor } from '../toolchain/doctor.js';

export function registerDoctor(program: Command, done: Done): void {
  program
    .command('doctor')
    .description('show which compiler, Unicorn and Capstone m4sim uses, and their versions')
    .option('--json', 'print the findings as JSON')
    .action((opts: { json?: boolean }) => {
      const report = doctor();
      if (opts.json) {
        process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      } else {
        for (const item of report.items) {
          process.stdout.write(`${item.ok ? 'ok     ' : 'MISSING'} ${item.name.padEnd(18)} ${item.detail}\n`);
        }
      }
      done({ kind: 'doctor', ok: report.items.every((i) => i.ok) });
    });
}
