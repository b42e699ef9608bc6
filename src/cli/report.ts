// m4sim report: run the detector and write a self-contained HTML report, a speedscope profile and
// a Chrome/Perfetto trace; print the top functions and the layer table on stderr.
import type { Command } from 'commander';
import type { DetectionReport } from '../detector/detect.js';
import { loadFrame } from '../detector/input.js';
import { referenceRunner } from '../detector/reference.js';
import { prepareDetector } from '../detector/session.js';
import { loadBoard, type Board } from '../emulator/board.js';
import { formatFunctionTable } from '../profile/functions.js';
import { layerProfile } from '../profile/layers.js';
import { formatDetection } from '../report/detector.js';
import { renderHtml, type Budget } from '../report/html.js';
import { scenarioBoard } from '../scenarios/run.js';
import { loadScenario, type Scenario } from '../scenarios/schema.js';
import { toSpeedscope } from '../report/speedscope.js';
import { toTrace } from '../report/trace.js';
import { parseClock, UsageError } from '../util/units.js';
import { writeOutputFile } from './output-file.js';
import { layerProgress } from './progress.js';
import type { Done } from './status.js';

interface ReportOptions {
  html?: string;
  speedscope?: string;
  trace?: string;
  image?: string;
  frame?: string;
  model?: string;
  board: string;
  ram?: string;
  flash?: string;
  clock?: string;
  reference: boolean;
  top: string;
}

export function registerReport(program: Command, done: Done): void {
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
    .option('--ram <size>', 'override the main SRAM size, e.g. 256K')
    .option('--flash <size>', 'override the flash size, e.g. 1M')
    .option('--clock <freq>', 'core clock, e.g. 168MHz (default: the board clock)')
    .option('--no-reference', 'skip the TypeScript reference comparison')
    .option('--top <n>', 'functions in the terminal table', '15')
    .action((scenario: string | undefined, opts: ReportOptions) => {
      const { board: scenarioBoardWithOverrides, ...sc } =
        scenario !== undefined ? fromScenario(scenario) : {};
      const o: ReportOptions = { ...opts, ...definedOnly(sc) };
      // A scenario's board comes with its `ram:`/`flash:`; otherwise the options' overrides.
      const board = scenarioBoardWithOverrides ?? loadBoard(o.board, { ram: o.ram, flash: o.flash });
      const clockHz = o.clock ? parseClock(o.clock) : sc.clockHz;
      // Decoded once: the frame the firmware runs on and the picture the HTML report shows.
      const input = loadFrame({ image: o.image, frame: o.frame, keepImage: o.html !== undefined });
      const session = prepareDetector({
        board,
        modelPath: o.model,
        reference: o.reference ? referenceRunner : undefined,
      });
      const progress = layerProgress();
      let report: DetectionReport;
      try {
        report = session.run(input, { clockHz, onLayer: progress.onLayer });
      } finally {
        progress.done();
      }
      const r = report.run.result;
      const layers = layerProfile(report);
      process.stderr.write(formatDetection(report));
      process.stderr.write('\n' + formatFunctionTable(r.functions, r.cycles, Number(o.top) || 15));
      if (o.html) {
        const html = renderHtml(report, layers, {
          image: input.image!,
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
      done({ kind: 'detector', exit: r.exit, match: report.match });
    });
}

/** Detector options and budgets from a scenario file (src/scenarios/schema.ts). */
function fromScenario(path: string): Omit<Partial<ReportOptions>, 'board'> & {
  board?: Board;
  budgets?: Budget[];
  clockHz?: number;
} {
  const s = loadScenario(path);
  if (s.firmware.kind !== 'detector')
    throw new UsageError(`${s.displayFile}: m4sim report runs the face detector; this scenario runs an ELF`);
  return {
    board: scenarioBoard(s),
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
