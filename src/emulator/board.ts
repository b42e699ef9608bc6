// Boards are data (boards/*.json): memory map, clock and flash wait states. A new board is a file.
// A board file is untrusted input: every field is checked, and the memory map it describes (with the
// --ram/--flash overrides) is checked against what m4sim can map before anything is mapped, so a
// mistake is one line naming the file and field (65) or the option (64), never a Unicorn error.
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { INPUT_LIMITS, readInputText } from '../util/input-file.js';
import { parseJsonText, JsonSyntaxError } from '../util/json-text.js';
import { projectRoot } from '../util/paths.js';
import { hex, parseSize, UsageError } from '../util/units.js';
import type { DeviceConfig } from './peripherals/device.js';
import { deviceModel, DEVICE_MODELS } from './peripherals/models.js';

export interface MemoryRegion {
  name: string;
  base: number;
  size: number;
}

export interface Board {
  name: string;
  description: string;
  /** Default core clock in Hz, used for "time at clock" unless --clock overrides it. */
  clockHz: number;
  flash: { base: number; size: number };
  /** RAM regions; the first is the main SRAM that --ram resizes. */
  ram: MemoryRegion[];
  /** Extra cycles per flash fetch stall (taken branch, literal load), see the cycle model. */
  flashWaitStates: number;
  /**
   * Peripheral address ranges firmware may touch without a fault. They are not modeled: each register
   * reads back the last value written (0 before), and the report lists what was accessed.
   */
  peripherals: MemoryRegion[];
  /**
   * Modeled peripherals (entries of `peripherals` with a `model`): each inside one of the ranges
   * above, registers served by its model (src/emulator/peripherals/models.ts).
   */
  devices: DeviceConfig[];
  /**
   * Names of register blocks without a model (SPI1, ADC, DMA2 …): an access there is listed as the
   * block and offset in reports. Inside a peripheral range, disjoint from each other and the devices.
   */
  registerBlocks: MemoryRegion[];
  /**
   * The part's NVIC (ARMv7-M ARM B3.4; the Cortex-M4 implements 1–240 external interrupt lines and
   * 3–8 priority bits, chosen by the silicon vendor): default 240 lines, 4 bits.
   */
  nvic: { interrupts: number; priorityBits: number };
}

/** NVIC shape of a board file without an `nvic` field. */
export const DEFAULT_NVIC = { interrupts: 240, priorityBits: 4 } as const;

export interface BoardOverrides {
  /** Main SRAM size: text like "256K" (an option) or bytes (a scenario's validated `ram:`). */
  ram?: string | number;
  flash?: string | number;
  flashWaitStates?: number;
  /** How to name the overrides in messages (default "--ram", "--flash", "--flash-ws"). */
  names?: { ram?: string; flash?: string; flashWaitStates?: string };
}

/**
 * What m4sim maps for a board, and why. Every RAM byte costs the host about four: Unicorn's copy, the
 * paint pattern written before reset, and the reads of the SRAM report after the run; flash costs
 * Unicorn's copy only. Cortex-M4 parts have at most a few MiB of each.
 */
export const MEMORY_LIMITS = {
  /** Largest flash, and largest single RAM region (64 MiB). */
  regionBytes: 64 * 1024 * 1024,
  /** All RAM regions together (128 MiB: about 0.5 GB of host memory). */
  ramBytes: 128 * 1024 * 1024,
  /** RAM regions and peripheral ranges in one board file. */
  regions: 16,
  /** Modeled peripherals in one board file. */
  devices: 128,
  /** Named register blocks without a model in one board file. */
  registerBlocks: 256,
  /** Largest register block of one modeled peripheral (64 KiB). */
  deviceBytes: 0x10000,
  /** Largest unmodeled peripheral range (1 GiB: ARMv7-M's Peripheral region is 512 MiB, B3.1). */
  peripheralBytes: 0x40000000,
  /**
   * Everything mapped ends below 0xE0000000: the System region (ARMv7-M ARM B3.1, Table B3-1) holds
   * the PPB, which m4sim maps itself.
   */
  top: 0xe0000000,
  /** Flash wait states: FLASH_ACR.LATENCY of STM32F4 parts is 4 bits. */
  flashWaitStates: 15,
  /** Core clock: 1 Hz .. 10 GHz. */
  clockHz: 10e9,
} as const;

/** Unicorn maps memory in 4 KiB pages: bases must be page-aligned and sizes are rounded up to pages. */
const PAGE = 4096;

/** A board file whose content is wrong: one line naming the file and the field (exit status 65). */
export class BoardError extends Error {
  override name = 'BoardError';
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const FIELDS = new Set([
  'name',
  'description',
  'cpu',
  'clockHz',
  'flash',
  'ram',
  'flashWaitStates',
  'peripherals',
  'registerBlocks',
  'nvic',
]);

function boardsDir(): string {
  return join(projectRoot(), 'boards');
}

export function boardNames(): string[] {
  return readdirSync(boardsDir())
    .filter((f) => f.endsWith('.json'))
    .map((f) => basename(f, '.json'))
    .sort();
}

/** A JSON value described by its type only: messages never quote a board file's content. */
function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a number';
  return typeof v === 'object' ? 'an object' : typeof v;
}

function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Reads the fields of one board file; every error names the file and the field. */
class BoardFields {
  constructor(private readonly file: string) {}

  fail(field: string, what: string): never {
    throw new BoardError(`${this.file}: ${field}: ${what}`);
  }

  object(v: unknown, field: string): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      this.fail(field, `expected an object, got ${kind(v)}`);
    return v as Record<string, unknown>;
  }

  /** An integer 0..2^32-1, as a number or a "0x…"/decimal string. */
  uint32(v: unknown, field: string, expected = 'an address (number or "0x…" string)'): number {
    const n = typeof v === 'string' && /^\s*(0x[0-9a-f]+|\d+)\s*$/i.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff)
      this.fail(field, `expected ${expected}, got ${kind(v)}${typeof v === 'number' ? ` ${v}` : ''}`);
    return n as number;
  }

  text(v: unknown, field: string, max: number): string {
    if (typeof v !== 'string' || v.length > max || hasControlCharacter(v))
      this.fail(field, `expected text of at most ${max} characters without control characters`);
    return v;
  }

  /** A whole number in [min, max]. */
  count(v: unknown, field: string, min: number, max: number): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      this.fail(
        field,
        `expected a whole number ${min}..${max}, got ${kind(v)}${typeof v === 'number' ? ` ${v}` : ''}`,
      );
    return v;
  }

  nvic(v: unknown): Board['nvic'] {
    if (v === undefined) return { ...DEFAULT_NVIC };
    const o = this.object(v, 'nvic');
    for (const k of Object.keys(o))
      if (k !== 'interrupts' && k !== 'priorityBits') this.fail('nvic', `unknown field "${k.slice(0, 40)}"`);
    return {
      interrupts:
        o.interrupts === undefined
          ? DEFAULT_NVIC.interrupts
          : this.count(o.interrupts, 'nvic.interrupts', 1, 240),
      priorityBits:
        o.priorityBits === undefined
          ? DEFAULT_NVIC.priorityBits
          : this.count(o.priorityBits, 'nvic.priorityBits', 3, 8),
    };
  }

  /** A `peripherals[]` entry with a model: name, model, base, optional size, irq and params. */
  device(r: Record<string, unknown>, field: string, nvicLines: number): DeviceConfig {
    for (const k of Object.keys(r))
      if (!['name', 'model', 'base', 'size', 'irq', 'params'].includes(k))
        this.fail(field, `unknown field "${k.slice(0, 40)}"`);
    const modelName = this.text(r.model, `${field}.model`, 64);
    const model = deviceModel(modelName);
    if (!model)
      this.fail(
        `${field}.model`,
        `unknown peripheral model (known: ${Object.keys(DEVICE_MODELS).join(', ') || 'none'})`,
      );
    const name = this.text(r.name, `${field}.name`, 32);
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name))
      this.fail(`${field}.name`, 'expected a register-block name of letters, digits and "_" (e.g. USART1)');
    const base = this.uint32(r.base, `${field}.base`);
    const size =
      r.size === undefined
        ? model.defaultSize
        : this.uint32(r.size, `${field}.size`, 'a size in bytes (number or "0x…" string)');
    if (base % 4 !== 0) this.fail(`${field}.base`, `${hex(base)} is not word-aligned`);
    if (size === 0 || size % 4 !== 0 || size > MEMORY_LIMITS.deviceBytes)
      this.fail(
        `${field}.size`,
        `expected a multiple of 4 bytes up to ${MEMORY_LIMITS.deviceBytes}, got ${size}`,
      );
    const irqRaw = r.irq === undefined ? [] : r.irq;
    if (!Array.isArray(irqRaw) || irqRaw.length > model.irqs)
      this.fail(`${field}.irq`, `expected a list of at most ${model.irqs} interrupt line numbers`);
    const irq = (irqRaw as unknown[]).map((v, i) => this.count(v, `${field}.irq[${i}]`, 0, nvicLines - 1));
    const params: Record<string, number> = {};
    const given = r.params === undefined ? {} : this.object(r.params, `${field}.params`);
    for (const k of Object.keys(given))
      if (!Object.prototype.hasOwnProperty.call(model.params, k))
        this.fail(`${field}.params`, `unknown parameter "${k.slice(0, 40)}" for ${modelName}`);
    for (const [k, spec] of Object.entries(model.params)) {
      const raw = given[k];
      if (raw === undefined) {
        params[k] = spec.default;
        continue;
      }
      // A number, or a "0x…"/decimal string like an address (register reset values read better in hex).
      const v = typeof raw === 'string' && /^\s*(0x[0-9a-f]+|\d+)\s*$/i.test(raw) ? Number(raw) : raw;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < spec.min || v > spec.max)
        this.fail(
          `${field}.params.${k}`,
          `expected a number ${spec.min}..${spec.max} (or a "0x…" string), got ${kind(raw)}`,
        );
      if (spec.values && !spec.values.includes(v))
        this.fail(`${field}.params.${k}`, `expected one of ${spec.values.join(', ')}, got ${v}`);
      params[k] = v;
    }
    return { name, model: modelName, base, size, irq, params };
  }

  region(v: unknown, field: string, defaultName: string): MemoryRegion {
    const r = this.object(v, field);
    for (const k of Object.keys(r))
      if (k !== 'name' && k !== 'base' && k !== 'size') this.fail(field, `unknown field "${k.slice(0, 40)}"`);
    const name = r.name === undefined ? defaultName : this.text(r.name, `${field}.name`, 64);
    return {
      name,
      base: this.uint32(r.base, `${field}.base`),
      size: this.uint32(r.size, `${field}.size`, 'a size in bytes (number or "0x…" string)'),
    };
  }
}

/** Reads a board by name (boards/NAME.json) or from a path to a JSON file, then applies overrides. */
export function loadBoard(nameOrPath: string, overrides: BoardOverrides = {}): Board {
  let file: string;
  if (nameOrPath.endsWith('.json')) {
    file = nameOrPath;
  } else {
    // A name is a name, not a path: "--board ../x" must not reach outside boards/.
    const names = boardNames();
    if (!NAME_RE.test(nameOrPath) || !names.includes(nameOrPath)) {
      const shown = NAME_RE.test(nameOrPath) ? `"${nameOrPath}"` : '(not a board name)';
      throw new UsageError(`unknown board ${shown} (known: ${names.join(', ')}; or a board JSON file)`);
    }
    file = join(boardsDir(), `${nameOrPath}.json`);
  }
  const text = readInputText(file, 'board file', INPUT_LIMITS.text);
  let raw: unknown;
  try {
    raw = parseJsonText(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new BoardError(`${file}: ${e.message}`);
    throw e;
  }
  const board = parseBoard(raw, file);
  applyOverrides(board, overrides);
  checkMemoryMap(board, file, overrides);
  return board;
}

function parseBoard(raw: unknown, file: string): Board {
  const f = new BoardFields(file);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new BoardError(`${file}: expected a JSON object of board fields, got ${kind(raw)}`);
  const b = raw as Record<string, unknown>;
  for (const k of Object.keys(b)) if (!FIELDS.has(k)) f.fail(k.slice(0, 40), 'unknown field');
  if (b.cpu !== undefined && b.cpu !== 'cortex-m4')
    f.fail('cpu', 'expected "cortex-m4" (the only core m4sim models)');
  const name = b.name === undefined ? basename(file, '.json') : f.text(b.name, 'name', 64);
  if (!NAME_RE.test(name))
    f.fail('name', 'expected a name of letters, digits, ".", "_" and "-" (at most 64 characters)');
  const clockHz = b.clockHz === undefined ? 168e6 : b.clockHz;
  if (typeof clockHz !== 'number' || !(clockHz >= 1 && clockHz <= MEMORY_LIMITS.clockHz))
    f.fail('clockHz', `expected a frequency in Hz from 1 to ${MEMORY_LIMITS.clockHz}, got ${kind(clockHz)}`);
  const ws = b.flashWaitStates === undefined ? 0 : b.flashWaitStates;
  if (typeof ws !== 'number' || !Number.isInteger(ws) || ws < 0 || ws > MEMORY_LIMITS.flashWaitStates)
    f.fail('flashWaitStates', `expected a whole number 0..${MEMORY_LIMITS.flashWaitStates}`);
  const flash = f.region(f.object(b.flash, 'flash'), 'flash', 'flash');
  if (!Array.isArray(b.ram) || b.ram.length === 0 || b.ram.length > MEMORY_LIMITS.regions)
    f.fail('ram', `expected a list of 1 to ${MEMORY_LIMITS.regions} regions {name, base, size}`);
  const peripherals = b.peripherals === undefined ? [] : b.peripherals;
  if (!Array.isArray(peripherals) || peripherals.length > MEMORY_LIMITS.regions + MEMORY_LIMITS.devices)
    f.fail(
      'peripherals',
      `expected a list of at most ${MEMORY_LIMITS.regions} ranges {name, base, size} and ${MEMORY_LIMITS.devices} peripherals {name, model, base, …}`,
    );
  const nvic = f.nvic(b.nvic);
  const ranges: MemoryRegion[] = [];
  const devices: DeviceConfig[] = [];
  const deviceFields: string[] = [];
  (peripherals as unknown[]).forEach((r, i) => {
    const field = `peripherals[${i}]`;
    const o = f.object(r, field);
    if (o.model === undefined) {
      ranges.push(f.region(o, field, `peripherals${i}`));
    } else {
      devices.push(f.device(o, field, nvic.interrupts));
      deviceFields.push(field);
    }
  });
  if (ranges.length > MEMORY_LIMITS.regions)
    f.fail('peripherals', `expected at most ${MEMORY_LIMITS.regions} ranges {name, base, size}`);
  if (devices.length > MEMORY_LIMITS.devices)
    f.fail('peripherals', `expected at most ${MEMORY_LIMITS.devices} modeled peripherals`);
  // Each device sits inside one range (which m4sim maps), and no two share a register.
  devices.forEach((d, i) => {
    const end = d.base + d.size;
    if (!ranges.some((r) => d.base >= r.base && end <= r.base + r.size))
      f.fail(
        deviceFields[i]!,
        `${d.name} at ${hex(d.base)}+${d.size} is outside every peripheral range (an entry {name, base, size} without a model)`,
      );
    const names = devices.findIndex((o) => o.name === d.name);
    if (names !== i) f.fail(`${deviceFields[i]!}.name`, `${d.name} is also ${deviceFields[names]!}'s name`);
    for (let j = 0; j < i; j++) {
      const o = devices[j]!;
      if (d.base < o.base + o.size && o.base < end)
        f.fail(
          deviceFields[i]!,
          `${d.name} at ${hex(d.base)}+${d.size} overlaps ${o.name} (${deviceFields[j]!})`,
        );
    }
  });
  const blocksRaw = b.registerBlocks === undefined ? [] : b.registerBlocks;
  if (!Array.isArray(blocksRaw) || blocksRaw.length > MEMORY_LIMITS.registerBlocks)
    f.fail(
      'registerBlocks',
      `expected a list of at most ${MEMORY_LIMITS.registerBlocks} blocks {name, base, size}`,
    );
  const registerBlocks = (blocksRaw as unknown[]).map((r, i) => {
    const field = `registerBlocks[${i}]`;
    const blk = f.region(r, field, '');
    if (!/^[A-Za-z][A-Za-z0-9_]{0,31}$/.test(blk.name))
      f.fail(`${field}.name`, 'expected a register-block name of letters, digits and "_" (e.g. SPI1)');
    const end = blk.base + blk.size;
    if (blk.size === 0 || !ranges.some((x) => blk.base >= x.base && end <= x.base + x.size))
      f.fail(field, `${blk.name} at ${hex(blk.base)}+${blk.size} is outside every peripheral range`);
    const clash = devices.find((d) => blk.base < d.base + d.size && d.base < end);
    if (clash) f.fail(field, `${blk.name} overlaps the modeled peripheral ${clash.name}`);
    return blk;
  });
  registerBlocks.forEach((blk, i) => {
    for (let j = 0; j < i; j++) {
      const o = registerBlocks[j]!;
      if (blk.base < o.base + o.size && o.base < blk.base + blk.size)
        f.fail(`registerBlocks[${i}]`, `${blk.name} overlaps ${o.name} (registerBlocks[${j}])`);
    }
  });
  return {
    name,
    description: b.description === undefined ? '' : f.text(b.description, 'description', 1000),
    clockHz: clockHz as number,
    flash: { base: flash.base, size: flash.size },
    ram: (b.ram as unknown[]).map((r, i) => f.region(r, `ram[${i}]`, `RAM${i}`)),
    flashWaitStates: ws as number,
    peripherals: ranges,
    devices,
    registerBlocks,
    nvic,
  };
}

function applyOverrides(board: Board, o: BoardOverrides): void {
  const names = { ram: '--ram', flash: '--flash', flashWaitStates: '--flash-ws', ...o.names };
  const bytes = (v: string | number, what: string) => (typeof v === 'number' ? v : parseSize(v, what));
  if (o.ram !== undefined) board.ram[0]!.size = bytes(o.ram, names.ram);
  if (o.flash !== undefined) board.flash.size = bytes(o.flash, names.flash);
  if (o.flashWaitStates !== undefined) {
    if (!(o.flashWaitStates >= 0 && o.flashWaitStates <= MEMORY_LIMITS.flashWaitStates))
      throw new UsageError(
        `${names.flashWaitStates}: expected 0..${MEMORY_LIMITS.flashWaitStates} wait states, got ${o.flashWaitStates}`,
      );
    board.flashWaitStates = o.flashWaitStates;
  }
}

const MiB = 1024 * 1024;

/**
 * Checks sizes, alignment and overlaps of the board's memory map as Unicorn would map it (4 KiB pages),
 * so uc_mem_map never fails (UC_ERR_MAP, UC_ERR_NOMEM). A problem with an overridden size is the
 * option's (UsageError, 64); any other is the board file's (BoardError, 65).
 */
export function checkMemoryMap(board: Board, file: string, o: BoardOverrides = {}): void {
  const names = { ram: '--ram', flash: '--flash', ...o.names };
  interface Area {
    field: string;
    option: string | null;
    base: number;
    size: number;
    max: number;
  }
  const areas: Area[] = [
    {
      field: 'flash',
      option: o.flash !== undefined ? names.flash : null,
      ...board.flash,
      max: MEMORY_LIMITS.regionBytes,
    },
    ...board.ram.map((r, i) => ({
      field: `ram[${i}]`,
      option: i === 0 && o.ram !== undefined ? names.ram : null,
      base: r.base,
      size: r.size,
      max: MEMORY_LIMITS.regionBytes,
    })),
    ...board.peripherals.map((r, i) => ({
      field: `peripherals[${i}]`,
      option: null,
      base: r.base,
      size: r.size,
      max: MEMORY_LIMITS.peripheralBytes,
    })),
  ];
  const fail = (a: Area, what: string): never => {
    if (a.option) throw new UsageError(`${a.option}: ${what}`);
    throw new BoardError(`${file}: ${a.field}: ${what}`);
  };
  for (const a of areas) {
    const unit = a.field.startsWith('peripherals') ? PAGE : 1024;
    if (a.size === 0 || a.size % unit !== 0)
      fail(
        a,
        `memory sizes must be a non-zero multiple of ${unit === PAGE ? '4' : '1'} KiB (got ${a.size} bytes)`,
      );
    if (a.size > a.max)
      fail(a, `${a.size} bytes is more than the ${a.max / MiB} MiB m4sim maps for one region`);
    if (a.base % PAGE !== 0) fail(a, `base ${hex(a.base)} is not a multiple of 4 KiB`);
    const end = a.base + Math.ceil(a.size / PAGE) * PAGE;
    if (end > MEMORY_LIMITS.top)
      fail(
        a,
        `${hex(a.base)}+${a.size} does not end below ${hex(MEMORY_LIMITS.top)} (the System region, with the PPB)`,
      );
  }
  const ramTotal = board.ram.reduce((n, r) => n + r.size, 0);
  if (ramTotal > MEMORY_LIMITS.ramBytes) {
    fail(
      areas.find((a) => a.option !== null && a.field !== 'flash') ?? areas[1]!,
      `RAM regions total ${ramTotal} bytes, more than the ${MEMORY_LIMITS.ramBytes / MiB} MiB m4sim maps`,
    );
  }
  for (let i = 0; i < areas.length; i++) {
    for (let j = i + 1; j < areas.length; j++) {
      const a = areas[i]!;
      const b = areas[j]!;
      const aEnd = a.base + Math.ceil(a.size / PAGE) * PAGE;
      const bEnd = b.base + Math.ceil(b.size / PAGE) * PAGE;
      if (a.base < bEnd && b.base < aEnd) {
        const blame = a.option ? a : b.option ? b : b;
        const other = blame === a ? b : a;
        fail(
          blame,
          `${hex(blame.base)}+${blame.size} overlaps ${other.field} at ${hex(other.base)}+${other.size}`,
        );
      }
    }
  }
}

export function regionOf(board: Board, addr: number): MemoryRegion | undefined {
  return board.ram.find((r) => addr >= r.base && addr < r.base + r.size);
}
