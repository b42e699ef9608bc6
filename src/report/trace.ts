// Chrome trace event format (JSON object form, "traceEvents"), as Perfetto and chrome://tracing load
// it: one complete ('X') slice per layer on the firmware's track, and a counter ('C') track of SRAM in
// use. Timestamps are microseconds of modeled time at the core clock.
import type { LayerReport } from '../profile/layers.js';

export interface TraceEvent {
  name: string;
  ph: 'X' | 'C' | 'M';
  ts: number;
  dur?: number;
  pid: number;
  tid?: number;
  cat?: string;
  args?: Record<string, number | string>;
}

export interface TraceFile {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms' | 'ns';
  otherData: Record<string, string | number>;
}

export function toTrace(layers: LayerReport, clockHz: number, name: string): TraceFile {
  const us = (cycles: number) => (cycles / clockHz) * 1e6;
  const pid = 1;
  const tid = 1;
  const events: TraceEvent[] = [
    { name: 'process_name', ph: 'M', ts: 0, pid, args: { name } },
    { name: 'thread_name', ph: 'M', ts: 0, pid, tid, args: { name: 'layers' } },
  ];
  for (const l of layers.layers) {
    events.push({
      name: l.name,
      cat: 'layer',
      ph: 'X',
      ts: us(l.start),
      dur: us(l.cycles),
      pid,
      tid,
      args: {
        cycles: l.cycles,
        macs: l.macs,
        liveArenaBytes: l.liveArenaBytes,
        stackPeak: l.stackPeak ?? -1,
      },
    });
  }
  for (const s of layers.sram) {
    events.push({ name: 'SRAM in use', ph: 'C', ts: us(s.cycles), pid, args: { bytes: s.total } });
  }
  return {
    traceEvents: events,
    displayTimeUnit: 'ms',
    otherData: { clockHz, totalCycles: layers.totalCycles, ramSize: layers.ramSize },
  };
}
