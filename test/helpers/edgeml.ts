// The trained EdgeML face models for tests: imported from ../shared/models/edgeml when it is there
// (so the importer is exercised on the real files), else the copies shipped in models/edgeml/.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
  const path = join(mkdtempSync(join(tmpdir(), `m4sim-${name}-`)), `${name}.model.json`);
  saveModel(importEdgeML(JSON.parse(readFileSync(shared, 'utf8')), EDGEML_FILES[name]), path);
  return { path, source: shared };
}
