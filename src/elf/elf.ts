// A small ELF32 little-endian reader for ARM firmware images: program headers, section headers and
// .symtab. It validates what m4sim needs and turns every problem into a one-line ElfError.

import { hex } from '../util/units.js';
/** A user-facing, one-line reason why a file cannot be run. */
export class ElfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ElfError';
  }
}

export const EM_ARM = 40;

export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const ET_CORE = 4;

export const PT_LOAD = 1;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_NOBITS = 8;

export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;
export const SHF_TLS = 0x400;

/** e_flags bit: the executable uses the hard-float procedure call standard (VFP registers). */
export const EF_ARM_ABI_FLOAT_HARD = 0x400;
/** e_flags bit: the executable uses the soft-float procedure call standard. */
export const EF_ARM_ABI_FLOAT_SOFT = 0x200;

const EHDR_SIZE = 52;
const PHDR_SIZE = 32;
const SHDR_SIZE = 40;
const SYM_SIZE = 16;

/** One program header (all types are kept; see Elf.loads for the PT_LOAD ones). */
export interface Segment {
  type: number;
  offset: number;
  vaddr: number;
  /** Load address: where the file bytes live in the flash image (LMA). */
  paddr: number;
  filesz: number;
  memsz: number;
  /** PF_X | PF_W | PF_R bits. */
  flags: number;
}

export interface Section {
  /** Index in the section header table (what symbols' shndx refers to). */
  index: number;
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  /** sh_link: for a symbol table, the index of its string table. */
  link: number;
}

export type SymbolType = 'notype' | 'object' | 'func' | 'section' | 'file' | 'common' | 'tls' | 'other';
export type SymbolBind = 'local' | 'global' | 'weak' | 'other';

export interface ElfSymbol {
  name: string;
  /** st_value as stored: Thumb function symbols have bit 0 set. */
  value: number;
  size: number;
  type: SymbolType;
  bind: SymbolBind;
  /** st_shndx: section index, 0 = undefined, 0xfff1 = absolute, 0xfff2 = common. */
  shndx: number;
}

const SYMBOL_TYPES: SymbolType[] = ['notype', 'object', 'func', 'section', 'file', 'common', 'tls'];
const SYMBOL_BINDS: SymbolBind[] = ['local', 'global', 'weak'];

const MACHINES: Record<number, string> = {
  2: 'SPARC',
  3: 'Intel 80386 (i386)',
  8: 'MIPS',
  20: 'PowerPC',
  21: 'PowerPC64',
  22: 'IBM S/390',
  42: 'SuperH',
  50: 'IA-64',
  62: 'x86-64',
  83: 'AVR',
  93: 'ARC',
  94: 'Xtensa (ESP32/ESP8266)',
  105: 'TI MSP430',
  183: 'AArch64 (64-bit ARM)',
  243: 'RISC-V',
  258: 'LoongArch',
};

export { hex };

/** A parsed, validated ELF32 ARM executable. */
export class Elf {
  /** Non-fatal findings (e.g. an unreadable symbol table). */
  readonly warnings: string[] = [];

  constructor(
    readonly name: string,
    readonly bytes: Uint8Array,
    readonly entry: number,
    /** e_flags; see hardFloat and EF_ARM_ABI_FLOAT_HARD. */
    readonly flags: number,
    /** Every program header, in file order. */
    readonly segments: Segment[],
    /** Every section header (empty for files without section headers), index 0 included. */
    readonly sections: Section[],
    /** .symtab entries without the null symbol at index 0 (empty when stripped). */
    readonly symbols: ElfSymbol[],
  ) {}

  /** PT_LOAD segments, in file order. */
  get loads(): Segment[] {
    return this.segments.filter((s) => s.type === PT_LOAD);
  }

  /** True when e_flags says the hard-float ABI (floating-point arguments in VFP registers). */
  get hardFloat(): boolean {
    return (this.flags & EF_ARM_ABI_FLOAT_HARD) !== 0;
  }

  /** The first section with this name. */
  section(name: string): Section | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** A defined symbol by name, preferring global over weak over local ones. */
  symbol(name: string): ElfSymbol | undefined {
    let best: ElfSymbol | undefined;
    for (const s of this.symbols) {
      if (s.name !== name || s.shndx === 0) continue;
      if (!best || bindRank(s.bind) < bindRank(best.bind)) best = s;
    }
    return best;
  }

  /** The PT_LOAD segment whose file bytes cover [address, address + length) by load address (paddr). */
  loadSegmentAt(address: number, length = 1): Segment | undefined {
    return this.loads.find((s) => address >= s.paddr && address + length <= s.paddr + s.filesz);
  }

  /** Bytes of the flash image at a load address, or undefined when not all of them are loaded. */
  readLoaded(address: number, length: number): Uint8Array | undefined {
    const seg = this.loadSegmentAt(address, length);
    if (!seg) return undefined;
    const start = seg.offset + (address - seg.paddr);
    return this.bytes.subarray(start, start + length);
  }

  /** A little-endian 32-bit word of the flash image at a load address. */
  readLoadedWord(address: number): number | undefined {
    const b = this.readLoaded(address, 4);
    if (!b) return undefined;
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }

  /** Load address (LMA) of a section's first byte, via the PT_LOAD segment holding its file bytes. */
  loadAddressOf(section: Section): number | undefined {
    if (section.type === SHT_NOBITS) return undefined;
    const seg = this.loads.find(
      (s) => section.offset >= s.offset && section.offset + section.size <= s.offset + s.filesz,
    );
    return seg ? seg.paddr + (section.offset - seg.offset) : undefined;
  }
}

function bindRank(b: SymbolBind): number {
  return b === 'global' ? 0 : b === 'weak' ? 1 : b === 'local' ? 2 : 3;
}

/**
 * What a file without the ELF magic is not, or which other firmware format it is: never its bytes,
 * since the file may be anything the user can read (a key, /etc/shadow) and messages reach logs.
 */
function describeStart(bytes: Uint8Array): string {
  const ascii = (from: number, to: number) =>
    bytes.subarray(from, to).every((b) => b === 9 || b === 10 || b === 13 || (b >= 0x20 && b < 0x7f));
  const hexDigits = (from: number, to: number) =>
    bytes.length >= to && bytes.subarray(from, to).every((b) => /[0-9A-Fa-f]/.test(String.fromCharCode(b)));
  // Intel HEX records start ":LLAAAATT", Motorola S-records "Sn" and hex digits.
  if (bytes[0] === 0x3a && hexDigits(1, 9))
    return 'looks like an Intel HEX file; pass the .elf the linker wrote';
  if (bytes[0] === 0x53 && bytes[1]! >= 0x30 && bytes[1]! <= 0x39 && hexDigits(2, 8)) {
    return 'looks like a Motorola S-record file; pass the .elf';
  }
  const kind = ascii(0, 16) ? 'text' : 'binary data';
  return `it does not start with the ELF magic 7f 45 4c 46; it looks like ${kind}`;
}

function describeRange(start: number, end: number): string {
  return `${hex(start, 1)}..${hex(end, 1)}`;
}

/**
 * Parses and validates an ELF32 little-endian ARM executable. `name` (a file name) prefixes the error
 * messages. Throws ElfError with a one-line reason when the file cannot be run.
 */
export function parseElf(bytes: Uint8Array, name = 'firmware'): Elf {
  const fail = (reason: string): never => {
    throw new ElfError(`${name}: ${reason}`);
  };
  const size = bytes.length;
  if (size === 0) fail('empty file (0 bytes)');
  if (size < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    fail(`not an ELF file (${describeStart(bytes)})`);
  }
  if (size < 16) fail(`truncated ELF header: file is ${size} bytes, the ELF identification needs 16`);
  const cls = bytes[4];
  if (cls === 2) fail('64-bit ELF; m4sim runs 32-bit ARM (EM_ARM) executables');
  if (cls !== 1) fail(`invalid ELF class ${cls} in byte 4 (expected 1 = 32-bit)`);
  const data = bytes[5];
  if (data === 2) fail('big-endian ELF; m4sim runs little-endian Cortex-M executables');
  if (data !== 1) fail(`invalid ELF data encoding ${data} in byte 5 (expected 1 = little-endian)`);
  if (size < EHDR_SIZE) fail(`truncated ELF header: file is ${size} bytes, the header needs ${EHDR_SIZE}`);

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number): number => view.getUint16(o, true);
  const u32 = (o: number): number => view.getUint32(o, true);

  const type = u16(16);
  const machine = u16(18);
  if (machine !== EM_ARM) {
    const known = MACHINES[machine];
    fail(
      `built for ${known ?? `machine ${machine}`}, not ARM (e_machine ${machine}, expected EM_ARM = ${EM_ARM}); ` +
        'm4sim runs Cortex-M executables',
    );
  }
  if (type === ET_REL) fail('relocatable object (.o), not a linked executable; link it first');
  if (type === ET_DYN) fail('shared object, not a linked executable (e_type ET_DYN)');
  if (type === ET_CORE) fail('core dump, not an executable (e_type ET_CORE)');
  if (type !== ET_EXEC) fail(`not an executable (e_type ${type}, expected ET_EXEC = ${ET_EXEC})`);

  const entry = u32(24);
  const phoff = u32(28);
  const shoff = u32(32);
  const flags = u32(36);
  const phentsize = u16(42);
  const phnum = u16(44);
  const shentsize = u16(46);
  let shnum = u16(48);
  let shstrndx = u16(50);

  // Program headers.
  if (phnum > 0 && phentsize < PHDR_SIZE)
    fail(`malformed ELF header: e_phentsize ${phentsize} < ${PHDR_SIZE}`);
  const phEnd = phoff + phnum * phentsize;
  if (phnum > 0 && phEnd > size) {
    fail(
      `truncated: program headers at ${describeRange(phoff, phEnd)} extend past the end of the file ` +
        `(${size} bytes)`,
    );
  }
  const segments: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    segments.push({
      type: u32(o),
      offset: u32(o + 4),
      vaddr: u32(o + 8),
      paddr: u32(o + 12),
      filesz: u32(o + 16),
      memsz: u32(o + 20),
      flags: u32(o + 24),
    });
  }
  const loads = segments.filter((s) => s.type === PT_LOAD);
  if (loads.length === 0) fail('no loadable (PT_LOAD) segments, nothing to put in memory');
  loads.forEach((s, i) => {
    const end = s.offset + s.filesz;
    if (s.filesz > 0 && end > size) {
      fail(
        `truncated: PT_LOAD segment ${i} (file bytes ${describeRange(s.offset, end)}, load address ` +
          `${hex(s.paddr)}) extends past the end of the file (${size} bytes)`,
      );
    }
    if (s.filesz > s.memsz) {
      fail(`malformed PT_LOAD segment ${i}: file size ${s.filesz} exceeds memory size ${s.memsz}`);
    }
  });

  // Section headers (absent in stripped/objcopy-ed files: tolerate).
  const sections: Section[] = [];
  if (shoff !== 0) {
    if (shentsize < SHDR_SIZE) fail(`malformed ELF header: e_shentsize ${shentsize} < ${SHDR_SIZE}`);
    if (shoff + SHDR_SIZE > size) {
      fail(`truncated: section headers at ${hex(shoff, 1)} start past the end of the file (${size} bytes)`);
    }
    // Extended numbering: the real counts live in section 0.
    if (shnum === 0) shnum = u32(shoff + 20);
    if (shstrndx === 0xffff) shstrndx = u32(shoff + 24);
    const shEnd = shoff + shnum * shentsize;
    if (shEnd > size) {
      fail(
        `truncated: section headers at ${describeRange(shoff, shEnd)} extend past the end of the file ` +
          `(${size} bytes)`,
      );
    }
    const nameOffsets: number[] = [];
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * shentsize;
      nameOffsets.push(u32(o));
      sections.push({
        index: i,
        name: '',
        type: u32(o + 4),
        flags: u32(o + 8),
        addr: u32(o + 12),
        offset: u32(o + 16),
        size: u32(o + 20),
        link: u32(o + 24),
      });
    }
    const strtab = sections[shstrndx];
    if (strtab && strtab.type === SHT_STRTAB && strtab.offset + strtab.size <= size) {
      sections.forEach((s, i) => {
        s.name = readString(bytes, strtab.offset, strtab.size, nameOffsets[i]!);
      });
    }
  }

  const elf = new Elf(name, bytes, entry, flags, segments, sections, []);
  readSymbols(elf, view);
  return elf;
}

function readString(bytes: Uint8Array, tableOffset: number, tableSize: number, at: number): string {
  if (at >= tableSize) return '';
  const start = tableOffset + at;
  const limit = tableOffset + tableSize;
  let end = start;
  while (end < limit && bytes[end] !== 0) end++;
  return Buffer.from(bytes.subarray(start, end)).toString('utf8');
}

function readSymbols(elf: Elf, view: DataView): void {
  const symtab = elf.sections.find((s) => s.type === SHT_SYMTAB);
  if (!symtab) return;
  const size = elf.bytes.length;
  if (symtab.offset + symtab.size > size) {
    elf.warnings.push('symbol table extends past the end of the file; symbols ignored');
    return;
  }
  const strtab = elf.sections[symtab.link];
  if (!strtab || strtab.type !== SHT_STRTAB || strtab.offset + strtab.size > size) {
    elf.warnings.push('symbol table has no readable string table; symbols ignored');
    return;
  }
  const count = Math.floor(symtab.size / SYM_SIZE);
  for (let i = 1; i < count; i++) {
    const o = symtab.offset + i * SYM_SIZE;
    const info = view.getUint8(o + 12);
    elf.symbols.push({
      name: readString(elf.bytes, strtab.offset, strtab.size, view.getUint32(o, true)),
      value: view.getUint32(o + 4, true),
      size: view.getUint32(o + 8, true),
      type: SYMBOL_TYPES[info & 0xf] ?? 'other',
      bind: SYMBOL_BINDS[info >> 4] ?? 'other',
      shndx: view.getUint16(o + 14, true),
    });
  }
}

// ---------------------------------------------------------------------------------------------------
// Static memory use

export interface MemRegion {
  base: number;
  size: number;
}

export interface ReservedSection {
  name: string;
  addr: number;
  size: number;
}

export interface StaticSizes {
  /** Initialized, writable RAM sections (.data and friends): bytes copied from flash at startup. */
  data: number;
  /** Zero-size-in-file (SHT_NOBITS) RAM sections, excluding the reserved stack/heap ones; includes noinit. */
  bss: number;
  /** The part of `bss` in sections named like .noinit (not zeroed at startup). */
  noinit: number;
  /** NOBITS RAM sections a linker script reserves for the stack or heap (e.g. ._user_heap_stack). */
  reservedSections: ReservedSection[];
  /** reservedSections[].name, for quick membership tests. */
  reservedNames: string[];
  /** Bytes of the reserved sections (sum of reservedSections[].size); not part of bss. */
  reserved: number;
  /** Other allocated RAM sections: read-only or executable contents placed in RAM. */
  other: number;
  /** PT_LOAD file bytes whose load address (paddr) is in flash: text + rodata + .data initializers. */
  flashUsed: number;
}

const RESERVED_NAME = /(^|[._])(user_)?(heap|stack)([._]|$)/i;
const NOINIT_NAME = /no_?init/i;

function inRegions(addr: number, regions: readonly MemRegion[]): boolean {
  return regions.some((r) => addr >= r.base && addr < r.base + r.size);
}

/**
 * Static memory use from the SHF_ALLOC section headers, classified by type, flags and address (any
 * linker script): sections whose run address (sh_addr) lies in a RAM region count as data, bss or
 * other. Only stack/heap reservations and .noinit are recognised by name. When `flash` is omitted,
 * flashUsed counts PT_LOAD file bytes whose load address is outside every RAM region.
 */
export function staticSizes(elf: Elf, ram: readonly MemRegion[], flash?: MemRegion): StaticSizes {
  const out: StaticSizes = {
    data: 0,
    bss: 0,
    noinit: 0,
    reservedSections: [],
    reservedNames: [],
    reserved: 0,
    other: 0,
    flashUsed: 0,
  };
  for (const s of elf.sections) {
    if ((s.flags & SHF_ALLOC) === 0 || s.size === 0 || !inRegions(s.addr, ram)) continue;
    if (s.type === SHT_NOBITS) {
      // .tbss occupies no address space of its own (it is a template for per-thread copies).
      if (s.flags & SHF_TLS) continue;
      if (RESERVED_NAME.test(s.name)) {
        out.reservedSections.push({ name: s.name, addr: s.addr, size: s.size });
        out.reservedNames.push(s.name);
        out.reserved += s.size;
      } else {
        out.bss += s.size;
        if (NOINIT_NAME.test(s.name)) out.noinit += s.size;
      }
    } else if (s.flags & SHF_WRITE) {
      out.data += s.size;
    } else {
      out.other += s.size;
    }
  }
  for (const seg of elf.loads) {
    if (seg.filesz === 0) continue;
    const inFlash = flash ? inRegions(seg.paddr, [flash]) : !inRegions(seg.paddr, ram);
    if (inFlash) out.flashUsed += seg.filesz;
  }
  return out;
}
