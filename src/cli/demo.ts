// m4sim demo (`npm run demo`): what m4sim is for, in one run. A trained EdgeML face model finds the
// faces on a photo (report.html shows them), then the paper's RNNPool-Face-M4 architecture is
// measured on the paper's part at the paper's clock and set against the paper's figures.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { architectureOf } from '../architectures/index.js';
import type { DetectionReport } from '../detector/detect.js';
import { DEFAULT_IMAGE, loadFrame } from '../detector/input.js';
import { referenceRunner } from '../detector/reference.js';
import { prepareDetector, type DetectorSession } from '../detector/session.js';
import { loadBoard } from '../emulator/board.js';
import { layerProfile } from '../profile/layers.js';
import { formatDemoDetection, formatDemoPaper } from '../report/demo.js';
import { renderHtml } from '../report/html.js';
import { projectRoot } from '../util/paths.js';
import { writeStderr } from '../util/stdio.js';
import { writeOutputFile } from './output-file.js';
import { layerProgress } from './progress.js';
import { exitStatus, type Done } from './status.js';

/** The trained model that finds faces (models/edgeml/README.md). */
export const DEMO_MODEL = 'models/edgeml/face2.model.json';
/** The paper's architecture (synthetic weights) on the paper's part at the paper's clock. */
export const PAPER_MODEL = 'models/face-m4-synthetic.model.json';
/** The board file of the part the paper measured on; the clock is the paper's (its descriptor). */
export const PAPER_BOARD = 'stm32f439';

interface DemoOptions {
  image?: string;
  html: string;
  board: string;
  paper: boolean;
}

export function registerDemo(program: Command, done: Done): void {
  program
    .command('demo')
    .description('the first run: a trained face model on a photo (report.html), then the paper’s figures')
    .option('--image <file>', 'a PNG, JPEG or PGM photo (default: the astronaut in scenarios/images)')
    .option('--html <file>', 'where to write the HTML report', 'report.html')
    .option(
      '--board <name>',
      'board for the trained model: a name from boards/ or a board JSON file',
      'm4-256k',
    )
    .option('--no-paper', 'skip part 2 (RNNPool-Face-M4 against the paper)')
    .action((opts: DemoOptions) => {
      const root = projectRoot();
      // Decoded once: the frame both parts run on and the picture the report shows.
      const input = loadFrame({ image: opts.image, keepImage: true });
      const trained = prepareDetector({
        board: loadBoard(opts.board),
        modelPath: resolve(root, DEMO_MODEL),
        reference: referenceRunner,
      });
      const faces = runWithProgress(trained, input);
      writeOutputFile(opts.html, renderHtml(faces, layerProfile(faces), { image: input.image! }), '--html');
      // The default photo by its project path, a user's photo as given.
      const shown = { ...faces, source: opts.image ?? DEFAULT_IMAGE };
      writeStderr(formatDemoDetection(shown, trained.model.architecture, resolve(opts.html)));
      let outcome = { kind: 'detector' as const, exit: faces.run.result.exit, match: faces.match };
      if (opts.paper) {
        const paper = prepareDetector({
          board: loadBoard(PAPER_BOARD),
          modelPath: resolve(root, PAPER_MODEL),
          reference: referenceRunner,
        });
        const figures = architectureOf(paper.model).paper!;
        const measured = runWithProgress(paper, input, figures.clockHz);
        writeStderr('\n' + formatDemoPaper(measured, paper.model.architecture, figures));
        // The first part that did not succeed decides the status.
        if (exitStatus(outcome) === 0)
          outcome = { kind: 'detector', exit: measured.run.result.exit, match: measured.match };
      }
      done(outcome);
    });
}

function runWithProgress(
  session: DetectorSession,
  input: ReturnType<typeof loadFrame>,
  clockHz?: number,
): DetectionReport {
  const progress = layerProgress();
  try {
    return session.run(input, { clockHz, onLayer: progress.onLayer });
  } finally {
    progress.done();
  }
}
