// Per-layer profile of a detector run: modeled cycles between the ITM begin/end markers, share of
// the frame, multiply-accumulates from the layer shapes, cycles per MAC, the stack peak during the
// layer (lowest SP the block profiler saw between the markers) and the arena bytes live in it
// (src/detector/memory-plan.ts), plus SRAM in use over time.
import type { DetectionReport } from '../detector/detect.js';
import { ARENA_BYTES, liveArenaBytes } from '../detector/memory-plan.js';
import type { ItmEvent } from '../emulator/ppb.js';

/**
 * Multiply-accumulates of RNNPool-Face-M4 per layer id (the shapes in the model headers):
 * - conv 3x3 stride 2, 1 → 4 channels: 120·160·4·9.
 * - RNNPool, per 8x8 patch: RNN1 (FastGRNN, 4 → 16) over 8 rows and 8 columns = 16 sequences ×
 *   8 steps × (W 16·4 + U 16·16); RNN2 (16 → 16) over the row and column summaries both ways =
 *   4 sequences × 8 steps × (W 16·16 + U 16·16); 29·39 patches.
 * - MBConv: H·W·CIn·CTemp (1x1 expansion) + Hout·Wout·(9·CTemp (3x3 depthwise) + CTemp·COut (1x1 projection)).
 * - Head: per output cell 9·C·(conf channels + loc channels) (3x3 convolutions; the L2 norm is not counted).
 * - Output scaling and box decoding: no MACs.
 */
export function layerMacs(id: number): number {
  const mbconv = (h: number, w: number, cin: number, ctemp: number, ho: number, wo: number, cout: number) =>
    h * w * cin * ctemp + ho * wo * (9 * ctemp + ctemp * cout);
  const head = (cells: number, c: number, conf: number, loc: number) => cells * 9 * c * (conf + loc);
  switch (id) {
    case 1:
      return 120 * 160 * 4 * 9;
    case 2:
      return 29 * 39 * (16 * 8 * (16 * 4 + 16 * 16) + 4 * 8 * (16 * 16 * 2));
    case 3:
      return mbconv(30, 40, 64, 128, 30, 40, 32);
    case 4:
      return head(1200, 32, 4, 4);
    case 5:
      return mbconv(30, 40, 32, 64, 30, 40, 32);
    case 6:
      return head(1200, 32, 2, 4);
    case 7:
      return mbconv(30, 40, 32, 64, 15, 20, 64);
    case 8:
      return head(300, 64, 2, 4);
    case 9:
      return mbconv(15, 20, 64, 128, 15, 20, 64);
    case 10:
      return head(300, 64, 2, 4);
    default:
      return 0;
  }
}

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
    const macs = layerMacs(id);
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
      liveArenaBytes: liveArenaBytes(id),
    });
  }
  return { layers, sram: sramOverTime(r.itm, report, layers), totalCycles: r.cycles, ramSize: r.sram.size };
}

function sramOverTime(itm: ItmEvent[], report: DetectionReport, layers: LayerProfile[]): SramSample[] {
  const r = report.run.result;
  const s = r.sram;
  const arenaStatic = Math.min(ARENA_BYTES, s.otherStatic + s.bss + s.data);
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
      liveArenaBytes(layerAt(e.cycles, e.port, e.value)),
    );
  }
  const peakLayer = layers.find((l) => l.start <= s.stackPeakCycles && s.stackPeakCycles <= l.end);
  push(s.stackPeakCycles, 'stack high-water', s.lowestSp, peakLayer ? peakLayer.liveArenaBytes : 0);
  return samples.sort((a, b) => a.cycles - b.cycles);
}
