// Terminal and JSON views of a detector run.
import type { DetectionReport } from '../detector/detect.js';
import { architectureOf } from '../architectures/index.js';
import { thousands as n } from '../util/units.js';

export function formatDetection(d: DetectionReport): string {
  const r = d.run.result;
  // The paper's figures, for the architecture the paper measured (face-M4) only.
  const paper = architectureOf(d.modelSpec).paper;
  const lines: string[] = [];
  lines.push(`m4sim: RNNPool face detector (model ${d.model}) on ${d.source}`);
  if (d.boxes.length === 0) {
    lines.push('  boxes         none above the threshold');
  } else {
    lines.push(`  boxes         ${d.boxes.length} (x1 y1 x2 y2 score, image pixels)`);
    for (const b of d.boxes.slice(0, 20)) {
      lines.push(
        `    ${[b.x1, b.y1, b.x2, b.y2].map((v) => v.toFixed(1).padStart(7)).join(' ')}  ${b.score.toFixed(3)}`,
      );
    }
    if (d.boxes.length > 20) lines.push(`    … ${d.boxes.length - 20} more (--json lists all)`);
  }
  if (d.reference) {
    const ref = d.reference;
    lines.push(
      d.match
        ? `  firmware matches reference: ${d.outputsMatching}/${ref.outputs.length} outputs, ${d.boxesMatching}/${ref.boxes.length} boxes`
        : `  firmware DIFFERS from reference: ${d.outputsMatching}/${ref.outputs.length} outputs, ${d.boxesMatching}/${ref.boxes.length} boxes; first divergence: ${describeDivergence(d)}`,
    );
  }
  const seconds = r.cycles / r.clockHz;
  lines.push(
    `  cycles        ${n(r.cycles)} (${seconds.toFixed(3)} s at ${r.clockHz / 1e6} MHz${paper ? `; paper: ${paper.cycles / 1e9} G = ${paper.seconds} s on an ${paper.part}` : ''})`,
  );
  lines.push('  layers        cycles          share');
  for (const l of d.run.layers) {
    lines.push(
      `    ${l.name.padEnd(10)} ${n(l.cycles).padStart(15)} ${((100 * l.cycles) / Math.max(r.cycles, 1)).toFixed(1).padStart(6)}%`,
    );
  }
  const s = r.sram;
  lines.push(
    `  peak SRAM     ${n(s.total)} bytes of ${n(s.size)} (${((100 * s.total) / s.size).toFixed(1)}%)${paper ? `; paper: ${paper.peakRamBytes / 1000} KB — ${s.total <= paper.peakRamBytes ? 'within' : `${n(s.total - paper.peakRamBytes)} bytes over`}` : ''}`,
  );
  const predicted = s.data + s.bss + s.otherStatic;
  lines.push(
    `    memory plan predicts ${n(predicted)} (arena ${n(d.run.block.arenaBytes)} + other static ${n(predicted - d.run.block.arenaBytes)}); measured = that + heap ${n(s.heap)} + stack ${n(s.stack)}`,
  );
  lines.push(`  flash         ${n(r.flash.used)} bytes of ${n(r.flash.size)}`);
  return lines.join('\n') + '\n';
}

export function describeDivergence(d: DetectionReport): string {
  const f = d.firstDivergence;
  if (!f) return 'outputs or boxes differ';
  if (f.element === null) return `layer ${f.layer} (checksum)`;
  return `layer ${f.layer}, element ${f.element}: firmware ${f.firmware}, reference ${f.reference}`;
}

export function detectionJson(d: DetectionReport) {
  return {
    match: d.match,
    model: d.model,
    source: d.source,
    boxes: d.boxes.map((b) => [b.x1, b.y1, b.x2, b.y2, b.score]),
    firstDivergence: d.firstDivergence,
    outputsMatching: d.outputsMatching,
    boxesMatching: d.boxesMatching,
    layers: d.run.layers.map((l) => ({ id: l.id, name: l.name, cycles: l.cycles, checksum: l.checksum })),
    arenaBytes: d.run.block.arenaBytes,
    paper: architectureOf(d.modelSpec).paper ?? null,
  };
}
