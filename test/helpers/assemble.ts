// Assembles hand-written Thumb-2 snippets with the real GNU assembler, for tests that need exact encodings.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { disasm, type Insn } from '../../src/emulator/native.js';
import { findToolchain, siblingTool } from '../../src/toolchain/toolchain.js';

/** Flags matching an STM32F4-class part: Cortex-M4 with the single-precision FPU, hard-float ABI. */
export const AS_FLAGS = ['-mcpu=cortex-m4', '-mthumb', '-mfpu=fpv4-sp-d16', '-mfloat-abi=hard'];

let tools: { as: string; objcopy: string } | null | undefined;

/** Paths of arm-none-eabi-as and arm-none-eabi-objcopy beside the gcc m4sim uses, or null. */
export function armTools(): { as: string; objcopy: string } | null {
  if (tools === undefined) {
    const tc = findToolchain();
    const as = tc ? siblingTool(tc.gcc, 'as') : null;
    const objcopy = tc ? siblingTool(tc.gcc, 'objcopy') : null;
    tools = as && objcopy ? { as, objcopy } : null;
  }
  return tools;
}

/** Why assembling tests must be skipped, or undefined when the toolchain is there. */
export function armToolsMissingReason(): string | undefined {
  return armTools()
    ? undefined
    : 'arm-none-eabi-as/objcopy not found ($ARM_NONE_EABI_GCC, PATH, xpacks/.bin, /usr/bin)';
}

/**
 * Assembles `source` (unified syntax, Thumb, at offset 0 of .text) and returns the raw bytes of .text.
 * Use local labels only: the object is not linked, so references to other symbols stay unresolved.
 */
export function assembleThumb(source: string): Uint8Array {
  const t = armTools();
  if (!t) throw new Error(armToolsMissingReason());
  const dir = mkdtempSync(join(tmpdir(), 'm4sim-as-'));
  try {
    const src = join(dir, 'snippet.s');
    const obj = join(dir, 'snippet.o');
    const bin = join(dir, 'snippet.bin');
    writeFileSync(src, `.syntax unified\n.thumb\n.text\n${source}\n`);
    try {
      execFileSync(t.as, [...AS_FLAGS, '-o', obj, src], { stdio: ['ignore', 'pipe', 'pipe'] });
      execFileSync(t.objcopy, ['-O', 'binary', '-j', '.text', obj, bin], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? '';
      throw new Error(`assembling failed:\n${stderr}\n--- source ---\n${source}`);
    }
    return new Uint8Array(readFileSync(bin));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Assembles `source` and decodes it with the addon's Capstone, as if loaded at `address`. */
export function assembleAndDisasm(source: string, address = 0x0800_0000): Insn[] {
  const bytes = assembleThumb(source);
  const insns = disasm(bytes, address);
  const decoded = insns.reduce((n, i) => n + i.size, 0);
  if (decoded !== bytes.length) {
    throw new Error(`Capstone decoded ${decoded} of ${bytes.length} bytes of:\n${source}`);
  }
  return insns;
}
