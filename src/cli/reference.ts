import type { Command } from 'commander';
import type { Done } from './status.js';
import { resolveModelPath } from '../detector/build.js';
import { loadFrame } from '../detector/input.js';
import { referenceDetection } from '../detector/reference.js';
import { UsageError } from '../util/units.js';
import { writeOutputFile } from './output-file.js';

interface ReferenceOptions {
  image?: string;
  frame?: string;
  model?: string;
  threshold: string;
  json?: boolean;
  outputs?: string;
}

export function registerReference(program: Command, done: Done): void {
  program
    .command('reference')
    .description('run the TypeScript reference of the quantized detector alone (no emulator)')
    .option('--image <file>', 'a PNG, JPEG or PGM photo (default: the astronaut in scenarios/images)')
    .option('--frame <file>', 'an already-quantized 320x240 int8 frame (76,800 bytes)')
    .option('--model <file>', 'a model file (default: models/face-m4-synthetic.model.json)')
    .option('--threshold <score>', 'keep boxes scoring above this (0..1)', '0.5')
    .option('--outputs <file>', 'write the raw head outputs as little-endian int16')
    .option('--json', 'print one JSON document')
    .action((opts: ReferenceOptions) => {
      const v = Number(opts.threshold);
      if (!(v >= 0 && v < 1))
        throw new UsageError(`--threshold: expected a score in [0, 1), got "${opts.threshold}"`);
      const input = loadFrame(opts);
      const r = referenceDetection(resolveModelPath(opts.model), input, Math.round(v * 32768));
      if (opts.outputs)
        writeOutputFile(
          opts.outputs,
          new Uint8Array(r.outputs.buffer, r.outputs.byteOffset, r.outputs.byteLength),
          '--outputs',
        );
      if (opts.json) {
        process.stdout.write(
          JSON.stringify(
            {
              model: r.model,
              source: input.source,
              boxes: r.boxes.map((b) => [b.x1, b.y1, b.x2, b.y2, b.score]),
              layers: r.layers.map((l) => ({ id: l.id, name: l.name, checksum: l.checksum })),
            },
            null,
            2,
          ) + '\n',
        );
      } else {
        process.stdout.write(
          `reference (model ${r.model}) on ${input.source}: ${r.boxes.length} boxes (x1 y1 x2 y2 score)\n`,
        );
        for (const b of r.boxes)
          process.stdout.write(
            `  ${[b.x1, b.y1, b.x2, b.y2].map((x) => x.toFixed(1)).join(' ')}  ${b.score.toFixed(3)}\n`,
          );
      }
      done({ kind: 'done' });
    });
}
