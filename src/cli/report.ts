// m4sim report: run the detector and write a self-contained HTML report, a speedscope profile and
// a Chrome/Perfetto trace; print the top functions and the layer table on stderr.
import { join } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_IMAGE, detect, readFrame, type DetectionReport } from '../detector/detect.js';
import { referenceRunner } from '../detector/reference.js';
import { loadBoard } from '../emulator/board.js';
import { decodeImage, frameToGray, type RgbaImage } from '../image/index.js';
import { formatFunctionTable } from '../profile/functions.js';
import { layerProfile } from '../profile/layers.js';
import { formatDetection } from '../report/detector.js';
import { renderHtml, type Budget } from '../report/html.js';
import { loadScenario, type Scenario } from '../scenarios/schema.js';
import { toSpeedscope } from '../report/speedscope.js';
import { toTrace } from '../report/trace.js';
import { INPUT_LIMITS, readInputFile } from '../util/input-file.js';
import { projectRoot } from '../util/paths.js';
import { parseClock, UsageError } from '../util/units.js';
import { writeOutputFile } from './output-file.js';
import { layerProgress } from './progress.js';

interface ReportOptions {
  html?: string;
  speedscope?: string;
  trace?: string;
  image?: string;
  frame?: string;
  model?: string;
  board: string;
  clock?: string;
  reference: boolean;
  top: string;
}

function imageFor(opts: { image?: string; frame?: string }): RgbaImage {
  if (opts.frame) {
    const gray = frameToGray(readFrame(opts.frame));
    const rgba = new Uint8Array(gray.length * 4);
    gray.forEach((g, i) => rgba.set([g, g, g, 255], 4 * i));
    return { width: 320, height: 240, rgba };
  }
  const path = opts.image ?? join(projectRoot(), DEFAULT_IMAGE);
  return decodeImage(readInputFile(path, 'image', INPUT_LIMITS.image), path);
}

export function registerReport(program: Command, setStatus: (code: number) => void): void {
  program
    .command('report')
    .description('run the face detector and write an HTML report, a speedscope profile and a trace')
    .argument('[scenario]', 'scenario file (scenarios/*.yaml), when scenarios are available')
    .option('--html <file>', 'write a self-contained HTML report')
    .option('--speedscope <file>', 'write a speedscope profile (weights: modeled cycles)')
    .option('--trace <file>', 'write a Chrome/Perfetto trace (a slice per layer, SRAM in use)')
    .option('--image <file>', 'a PNG, JPEG or PGM photo (default: the astronaut in scenarios/images)')
    .option('--frame <file>', 'an already-quantized 320x240 int8 frame')
    .option('--model <file>', 'a model file (default: models/face-m4-synthetic.model.json)')
    .option('--board <name>', 'board name or JSON file', 'm4-256k')
    .option('--clock <freq>', 'core clock, e.g. 168MHz (default: the board clock)')
    .option('--no-reference', 'skip the TypeScript reference comparison')
    .option('--top <n>', 'functions in the terminal table', '15')
    .action((scenario: string | undefined, opts: ReportOptions) => {
      const sc = scenario !== undefined ? fromScenario(scenario) : {};
      const o: ReportOptions = { ...opts, ...definedOnly(sc) };
      const board = loadBoard(o.board);
      const progress = layerProgress();
      let report: DetectionReport;
      try {
        report = detect({
          board,
          clockHz: o.clock ? parseClock(o.clock) : sc.clockHz,
          modelPath: o.model,
          image: o.image,
          frame: o.frame,
          reference: o.reference ? referenceRunner : undefined,
          onLayer: progress.onLayer,
        });
      } finally {
        progress.done();
      }
      const r = report.run.result;
      const layers = layerProfile(report);
      process.stderr.write(formatDetection(report));
      process.stderr.write('\n' + formatFunctionTable(r.functions, r.cycles, Number(o.top) || 15));
      if (o.html) {
        const html = renderHtml(report, layers, {
          image: imageFor(o),
          budgets: sc.budgets ? measure(sc.budgets, report) : undefined,
        });
        writeOutputFile(o.html, html, '--html');
      }
      if (o.speedscope) {
        const profile = toSpeedscope(r.functions.tree, `m4sim ${report.model}`);
        writeOutputFile(o.speedscope, JSON.stringify(profile), '--speedscope');
      }
      if (o.trace)
        writeOutputFile(
          o.trace,
          JSON.stringify(toTrace(layers, r.clockHz, `m4sim ${report.model}`)),
          '--trace',
        );
      setStatus(r.exit.reason !== 'exit' ? r.exit.code : report.match === false ? 1 : r.exit.code);
    });
}

/** Detector options and budgets from a scenario file (src/scenarios/schema.ts). */
function fromScenario(path: string): Partial<ReportOptions> & { budgets?: Budget[]; clockHz?: number } {
  const s = loadScenario(path);
  if (s.firmware.kind !== 'detector')
    throw new UsageError(`${s.displayFile}: m4sim report runs the face detector; this scenario runs an ELF`);
  return {
    board: s.board,
    image: s.images[0],
    model: s.firmware.model,
    clockHz: s.clockHz,
    budgets: budgetsOf(s),
  };
}

function budgetsOf(s: Scenario): Budget[] {
  const b = s.budgets;
  const out: Budget[] = [];
  const add = (name: string, limit: number | undefined, unit: string) => {
    if (limit !== undefined) out.push({ name, actual: 0, limit, unit });
  };
  add('sram', b.sram, 'bytes');
  add('static', b.static, 'bytes');
  add('stack', b.stack, 'bytes');
  add('heap', b.heap, 'bytes');
  add('flash', b.flash, 'bytes');
  add('cycles', b.cycles, 'cycles');
  return out;
}

/** Fills in the measured values of the scenario's budgets. */
function measure(budgets: Budget[], report: DetectionReport): Budget[] {
  const r = report.run.result;
  const s = r.sram;
  const actual: Record<string, number> = {
    sram: s.total,
    static: s.data + s.bss + s.otherStatic,
    stack: s.stack,
    heap: s.heap,
    flash: r.flash.used,
    cycles: r.cycles,
  };
  return budgets.map((b) => ({ ...b, actual: actual[b.name] ?? 0 }));
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
