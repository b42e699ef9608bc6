// A self-contained HTML report of one detector run: inline CSS and SVG, the image as a data: URI,
// no scripts and no external URLs, so it opens offline and can be attached to a CI run.
import { architectureOf } from '../architectures/index.js';
import { imageMapper, type DetectionReport, type ImageBox } from '../detector/detect.js';
import { toPng, type RgbaImage } from '../image/index.js';
import type { CallTreeNode } from '../profile/functions.js';
import type { LayerReport } from '../profile/layers.js';
import { thousands } from '../util/units.js';

export interface Budget {
  name: string;
  actual: number;
  limit: number;
  unit: string;
  /** A comparison shown for information (e.g. against the paper), not part of the verdict. */
  informational?: boolean;
}

export interface HtmlReportOptions {
  title?: string;
  /** The source image as decoded (boxes are drawn in its pixels); omitted: no image section. */
  image?: RgbaImage;
  /** Budgets to judge; default: SRAM ≤ RAM, flash ≤ flash size, and SRAM vs the paper's 188 KB (informational). */
  budgets?: Budget[];
}

export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const num = thousands;
const pct = (a: number, b: number) => (b > 0 ? `${((100 * a) / b).toFixed(1)}%` : '-');

export function defaultBudgets(report: DetectionReport): Budget[] {
  const r = report.run.result;
  const paper = architectureOf(report.modelSpec).paper;
  return [
    { name: 'peak SRAM ≤ RAM', actual: r.sram.total, limit: r.sram.size, unit: 'bytes' },
    ...(paper
      ? [
          {
            name: `peak SRAM vs the paper (${paper.peakRamBytes / 1000} KB)`,
            actual: r.sram.total,
            limit: paper.peakRamBytes,
            unit: 'bytes',
            informational: true,
          },
        ]
      : []),
    { name: 'flash ≤ flash size', actual: r.flash.used, limit: r.flash.size, unit: 'bytes' },
  ];
}

export function renderHtml(
  report: DetectionReport,
  layers: LayerReport,
  opts: HtmlReportOptions = {},
): string {
  const r = report.run.result;
  const budgets = opts.budgets ?? defaultBudgets(report);
  const allPass =
    budgets.every((b) => b.informational || b.actual <= b.limit) &&
    report.match !== false &&
    r.exit.reason === 'exit';
  const title = opts.title ?? `m4sim report: ${report.model} on ${report.source}`;
  const sections = [
    `<h1>${esc(title)}</h1>`,
    `<p class="verdict ${allPass ? 'pass' : 'fail'}" id="verdict">Verdict: ${allPass ? 'PASS' : 'FAIL'}</p>`,
    verdictTable(report, budgets),
    section('SRAM', 'sram', sramBar(report) + memoryMap(report)),
    section('SRAM over time', 'sram-time', sramChart(layers)),
    section('Layers', 'layers', layerTable(layers)),
    section('Functions', 'functions', functionTable(report)),
    section('Flame graph (modeled cycles)', 'flame', flameGraph(r.functions.tree)),
    opts.image ? section('Detections', 'image', imageSection(report, opts.image)) : '',
    section('Cycle model', 'cycle-model', cycleModel(report)),
  ];
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>${CSS}</style></head>
<body>
${sections.join('\n')}
</body></html>
`;
}

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
h1{overflow-wrap:anywhere}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}.pass{color:#197a2e}.fail{color:#b3261e}
.verdict{font-size:1.4em;font-weight:bold}svg text{font:11px system-ui,sans-serif}
.legend span{display:inline-block;margin-right:1em}.sw{display:inline-block;width:10px;height:10px;margin-right:4px}
.imgwrap{position:relative;display:inline-block;max-width:100%}
.imgwrap img{display:block;width:640px;max-width:100%;height:auto}
.imgwrap svg{position:absolute;left:0;top:0;width:100%;height:100%}
svg.chart{display:block;max-width:100%;height:auto}td.l,th.l{text-align:left}`;

function section(title: string, id: string, body: string): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>\n${body}\n</section>`;
}

function verdictTable(report: DetectionReport, budgets: Budget[]): string {
  const r = report.run.result;
  const rows = budgets.map((b) => {
    const ok = b.actual <= b.limit;
    const verdict = b.informational ? (ok ? 'within' : 'over') : ok ? 'pass' : 'FAIL';
    const cls = b.informational ? 'info' : ok ? 'pass' : 'fail';
    return `<tr><td>${esc(b.name)}</td><td>${num(b.actual)} ${esc(b.unit)}</td><td>${num(b.limit)} ${esc(b.unit)}</td><td class="${cls}">${verdict}</td></tr>`;
  });
  if (report.match !== null) {
    const ok = report.match;
    rows.push(
      `<tr><td>firmware matches reference</td><td>${num(report.outputsMatching)} outputs, ${num(report.boxesMatching)} boxes</td><td>all</td><td class="${ok ? 'pass' : 'fail'}">${ok ? 'pass' : 'FAIL'}</td></tr>`,
    );
  }
  rows.push(
    `<tr><td>exit</td><td>${esc(r.exit.reason)} (${r.exit.code})</td><td>exit 0</td><td class="${r.exit.reason === 'exit' ? 'pass' : 'fail'}">${r.exit.reason === 'exit' ? 'pass' : 'FAIL'}</td></tr>`,
  );
  const paper = architectureOf(report.modelSpec).paper;
  const info = `<p>${num(r.cycles)} modeled cycles (${(r.cycles / r.clockHz).toFixed(3)} s at ${r.clockHz / 1e6} MHz${paper ? `; paper ${paper.cycles / 1e9} G` : ''}), ${num(r.instructions)} instructions, board ${esc(r.board)}.</p>`;
  return `<table><tr><th>budget</th><th>actual</th><th>limit</th><th>verdict</th></tr>${rows.join('')}</table>${info}`;
}

const COLORS: Record<string, string> = {
  '.data': '#4e79a7',
  '.bss': '#59a14f',
  'other static': '#9c755f',
  arena: '#f28e2b',
  heap: '#b07aa1',
  stack: '#e15759',
  free: '#e8e8e8',
};

function legend(keys: string[]): string {
  return `<div class="legend">${keys.map((k) => `<span><i class="sw" style="background:${COLORS[k] ?? '#999'}"></i>${esc(k)}</span>`).join('')}</div>`;
}

function sramBar(report: DetectionReport): string {
  const s = report.run.result.sram;
  // The arena lives in .noinit: a NOBITS section, so the ELF accounting counts it with .bss (or with
  // other static RAM when the linker script keeps it apart). Show it as its own part.
  const arenaBytes = report.run.block.arenaBytes || architectureOf(report.modelSpec).arena.bytes;
  const arenaInOther = Math.min(arenaBytes, s.otherStatic);
  const arenaInBss = Math.min(arenaBytes - arenaInOther, s.bss);
  const parts: [string, number][] = [
    ['.data', s.data],
    ['.bss', s.bss - arenaInBss],
    ['other static', s.otherStatic - arenaInOther],
    ['arena', arenaInOther + arenaInBss],
    ['heap', s.heap],
    ['stack', s.stack],
  ];
  const free = Math.max(0, s.size - s.total);
  const W = 1000;
  let x = 0;
  const rects = [...parts, ['free', free] as [string, number]].map(([name, v]) => {
    const w = (v / s.size) * W;
    const rect = `<rect x="${x.toFixed(2)}" y="0" width="${w.toFixed(2)}" height="28" fill="${COLORS[name]}"><title>${esc(name)}: ${num(v)} bytes</title></rect>`;
    x += w;
    return rect;
  });
  const table = parts
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${num(v)}</td><td>${pct(v, s.size)}</td></tr>`)
    .join('');
  return `<svg id="sram-bar" class="chart" viewBox="0 0 ${W} 28" width="${W}" height="28" role="img" aria-label="SRAM use">${rects.join('')}</svg>
${legend([...parts.map((p) => p[0]), 'free'])}
<table><tr><th>part</th><th>bytes</th><th>of RAM</th></tr>${table}<tr><th>total</th><th>${num(s.total)}</th><th>${pct(s.total, s.size)}</th></tr></table>
<p>Deepest stack (${num(s.stack)} bytes) on the path ${esc(s.stackPath.join(' → '))}.</p>`;
}

function memoryMap(report: DetectionReport): string {
  const r = report.run.result;
  const s = r.sram;
  const W = 1000;
  const out: string[] = [];
  let y = 0;
  for (const region of s.regions) {
    const X = (a: number) => ((a - region.base) / region.size) * W;
    const rect = (a: number, b: number, fill: string, label: string, h = 24, dy = 0) =>
      b > a
        ? `<rect x="${X(a).toFixed(2)}" y="${y + dy}" width="${Math.max(0.5, X(b) - X(a)).toFixed(2)}" height="${h}" fill="${fill}"><title>${esc(label)}: 0x${a.toString(16)}..0x${b.toString(16)} (${num(b - a)} bytes)</title></rect>`
        : '';
    out.push(
      `<text x="0" y="${y + 12}">${esc(region.name)} 0x${region.base.toString(16)} (${num(region.size)} bytes, ${num(region.touched)} touched)</text>`,
    );
    y += 16;
    out.push(rect(region.base, region.base + region.size, COLORS.free!, 'untouched'));
    if (region.low !== null && region.high !== null)
      out.push(rect(region.low, region.high, '#bbb', 'touched span', 8, 16));
    const arenaBase = report.run.arenaAddress;
    const arenaBytes = architectureOf(report.modelSpec).arena.bytes;
    if (arenaBase >= region.base && arenaBase < region.base + region.size) {
      out.push(rect(arenaBase, arenaBase + arenaBytes, COLORS.arena!, 'arena', 16));
    }
    if (s.initialSp > region.base && s.initialSp <= region.base + region.size) {
      out.push(rect(s.lowestSp, s.initialSp, COLORS.stack!, 'stack', 16));
    }
    y += 30;
  }
  return `<h3>Map of RAM (what was touched)</h3><svg id="ram-map" class="chart" viewBox="0 0 ${W} ${y}" width="${W}" height="${y}">${out.join('')}</svg>
${legend(['arena', 'stack', 'free'])}<p>Grey strip: the span of bytes written during the run (RAM is painted before reset).</p>`;
}

function sramChart(layers: LayerReport): string {
  const samples = layers.sram;
  if (samples.length === 0) return '<p>No samples.</p>';
  const W = 1000;
  const H = 220;
  const maxT = Math.max(layers.totalCycles, ...samples.map((s) => s.cycles), 1);
  const maxY = layers.ramSize;
  const X = (c: number) => 50 + (c / maxT) * (W - 60);
  const Y = (b: number) => H - 20 - (b / maxY) * (H - 30);
  const step = (value: (s: (typeof samples)[number]) => number) => {
    let d = '';
    samples.forEach((s, i) => {
      d +=
        i === 0
          ? `M${X(s.cycles).toFixed(1)},${Y(value(s)).toFixed(1)}`
          : `H${X(s.cycles).toFixed(1)}V${Y(value(s)).toFixed(1)}`;
    });
    return d + `H${X(maxT).toFixed(1)}`;
  };
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (f) =>
        `<line x1="50" x2="${W - 10}" y1="${Y(f * maxY)}" y2="${Y(f * maxY)}" stroke="#ddd"/><text x="0" y="${Y(f * maxY) + 4}">${num((f * maxY) / 1024)} KiB</text>`,
    )
    .join('');
  const dots = samples
    .map(
      (s) =>
        `<circle cx="${X(s.cycles).toFixed(1)}" cy="${Y(s.total).toFixed(1)}" r="2.5" fill="#333"><title>${esc(s.label)} at ${num(s.cycles)} cycles: ${num(s.total)} bytes (arena ${num(s.arena)}, stack ${num(s.stack)}, other ${num(s.other)})</title></circle>`,
    )
    .join('');
  return `<svg id="sram-chart" class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="SRAM in use over modeled time">${grid}
<path d="${step((s) => s.total)}" fill="none" stroke="#333" stroke-width="1.5"/>
<path d="${step((s) => s.arena)}" fill="none" stroke="${COLORS.arena}" stroke-width="1.5"/>
<path d="${step((s) => s.stack)}" fill="none" stroke="${COLORS.stack}" stroke-width="1.5"/>${dots}
<text x="50" y="${H - 4}">0</text><text x="${W - 120}" y="${H - 4}">${num(maxT)} cycles</text></svg>
<div class="legend"><span><i class="sw" style="background:#333"></i>in use (static + arena + stack)</span><span><i class="sw" style="background:${COLORS.arena}"></i>live arena</span><span><i class="sw" style="background:${COLORS.stack}"></i>stack</span></div>
<p>Sampled at every layer marker and at the stack high-water; RAM size ${num(maxY)} bytes.</p>`;
}

function layerTable(layers: LayerReport): string {
  const rows = layers.layers.map(
    (l) =>
      `<tr><td>${esc(l.name)}</td><td>${num(l.cycles)}</td><td>${(100 * l.share).toFixed(1)}%</td><td>${num(l.macs)}</td><td>${l.cyclesPerMac === null ? '-' : l.cyclesPerMac.toFixed(2)}</td><td>${l.stackPeak === null ? '-' : num(l.stackPeak)}</td><td>${num(l.liveArenaBytes)}</td><td class="l">${esc(l.liveBuffers.map((b) => b.name).join(', '))}</td></tr>`,
  );
  return `<table id="layer-table"><tr><th>layer</th><th>cycles</th><th>share</th><th>MACs</th><th>cycles/MAC</th><th>stack peak</th><th>live arena</th><th class="l">live buffers</th></tr>${rows.join('')}</table>`;
}

function functionTable(report: DetectionReport, top = 40): string {
  const r = report.run.result;
  const fns = [...r.functions.functions].sort((a, b) => b.selfCycles - a.selfCycles).slice(0, top);
  const rows = fns.map(
    (f) =>
      `<tr><td>${esc(f.name)}</td><td>${num(f.calls)}</td><td>${num(f.selfCycles)}</td><td>${pct(f.selfCycles, r.cycles)}</td><td>${num(f.inclusiveCycles)}</td><td>${pct(f.inclusiveCycles, r.cycles)}</td><td>${num(f.selfInstructions)}</td><td>${num(f.inclusiveInstructions)}</td></tr>`,
  );
  return `<table id="function-table"><tr><th>function</th><th>calls</th><th>self cycles</th><th>self</th><th>inclusive cycles</th><th>inclusive</th><th>self instr.</th><th>incl. instr.</th></tr>${rows.join('')}</table>
<p>Top ${fns.length} of ${r.functions.functions.length} functions by self cycles. Tail-called code counts as its caller's.</p>`;
}

function flameGraph(tree: readonly CallTreeNode[]): string {
  if (tree.length === 0) return '<p>No call tree (the block profiler was off).</p>';
  const W = 1000;
  const ROW = 18;
  const children = new Map<number, number[]>();
  tree.forEach((n, i) => {
    if (n.parent >= 0) children.set(n.parent, [...(children.get(n.parent) ?? []), i]);
  });
  const total = tree[0]!.inclusiveCycles || 1;
  const rects: string[] = [];
  let maxDepth = 0;
  const hue = (name: string) => [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % 60;
  const draw = (i: number, x: number, depth: number) => {
    const n = tree[i]!;
    const w = (n.inclusiveCycles / total) * W;
    if (w < 0.3) return;
    maxDepth = Math.max(maxDepth, depth);
    const y = depth * ROW;
    const label =
      w > 40
        ? `<text x="${(x + 3).toFixed(1)}" y="${y + 13}">${esc(n.name.slice(0, Math.floor(w / 7)))}</text>`
        : '';
    rects.push(
      `<g><rect x="${x.toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${ROW - 1}" fill="hsl(${hue(n.name) + 10},80%,60%)"><title>${esc(n.name)}: ${num(n.inclusiveCycles)} cycles inclusive (${pct(n.inclusiveCycles, total)}), ${num(n.selfCycles)} self, ${num(n.calls)} calls</title></rect>${label}</g>`,
    );
    let cx = x;
    for (const c of (children.get(i) ?? []).sort((a, b) => tree[a]!.name.localeCompare(tree[b]!.name))) {
      draw(c, cx, depth + 1);
      cx += (tree[c]!.inclusiveCycles / total) * W;
    }
  };
  draw(0, 0, 0);
  const H = (maxDepth + 1) * ROW;
  return `<svg id="flame-graph" class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">${rects.join('')}</svg>
<p>Icicle graph of the calling-context tree: width = inclusive modeled cycles, callers above callees.</p>`;
}

// Box corners are tenths of a pixel (imageMapper); their difference is rounded back to tenths so
// 171.9 - 130.3 is drawn as 41.6, not 41.60000000000002.
const size = (d: number) => Math.max(0, Math.round(d * 10) / 10);

function boxRects(boxes: ImageBox[], color: string, dash: string, who: string): string {
  return boxes
    .map(
      (b) =>
        `<rect x="${b.x1}" y="${b.y1}" width="${size(b.x2 - b.x1)}" height="${size(b.y2 - b.y1)}" fill="none" stroke="${color}" stroke-width="2" vector-effect="non-scaling-stroke" stroke-dasharray="${dash}"><title>${who} ${b.score}</title></rect>`,
    )
    .join('');
}

function imageSection(report: DetectionReport, image: RgbaImage): string {
  const png = Buffer.from(toPng(image.rgba, image.width, image.height)).toString('base64');
  const toImage = imageMapper(image.width, image.height);
  const refBoxes = (report.reference?.boxes ?? []).map(toImage);
  return `<div class="imgwrap"><img id="detections" alt="input image" src="data:image/png;base64,${png}" width="${image.width}" height="${image.height}">
<svg viewBox="0 0 ${image.width} ${image.height}" preserveAspectRatio="none">${boxRects(report.boxes, '#e0201b', '', 'firmware')}${boxRects(refBoxes, '#1f9e3a', '6 4', 'reference')}</svg></div>
<div class="legend"><span><i class="sw" style="background:#e0201b"></i>firmware boxes (${report.boxes.length})</span><span><i class="sw" style="background:#1f9e3a"></i>reference boxes, dashed, drawn on top (${refBoxes.length})</span></div>`;
}

function cycleModel(report: DetectionReport): string {
  const m = report.run.result.cycleModel;
  const rows = Object.entries(m.params)
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(String(v))}</td></tr>`)
    .join('');
  return `<p><b>${esc(m.name)}</b>: ${esc(m.description)}</p><table><tr><th>parameter</th><th>value</th></tr>${rows}</table>`;
}
