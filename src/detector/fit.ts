// Whether the detector firmware fits the board it is linked for, and the one line that says why not.
//
// Needed SRAM = the static RAM sections (.data, .bss, .noinit: the arena) + a stack reserve. The
// static part comes from the link: the linked ELF's RAM sections (as the SRAM report counts them), or,
// when they do not fit at all, GNU ld's "region `RAM' overflowed by N bytes" (the region's length + N).
// Needed flash = what the ELF loads into flash (code, read-only data, .data's initial values), or the
// flash region's length + ld's overflow. The stack cannot be known before the run (the emulator
// measures it): the reserve is a bound on what the shipped detectors use, checked before the run so
// a board that cannot hold the stack is refused with the numbers instead of crashing into the arena.
import type { LinkMemory } from '../toolchain/board-linker.js';
import { thousands } from '../util/units.js';

/**
 * Stack kept free above the static data: 6 KiB. The deepest stacks measured (initial SP minus the
 * lowest SP, `sram.stack` of `m4sim simulate --json`, m4-256k, the default photo), -O2 / -O0:
 * face-m4-synthetic 2,024 / 2,432 B (-O1 1,968, -O3 2,016, -Os 2,128), EdgeML face-2 2,360 / 2,928 B
 * (-O1 2,312, -O3 2,352, -Os 2,472), face-3 4,600 / 5,040 B (-O1 4,560, -O3 4,616, -Os 4,696). The
 * RNNPool band cache of face-M4 and face-2 is in their arenas, not on the stack.
 * The shipped scenarios budget 6K of stack too. The run still measures the real peak.
 */
export const DETECTOR_STACK_RESERVE = 6 * 1024;

export interface FitProblem {
  /** Present when the SRAM does not hold static data + the stack reserve. */
  sram?: { needed: number; static: number; stackReserve: number; available: number };
  /** Present when the flash does not hold the image. */
  flash?: { needed: number; available: number };
}

/** The detector firmware does not fit the board: bad input (status 65), one line with the numbers. */
export class DetectorFitError extends Error {
  override name = 'DetectorFitError';
  constructor(
    message: string,
    readonly problem: FitProblem,
  ) {
    super(message);
  }
}

/** What a link that succeeded says: null when it fits. */
export function fitOfLinked(m: LinkMemory, staticBytes: number, flashBytes: number): FitProblem | null {
  const p: FitProblem = {};
  const needed = staticBytes + DETECTOR_STACK_RESERVE;
  if (needed > m.ram.size)
    p.sram = { needed, static: staticBytes, stackReserve: DETECTOR_STACK_RESERVE, available: m.ram.size };
  if (flashBytes > m.flash.size) p.flash = { needed: flashBytes, available: m.flash.size };
  return p.sram || p.flash ? p : null;
}

/**
 * What a link that failed says: ld's overflow lines for the generated script's regions (FLASH, RAM),
 * null when there are none (the link failed for another reason).
 */
export function fitOfOverflow(m: LinkMemory, ldOutput: string): FitProblem | null {
  const over = (region: string) => {
    const hit = new RegExp(`region \`${region}' overflowed by (\\d+) bytes`).exec(ldOutput);
    return hit ? Number(hit[1]) : null;
  };
  const ram = over('RAM');
  const flash = over('FLASH');
  if (ram === null && flash === null) return null;
  const p: FitProblem = {};
  if (ram !== null) {
    const staticBytes = m.ram.size + ram;
    p.sram = {
      needed: staticBytes + DETECTOR_STACK_RESERVE,
      static: staticBytes,
      stackReserve: DETECTOR_STACK_RESERVE,
      available: m.ram.size,
    };
  }
  if (flash !== null) p.flash = { needed: m.flash.size + flash, available: m.flash.size };
  return p;
}

/** "detector firmware for MODEL does not fit board BOARD: needs … of SRAM (…), the board has …". */
export function fitMessage(model: string, board: string, p: FitProblem): string {
  const parts: string[] = [];
  if (p.sram)
    parts.push(
      `${thousands(p.sram.needed)} B of SRAM (static ${thousands(p.sram.static)} + stack reserve ${thousands(p.sram.stackReserve)}), the board has ${thousands(p.sram.available)} B`,
    );
  if (p.flash)
    parts.push(`${thousands(p.flash.needed)} B of flash, the board has ${thousands(p.flash.available)} B`);
  return `detector firmware for ${model} does not fit board ${board}: needs ${parts.join('; and ')}`;
}
