// Boards are data (boards/*.json): memory map, clock and flash wait states. A new board is a file.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { projectRoot } from '../util/paths.js';
import { parseSize, UsageError } from '../util/units.js';

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
}

export interface BoardOverrides {
  ram?: string;
  flash?: string;
  flashWaitStates?: number;
}

function boardsDir(): string {
  return join(projectRoot(), 'boards');
}

export function boardNames(): string[] {
  return readdirSync(boardsDir())
    .filter((f) => f.endsWith('.json'))
    .map((f) => basename(f, '.json'))
    .sort();
}

function address(value: unknown, where: string): number {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new UsageError(
      `${where}: expected an address (number or "0x…" string), got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** Reads a board by name (boards/NAME.json) or from a path to a JSON file, then applies overrides. */
export function loadBoard(nameOrPath: string, overrides: BoardOverrides = {}): Board {
  const file = nameOrPath.endsWith('.json') ? nameOrPath : join(boardsDir(), `${nameOrPath}.json`);
  if (!existsSync(file)) {
    throw new UsageError(`unknown board "${nameOrPath}" (known: ${boardNames().join(', ')})`);
  }
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const flash = raw.flash as Record<string, unknown> | undefined;
  const ram = raw.ram as Record<string, unknown>[] | undefined;
  if (!flash || !Array.isArray(ram) || ram.length === 0) {
    throw new UsageError(`${file}: a board needs "flash" {base, size} and a non-empty "ram" list`);
  }
  const board: Board = {
    name: String(raw.name ?? basename(file, '.json')),
    description: String(raw.description ?? ''),
    clockHz: Number(raw.clockHz ?? 168e6),
    flash: {
      base: address(flash.base, `${file}: flash.base`),
      size: address(flash.size, `${file}: flash.size`),
    },
    ram: ram.map((r, i) => ({
      name: String(r.name ?? `RAM${i}`),
      base: address(r.base, `${file}: ram[${i}].base`),
      size: address(r.size, `${file}: ram[${i}].size`),
    })),
    flashWaitStates: Number(raw.flashWaitStates ?? 0),
    peripherals: ((raw.peripherals ?? []) as Record<string, unknown>[]).map((r, i) => ({
      name: String(r.name ?? `peripherals${i}`),
      base: address(r.base, `${file}: peripherals[${i}].base`),
      size: address(r.size, `${file}: peripherals[${i}].size`),
    })),
  };
  if (overrides.ram !== undefined) board.ram[0]!.size = parseSize(overrides.ram, '--ram');
  if (overrides.flash !== undefined) board.flash.size = parseSize(overrides.flash, '--flash');
  if (overrides.flashWaitStates !== undefined) board.flashWaitStates = overrides.flashWaitStates;
  for (const r of [board.flash, ...board.ram]) {
    if (r.size === 0 || r.size % 1024 !== 0) {
      throw new UsageError(`memory sizes must be a non-zero multiple of 1 KiB (got ${r.size} bytes)`);
    }
  }
  return board;
}

export function regionOf(board: Board, addr: number): MemoryRegion | undefined {
  return board.ram.find((r) => addr >= r.base && addr < r.base + r.size);
}
