// Writes models/face-m4-synthetic.model.json: the synthetic RNNPool-Face-M4 model, seed 1, from the built
// dist/ (npm run build first). Each array on one line; unless .prettierignore covers the file, it is
// formatted with prettier instead (one value per line) so that `prettier --check .` accepts it.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { saveModel, serializeModel, syntheticFaceM4 } from '../dist/model/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const path = join(root, 'models', 'face-m4-synthetic.model.json');
const seed = Number(process.argv[2] ?? 1);
const model = syntheticFaceM4(seed, { name: 'face-m4-synthetic' });
saveModel(model, path); // validates
const info = await prettier.getFileInfo(path, { ignorePath: join(root, '.prettierignore') });
if (!info.ignored) {
  const options = (await prettier.resolveConfig(path)) ?? {};
  writeFileSync(path, await prettier.format(serializeModel(model), { ...options, filepath: path }));
}
console.log(`wrote ${path} (seed ${seed})`);
