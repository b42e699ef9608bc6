// Per-function and per-call-path profiles from the native calling-context tree
// (native/m4sim_native.cc: the shadow call stack charges modeled cycles and instructions to the
// activation on top at every call and return, from running totals).
//
// Attribution is dynamic: what runs while a function is on top of the shadow stack is its self
// time. A tail call (`b other`, or `bx rN` to a function's entry) replaces the tail-caller's
// activation: the callee counts one call and appears called by the tail-caller's caller, as in
// gprof and perf. Exception handlers are children of the root (called by no function). Inclusive
// time of a function counts only its outermost activation on each path, so recursion is not
// counted twice. Calls deeper than the native stack's 4,096 frames are counted, but what runs in
// them is charged to the deepest kept frame (maxDepth > depthLimit says so).
import type { SymbolTable } from '../elf/symbols.js';
import type { ProfileCalls } from '../emulator/native.js';
import { thousands } from '../util/units.js';

/** One node of the calling-context tree: `name` reached through the path from the root to here. */
export interface CallTreeNode {
  /** Entry address of the function (Thumb bit clear). */
  address: number;
  name: string;
  /** Index of the calling node, -1 for the root (the reset handler). */
  parent: number;
  calls: number;
  selfCycles: number;
  selfInstructions: number;
  /** Self plus every descendant. */
  inclusiveCycles: number;
  inclusiveInstructions: number;
}

export interface FunctionStats {
  name: string;
  address: number;
  /** Times called through BL/BLX (the reset handler: 1). */
  calls: number;
  selfCycles: number;
  selfInstructions: number;
  inclusiveCycles: number;
  inclusiveInstructions: number;
}

export interface FunctionsProfile {
  /** Sorted by inclusive cycles, then self cycles, descending. */
  functions: FunctionStats[];
  /** Parents come before their children; node 0 is the root. Empty without the block profiler. */
  tree: CallTreeNode[];
  /** Deepest the call stack got, in frames below the root (0 without the block profiler). */
  maxDepth: number;
  /** Frames the shadow call stack keeps; when maxDepth exceeds it, deeper activations are merged. */
  depthLimit: number;
  /** Calls on new call paths once the tree held 1,048,576 nodes: not in the tree, charged to their caller. */
  droppedPaths: number;
}

export function buildFunctionProfile(
  raw: ProfileCalls,
  rootAddress: number,
  symbols: SymbolTable,
  depth: { maxDepth: number; depthLimit: number; droppedPaths: number } = {
    maxDepth: 0,
    depthLimit: 0,
    droppedPaths: 0,
  },
): FunctionsProfile {
  const n = raw.function.length;
  const tree: CallTreeNode[] = [];
  for (let i = 0; i < n; i++) {
    const address = i === 0 ? rootAddress >>> 0 : raw.function[i]! & ~1;
    tree.push({
      address: address >>> 0,
      name: symbols.functionName(address),
      parent: raw.parent[i]!,
      calls: raw.calls[i]!,
      selfCycles: raw.selfCycles[i]!,
      selfInstructions: raw.selfInstructions[i]!,
      inclusiveCycles: raw.selfCycles[i]!,
      inclusiveInstructions: raw.selfInstructions[i]!,
    });
  }
  // Nodes are created after their parents, so one backward pass sums the subtrees.
  for (let i = n - 1; i > 0; i--) {
    const node = tree[i]!;
    const parent = tree[node.parent]!;
    parent.inclusiveCycles += node.inclusiveCycles;
    parent.inclusiveInstructions += node.inclusiveInstructions;
  }
  return {
    functions: aggregate(tree),
    tree,
    maxDepth: depth.maxDepth,
    depthLimit: depth.depthLimit,
    droppedPaths: depth.droppedPaths,
  };
}

function aggregate(tree: CallTreeNode[]): FunctionStats[] {
  const byName = new Map<string, FunctionStats>();
  // Whether an ancestor of node i runs the same function (its inclusive time is then already counted).
  const nested = (i: number): boolean => {
    const name = tree[i]!.name;
    for (let p = tree[i]!.parent; p >= 0; p = tree[p]!.parent) if (tree[p]!.name === name) return true;
    return false;
  };
  tree.forEach((node, i) => {
    let f = byName.get(node.name);
    if (!f) {
      f = {
        name: node.name,
        address: node.address,
        calls: 0,
        selfCycles: 0,
        selfInstructions: 0,
        inclusiveCycles: 0,
        inclusiveInstructions: 0,
      };
      byName.set(node.name, f);
    }
    f.calls += node.calls;
    f.selfCycles += node.selfCycles;
    f.selfInstructions += node.selfInstructions;
    if (!nested(i)) {
      f.inclusiveCycles += node.inclusiveCycles;
      f.inclusiveInstructions += node.inclusiveInstructions;
    }
  });
  return [...byName.values()].sort(
    (a, b) => b.inclusiveCycles - a.inclusiveCycles || b.selfCycles - a.selfCycles || a.address - b.address,
  );
}

/** The call path of a tree node, outermost first (node indices). */
export function pathOf(tree: readonly CallTreeNode[], index: number): number[] {
  const path: number[] = [];
  for (let i = index; i >= 0; i = tree[i]!.parent) path.push(i);
  return path.reverse();
}

function pct(part: number, total: number): string {
  return total > 0 ? `${((100 * part) / total).toFixed(1)}%` : '-';
}

/** Top-N functions by self cycles as a terminal table. */
export function formatFunctionTable(profile: FunctionsProfile, totalCycles: number, top = 15): string {
  const rows = [...profile.functions].sort((a, b) => b.selfCycles - a.selfCycles).slice(0, top);
  const fmt = thousands;
  const header = ['function', 'calls', 'self cycles', 'self %', 'incl. cycles', 'incl. %', 'self instr.'];
  const body = rows.map((f) => [
    f.name,
    fmt(f.calls),
    fmt(f.selfCycles),
    pct(f.selfCycles, totalCycles),
    fmt(f.inclusiveCycles),
    pct(f.inclusiveCycles, totalCycles),
    fmt(f.selfInstructions),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(header), ...body.map(line)].join('\n') + '\n';
}
