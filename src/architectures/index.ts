// The detector architectures m4sim can validate, build, run, check and profile, and what every consumer
// asks of one. Adding an architecture is adding its descriptor file (and its kernels and pipeline in
// firmware/, its reference in src/reference) and listing it here.
//
// A descriptor holds its reference runner, the runners read their descriptor (layer names, head
// layers), and model/format.ts validates models with the descriptors: the modules import each other.
// None of them reads another's exports while it loads, only when called (so the registry below is a
// function), and common.ts imports nothing that imports a descriptor.
import { ModelError } from '../model/errors.js';
import { outputShifts } from './common.js';
import type { Model } from '../model/format.js';
import { FACE_FAST } from './face-fast.js';
import { FACE_M4 } from './face-m4.js';
import { FACE_QVGA } from './face-qvga.js';
import type { ArchitectureDescriptor, ArenaBuffer } from './types.js';

export type ArchitectureName = typeof FACE_M4.name | typeof FACE_QVGA.name | typeof FACE_FAST.name;

export type * from './types.js';
export { architectureHeads, DEFAULT_THRESHOLD_Q15 } from './common.js';
export { renderLayersHeader, LAYERS_HEADER } from './c-header.js';

/** Every architecture, in the order error messages list them. */
export function architectures(): readonly ArchitectureDescriptor<ArchitectureName>[] {
  return [FACE_M4, FACE_QVGA, FACE_FAST];
}

export function isArchitectureName(name: unknown): name is ArchitectureName {
  return architectures().some((a) => a.name === name);
}

export function architectureNamed(name: ArchitectureName): ArchitectureDescriptor<ArchitectureName> {
  const a = architectures().find((x) => x.name === name);
  if (!a) {
    throw new ModelError(
      `unknown architecture ${JSON.stringify(name)} (known: ${architectures()
        .map((x) => x.name)
        .join(', ')})`,
    );
  }
  return a;
}

/** The descriptor of a model's architecture. */
export function architectureOf(model: Model): ArchitectureDescriptor<ArchitectureName> {
  return architectureNamed(model.architecture);
}

/** Layer names by id (index id - 1), as the firmware publishes them on the ITM markers; boxes last. */
export function layerNames(a: ArchitectureDescriptor): string[] {
  return a.layers.map((l) => l.name);
}

/** The arena buffers live while layer `id` runs (none for an unknown id). */
export function liveBuffers(a: ArchitectureDescriptor, id: number): ArenaBuffer[] {
  const layer = a.layers.find((l) => l.id === id);
  if (!layer) return [];
  return layer.live.map((bufferId) => {
    const b = a.arena.buffers.find((x) => x.id === bufferId);
    if (!b) throw new Error(`${a.name}: layer ${layer.name} lists unknown arena buffer ${bufferId}`);
    return b;
  });
}

/** Live arena bytes while layer `id` runs (0 for an unknown id). */
export function liveArenaBytes(a: ArchitectureDescriptor, id: number): number {
  return liveBuffers(a, id).reduce((n, b) => n + (b.end - b.start), 0);
}

/** Per head of the model, the real-value shifts of its raw conf and loc outputs. */
export function headShifts(model: Model): { conf: number; loc: number }[] {
  return outputShifts(architectureOf(model), model);
}
