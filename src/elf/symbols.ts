// Address → function name lookups for reports and fault messages ("main+0x12").
import { hex, type Elf, type ElfSymbol, type Section, type SymbolBind } from './elf.js';

export interface FunctionSymbol {
  name: string;
  /** Start address with the Thumb bit cleared. */
  start: number;
  /** st_size; 0 when the symbol has no size (e.g. an assembly label without .size). */
  size: number;
  bind: SymbolBind;
  /**
   * First address past the function: start + size, or for a size-0 symbol the next function's start
   * in the same section, else the end of its section, else start + 1 (it covers its first byte only).
   */
  end: number;
}

export interface SymbolMatch extends FunctionSymbol {
  /** address - start. */
  offset: number;
}

/** ARM ELF mapping symbols ($a, $t, $d, optionally with a suffix) mark code/data, not functions. */
function isMappingSymbol(name: string): boolean {
  return name.startsWith('$');
}

function bindRank(b: SymbolBind): number {
  return b === 'global' ? 0 : b === 'weak' ? 1 : 2;
}

function rank(s: FunctionSymbol): number {
  // Prefer global over weak over local names for aliases at one address, then sized ones.
  return bindRank(s.bind) * 2 + (s.size > 0 ? 0 : 1);
}

/**
 * End of a size-0 function symbol (an assembly label without `.size`, or newlib's `_init`/`_fini`):
 * it can extend to the next function of its section or to the section's end, never beyond.
 */
function unsizedEnd(
  f: { start: number; shndx: number },
  later: readonly { start: number; shndx: number }[],
  section: Section | undefined,
): number {
  const next = later.find((g) => g.shndx === f.shndx && g.start > f.start);
  const sectionEnd =
    section && f.start >= section.addr && f.start < section.addr + section.size
      ? section.addr + section.size
      : undefined;
  if (next && (sectionEnd === undefined || next.start < sectionEnd)) return next.start;
  return sectionEnd ?? f.start + 1;
}

export class SymbolTable {
  /** Function symbols sorted by start address, one per start address (the preferred alias). */
  readonly functions: readonly FunctionSymbol[];
  private readonly byName = new Map<string, ElfSymbol>();

  constructor(elf: Pick<Elf, 'symbols'> & { sections?: readonly Section[] }) {
    const byStart = new Map<number, FunctionSymbol & { shndx: number }>();
    for (const s of elf.symbols as readonly ElfSymbol[]) {
      if (
        s.shndx !== 0 &&
        s.name !== '' &&
        !isMappingSymbol(s.name) &&
        s.type !== 'section' &&
        s.type !== 'file'
      ) {
        const prev = this.byName.get(s.name);
        if (!prev || bindRank(s.bind) < bindRank(prev.bind)) this.byName.set(s.name, s);
      }
      if (s.type !== 'func' || s.shndx === 0 || s.name === '' || isMappingSymbol(s.name)) continue;
      const start = (s.value & ~1) >>> 0;
      const f = { name: s.name, start, size: s.size, bind: s.bind, end: start + s.size, shndx: s.shndx };
      const prev = byStart.get(f.start);
      if (!prev || rank(f) < rank(prev)) byStart.set(f.start, f);
    }
    const sorted = [...byStart.values()].sort((a, b) => a.start - b.start);
    this.functions = sorted.map((f, i) => {
      const { shndx, ...fn } = f;
      if (fn.size === 0) fn.end = unsizedEnd(f, sorted.slice(i + 1), elf.sections?.[shndx]);
      return fn;
    });
  }

  /**
   * The function containing `address` (Thumb bit ignored): the nearest function starting at or below
   * it, when the address is below its end (see FunctionSymbol.end). A PC far past the last function
   * (say 0xfffffffe) is inside none.
   */
  lookup(address: number): SymbolMatch | undefined {
    const addr = (address & ~1) >>> 0;
    const fns = this.functions;
    let lo = 0;
    let hi = fns.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (fns[mid]!.start <= addr) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0) return undefined;
    const f = fns[found]!;
    if (addr >= f.end) return undefined;
    return { ...f, offset: addr - f.start };
  }

  /**
   * Address of a defined symbol by name (global preferred over weak over local), with the Thumb bit
   * cleared for functions; e.g. address('_sbrk'), address('end'). Undefined when absent.
   */
  address(name: string): number | undefined {
    const s = this.byName.get(name);
    if (!s) return undefined;
    return s.type === 'func' ? (s.value & ~1) >>> 0 : s.value;
  }

  /** Entry address (Thumb bit cleared) of a defined function symbol by name; undefined when absent or not a function. */
  functionAddress(name: string): number | undefined {
    const s = this.byName.get(name);
    return s?.type === 'func' ? (s.value & ~1) >>> 0 : undefined;
  }

  /** Name of the function containing `address` (no offset), or its hex form when unknown. */
  functionName(address: number): string {
    return this.lookup(address)?.name ?? hex(address);
  }

  /** "main+0x12", "main" at offset 0, or "0x08000123" when no function contains the address. */
  format(address: number): string {
    const m = this.lookup(address);
    if (!m) return hex(address);
    return m.offset === 0 ? m.name : `${m.name}+0x${m.offset.toString(16)}`;
  }
}
