import type { Command } from 'commander';
import type { Done } from './status.js';
import { basename } from 'node:path';
import { resolveModelPath } from '../detector/build.js';
import { loadFrame } from '../detector/input.js';
import { importEdgeML, loadModel, ModelError, parameterCount, saveModel } from '../model/index.js';
import { JsonSyntaxError, parseJsonText } from '../util/json-text.js';
import { printableFileName } from '../model/names.js';
import { architectureOf } from '../architectures/index.js';
import { formatLayerStats, layerStats } from '../reference/face-m4.js';
import { readInputText } from '../util/input-file.js';

export function registerModel(program: Command, done: Done): void {
  const model = program.command('model').description('inspect, generate and import detector models');
  model
    .command('stats')
    .description('per-layer activation ranges of the TypeScript reference on an image')
    .option('--model <file>', 'a model file (default: models/face-m4-synthetic.model.json)')
    .option('--image <file>', 'a PNG, JPEG or PGM photo (default: the astronaut in scenarios/images)')
    .option('--frame <file>', 'an already-quantized 320x240 int8 frame')
    .option('--json', 'print JSON')
    .action((opts: { model?: string; image?: string; frame?: string; json?: boolean }) => {
      const m = loadModel(resolveModelPath(opts.model));
      const input = loadFrame(opts);
      const stats = layerStats(architectureOf(m).reference(m, input.frame).layers);
      if (opts.json) {
        process.stdout.write(
          JSON.stringify({ model: m.name, parameters: parameterCount(m), layers: stats }, null, 2) + '\n',
        );
      } else {
        process.stdout.write(
          `model ${m.name} (${m.architecture}, ${parameterCount(m)} parameters) on ${input.source}\n`,
        );
        process.stdout.write(formatLayerStats(stats));
      }
      done({ kind: 'done' });
    });
  model
    .command('import-edgeml')
    .description('convert an EdgeML/SeeDot quantized model (JSON of its C headers) into an m4sim model file')
    .argument('<edgeml.json>', 'EdgeML model JSON (see shared/models/edgeml/README.md)')
    .requiredOption('-o, --output <file>', 'the m4sim model file to write')
    .action((input: string, opts: { output: string }) => {
      // Untrusted like a model file: read with a size limit, a syntax error gives its position only.
      const text = readInputText(input, 'EdgeML model file');
      let json: unknown;
      try {
        json = parseJsonText(text);
      } catch (e) {
        if (e instanceof JsonSyntaxError) throw new ModelError(`${printableFileName(input)}: ${e.message}`);
        throw e;
      }
      // The file name only: the same EdgeML file imports to the same model wherever it lives.
      const m = importEdgeML(json, basename(input));
      saveModel(m, opts.output);
      process.stdout.write(
        `wrote ${opts.output}: ${m.name} (${m.architecture}, ${parameterCount(m)} parameters)\n`,
      );
      done({ kind: 'done' });
    });
}
