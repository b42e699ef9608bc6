// Which instruction of a block makes a memory access, from the registers at the access (Unicorn
// reports the block's start as the PC inside memory callbacks): src/emulator/accessing-instruction.ts.
import { describe, expect, it } from 'vitest';
import {
  accessBlock,
  accessingInstruction,
  type RegisterReader,
} from '../src/emulator/accessing-instruction.js';
import { disasm } from '../src/emulator/native.js';

const BASE = 0x08000000;
const CYCCNT = 0xe0001004;

/** Decodes Thumb halfwords (each instruction here is 16-bit) at BASE. */
function block(...halfwords: number[]) {
  const bytes = new Uint8Array(halfwords.length * 2);
  halfwords.forEach((h, i) => {
    bytes[2 * i] = h & 0xff;
    bytes[2 * i + 1] = h >>> 8;
  });
  return disasm(bytes, BASE);
}

/** The block prepared for the search; `literals`: the words its literal loads read. */
function prepared(insns: ReturnType<typeof block>, literals: Record<number, number> = {}) {
  return accessBlock(insns, (a) => literals[a] ?? null);
}

function registers(values: Record<string, number>): RegisterReader {
  return (name) => values[name] ?? 0;
}

const LDR_R1_R0 = 0x6801;
const LDR_R2_R0 = 0x6802;
const LDRB_R1_R0 = 0x7801;
const STR_R1_R0 = 0x6001;
const STR_R2_R0 = 0x6002;
const NOP = 0xbf00;

describe('accessingInstruction', () => {
  it('two identical loads of one register: program order decides', () => {
    const insns = block(LDR_R1_R0, ...new Array<number>(16).fill(NOP), LDR_R2_R0);
    expect(insns.map((i) => i.mnemonic)).toEqual(['ldr', ...new Array<string>(16).fill('nop'), 'ldr']);
    const reg = registers({ r0: CYCCNT });
    const access = { address: CYCCNT, size: 4, write: false };
    // Both compute CYCCNT from r0 now; the first access of the block execution is the first load,
    expect(accessingInstruction(prepared(insns), access, reg)).toBe(0);
    // the next one is searched after it,
    expect(accessingInstruction(prepared(insns), access, reg, { after: { index: 0, address: CYCCNT } })).toBe(
      17,
    );
    // and there is no third.
    expect(
      accessingInstruction(prepared(insns), access, reg, { after: { index: 17, address: CYCCNT } }),
    ).toBe(-1);
  });

  it('the access size and direction pick between ldrb, ldr and str of the same address', () => {
    const insns = block(LDRB_R1_R0, LDR_R2_R0, STR_R1_R0);
    expect(insns.map((i) => i.mnemonic)).toEqual(['ldrb', 'ldr', 'str']);
    const reg = registers({ r0: CYCCNT });
    expect(accessingInstruction(prepared(insns), { address: CYCCNT, size: 4, write: false }, reg)).toBe(1);
    expect(accessingInstruction(prepared(insns), { address: CYCCNT, size: 1, write: false }, reg)).toBe(0);
    expect(accessingInstruction(prepared(insns), { address: CYCCNT, size: 4, write: true }, reg)).toBe(2);
    // A byte of the word: only the byte load covers CYCCNT + 1 with one byte.
    expect(accessingInstruction(prepared(insns), { address: CYCCNT + 1, size: 1, write: false }, reg)).toBe(
      -1,
    );
  });

  it('a store is the one whose source register holds the value written', () => {
    const insns = block(STR_R1_R0, STR_R2_R0);
    const reg = registers({ r0: CYCCNT, r1: 1, r2: 2 });
    expect(
      accessingInstruction(prepared(insns), { address: CYCCNT, size: 4, write: true, value: 2 }, reg),
    ).toBe(1);
    expect(
      accessingInstruction(prepared(insns), { address: CYCCNT, size: 4, write: true, value: 1 }, reg),
    ).toBe(0);
  });

  it('a base register the block loaded with another constant before the instruction rules it out', () => {
    // ldr r0, =DEMCR; ldr r1, [r0]; ldr r0, =DWT_CTRL; ldr r1, [r0] — r0 is DWT_CTRL now.
    const insns = block(0x4801, LDR_R1_R0, 0x4801, LDR_R1_R0);
    const literals: Record<number, number> = { [BASE + 8]: 0xe000edfc, [BASE + 12]: 0xe0001000 };
    const reg = registers({ r0: 0xe0001000 });
    const access = { address: 0xe0001000, size: 4, write: false };
    // From the registers alone the DEMCR load matches too: r0 is DWT_CTRL now.
    expect(accessingInstruction(prepared(insns), access, reg)).toBe(1);
    // But before it r0 held DEMCR, from the first literal.
    expect(accessingInstruction(prepared(insns, literals), access, reg)).toBe(3);
  });

  it('an IT-block instruction whose condition fails made no access', () => {
    const insns = block(0xbf08, LDR_R1_R0, LDR_R2_R0); // it eq; ldreq r1, [r0]; ldr r2, [r0]
    const access = { address: CYCCNT, size: 4, write: false };
    const zero = 1 << 30; // APSR.Z
    expect(accessingInstruction(prepared(insns), access, registers({ r0: CYCCNT, xpsr: 0 }))).toBe(2);
    expect(accessingInstruction(prepared(insns), access, registers({ r0: CYCCNT, xpsr: zero }))).toBe(1);
  });
});
