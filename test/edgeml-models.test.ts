// The EdgeML models shipped in models/edgeml/ are exactly what the importer makes of shared/'s JSON.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importEdgeML, loadModel, parameterCount, serializeModel } from '../src/model/index.js';
import { EDGEML_FILES, sharedEdgemlJson, shippedModelPath } from './helpers/edgeml.js';

describe('shipped EdgeML models', () => {
  it.each([
    ['face2', 'rnnpool-face-qvga', 338_534],
    ['face3', 'rnnpool-face-fast', 124_160],
  ] as const)('%s loads as %s with %d parameters', (name, architecture, parameters) => {
    const m = loadModel(shippedModelPath(name));
    expect(m.architecture).toBe(architecture);
    expect(parameterCount(m)).toBe(parameters);
  });

  it.each(['face2', 'face3'] as const)('%s equals a fresh import of the EdgeML JSON in shared/', (name) => {
    const shared = sharedEdgemlJson(name);
    if (!shared) {
      console.warn(`skipping: ${EDGEML_FILES[name]} not in ../shared/models/edgeml`);
      return;
    }
    const fresh = importEdgeML(JSON.parse(readFileSync(shared, 'utf8')), EDGEML_FILES[name]);
    expect(serializeModel(fresh)).toBe(readFileSync(shippedModelPath(name), 'utf8'));
  });
});
