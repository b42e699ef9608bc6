// Locates the arm-none-eabi toolchain for tests that build small firmware images.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface Toolchain {
  gcc: string;
  /** Path of a sibling binutils tool: tool('nm') → arm-none-eabi-nm. */
  tool(name: string): string;
}

function works(cmd: string): boolean {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** The toolchain, or a reason it is unavailable (for skip messages). */
export function findToolchain(): Toolchain | string {
  const candidates = [
    process.env.ARM_NONE_EABI_GCC,
    join(process.cwd(), 'xpacks', '.bin', 'arm-none-eabi-gcc'),
    'arm-none-eabi-gcc',
  ].filter((c): c is string => !!c && (c === 'arm-none-eabi-gcc' || existsSync(c)));
  const gcc = candidates.find(works);
  if (!gcc) return 'arm-none-eabi-gcc not found (set ARM_NONE_EABI_GCC or install gcc-arm-none-eabi)';
  const prefix = gcc.replace(/gcc$/, '');
  return { gcc, tool: (name) => `${prefix}${name}` };
}

/** Runs a tool and returns its stdout; throws with its stderr on failure. */
export function run(cmd: string, args: string[], cwd?: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
