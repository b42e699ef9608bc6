// speedscope file format (https://www.speedscope.app/file-format-schema.json): one sampled profile
// whose samples are the call paths of the native calling-context tree and whose weights are the
// modeled cycles spent on top of each path (self cycles). Frames are functions.
import type { CallTreeNode } from '../profile/functions.js';
import { pathOf } from '../profile/functions.js';

export const SPEEDSCOPE_SCHEMA = 'https://www.speedscope.app/file-format-schema.json';

export interface SpeedscopeFile {
  $schema: string;
  shared: { frames: { name: string; file?: string }[] };
  profiles: {
    type: 'sampled';
    name: string;
    unit: 'none';
    startValue: number;
    endValue: number;
    samples: number[][];
    weights: number[];
  }[];
  name: string;
  activeProfileIndex: number;
  exporter: string;
}

export function toSpeedscope(tree: readonly CallTreeNode[], name: string): SpeedscopeFile {
  const frames: { name: string }[] = [];
  const frameOf = new Map<string, number>();
  const frame = (n: string) => {
    let i = frameOf.get(n);
    if (i === undefined) {
      i = frames.length;
      frames.push({ name: n });
      frameOf.set(n, i);
    }
    return i;
  };
  const samples: number[][] = [];
  const weights: number[] = [];
  tree.forEach((node, i) => {
    if (node.selfCycles <= 0) return;
    samples.push(pathOf(tree, i).map((k) => frame(tree[k]!.name)));
    weights.push(node.selfCycles);
  });
  const total = weights.reduce((a, b) => a + b, 0);
  return {
    $schema: SPEEDSCOPE_SCHEMA,
    shared: { frames },
    profiles: [
      {
        type: 'sampled',
        name: `${name} (modeled cycles)`,
        unit: 'none',
        startValue: 0,
        endValue: total,
        samples,
        weights,
      },
    ],
    name,
    activeProfileIndex: 0,
    exporter: 'm4sim',
  };
}
