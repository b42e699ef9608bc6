// gdb's `monitor` commands (qRcmd): the run's figures so far, and a reset. Each answer is text for
// gdb's console.
import type { Machine } from '../emulator/machine.js';
import { hex } from '../util/units.js';

export const MONITOR_HELP = [
  'm4sim monitor commands:',
  '  monitor cycles   modeled cycles and instructions so far, at the PC (its instruction not run yet)',
  '  monitor sram     SRAM so far: static (.data + .bss + other), heap and stack high-water, total',
  '  monitor reset    restart the firmware from its reset vector; every count starts over',
  '  monitor help     this list',
  '',
].join('\n');

/** What the monitor answers, and whether the session must reset the machine. */
export interface MonitorAnswer {
  text: string;
  reset?: boolean;
}

function time(seconds: number): string {
  if (seconds >= 1) return `${seconds.toFixed(6)} s`;
  if (seconds >= 1e-3) return `${(seconds * 1e3).toFixed(6)} ms`;
  return `${(seconds * 1e6).toFixed(3)} µs`;
}

export function monitor(command: string, machine: Machine): MonitorAnswer {
  const words = command.trim().split(/\s+/).filter(Boolean);
  const [verb] = words;
  if (verb === undefined || verb === 'help') return { text: MONITOR_HELP };
  if (words.length > 1) return { text: `monitor ${verb}: takes no arguments\n` };
  const where = `${machine.symbols.format(machine.pc)} (pc ${hex(machine.pc)})`;
  if (verb === 'cycles') {
    const p = machine.progress();
    return {
      text:
        `${p.cycles} cycles (${time(p.seconds)} at ${p.clockHz / 1e6} MHz), ` +
        `${p.instructions} instructions, at ${where}\n`,
    };
  }
  if (verb === 'sram') {
    const s = machine.progress().sram;
    const statics = s.data + s.bss + s.otherStatic;
    return {
      text:
        `${s.total} bytes of SRAM so far (of ${s.size}): static ${statics} ` +
        `(.data ${s.data}, .bss ${s.bss}, other ${s.otherStatic}), heap ${s.heap}, stack ${s.stack} ` +
        `(lowest SP ${hex(s.lowestSp)})\n`,
    };
  }
  if (verb === 'reset')
    return {
      text: 'reset: the firmware starts again from its reset vector, every count from 0 (gdb: `maintenance flush register-cache` to see the new registers)\n',
      reset: true,
    };
  return { text: `unknown monitor command ${JSON.stringify(verb.slice(0, 40))}\n${MONITOR_HELP}` };
}
