// The ELF's functions as the native shadow call stack sees them (native/m4sim_native.cc,
// LeftByBranch): disjoint address ranges, each belonging to the function entered at its `entry`,
// and which direct branches are tail calls.
//
// GCC splits cold code into `NAME.cold` (or `NAME.cold.N`) symbols of type function: a jump there
// is not a call, so such a part belongs to NAME. Clones (`NAME.part.N`, `.isra.N`, `.constprop.N`)
// are functions of their own, called and returning like any other.
import type { SymbolTable } from '../elf/symbols.js';
import type { Insn } from './native.js';
import { mnemonicRoot } from '../profile/cycle-model.js';

const COLD_PART = /^(.+)\.cold(?:\.\d+)?$/;

export class FunctionRanges {
  /** [start, end, entry] per range, sorted by start, disjoint. */
  readonly table: Uint32Array;
  private readonly starts: number[];
  private readonly entries: number[];
  private readonly ends: number[];
  /** Entries that are a function's first instruction (not a cold part's). */
  private readonly entrySet = new Set<number>();

  constructor(symbols: SymbolTable) {
    const fns = symbols.functions;
    this.starts = [];
    this.ends = [];
    this.entries = [];
    for (let i = 0; i < fns.length; i++) {
      const f = fns[i]!;
      // Overlapping symbols (an alias with a larger size): a range ends where the next one starts.
      const next = fns[i + 1];
      const end = next !== undefined ? Math.min(f.end, next.start) : f.end;
      if (end <= f.start) continue;
      const cold = COLD_PART.exec(f.name);
      const parent = cold ? symbols.address(cold[1]!) : undefined;
      const entry = parent !== undefined ? parent : f.start;
      if (parent === undefined) this.entrySet.add(f.start);
      this.starts.push(f.start);
      this.ends.push(end);
      this.entries.push(entry);
    }
    this.table = new Uint32Array(this.starts.length * 3);
    for (let i = 0; i < this.starts.length; i++) {
      this.table[3 * i] = this.starts[i]!;
      this.table[3 * i + 1] = this.ends[i]!;
      this.table[3 * i + 2] = this.entries[i]!;
    }
  }

  /** Entry of the function whose range holds `address`, or undefined. */
  entryAt(address: number): number | undefined {
    const a = address >>> 0;
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid]! <= a) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found >= 0 && a < this.ends[found]! ? this.entries[found] : undefined;
  }

  /**
   * True when the block ends in a direct branch (B, B<cond>, not BL) to the first instruction of
   * another function than the block's own: a tail call (sibling call) when taken. A branch to the
   * block's own function's entry is a loop.
   */
  endsInTailCall(insns: readonly Insn[]): boolean {
    const last = insns[insns.length - 1];
    if (!last || mnemonicRoot(last) !== 'b') return false;
    const target = last.operands.find((o) => o.type === 'imm')?.imm;
    if (target === undefined) return false;
    const t = (target & ~1) >>> 0;
    return this.entrySet.has(t) && this.entryAt(last.address) !== t;
  }
}
