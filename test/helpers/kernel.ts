// Runs a kernel-test firmware in the emulator: input bytes written at the ELF symbol `m4sim_input`
// before reset, `outputLength` bytes read back from `m4sim_output` after the firmware exits 0.
import { readFileSync } from 'node:fs';
import { loadBoard } from '../../src/emulator/board.js';
import { loadElf, runFirmware, type RunResult } from '../../src/emulator/machine.js';

export interface KernelRun {
  output: Uint8Array;
  result: RunResult;
  /** What the firmware printed. */
  text: string;
}

export function runKernelFirmware(elfPath: string, input: Uint8Array, outputLength: number): KernelRun {
  const elf = loadElf(readFileSync(elfPath), elfPath);
  const symbol = (name: string) => {
    const s = elf.symbol(name);
    if (!s) throw new Error(`${elfPath}: no symbol ${name}`);
    return s;
  };
  const inSym = symbol('m4sim_input');
  const outSym = symbol('m4sim_output');
  if (input.length > inSym.size)
    throw new Error(`input of ${input.length} bytes > m4sim_input (${inSym.size})`);
  if (outputLength > outSym.size)
    throw new Error(`output of ${outputLength} bytes > m4sim_output (${outSym.size})`);
  const chunks: Buffer[] = [];
  const result = runFirmware(elf, {
    board: loadBoard('m4-256k'),
    stdout: (b) => chunks.push(Buffer.from(b)),
    stderr: (b) => chunks.push(Buffer.from(b)),
    preload: [{ address: inSym.value, bytes: input }],
    collect: [{ name: 'output', address: outSym.value, length: outputLength }],
  });
  const text = Buffer.concat(chunks).toString('utf8');
  if (result.exit.reason !== 'exit' || result.exit.code !== 0) {
    throw new Error(
      `kernel firmware ended with ${result.exit.reason} ${result.exit.code}: ${result.exit.message}\n${text}`,
    );
  }
  return { output: result.collected.output!, result, text };
}

/** Little-endian input for kernel-test firmwares: int32 words, int16 / int8 arrays padded to 4 bytes. */
export class Writer {
  private parts: Uint8Array[] = [];
  i32(...values: number[]): this {
    const b = new Uint8Array(4 * values.length);
    const v = new DataView(b.buffer);
    values.forEach((x, i) => v.setInt32(4 * i, x, true));
    this.parts.push(b);
    return this;
  }
  i16(a: ArrayLike<number>): this {
    const b = new Uint8Array((a.length * 2 + 3) & ~3);
    const v = new DataView(b.buffer);
    for (let i = 0; i < a.length; i++) v.setInt16(2 * i, a[i], true);
    this.parts.push(b);
    return this;
  }
  i8(a: ArrayLike<number>): this {
    const b = new Uint8Array((a.length + 3) & ~3);
    for (let i = 0; i < a.length; i++) b[i] = a[i] & 0xff;
    this.parts.push(b);
    return this;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}
