// Runs firmware through the library (runFirmware) or the real command line (bin/m4sim.js).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBoard } from '../../src/emulator/board.js';
import { loadElf, runFirmware, type RunOptions, type RunResult } from '../../src/emulator/machine.js';
import { projectRoot } from '../../src/util/paths.js';

export interface Simulated {
  result: RunResult;
  output: string;
}

export function simulate(
  elfPath: string,
  options: Partial<RunOptions> & { boardName?: string } = {},
): Simulated {
  const chunks: Buffer[] = [];
  const { boardName, ...rest } = options;
  const result = runFirmware(loadElf(readFileSync(elfPath), elfPath), {
    board: loadBoard(boardName ?? 'm4-256k'),
    stdout: (b) => chunks.push(Buffer.from(b)),
    stderr: () => {},
    ...rest,
  });
  return { result, output: Buffer.concat(chunks).toString('utf8') };
}

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The built command line (npm test builds dist/ before vitest runs). */
export function cli(args: string[], input?: string): CliRun {
  const bin = join(projectRoot(), 'bin', 'm4sim.js');
  if (!existsSync(join(projectRoot(), 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/ is not built: run `npm run build` (npm test does)');
  }
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    cwd: projectRoot(),
    input: input ?? '',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
