// The modeled cycle count as the instruction that reads or writes a PPB register sees it: DWT
// CYCCNT, SysTick CVR and the counts that CSR/RVR/CVR writes start from, ITM event timestamps.
//
// The native profiler charges a block's whole cost when the block is entered, so the running count
// inside a block is already its end. Inside an MMIO callback the clock is instead the count at the
// start of the current block plus the modeled cost of the block's instructions before the accessing
// one. DWT_CYCCNT (ARMv7-M ARM C1.8.8) counts processor clock cycles; m4sim's convention is that the
// value read is the count at the start of the reading instruction, its own cost not included, so
// `ldr; <n cycles>; ldr` of CYCCNT differ by the first load's modeled cost plus n. SysTick counts
// the same processor clock (B3.3), so SYST_CVR and CYCCNT agree on every instruction.
//
// Outside an MMIO callback (the run loop between emu_start calls, exception entry and return) no
// block is executing and the clock is the running count, uc.now().
import { instructionCosts, type CycleModelParams } from '../profile/cycle-model.js';
import {
  accessBlock,
  accessingInstruction,
  registerReader,
  wordReader,
  type AccessBlock,
  type MemoryAccess,
} from './accessing-instruction.js';
import { decodeBlock } from './faults.js';
import type { Insn, UnicornEngine } from './native.js';

interface BlockCosts {
  access: AccessBlock;
  /** prefix[k]: modeled cycles from the block's start to the start of instruction k. */
  prefix: number[];
}

export class InstructionClock {
  /** The MMIO access being served, or null outside an MMIO callback. */
  private access: MemoryAccess | null = null;
  /** The clock of that access, once asked for (one search per access, however often it is read). */
  private atAccess: number | null = null;
  /** Decoded instructions and cost prefixes per block (key address + size · 2^32), made at its first access. */
  private readonly blocks = new Map<number, BlockCosts>();
  /** The block execution the last match was in: its key (address, size) and the instruction count. */
  private execBlock = -1;
  private execInstructions = -1;
  private last: { index: number; address: number } | undefined;
  /** block_clock's answer: address, size, cycles at the block's start, running instruction count. */
  private readonly current = new Float64Array(4);

  constructor(
    private readonly uc: UnicornEngine,
    private readonly model: CycleModelParams,
    private readonly inFlash: (address: number) => boolean,
  ) {}

  /** Runs an MMIO callback for `access`: inside it, now() is the clock of the accessing instruction. */
  during<T>(access: MemoryAccess, callback: () => T): T {
    this.access = access;
    this.atAccess = null;
    try {
      return callback();
    } finally {
      this.access = null;
      this.atAccess = null;
    }
  }

  /** Modeled cycles now: at the accessing instruction inside an MMIO callback, else the running count. */
  now(): number {
    if (this.access === null) return this.uc.now();
    if (this.atAccess === null) this.atAccess = this.locate(this.access);
    return this.atAccess;
  }

  /**
   * Modeled cycles and instructions at the start of the instruction at `pc`, between emu_start
   * calls: when a debugger stopped inside the block executing (charged whole at its entry), the
   * block's start plus the cost of its instructions before `pc`; else the running counts.
   */
  atInstruction(pc: number): { cycles: number; instructions: number } {
    const b = this.current;
    this.uc.block_clock(b);
    const [address, size, start, instructions] = [b[0]!, b[1]!, b[2]!, b[3]!];
    if (size === 0 || pc < address || pc >= address + size) return { cycles: this.uc.now(), instructions };
    const block = this.costs(address + size * 2 ** 32, address, size);
    const k = block.access.insns.findIndex((i) => i.address === pc);
    if (k < 0) return { cycles: this.uc.now(), instructions };
    const count = block.prefix.length - 1;
    return { cycles: start + block.prefix[k]!, instructions: instructions - count + k };
  }

  private locate(access: MemoryAccess): number {
    const b = this.current;
    this.uc.block_clock(b);
    const [address, size, start, instructions] = [b[0]!, b[1]!, b[2]!, b[3]!];
    if (size === 0) return start; // no block executing (no profiler): the running count
    const key = address + size * 2 ** 32;
    const block = this.costs(key, address, size);
    // The running instruction count grows with every block execution: a new value (or another
    // block) is a new execution, whose accesses are searched from its first instruction.
    if (instructions !== this.execInstructions || key !== this.execBlock) {
      this.execInstructions = instructions;
      this.execBlock = key;
      this.last = undefined;
    }
    const k = accessingInstruction(block.access, access, registerReader(this.uc), { after: this.last });
    if (k >= 0) {
      this.last = { index: k, address: access.address };
      return start + (block.prefix[k] as number);
    }
    // Not found (an address no instruction computes from the registers now, e.g. an LDRD that
    // overwrote its base): the instruction matched last in this execution, else the block's start.
    return start + (block.prefix[this.last?.index ?? 0] as number);
  }

  private costs(key: number, address: number, size: number): BlockCosts {
    let block = this.blocks.get(key);
    if (!block) {
      let insns: Insn[] = [];
      try {
        insns = decodeBlock(this.uc, address, size);
      } catch {
        // unreadable: every access is at the block's start
      }
      const costs = instructionCosts(insns, this.model, { inFlash: this.inFlash(address) });
      const prefix = [0];
      for (const c of costs) prefix.push((prefix.at(-1) as number) + c);
      block = { access: accessBlock(insns, wordReader(this.uc)), prefix };
      this.blocks.set(key, block);
    }
    return block;
  }
}
