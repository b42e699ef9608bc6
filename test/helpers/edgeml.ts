// The trained EdgeML face models for tests: imported from ../shared/models/edgeml when it is there
// (so the importer is exercised on the real files), else the copies shipped in models/edgeml/.
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { importEdgeML, saveModel } from '../../src/model/index.js';
import { projectRoot } from '../../src/util/paths.js';

export const EDGEML_FILES = {
  face2: 'q_scut_head_b_face2_model.json',
  face3: 'q_scut_head_b_face3_model.json',
} as const;

/** The EdgeML JSON in shared/ (beside the project, as CI lays it out), or null. */
export function sharedEdgemlJson(name: keyof typeof EDGEML_FILES): string | null {
  const file = EDGEML_FILES[name];
  const candidates = [
    join(projectRoot(), '..', 'shared', 'models', 'edgeml', file),
    join(projectRoot(), 'shared', 'models', 'edgeml', file),
  ];
  return candidates.find((p) => existsSync(p)) ?? null;
}

export function shippedModelPath(name: keyof typeof EDGEML_FILES): string {
  return join(projectRoot(), 'models', 'edgeml', `${name}.model.json`);
}

/** A model file for the tests: a fresh import of shared/'s JSON when present, else the shipped copy. */
export function edgemlModelPath(name: keyof typeof EDGEML_FILES): { path: string; source: string } {
  const shared = sharedEdgemlJson(name);
  if (!shared) {
    console.warn(
      `${name}: ${EDGEML_FILES[name]} not in ../shared/models/edgeml; using the shipped models/edgeml copy`,
    );
    return { path: shippedModelPath(name), source: 'shipped' };
  }
  // One file per model in the (ignored) test build folder, not a temporary folder per call: written
  // under a per-process name and renamed, so parallel test files never read half a model.
  const dir = join(projectRoot(), 'test', 'firmware', 'build', 'edgeml');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.model.json`);
  const partial = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  saveModel(importEdgeML(JSON.parse(readFileSync(shared, 'utf8')), EDGEML_FILES[name]), partial);
  renameSync(partial, path);
  return { path, source: shared };
}
