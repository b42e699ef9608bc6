// The terminal summary of a run: what the firmware did, how long it took on the modeled core, and
// where its SRAM went.
import type { RunResult } from '../emulator/machine.js';
import { hex, thousands as n } from '../util/units.js';

function pct(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : '-';
}

function time(seconds: number): string {
  if (seconds >= 1) return `${seconds.toFixed(3)} s`;
  if (seconds >= 1e-3) return `${(seconds * 1e3).toFixed(3)} ms`;
  return `${(seconds * 1e6).toFixed(1)} µs`;
}

/** "main > f > f > f" → "main > f ×3": deep recursion stays on one line. */
export function compressPath(path: string[]): string {
  const out: string[] = [];
  for (let i = 0; i < path.length;) {
    let j = i;
    while (j < path.length && path[j] === path[i]) j++;
    out.push(j - i > 2 ? `${path[i]} ×${j - i}` : path.slice(i, j).join(' > '));
    i = j;
  }
  return out.join(' > ');
}

/** How the heap figure was found, in words (README: SRAM). */
function heapHow(s: RunResult['sram']): string {
  if (s.heapMethod === 'break') {
    const calls = `${n(s.breakCalls)} call${s.breakCalls === 1 ? '' : 's'}`;
    return `high-water; method break: highest break minus the first, ${calls}`;
  }
  if (s.heapMethod === 'painted')
    return 'high-water; method painted: no break call, highest byte written above static data and below the stack';
  return 'method none: no break call, nothing written above static data and below the stack';
}

export function formatSummary(r: RunResult, firmware: string): string {
  const s = r.sram;
  const lines: string[] = [];
  const ended =
    r.exit.reason === 'exit'
      ? `exit ${r.exit.code} (${r.exit.message})`
      : `${r.exit.reason}: ${r.exit.message}`;
  lines.push(`m4sim: ${firmware} on ${r.board}`);
  lines.push(`  ended         ${ended}`);
  lines.push(`  instructions  ${n(r.instructions)}`);
  lines.push(
    `  cycles        ${n(r.cycles)} (CPI ${r.cpi.toFixed(3)}), ${time(r.seconds)} at ${r.clockHz / 1e6} MHz`,
  );
  lines.push(`  cycle model   ${r.cycleModel.description}`);
  lines.push(`  SRAM          ${n(s.total)} of ${n(s.size)} bytes (${pct(s.total, s.size)})`);
  lines.push(`    .data       ${n(s.data)}`);
  lines.push(`    .bss        ${n(s.bss)}`);
  if (s.otherStatic > 0) lines.push(`    other       ${n(s.otherStatic)} (other static RAM sections)`);
  lines.push(`    heap        ${n(s.heap)} (${heapHow(s)})`);
  lines.push(
    `    stack       ${n(s.stack)} (high-water${s.stackPath.length ? `: ${compressPath(s.stackPath)}` : ''})`,
  );
  if (s.stackPathDepth > s.stackPath.length)
    lines.push(
      `    call path   ${n(s.stackPathDepth)} frames deep; the outer ${n(s.stackPath.length)} are listed`,
    );
  if (r.functions.maxDepth > r.functions.depthLimit && r.functions.depthLimit > 0)
    lines.push(
      `  call depth    ${n(r.functions.maxDepth)} frames, deeper than the ${n(r.functions.depthLimit)} the profiler keeps: calls below are counted, their cycles charged to the deepest kept frame`,
    );
  if (r.functions.droppedPaths > 0)
    lines.push(
      `  call tree     full: ${n(r.functions.droppedPaths)} calls on new call paths were charged to their callers`,
    );
  if (s.exact) lines.push(`    exact mode  stack ${n(s.exact.stack)}`);
  if (s.psp) {
    const stacks = s.psp.stacks.map((t) => `${t.symbol ?? hex(t.base)} ${n(t.highWater)}`).join(', ');
    lines.push(`    PSP         lowest ${hex(s.psp.lowest)}${stacks ? ` (high-water: ${stacks})` : ''}`);
  }
  lines.push(`    touched     ${n(s.touched)} bytes written during the run (painting)`);
  lines.push(
    `  flash         ${n(r.flash.used)} of ${n(r.flash.size)} bytes (${pct(r.flash.used, r.flash.size)})`,
  );
  if (r.exceptions.taken.length > 0) {
    const taken = r.exceptions.taken
      .map((e) => `${e.name} ${n(e.count)}× ${n(e.selfCycles)} cycles`)
      .join(', ');
    lines.push(`  exceptions    ${taken}`);
  }
  if (r.exceptions.sleepCycles > 0)
    lines.push(`  sleep         ${n(r.exceptions.sleepCycles)} cycles in WFI/WFE (included in cycles)`);
  if (r.semihosting.refused.length > 0) lines.push(`  refused       ${r.semihosting.refused.join('; ')}`);
  if (r.peripherals.length > 0) {
    lines.push(
      `  peripherals   ${r.peripherals.length} registers accessed, not modeled (reads return the last write): ${r.peripherals
        .slice(0, 6)
        .map((p) => (p.block !== null ? `${p.block}+0x${p.offset!.toString(16)}` : hex(p.address)))
        .join(', ')}${r.peripherals.length > 6 ? ', …' : ''}`,
    );
  }
  if (r.deviceIgnoredWrites.length > 0) {
    const w = r.deviceIgnoredWrites;
    lines.push(
      `  ignored       ${n(w.reduce((k, x) => k + x.writes, 0))} writes to read-only or reserved registers (not faults): ${w
        .slice(0, 6)
        .map((x) => `${x.device}+0x${x.offset.toString(16)}`)
        .join(', ')}${w.length > 6 ? ', …' : ''}`,
    );
  }
  if (r.peripheralsUntracked > 0) {
    lines.push(
      `                ${n(r.peripheralsUntracked)} more accesses to registers past the first ${n(r.peripherals.length)} were not tracked (reads returned 0)`,
    );
  }
  const itmDropped = r.itmDropped.reduce((k, d) => k + d.events, 0);
  if (itmDropped > 0) {
    lines.push(
      `  ITM events    ${n(r.itm.length)} kept, ${n(itmDropped)} later ones dropped (ports ${r.itmDropped
        .map((d) => `${d.port}: ${n(d.events)}`)
        .join(', ')})`,
    );
  }
  if (r.ppbUnmodeled.length > 0) lines.push(`  unmodeled PPB ${r.ppbUnmodeled.join(', ')} (read as 0)`);
  lines.push(
    `  host          ${r.wallSeconds.toFixed(3)} s, ${(r.instructions / Math.max(r.wallSeconds, 1e-9) / 1e6).toFixed(0)} M instructions/s`,
  );
  return lines.join('\n') + '\n';
}
