// The toolchain m4sim itself uses (src/toolchain), shaped for tests that run binutils directly.
import { execFileSync } from 'node:child_process';
import { findToolchain as findM4simToolchain, siblingTool } from '../../src/toolchain/toolchain.js';

export interface Toolchain {
  gcc: string;
  /** Path of a sibling binutils tool: tool('nm') → arm-none-eabi-nm. */
  tool(name: string): string;
}

/** The toolchain, or a reason it is unavailable (for skip messages). */
export function findToolchain(): Toolchain | string {
  const tc = findM4simToolchain();
  if (!tc) return 'arm-none-eabi-gcc not found (set ARM_NONE_EABI_GCC or install gcc-arm-none-eabi)';
  return {
    gcc: tc.gcc,
    tool: (name) => siblingTool(tc.gcc, name) ?? `arm-none-eabi-${name}`,
  };
}

/** Runs a tool and returns its stdout; throws with its stderr on failure. */
export function run(cmd: string, args: string[], cwd?: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
