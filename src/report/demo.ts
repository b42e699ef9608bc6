// The first screen a new user sees (`npm run demo`): the trained model's faces on the photo, where
// the HTML report is, and the paper's architecture measured against the paper's figures.
import type { DetectionReport } from '../detector/detect.js';
import type { PaperFigures } from '../architectures/types.js';
import { thousands as n } from '../util/units.js';

/** Part 1: what the trained model found, whether the firmware equals the reference, the cost. */
export function formatDemoDetection(d: DetectionReport, architecture: string, htmlPath: string): string {
  const r = d.run.result;
  const s = r.sram;
  const lines = [
    `1. Face detection: trained EdgeML model ${d.model} (${architecture}) on ${d.source}`,
    `   board ${r.board}, ${r.clockHz / 1e6} MHz; firmware built with arm-none-eabi-gcc, run in the emulator`,
  ];
  if (d.boxes.length === 0) lines.push('   faces        none above the threshold');
  else {
    lines.push(
      `   faces        ${d.boxes.length} box${d.boxes.length === 1 ? '' : 'es'} (x1 y1 x2 y2 in image pixels, score)`,
    );
    for (const b of d.boxes.slice(0, 5))
      lines.push(
        `                ${[b.x1, b.y1, b.x2, b.y2].map((v) => v.toFixed(0).padStart(4)).join(' ')}  ${b.score.toFixed(3)}`,
      );
    if (d.boxes.length > 5) lines.push(`                … ${d.boxes.length - 5} more in the report`);
  }
  if (d.reference)
    lines.push(
      d.match
        ? `   reference    firmware equals the TypeScript reference: ${d.outputsMatching}/${d.reference.outputs.length} outputs, ${d.boxesMatching}/${d.reference.boxes.length} boxes`
        : `   reference    firmware DIFFERS from the TypeScript reference: ${d.outputsMatching}/${d.reference.outputs.length} outputs`,
    );
  lines.push(
    `   cost         ${n(r.cycles)} cycles (${(r.cycles / r.clockHz).toFixed(2)} s), peak SRAM ${n(s.total)} B of ${n(s.size)}, flash ${n(r.flash.used)} B`,
  );
  lines.push(`   report       ${htmlPath} (boxes drawn on the photo, layer profile, SRAM over time)`);
  return lines.join('\n') + '\n';
}

/** Part 2: the architecture as measured here next to the paper's figures for it. */
export function formatDemoPaper(d: DetectionReport, architecture: string, paper: PaperFigures): string {
  const r = d.run.result;
  const seconds = r.cycles / r.clockHz;
  const ramDelta = r.sram.total - paper.peakRamBytes;
  const row = (name: string, ours: string, theirs: string, vs: string) =>
    `   ${name.padEnd(16)} ${ours.padStart(13)}   ${theirs.padEnd(28)} ${vs}`.trimEnd();
  // "Saha et al. 2020, Table 5" → "Table 5".
  const where = paper.source.slice(paper.source.lastIndexOf(', ') + 2);
  return (
    [
      `2. The paper's architecture: ${architecture} (model ${d.model}) on ${r.board} at ${r.clockHz / 1e6} MHz`,
      row('', 'm4sim', `paper (${where}, ${paper.part})`, 'm4sim vs paper'),
      row(
        'time per frame',
        `${seconds.toFixed(2)} s`,
        `${paper.seconds} s`,
        `${(seconds / paper.seconds).toFixed(2)}x`,
      ),
      row('cycles', n(r.cycles), `about ${n(paper.cycles)}`, `${(r.cycles / paper.cycles).toFixed(2)}x`),
      row(
        'peak SRAM',
        `${n(r.sram.total)} B`,
        `${paper.peakRamBytes / 1000} KB (${n(paper.peakRamBytes)} B)`,
        `${ramDelta >= 0 ? '+' : '-'}${n(Math.abs(ramDelta))} B`,
      ),
      row(
        'outputs',
        d.match === null ? 'not checked' : d.match ? 'bit-exact' : 'DIFFER',
        'vs the TypeScript reference',
        '',
      ),
    ].join('\n') + '\n'
  );
}
