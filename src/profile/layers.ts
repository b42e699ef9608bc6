// Per-layer profile of a detector run: modeled cycles between the ITM begin/end markers, share of
// the frame, multiply-accumulates from the layer shapes, cycles per MAC, the stack peak during the
// layer (lowest SP the block profiler saw between the markers) and the arena buffers live in it, plus
// SRAM in use over time. MACs and the arena plan come from the model's architecture descriptor
// (src/architectures).
import { architectureOf, liveArenaBytes, liveBuffers, type ArenaBuffer } from '../architectures/index.js';
import type { DetectionReport } from '../detector/detect.js';
import type { ItmEvent } from '../emulator/ppb.js';

export interface LayerProfile {
  id: number;
  name: string;
  /** Modeled cycles at the begin and end markers. */
  start: number;
  end: number;
  cycles: number;
  /** cycles / the whole run's cycles. */
  share: number;
  macs: number;
  /** null when the layer has no MACs. */
  cyclesPerMac: number | null;
  /** Initial SP minus the lowest SP seen between the layer's markers (null without SP samples). */
  stackPeak: number | null;
  /** The arena buffers live while the layer runs (the memory plan) and their total size. */
  liveBuffers: ArenaBuffer[];
  liveArenaBytes: number;
}

export interface SramSample {
  cycles: number;
  /** What the sample is: a layer marker or the stack high-water. */
  label: string;
  stack: number;
  arena: number;
  /** Static RAM outside the arena (.data, .bss, other) plus the heap high-water, constant over the run. */
  other: number;
  /** other + arena + stack. */
  total: number;
}

export interface LayerReport {
  layers: LayerProfile[];
  sram: SramSample[];
  totalCycles: number;
  ramSize: number;
}

export function layerProfile(report: DetectionReport): LayerReport {
  const r = report.run.result;
  const model = report.modelSpec;
  const arch = architectureOf(model);
  const initialSp = r.sram.initialSp;
  const itm = r.itm.filter((e) => e.port === 1 || e.port === 2);
  const begins = new Map<number, number>();
  const layers: LayerProfile[] = [];
  for (let k = 0; k < itm.length; k++) {
    const e = itm[k]!;
    if (e.port === 1) begins.set(e.value, k);
    if (e.port !== 2 || !begins.has(e.value)) continue;
    const b = begins.get(e.value)!;
    const begin = itm[b]!;
    // Lowest SP over the windows after the begin marker up to the end marker (each event's minSp
    // covers the time since the previous event; other ports' events are windows too).
    let low: number | null = null;
    const all = r.itm;
    const from = all.indexOf(begin);
    const to = all.indexOf(e);
    for (let j = from; j <= to; j++) {
      const ev = all[j]!;
      const m = j === from ? ev.sp : ev.minSp;
      if (m !== undefined) low = low === null ? m : Math.min(low, m);
    }
    const id = e.value;
    const cycles = e.cycles - begin.cycles;
    const spec = arch.layers.find((l) => l.id === id);
    const macs = spec ? spec.macs(model) : 0;
    layers.push({
      id,
      name: report.run.layers.find((l) => l.id === id)?.name ?? `layer${id}`,
      start: begin.cycles,
      end: e.cycles,
      cycles,
      share: r.cycles > 0 ? cycles / r.cycles : 0,
      macs,
      cyclesPerMac: macs > 0 ? cycles / macs : null,
      stackPeak: low === null ? null : initialSp - low,
      liveBuffers: liveBuffers(arch, id),
      liveArenaBytes: liveArenaBytes(arch, id),
    });
  }
  return { layers, sram: sramOverTime(r.itm, report, layers), totalCycles: r.cycles, ramSize: r.sram.size };
}

function sramOverTime(itm: ItmEvent[], report: DetectionReport, layers: LayerProfile[]): SramSample[] {
  const r = report.run.result;
  const s = r.sram;
  const arch = architectureOf(report.modelSpec);
  const arenaStatic = Math.min(arch.arena.bytes, s.otherStatic + s.bss + s.data);
  const other = s.data + s.bss + s.otherStatic - arenaStatic + s.heap;
  const samples: SramSample[] = [];
  const layerAt = (cycles: number, port: number, id: number) =>
    port === 1 || port === 2 ? id : (layers.find((l) => l.start <= cycles && cycles <= l.end)?.id ?? 0);
  const push = (cycles: number, label: string, sp: number, arena: number) => {
    const stack = Math.max(0, s.initialSp - sp);
    samples.push({ cycles, label, stack, arena, other, total: other + arena + stack });
  };
  push(0, 'reset', s.initialSp, 0);
  for (const e of itm) {
    if ((e.port !== 1 && e.port !== 2) || e.sp === undefined) continue;
    const name = layers.find((l) => l.id === e.value)?.name ?? `layer${e.value}`;
    push(
      e.cycles,
      `${name} ${e.port === 1 ? 'begin' : 'end'}`,
      e.sp,
      liveArenaBytes(arch, layerAt(e.cycles, e.port, e.value)),
    );
  }
  const peakLayer = layers.find((l) => l.start <= s.stackPeakCycles && s.stackPeakCycles <= l.end);
  push(s.stackPeakCycles, 'stack high-water', s.lowestSp, peakLayer ? peakLayer.liveArenaBytes : 0);
  return samples.sort((a, b) => a.cycles - b.cycles);
}
